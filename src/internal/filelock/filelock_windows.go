package filelock

import (
	"os"

	"golang.org/x/sys/windows"
)

// LockFileEx locks belong to the handle, so two Acquire calls in one process
// (two handles) exclude each other like two processes do. The lock covers the
// first byte, which need not exist.
func lock(f *os.File, exclusive bool) error {
	var flags uint32
	if exclusive {
		flags = windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	var ol windows.Overlapped
	return windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, &ol)
}

func unlock(f *os.File) error {
	var ol windows.Overlapped
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
}
