package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/internal/safefile"
	"github.com/bincompress/bincompress/onnx"
)

// files are the paths one run reads and writes. A command declares them
// all, then stage, before any work: an output that is, or resolves to
// (through a symlink or hard link), an input or another output is a usage
// error (exit 2) and nothing is touched; every output's temporary is
// created at once beside its target, which proves its folder exists and is
// writable. The run writes into the temporaries, and commit renames them
// into place only when the whole run succeeded; discard (deferred) removes
// them otherwise, and the signal handler does on SIGINT/SIGTERM.
type files struct {
	inputs  []namedPath
	outputs []namedPath
	dirs    []workDir // folders the run writes into as it goes
	set     safefile.Set
	staged  map[string]*safefile.Output
}

// workDir is a folder the run writes into as it goes and the name of the
// file it keeps there (in it or in a subfolder of it).
type workDir struct {
	namedPath
	file string
}

// namedPath is a path and how the user named it ("OUT", "--report").
type namedPath struct {
	name, path string
	dir        bool // a folder output (export --format c)
}

func (f *files) input(name, path string) {
	if path != "" {
		f.inputs = append(f.inputs, namedPath{name: name, path: path})
	}
}

func (f *files) output(name, path string) {
	if path != "" {
		f.outputs = append(f.outputs, namedPath{name: name, path: path})
	}
}

// workDir declares a folder the run writes file into as it goes, in it or
// in a subfolder (--checkpoint: finetune.ckpt after every epoch, round-N/
// with --keep-float auto): stage checks that it is, or can be made, a
// folder it can write, so a typo fails before the first epoch, not after,
// and that no output is that file, which the output would replace at the
// end (with --resume, the checkpoint the run resumed from).
func (f *files) workDir(name, path, file string) {
	if path != "" {
		f.dirs = append(f.dirs, workDir{namedPath{name: name, path: path, dir: true}, file})
	}
}

func (f *files) outputDir(name, path string) {
	f.outputs = append(f.outputs, namedPath{name: name, path: path, dir: true})
}

// stage checks the outputs against the inputs and each other, then creates
// the temporaries.
func (f *files) stage() error {
	if err := f.check(); err != nil {
		return err
	}
	for _, d := range f.dirs {
		if err := writableDir(d.path); err != nil {
			return fmt.Errorf("%s %s: %w", d.name, d.path, err)
		}
	}
	f.staged = map[string]*safefile.Output{}
	for _, o := range f.outputs {
		var (
			out *safefile.Output
			err error
		)
		if o.dir {
			out, err = f.set.Dir(o.path)
		} else {
			out, err = f.set.File(o.path)
		}
		if err != nil {
			f.discard()
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s %s: folder %s does not exist (outputs do not create folders above them)", o.name, o.path, parentDir(o.path, o.dir))
			}
			return fmt.Errorf("%s %s: %w", o.name, o.path, cause(err))
		}
		f.staged[o.path] = out
	}
	return nil
}

// parentDir is the folder an output goes into: for a new folder (export
// --format c), the one above it; for a file, the folder its path names,
// "d" for "d/" too.
func parentDir(path string, dir bool) string {
	if dir {
		path = filepath.Clean(path)
	}
	return filepath.Dir(path)
}

// check refuses outputs that collide with an input or another output, and
// outputs that name a folder or anything else that is not a regular file.
func (f *files) check() error {
	for i, o := range f.outputs {
		oi, err := os.Stat(o.path)
		switch {
		case err == nil && oi.IsDir() && !o.dir:
			return usagef("%s %s is a folder; name a file", o.name, o.path)
		case err == nil && o.dir:
			return usagef("%s %s exists; name a new folder", o.name, o.path)
		case err == nil && !oi.Mode().IsRegular():
			// The finished output is renamed over the target: over a
			// device such as /dev/null that would replace the device
			// for every program on the machine.
			return usagef("%s %s is %s, not a regular file; outputs are written whole and renamed into place: name a file", o.name, o.path, safefile.Kind(oi.Mode()))
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%s %s: %w", o.name, o.path, cause(err))
		}
		for _, in := range f.inputs {
			if ii, ierr := os.Stat(in.path); err == nil && ierr == nil && os.SameFile(oi, ii) {
				return usagef("%s %s is the input %s %s: refusing to overwrite it", o.name, o.path, in.name, in.path)
			}
		}
		for _, p := range f.outputs[:i] {
			if samePath(o.path, p.path) {
				return usagef("%s %s and %s %s are the same file", o.name, o.path, p.name, p.path)
			}
		}
		for _, d := range f.dirs {
			real := filepath.Dir(canonical(filepath.Join(d.path, d.file))) // d.path's links resolved too
			rel, err := filepath.Rel(real, canonical(o.path))
			if err == nil && filepath.IsLocal(rel) && filepath.Base(rel) == d.file {
				return usagef("%s %s is %s, the file the run keeps in %s %s: refusing to overwrite it", o.name, o.path, d.file, d.name, d.path)
			}
		}
	}
	return nil
}

