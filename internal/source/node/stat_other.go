//go:build !unix

package node

import "io/fs"

// owner returns -1, -1: only Unix systems have owners this package reads.
func owner(fs.FileInfo) (uid, gid int) { return -1, -1 }

const dirFlag = 0
