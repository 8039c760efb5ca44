package testkit

import (
	"fmt"
	"strings"
)

// HostileShapes are the ways HostileReview makes a pod large: each multiplies what the
// rules find.
var HostileShapes = []string{"containers", "ports", "volumes", "env", "capabilities"}

// HostileReview is an AdmissionReview creating a Pod in namespace "shop" built to cost
// the webhook as much as possible for its size: n privileged containers, or one
// container with n host ports, n hostPath volumes of "/", n environment variables
// named as secrets, or n added capabilities (shape). 12,000 containers make about 1 MB.
func HostileReview(uid, shape string, n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":%q,`+
		`"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},`+
		`"namespace":"shop","name":"hostile","operation":"CREATE","userInfo":{"username":"mallory"},`+
		`"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"hostile","namespace":"shop"},"spec":{`, uid)
	list := func(open, close string, item func(i int) string) {
		b.WriteString(open)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(item(i))
		}
		b.WriteString(close)
	}
	const one = `"containers":[{"name":"c","image":"nginx"`
	switch shape {
	case "containers":
		list(`"containers":[`, `]`, func(i int) string {
			return fmt.Sprintf(`{"name":"c%d","image":"nginx","securityContext":{"privileged":true}}`, i)
		})
	case "ports":
		list(one+`,"ports":[`, `]}]`, func(i int) string {
			return fmt.Sprintf(`{"containerPort":%d,"hostPort":%[1]d}`, i%65535+1)
		})
	case "volumes":
		list(one+`}],"volumes":[`, `]`, func(i int) string { return fmt.Sprintf(`{"name":"v%d","hostPath":{"path":"/"}}`, i) })
	case "env":
		list(one+`,"env":[`, `]}]`, func(i int) string { return fmt.Sprintf(`{"name":"DB_PASSWORD_%d","value":"hunter2"}`, i) })
	case "capabilities":
		list(one+`,"securityContext":{"capabilities":{"add":[`, `]}}}]`, func(i int) string { return fmt.Sprintf(`"SYS_ADMIN_%d"`, i) })
	default:
		panic("testkit.HostileReview: unknown shape " + shape)
	}
	b.WriteString(`}}}}`)
	return []byte(b.String())
}
