package scan

import (
	"bufio"
	"io"
	"os"
	"path/filepath"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/fsread"
	"github.com/kharden/kharden/internal/source/manifest"
)

// bigInput is a manifest file larger than manifest.WholeFileSize, which the scan reads
// as a stream of documents instead of whole (see streamFile).
type bigInput struct {
	path string
	// open opens the file as walk would read it (inside its root); done releases what
	// open holds.
	open func() (f *os.File, done func(), err error)
	// read reads it whole, for a file that cannot be streamed (see manifest.Streamable).
	read func() ([]byte, error)
}

// openIn returns a bigInput's open for the file rel inside root.
func openIn(root *fsread.Root, rel string) func() (*os.File, func(), error) {
	return func() (*os.File, func(), error) {
		f, err := root.Open(rel)
		if err != nil {
			return nil, nil, err
		}
		return f, func() { f.Close() }, nil
	}
}

// openNamed returns a bigInput's open for a file named on the command line (see
// fsread.ReadFile: it is read through its own directory).
func openNamed(path string) func() (*os.File, func(), error) {
	return func() (*os.File, func(), error) {
		root, err := fsread.OpenRootAs(filepath.Dir(path), "its directory")
		if err != nil {
			return nil, nil, err
		}
		f, err := root.Open(filepath.Base(path))
		if err != nil {
			root.Close()
			return nil, nil, err
		}
		return f, func() { f.Close(); root.Close() }, nil
	}
}

// streamFile queues a large file's documents as parts of about manifest.BatchSize bytes,
// which the workers check like any input and which are emitted in order: memory is
// bounded by the batches in flight, not by the file, and the file's documents are spread
// over the workers. A first pass gathers the file's ServiceAccounts, which the rules of
// every batch read (a pod and its ServiceAccount in one file are judged together,
// whatever their order, as in a file read whole); only documents that name the kind are
// loaded in it.
func (s *Scanner) streamFile(in bigInput, add func(func() scanned) error) error {
	f, done, err := in.open()
	if err != nil {
		return add(func() scanned { return s.scanManifests(failed(in.path, cleanErr(err))) })
	}
	defer done()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(4096)
	if !manifest.Streamable(head) {
		return add(func() scanned { return s.scanManifests(loadData(in.path, in.read)) })
	}
	sas := k8s.NewServiceAccounts(nil, false)
	_ = manifest.Stream(br, func(b *manifest.Batch) error {
		if m := b.Mentions("ServiceAccount"); m != nil {
			engine.ServiceAccountsOf(manifest.LoadBatch(in.path, m).Docs, sas)
		}
		return nil // a read error is reported by the second pass
	})
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return add(func() scanned { return s.scanManifests(failed(in.path, cleanErr(err))) })
	}
	first := true
	err = manifest.Stream(f, func(b *manifest.Batch) error {
		own := first
		first = false
		return add(func() scanned { return s.scanBatch(in.path, b, sas, own) })
	})
	if err != nil && err != errStopped {
		return add(func() scanned { return s.scanManifests(failed(in.path, cleanErr(err))) })
	}
	return err
}

// scanBatch checks a batch of a large file's documents, one document at a time (its
// tree, JSON and typed object are let go before the next is read); the first batch (own)
// counts the file.
func (s *Scanner) scanBatch(path string, b *manifest.Batch, sas *k8s.ServiceAccounts, own bool) scanned {
	part := &report.Report{FailOn: s.head.FailOn}
	wait := &engine.Awaiting{}
	if own {
		part.Files, part.Scanned = 1, []string{path}
		wait.ServiceAccounts = sas
	}
	b.Each(path, func(r *manifest.Result) {
		addLoad(part, r)
		docs, profiles := splitProfiles(r.Docs)
		s.eng.ScanPart(docs, sas, wait, part)
		for _, d := range profiles {
			s.spEng.Scan(d, part)
		}
	})
	clipProblems(part)
	return scanned{part: part, wait: wait}
}
