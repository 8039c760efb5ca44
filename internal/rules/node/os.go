package node

import (
	"errors"

	"github.com/kharden/kharden/internal/source/node"
)

// readErr is why the file at p could not be read, for a message that names p already:
// the error without its path when it is about p itself.
func readErr(p string, err error) string {
	var fe node.FileError
	if errors.As(err, &fe) && fe.Path == p {
		return errText(fe.Err)
	}
	return errText(err)
}