// notData refuses an output that is one of the files the data set at path
// was read from (exit 2, before any work); `bincompress m.onnx d/x.npy
// --data d` replaced the training images with the .bnn.
func (f *files) notData(path string, s *dataset.Splits) error {
	for _, ds := range []dataset.Dataset{s.Train, s.Test} {
		if ds == nil {
			continue
		}
		if err := f.notRead("a file of the data set "+path, dataset.Files(ds)); err != nil {
			return err
		}
	}
	// a training split verify left unopened is still the user's data
	return f.notRead("a file of the data set "+path, s.Unopened)
}

// notModelData refuses an output that is one of the external data files
// of the model at path (`bincompress m.onnx weights.bin` replaced the
// model's weights with the .bnn).
func (f *files) notModelData(path string, src onnx.Source) error {
	return f.notRead("external data of the model "+path, src.External)
}

// notRead refuses an output that is one of paths, the files an input
// (what) is read from. check cannot: a data set is declared by its folder
// and a model by its file, and the files they read are known only once
// they are open. Only an output that exists can be one; each path's
// folder has its symlinks resolved once.
func (f *files) notRead(what string, paths []string) error {
	outs := map[string]namedPath{}
	for _, o := range f.outputs {
		if real, err := filepath.EvalSymlinks(o.path); err == nil && !o.dir {
			outs[canonical(real)] = o
		}
	}
	if len(outs) == 0 {
		return nil
	}
	dirs := map[string]string{}
	for _, p := range paths {
		dir, base := filepath.Split(p)
		real, ok := dirs[dir]
		if !ok {
			real = filepath.Dir(canonical(filepath.Join(dir, base)))
			dirs[dir] = real
		}
		if o, hit := outs[filepath.Join(real, base)]; hit {
			if filepath.Clean(p) != filepath.Clean(o.path) {
				what = p + ", " + what
			}
			return usagef("%s %s is %s: refusing to overwrite it", o.name, o.path, what)
		}
	}
	return nil
}

// samePath reports whether two output paths name one file: equal after
// resolving the folder's symlinks, or (when both exist) the same file.
func samePath(a, b string) bool {
	if ai, err := os.Stat(a); err == nil {
		if bi, err := os.Stat(b); err == nil {
			return os.SameFile(ai, bi)
		}
	}
	return canonical(a) == canonical(b)
}

func canonical(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	dir, base := filepath.Split(abs)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return filepath.Join(dir, base)
}

// cause drops the wrapping that repeats the path (the caller names it).
func cause(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// out is the staged output declared for path.
func (f *files) out(path string) *safefile.Output { return f.staged[path] }

// commit renames every staged output into place.
func (f *files) commit() error {
	if err := f.set.Commit(); err != nil {
		return err
	}
	outputsWritten.Store(len(f.outputs) > 0)
	return nil
}

// discard removes the temporaries not committed; safe after commit.
func (f *files) discard() { f.set.Discard() }

// writableDir checks that path is a folder it can write, or that its
// nearest existing ancestor is (the folder is made when first written),
// by creating and removing a file there.
func writableDir(path string) error {
	for p := path; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return fmt.Errorf("%s is %s, not a folder", p, safefile.Kind(fi.Mode()))
		case err == nil:
			probe, err := os.CreateTemp(p, ".bincompress-probe-*")
			if err != nil {
				return cause(err)
			}
			probe.Close()
			return os.Remove(probe.Name())
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) || filepath.Dir(p) == p:
			return cause(err)
		}
	}
}
