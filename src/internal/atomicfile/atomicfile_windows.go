package atomicfile

import (
	"errors"

	"golang.org/x/sys/windows"
)

// isHeldOpen reports the errors Windows gives when the target of a rename is
// open in another process; they clear when that process closes it.
func isHeldOpen(err error) bool {
	return errors.Is(err, windows.ERROR_ACCESS_DENIED) ||
		errors.Is(err, windows.ERROR_SHARING_VIOLATION) ||
		errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}

// syncDir does nothing: Windows has no directory fsync; NTFS journals renames.
func syncDir(string) {}
