// Package filelock is the project's cross-process lock: gdn runs many plugin
// processes at once, and whatever they share on disk (a state file, a port
// pool, a layer being imported) is guarded by an exclusive lock on a file.
//
// The lock file is created on first use and never deleted: deleting it would
// let two processes lock two different files of the same name. The operating
// system releases the lock when the process exits, so a crash never leaves a
// stale lock behind.
package filelock

import (
	"fmt"
	"os"
	"path/filepath"
)

// Lock is a held lock; Unlock releases it.
type Lock struct {
	f *os.File
}

// Acquire blocks until this process holds the exclusive lock on path,
// creating the file if needed. Separate Acquire calls exclude each other even
// within one process.
func Acquire(path string) (*Lock, error) {
	return acquire(path, true)
}

// AcquireShared blocks until this process holds a shared lock on path: any
// number of shared holders at once, but none while an exclusive one holds it.
func AcquireShared(path string) (*Lock, error) {
	return acquire(path, false)
}

// TryAcquire takes the exclusive lock on path if nobody holds it, without
// waiting; ok is false if it is held. Whether a lock is held tells whether
// its holder is still at work: a process that died has released it.
func TryAcquire(path string) (l *Lock, ok bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("opening lock file %s: %w", path, err)
	}
	held, err := tryLock(f)
	if err != nil || held {
		f.Close()
		if err != nil {
			return nil, false, fmt.Errorf("locking %s: %w", path, err)
		}
		return nil, false, nil
	}
	return &Lock{f: f}, true, nil
}

func acquire(path string, exclusive bool) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock file %s: %w", path, err)
	}
	if err := lock(f, exclusive); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock.
func (l *Lock) Unlock() error {
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("unlocking %s: %w", l.f.Name(), err)
	}
	return nil
}

// Holder returns a function that takes the exclusive lock on path,
// creating its directory if needed, and returns the function that releases
// it: the shape of the host-wide locks the plugins' cores are given.
func Holder(path string) func() (unlock func(), err error) {
	return func() (func(), error) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("creating the directory of lock file %s: %w", path, err)
		}
		l, err := Acquire(path)
		if err != nil {
			return nil, err
		}
		return func() { _ = l.Unlock() }, nil
	}
}
