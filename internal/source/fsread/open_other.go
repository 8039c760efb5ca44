//go:build !unix

package fsread

import "os"

const openFlags = os.O_RDONLY
