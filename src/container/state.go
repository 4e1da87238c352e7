package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/garden-windows/garden-windows-release/internal/filelock"
	"github.com/garden-windows/garden-windows-release/internal/statefile"
)

// ErrNotFound classes errors about a container winc has no state for.
var ErrNotFound = errors.New("container does not exist")

// ErrAlreadyExists classes a create for an id that is taken.
var ErrAlreadyExists = errors.New("container already exists")

// Status is a container's OCI status.
type Status string

// The statuses of the OCI runtime spec; Creating is also what a container
// shows after winc died while creating it.
const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Stopped  Status = "stopped"
)

// State is what winc remembers of a container between invocations.
type State struct {
	ID     string    `json:"id"`
	Bundle string    `json:"bundle"`
	Status Status    `json:"status"`
	Pid    int       `json:"pid,omitempty"`
	Create time.Time `json:"created"`
	// MemoryLimitBytes is reported in stats as the limit.
	MemoryLimitBytes uint64 `json:"memoryLimitBytes,omitempty"`
}

// DefaultRoot is where winc keeps container state on a cell: gdn passes
// no --root on Windows, and nstar finds containers here too.
const DefaultRoot = `C:\var\vcap\data\winc`

// Store keeps one directory per container under winc's root, holding its
// state file. The directory is created first and removed last, so it is
// the reservation of the id: a second create of the same id fails, and
// whatever a crash leaves is found by id and removed by delete.
type Store struct {
	Root string
}

func (s Store) dir(id string) string  { return filepath.Join(s.Root, id) }
func (s Store) file(id string) string { return filepath.Join(s.dir(id), "state.json") }

// Reserve claims id and records it as being created. The returned lock is
// held for as long as the create is under way: a container still "creating"
// whose lock is free was left by a winc that died, and is reported stopped,
// so that gdn deletes it. Unlock before removing the container (Windows
// cannot delete an open file).
func (s Store) Reserve(st State) (*filelock.Lock, error) {
	if err := os.MkdirAll(s.Root, 0o755); err != nil {
		return nil, fmt.Errorf("creating winc root %s: %w", s.Root, err)
	}
	if err := os.Mkdir(s.dir(st.ID), 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%w: %s (delete it first, or choose another id)", ErrAlreadyExists, st.ID)
		}
		return nil, fmt.Errorf("creating state directory for %s: %w", st.ID, err)
	}
	lock, err := filelock.Acquire(s.createLock(st.ID))
	if err != nil {
		_ = os.RemoveAll(s.dir(st.ID))
		return nil, err
	}
	st.Status = Creating
	if err := s.write(st); err != nil {
		_ = lock.Unlock()
		_ = os.RemoveAll(s.dir(st.ID))
		return nil, err
	}
	return lock, nil
}

func (s Store) createLock(id string) string { return filepath.Join(s.dir(id), "create.lock") }

// Abandoned reports whether a container still being created has lost its
// creator: nobody holds its create lock.
func (s Store) Abandoned(id string) (bool, error) {
	lock, free, err := filelock.TryAcquire(s.createLock(id))
	if err != nil {
		return false, err
	}
	if free {
		_ = lock.Unlock()
	}
	return free, nil
}

func (s Store) write(st State) error {
	return statefile.Update(s.file(st.ID), func(doc *State) error {
		*doc = st
		return nil
	})
}

// Update changes the state of an existing container.
func (s Store) Update(id string, change func(*State) error) error {
	if _, err := os.Stat(s.dir(id)); err != nil {
		return s.missing(id, err)
	}
	return statefile.Update(s.file(id), func(st *State) error {
		if st.ID == "" {
			// Reserved, but winc died before the first state was written.
			st.ID, st.Status = id, Creating
		}
		return change(st)
	})
}

// Get returns the state of container id.
func (s Store) Get(id string) (State, error) {
	if _, err := os.Stat(s.dir(id)); err != nil {
		return State{}, s.missing(id, err)
	}
	st, err := statefile.Read[State](s.file(id))
	if err != nil {
		return State{}, err
	}
	if st.ID == "" {
		st.ID, st.Status = id, Creating
	}
	return st, nil
}

// Exists reports whether winc has any state for id.
func (s Store) Exists(id string) bool {
	_, err := os.Stat(s.dir(id))
	return err == nil
}

// Remove forgets container id; removing a container that is already gone
// succeeds.
func (s Store) Remove(id string) error {
	if err := os.RemoveAll(s.dir(id)); err != nil {
		return fmt.Errorf("removing state of %s: %w", id, err)
	}
	return nil
}

func (s Store) missing(id string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return fmt.Errorf("reading state of %s: %w", id, err)
}

// FindByPid returns the state of the container whose init process is pid
// (gdn names containers by that pid when it streams files: nstar).
func (s Store) FindByPid(pid int) (State, error) {
	entries, err := os.ReadDir(s.Root)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return State{}, fmt.Errorf("reading winc root %s: %w", s.Root, err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		st, err := s.Get(e.Name())
		if err != nil {
			continue // removed meanwhile, or unreadable: not the one
		}
		if st.Pid == pid && st.Pid != 0 {
			return st, nil
		}
	}
	return State{}, fmt.Errorf("%w: no container has init process %d (under %s)", ErrNotFound, pid, s.Root)
}
