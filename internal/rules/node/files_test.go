package node

import (
	"testing"

	"github.com/kharden/kharden/internal/source/node"
)

// Root is ID 0 whatever the host's name database says; other owners go by name.
func TestOwnedBy(t *testing.T) {
	for _, c := range []struct {
		f    node.File
		want string
		ok   bool
	}{
		{node.File{UID: 0, GID: 0, User: "root", Group: "root"}, "root:root", true},
		{node.File{UID: 0, GID: 0, User: "0", Group: "0"}, "root:root", true}, // no /etc/passwd
		{node.File{UID: 5, GID: 0, User: "root", Group: "root"}, "root:root", false},
		{node.File{UID: 0, GID: 1000, User: "root", Group: "1000"}, "root:root", false},
		{node.File{UID: -1, GID: -1, User: "root", Group: "root"}, "root:root", true}, // IDs unknown: names decide
		{node.File{UID: 112, GID: 118, User: "etcd", Group: "etcd"}, "etcd:etcd", true},
		{node.File{UID: 112, GID: 118, User: "112", Group: "118"}, "etcd:etcd", false},
	} {
		if got := ownedBy(c.f, c.want); got != c.ok {
			t.Errorf("ownedBy(%+v, %s) = %v, want %v", c.f, c.want, got, c.ok)
		}
	}
}
