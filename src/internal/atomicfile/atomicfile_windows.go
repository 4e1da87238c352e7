package atomicfile

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// errChmodUnsupported never matches: os.File.Chmod works on Windows (it only
// toggles the read-only attribute).
// openShared opens with FILE_SHARE_DELETE as well as read and write sharing,
// so that holding the file open does not block its replacement.
func openShared(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// isHeldOpen reports the errors Windows gives when the target of a rename is
// open in a process that did not allow deletion; they clear when it closes.
func isHeldOpen(err error) bool {
	return errors.Is(err, windows.ERROR_ACCESS_DENIED) ||
		errors.Is(err, windows.ERROR_SHARING_VIOLATION) ||
		errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}

// syncDir does nothing: Windows has no directory fsync; NTFS journals renames.
func syncDir(string) {}
