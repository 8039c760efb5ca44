// Package rootpath resolves paths as a process whose root directory is elsewhere sees
// them: a container's, inside its root filesystem on the host. Symbolic links are
// followed inside the root: an absolute target starts again at the root, ".." stops
// at it, so no link can lead out.
package rootpath

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// FS is how a root's entries are read: Lstat and Readlink of a path relative to the
// root ("." for the root, "./usr/bin" below it).
type FS interface {
	Lstat(name string) (fs.FileInfo, error)
	Readlink(name string) (string, error)
}

// MaxLinks is the most symbolic links followed to resolve one path, the kernel's limit.
const MaxLinks = 40

// Resolve returns p (absolute, as seen inside the root) with every symbolic link in it
// followed inside the root. A component that does not exist is an error, unless
// missingOK, when it and the rest are kept as they are (a path about to be created).
func Resolve(root FS, p string, missingOK bool) (string, error) {
	done := "/"
	rest := strings.Split(p, "/")
	for links := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			done = path.Dir(done)
			continue
		}
		next := path.Join(done, c)
		fi, err := root.Lstat("." + next)
		if err != nil {
			if !missingOK {
				return "", err
			}
			done = next
			continue
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if links++; links > MaxLinks {
			return "", fmt.Errorf("more than %d symbolic links in %s", MaxLinks, p)
		}
		target, err := root.Readlink("." + next)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			done = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return done, nil
}
