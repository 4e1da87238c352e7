package winpath

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidContainerPath is wrapped by every error ValidateContainerPath
// returns.
var ErrInvalidContainerPath = errors.New("invalid container path")

// reservedChars are the characters Windows refuses in a file name, besides
// the separators and the control characters U+0000 to U+001F.
const reservedChars = `<>:"|?*`

// ValidateContainerPath checks a path meant for use inside a Windows
// container, such as a bind mount destination. It must be absolute with a
// drive letter (`C:\dir`, not a UNC or \\?\ path), must not be the root of
// a drive, and each name after the drive must be one Windows can create and
// open through the usual APIs:
//
//   - no "." or ".." names (give the path in its final form);
//   - none of the characters < > : " | ? * or control characters;
//   - no trailing space or dot;
//   - not a reserved device name (CON, PRN, AUX, NUL, CONIN$, CONOUT$,
//     COM0 to COM9, LPT0 to LPT9, and COM or LPT followed by a superscript
//     1, 2 or 3), in any case, with or without an extension ("nul.txt").
//
// Repeated or trailing separators are allowed. The error wraps
// ErrInvalidContainerPath, quotes p and says which rule p breaks.
func ValidateContainerPath(p string) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidContainerPath, p, fmt.Sprintf(format, args...))
	}
	if p == "" {
		return fmt.Errorf("%w: the path is empty", ErrInvalidContainerPath)
	}
	switch v := parseVolume(p); v.kind {
	case uncVolume:
		return fail(`it is a UNC path; it must start with a drive letter, as in C:\dir`)
	case deviceVolume:
		return fail(`it is a device path (\\?\ or \\.\); write it with a plain drive letter, as in C:\dir`)
	case noVolume:
		if isSep(p[0]) {
			return fail(`it has no drive letter; write it as in C:\dir`)
		}
		return fail(`it is relative; it must be absolute, as in C:\dir`)
	case driveVolume:
		if len(p) == 2 || !isSep(p[2]) {
			return fail(`it is relative to the current directory of drive %s; put a separator after the drive letter, as in %s\dir`, p[:2], p[:2])
		}
	}
	for i := 2; i < len(p); {
		start := skipSeps(p, i)
		end := nameEnd(p, start)
		i = end
		if start == end {
			continue
		}
		if err := checkName(p[start:end]); err != "" {
			return fail("%s", err)
		}
	}
	if IsDriveRoot(p) {
		return fail("it is the root of drive %s; name a directory on the drive instead", p[:2])
	}
	return nil
}

// checkName returns what is wrong with one name of a container path, or ""
// when nothing is.
func checkName(name string) string {
	if name == "." || name == ".." {
		return fmt.Sprintf("it has a %q name; write the path without . or .. names", name)
	}
	for _, r := range name {
		if r < 0x20 || strings.ContainsRune(reservedChars, r) {
			return fmt.Sprintf("name %q contains the reserved character %q", name, r)
		}
	}
	switch name[len(name)-1] {
	case ' ':
		return fmt.Sprintf("name %q ends with a space, which Windows drops", name)
	case '.':
		return fmt.Sprintf("name %q ends with a dot, which Windows drops", name)
	}
	if isReservedDeviceName(name) {
		return fmt.Sprintf("name %q is a reserved device name in Windows", name)
	}
	return ""
}

var reservedDeviceNames = []string{"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}

// isReservedDeviceName reports whether Windows would take name for a
// device. Only the part before the first dot counts, without trailing
// spaces ("NUL .txt" is NUL too).
func isReservedDeviceName(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base = strings.TrimRight(base, " ")
	for _, reserved := range reservedDeviceNames {
		if foldEqual(base, reserved) {
			return true
		}
	}
	if len(base) < 4 || !(foldEqual(base[:3], "COM") || foldEqual(base[:3], "LPT")) {
		return false
	}
	// Windows counts the Latin-1 superscripts 1, 2 and 3 as digits here.
	switch digit := base[3:]; {
	case len(digit) == 1 && '0' <= digit[0] && digit[0] <= '9':
		return true
	case digit == "¹", digit == "²", digit == "³":
		return true
	}
	return false
}
