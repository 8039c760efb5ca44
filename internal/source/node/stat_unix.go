//go:build unix

package node

import (
	"io/fs"
	"syscall"
)

// owner returns a file's numeric owner and group; -1 when the system does not say.
func owner(fi fs.FileInfo) (uid, gid int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}

// dirFlag makes opening a directory fail on anything else.
const dirFlag = syscall.O_DIRECTORY
