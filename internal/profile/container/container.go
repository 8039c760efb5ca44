//go:build linux

// Package container records a program inside its image: the image's root filesystem
// unpacked (image.Unpack), an OCI bundle that runs the program as the image says
// (entrypoint and command, environment, working directory, user), a container runtime
// (runc or crun) running it under kharden's recorder. The profile then reflects the
// image's binaries and libraries, not the host's.
//
// The bundle's seccomp profile lets everything through (bundle.PassThrough): the
// runtime loads it just before it executes the program, which is how the recorder
// tells the container's processes from the runtime's (trace.Options.Container).
package container

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/profile/bundle"
	"github.com/kharden/kharden/internal/profile/trace"
	"github.com/kharden/kharden/internal/source/image"
)

// Options describe the container to record.
type Options struct {
	// Image is the image reference, as kharden scan image takes it.
	Image string
	// Args replaces the image's entrypoint and command, as a pod's command does; empty:
	// the image's.
	Args []string
	// Runtime is the runtime's executable (runc, crun).
	Runtime string
	// NoNewPrivs runs the program with no_new_privs (allowPrivilegeEscalation: false).
	NoNewPrivs bool
	// WorkDir is where the root filesystem is unpacked (empty: the temporary directory).
	WorkDir string
	// ImageOptions find and read the image (registry, platform, limits).
	ImageOptions image.Options
}

// Container is an unpacked image with the bundle that runs it.
type Container struct {
	// Args, Env, Cwd and UID/GID are the process the bundle runs.
	Args     []string
	Env      []string
	Cwd      string
	UID, GID uint32
	// Rootfs is the image's root filesystem.
	Rootfs *image.Unpacked
	o      Options
	dir    string // the bundle
	runs   int
}

// Prepare unpacks the image and writes the bundle that runs the program in it.
func Prepare(ctx context.Context, o Options) (*Container, error) {
	u, err := image.Unpack(ctx, o.Image, o.WorkDir, o.ImageOptions)
	if err != nil {
		return nil, err
	}
	c := &Container{Rootfs: u, o: o}
	fail := func(err error) (*Container, error) {
		c.Close()
		return nil, err
	}
	cfg := u.Config
	c.Args = o.Args
	if len(c.Args) == 0 {
		c.Args = append(slices.Clone(cfg.Entrypoint), cfg.Cmd...)
	}
	if len(c.Args) == 0 {
		return fail(fmt.Errorf("%s: the image has no entrypoint or command: give the command after --", o.Image))
	}
	c.Env = slices.Clone(cfg.Env)
	if !slices.ContainsFunc(c.Env, func(e string) bool { return strings.HasPrefix(e, "PATH=") }) {
		c.Env = append(c.Env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	c.Cwd = cfg.WorkingDir
	if c.UID, c.GID, err = lookupUser(u.Dir, cfg.User); err != nil {
		return fail(fmt.Errorf("%s: user %q: %w", o.Image, cfg.User, err))
	}
	top := o.WorkDir
	if u.Copy {
		top = filepath.Dir(u.Dir)
	}
	if c.dir, err = os.MkdirTemp(top, "kharden-bundle-"); err != nil {
		return fail(err)
	}
	err = bundle.Write(c.dir, bundle.Options{
		Args: c.Args, Rootfs: u.Dir, Env: c.Env, Cwd: c.Cwd, UID: c.UID, GID: c.GID,
		Seccomp: bundle.PassThrough(), NoNewPrivs: o.NoNewPrivs, HostNetwork: true,
		Writable: u.Copy, // the copy is the container's own; a rootfs: directory is the user's
	})
	if err != nil {
		return fail(err)
	}
	return c, nil
}

// Record runs the container once under the recorder. The recording's command is the
// container's, not the runtime's.
func (c *Container) Record(ctx context.Context, cmd trace.Command, files bool) (*trace.Result, error) {
	state, err := os.MkdirTemp(c.dir, "state-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(state)
	c.runs++
	id := fmt.Sprintf("kharden-record-%d-%d", os.Getpid(), c.runs)
	cmd.Args = bundle.RuntimeCommand(ctx, c.o.Runtime, state, c.dir, id).Args
	res, err := trace.Record(ctx, cmd, trace.Options{Container: true, Files: files, Root: c.Rootfs.Dir})
	if res != nil {
		res.Recording.Command = slices.Clone(c.Args)
		if err == nil && len(res.Recording.Syscalls) == 0 {
			err = fmt.Errorf("%s did not start the container's program (%s): nothing recorded", filepath.Base(c.o.Runtime), res.Exit)
		}
	}
	return res, err
}

// Close removes the bundle and the unpacked root filesystem.
func (c *Container) Close() error {
	var errs []error
	if c.dir != "" {
		errs = append(errs, os.RemoveAll(c.dir))
	}
	if c.Rootfs != nil {
		errs = append(errs, c.Rootfs.Close())
	}
	return errors.Join(errs...)
}

// lookupUser turns an image's USER (user, uid, user:group, uid:gid) into numbers, with
// the names looked up in the image's own /etc/passwd and /etc/group, as a runtime does.
func lookupUser(rootfs, spec string) (uid, gid uint32, err error) {
	if spec == "" {
		return 0, 0, nil
	}
	user, group, hasGroup := strings.Cut(spec, ":")
	root, err := os.OpenRoot(rootfs)
	if err != nil {
		return 0, 0, err
	}
	defer root.Close()
	// find returns fields of the line of file whose first (name) or third (ID) field is key.
	find := func(file, key string) ([]string, bool) {
		data, err := root.ReadFile(file)
		if err != nil || len(data) > 16<<20 {
			return nil, false
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			f := strings.Split(sc.Text(), ":")
			if len(f) >= 4 && (f[0] == key || f[2] == key) {
				return f, true
			}
		}
		return nil, false
	}
	id := func(s string) (uint32, bool) {
		n, err := strconv.ParseUint(s, 10, 32)
		return uint32(n), err == nil
	}
	u, numeric := id(user)
	if f, ok := find("etc/passwd", user); ok {
		u, _ = id(f[2])
		if !hasGroup {
			gid, _ = id(f[3])
		}
	} else if !numeric {
		return 0, 0, fmt.Errorf("no user %q in the image's /etc/passwd", user)
	}
	if hasGroup {
		g, numeric := id(group)
		if f, ok := find("etc/group", group); ok {
			g, _ = id(f[2])
		} else if !numeric {
			return 0, 0, fmt.Errorf("no group %q in the image's /etc/group", group)
		}
		gid = g
	}
	return u, gid, nil
}
