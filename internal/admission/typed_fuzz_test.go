package admission

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/kube"
)

// typedKinds are the kinds the differential fuzz test decodes into.
var typedKinds = [][2]string{{"v1", "Pod"}, {"apps/v1", "Deployment"}, {"batch/v1", "CronJob"},
	{"rbac.authorization.k8s.io/v1", "ClusterRole"}, {"v1", "ConfigMap"}, {"v1", "ServiceAccount"}}

// FuzzTypedDecode compares decodeTyped with encoding/json on every input, as each typed
// kind: both accept or both reject, and what they accept they decode to the same value.
// The seeds are every rule fixture as JSON.
func FuzzTypedDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "rules", "k8s", "testdata", "*", "*", "*.yaml"))
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, doc := range docSep.Split(string(src), -1) {
			if js, err := yaml.YAMLToJSON([]byte(doc)); err == nil && len(js) > 4 {
				f.Add(js)
			}
		}
	}
	f.Add([]byte(`{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"1e3m"}}}],"Containers":null}}`))
	f.Add([]byte(`{"metadata":{"name":"\ud800","labels":{"a":"b","a":"c"}},"spec":{"replicas":1.0}}`))
	// Escaped keys (the fast decoder then reads keys as strings) and non-ASCII ones (read in place).
	f.Add([]byte(`{"metad\u0061ta":{"n\u0061me":"x"},"spec":{"containers":[{"\u0069mage":"b","name":"\u00e9"}]}}`))
	f.Add([]byte(`{"metadata":{"nam\u00e9":"x","name":"\u00e9"},"SPEC":{"Containers":[{"IMAGE":"b"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, k := range typedKinds {
			want, got := kube.New(k[0], k[1]), kube.New(k[0], k[1])
			werr := json.Unmarshal(data, want)
			gerr := decodeTyped(data, got)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("%s: encoding/json error %v, decodeTyped error %v: %q", k[1], werr, gerr, data)
			}
			if werr == nil && !reflect.DeepEqual(want, got) {
				t.Fatalf("%s: values differ:\nencoding/json %+v\ndecodeTyped   %+v\ninput %q", k[1], want, got, data)
			}
		}
	})
}
