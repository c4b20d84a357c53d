package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
)

// live holds every temporary of this process not yet committed or removed.
var live = struct {
	sync.Mutex
	paths map[string]bool
}{paths: map[string]bool{}}

func register(tmp string) {
	live.Lock()
	live.paths[tmp] = true
	live.Unlock()
}

func unregister(tmp string) {
	live.Lock()
	delete(live.paths, tmp)
	live.Unlock()
}

// RemoveAll deletes every temporary this process still holds. It is safe to
// call from a signal handler's goroutine while a run is writing: the writes
// then fail, and no temporary remains.
func RemoveAll() {
	live.Lock()
	defer live.Unlock()
	for p := range live.paths {
		os.RemoveAll(p)
		delete(live.paths, p)
	}
}

// pending reports how many temporaries this process holds (for tests).
func pending() int {
	live.Lock()
	defer live.Unlock()
	return len(live.paths)
}

// tempName returns the temporary's path for target; see the package doc.
func tempName(target string) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	dir, base := filepath.Split(target)
	return filepath.Join(dir, "."+base+".tmp-"+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(b[:])), nil
}

// CleanStale removes the temporaries of target that processes which no
// longer run left behind (a kill -9, an OOM kill, a power cut). Temporaries
// of other running processes, those this process holds, and names of any
// other pattern are kept. One with this process's PID that it does not hold
// was left by an earlier process with the same PID: a container runs its
// entry point as PID 1 (or the same small PID) every time, so a run killed
// there would otherwise leave its temporary for good.
func CleanStale(target string) {
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	pattern := regexp.MustCompile(`^` + regexp.QuoteMeta("."+base+".tmp-") + `([0-9]{1,9})-[0-9a-f]{8}$`)
	for _, e := range entries {
		m := pattern.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		path := filepath.Join(dir, e.Name())
		if pid == os.Getpid() && held(path) || pid != os.Getpid() && alive(pid) {
			continue
		}
		os.RemoveAll(path)
	}
}

// held reports whether tmp is a temporary this process registered.
func held(tmp string) bool {
	live.Lock()
	defer live.Unlock()
	return live.paths[tmp]
}

// Set is the outputs of one run: add each before the work starts (which
// proves its folder exists and is writable), write them, then Commit, or
// Discard on failure.
type Set struct {
	items []*Output
}

// Output is one staged file or folder.
type Output struct {
	Target string
	tmp    string
	f      *os.File // nil for folders and once closed
	dir    bool
	done   bool
}

// File stages a file for target: its temporary is created now.
func (s *Set) File(target string) (*Output, error) {
	CleanStale(target)
	tmp, err := tempName(target)
	if err != nil {
		return nil, err
	}
	register(tmp) // before it exists: CleanStale keeps what this process holds
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		unregister(tmp)
		return nil, fmt.Errorf("safefile: cannot write %s: %w", target, pathless(err))
	}
	o := &Output{Target: target, tmp: tmp, f: f}
	s.items = append(s.items, o)
	return o, nil
}

// Dir stages a folder for target, which must not exist yet: the caller
// writes into o.Path(), and Commit renames the folder into place.
func (s *Set) Dir(target string) (*Output, error) {
	CleanStale(filepath.Clean(target))
	tmp, err := tempName(filepath.Clean(target))
	if err != nil {
		return nil, err
	}
	register(tmp)
	if err := os.Mkdir(tmp, 0o755); err != nil {
		unregister(tmp)
		return nil, fmt.Errorf("safefile: cannot create folder %s: %w", target, pathless(err))
	}
	o := &Output{Target: target, tmp: tmp, dir: true}
	s.items = append(s.items, o)
	return o, nil
}

// Path is where to write a staged folder's contents.
func (o *Output) Path() string { return o.tmp }

// Write replaces the staged file's contents with what fn writes.
func (o *Output) Write(fn func(io.Writer) error) error {
	if o.f == nil {
		return fmt.Errorf("safefile: %s is not an open staged file", o.Target)
	}
	if _, err := o.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := o.f.Truncate(0); err != nil {
		return err
	}
	if err := fn(o.f); err != nil {
		return fmt.Errorf("%s: %w", o.Target, err)
	}
	return nil
}

// WriteBytes replaces the staged file's contents with b.
func (o *Output) WriteBytes(b []byte) error {
	return o.Write(func(w io.Writer) error { _, err := w.Write(b); return err })
}

// Drop removes one staged output that the run turned out not to produce.
func (o *Output) Drop() {
	o.remove()
	o.done = true
}

func (o *Output) remove() {
	if o.f != nil {
		o.f.Close()
		o.f = nil
	}
	os.RemoveAll(o.tmp)
	unregister(o.tmp)
}

// Commit syncs every staged output and renames it onto its target, in the
// order they were added. On error the outputs not yet renamed are removed.
func (s *Set) Commit() error {
	for _, o := range s.items {
		if o.f != nil {
			err := errors.Join(o.f.Sync(), o.f.Close())
			o.f = nil
			if err != nil {
				s.Discard()
				return fmt.Errorf("safefile: %s: %w", o.Target, err)
			}
		}
	}
	live.Lock()
	defer live.Unlock()
	for _, o := range s.items {
		if o.done {
			continue
		}
		if _, ok := live.paths[o.tmp]; !ok {
			s.discardLocked()
			return fmt.Errorf("safefile: %s: the run was interrupted", o.Target)
		}
		if err := os.Rename(o.tmp, o.Target); err != nil {
			s.discardLocked()
			return fmt.Errorf("safefile: cannot move %s into place: %w", o.Target, pathless(err))
		}
		delete(live.paths, o.tmp)
		o.done = true
		syncDir(filepath.Dir(o.Target))
	}
	return nil
}

// Discard removes every staged output not yet committed.
func (s *Set) Discard() {
	live.Lock()
	defer live.Unlock()
	s.discardLocked()
}

func (s *Set) discardLocked() {
	for _, o := range s.items {
		if o.done {
			continue
		}
		if o.f != nil {
			o.f.Close()
			o.f = nil
		}
		os.RemoveAll(o.tmp)
		delete(live.paths, o.tmp)
		o.done = true
	}
}

// WriteFile writes data to path through a staged temporary: a failure
// leaves neither a partial file nor the temporary.
func WriteFile(path string, data []byte) error {
	var s Set
	o, err := s.File(path)
	if err != nil {
		return err
	}
	if err := o.WriteBytes(data); err != nil {
		s.Discard()
		return err
	}
	return s.Commit()
}

// syncDir makes a rename durable where the platform allows; failure is
// harmless (the file is complete either way).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// pathless drops the temporary's name from an *fs.PathError, since the
// caller names the target.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
