package stream

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/garden-windows/garden-windows-release/internal/winpath"
)

// ValidateEntryName checks the name of one tar entry, as In does before it
// creates anything. The name must be relative to the destination and stay
// inside it, and every name in it must be one Windows stores as written:
//
//   - not empty, valid UTF-8, no control characters (U+0000 to U+001F,
//     U+007F);
//   - no volume: not absolute (`/x`, `\x`), not drive-qualified (`C:x`,
//     `C:\x`), not UNC (`\\server\share`), not a device path (`\\?\`,
//     `\\.\`);
//   - no ".." name ("." and empty names are ignored, so "./x" and "x//y" are
//     fine, and "." or "./" names the destination itself);
//   - no ':' in a name (Windows would read "file:stream" as an alternate
//     data stream of "file");
//   - no name that winpath.ValidateContainerPath refuses: reserved device
//     names (CON, PRN, AUX, NUL, COM0-9, LPT0-9, ... with or without an
//     extension, in any case), a trailing dot or space, and the characters
//     < > " | ? *.
//
// Both '/' and '\' separate names. The error wraps ErrUnsafeEntry, quotes
// name and says which rule it breaks.
func ValidateEntryName(name string) error {
	if _, problem := splitRelative(name); problem != "" {
		return unsafeEntry(name, "%s", problem)
	}
	return nil
}

func unsafeEntry(name, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrUnsafeEntry, name, fmt.Sprintf(format, args...))
}

func isSep(c byte) bool { return c == '/' || c == '\\' }

// splitNames calls f with every name of p between separators, empty names
// included, and stops when f returns false.
func splitNames(p string, f func(name string) bool) {
	for start := 0; start <= len(p); {
		end := start
		for end < len(p) && !isSep(p[end]) {
			end++
		}
		if !f(p[start:end]) {
			return
		}
		start = end + 1
	}
}

// splitRelative checks a name that must be relative and must not climb
// (a tar entry name, a hard link target, Out's compress path) and returns
// its names without empty and "." ones; or, when it breaks a rule, says
// which.
func splitRelative(p string) (names []string, problem string) {
	if p == "" {
		return nil, "the name is empty"
	}
	if problem := textProblem(p); problem != "" {
		return nil, problem
	}
	if problem := volumeProblem(p); problem != "" {
		return nil, problem
	}
	splitNames(p, func(name string) bool {
		switch name {
		case "", ".":
			return true
		case "..":
			problem = `it has a ".." name, which would leave the destination`
			return false
		}
		if problem = nameProblem(name); problem != "" {
			return false
		}
		names = append(names, name)
		return true
	})
	if problem != "" {
		return nil, problem
	}
	return names, ""
}

// textProblem refuses what is wrong with p as text, whatever its names.
func textProblem(p string) string {
	if !utf8.ValidString(p) {
		return "it is not valid UTF-8"
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Sprintf("it contains the control character %q", r)
		}
	}
	return ""
}

// volumeProblem refuses a p that is not relative, by Windows rules.
func volumeProblem(p string) string {
	vol := winpath.VolumeName(p)
	switch {
	case len(vol) == 2 && vol[1] == ':':
		return fmt.Sprintf("it starts with the drive %s; it must be relative", vol)
	case len(vol) >= 4 && (vol[2] == '?' || vol[2] == '.') && isSep(vol[3]):
		return `it is a device path (\\?\ or \\.\); it must be relative`
	case vol != "":
		return `it is a UNC path (\\server\share); it must be relative`
	case isSep(p[0]):
		return "it is absolute; it must be relative"
	}
	return ""
}

// nameProblem says what is wrong with one name (no separators, not "." or
// ".."), or "".
func nameProblem(name string) string {
	if plainName(name) {
		return ""
	}
	if strings.Contains(name, ":") {
		return fmt.Sprintf("name %q contains ':', which Windows reads as an alternate data stream", name)
	}
	p := `C:\` + name
	err := winpath.ValidateContainerPath(p)
	if err == nil {
		return ""
	}
	// Keep winpath's reason, without its quoting of the made-up path.
	return strings.TrimPrefix(err.Error(), fmt.Sprintf("%v %q: ", winpath.ErrInvalidContainerPath, p))
}

// plainName reports whether name is obviously fine, so that the names of
// a large tar need not all go through winpath: only ASCII letters, digits,
// '-', '_' and '.', not ending in '.', and not of the length of a reserved
// device name (3 or 4) before its first dot. Names it does not accept are
// checked in full. (FuzzValidateEntryName checks that winpath accepts
// every name ValidateEntryName does.)
func plainName(name string) bool {
	base := len(name)
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.':
			base = min(base, i)
		default:
			return false
		}
	}
	return name[len(name)-1] != '.' && base != 3 && base != 4
}

// linkStep is one name a symlink target walks down into, given as the
// path from the destination; last is whether the target ends there.
type linkStep struct {
	path []string
	last bool
}

// cleanLinkTarget checks the target of a symlink entry named by linkNames
// (its names from the destination). The target must be relative and,
// resolved name by name from the link's directory, never leave the
// destination, and its names must pass nameProblem. It returns the target
// cleaned (leading ".." names, then plain names; "." when empty), with
// sep as the separator, and the steps the original target walks down,
// which the caller checks for symlinks.
func cleanLinkTarget(linkNames []string, target string, sep string) (cleaned string, steps []linkStep, problem string) {
	if target == "" {
		return "", nil, "its symlink target is empty"
	}
	quoted := fmt.Sprintf("its symlink target %q", target)
	if problem := textProblem(target); problem != "" {
		return "", nil, quoted + ": " + problem
	}
	if problem := volumeProblem(target); problem != "" {
		return "", nil, quoted + ": " + problem
	}
	dir := linkNames[:len(linkNames)-1]
	// at is where the resolution is, from the destination.
	at := append([]string(nil), dir...)
	endsInName := false
	splitNames(target, func(name string) bool {
		switch name {
		case "", ".":
			return true
		case "..":
			if len(at) == 0 {
				problem = quoted + " leaves the destination"
				return false
			}
			at = at[:len(at)-1]
			endsInName = false
			return true
		}
		if problem = nameProblem(name); problem != "" {
			problem = quoted + ": " + problem
			return false
		}
		at = append(at, name)
		steps = append(steps, linkStep{path: append([]string(nil), at...)})
		endsInName = true
		return true
	})
	if problem != "" {
		return "", nil, problem
	}
	if endsInName {
		steps[len(steps)-1].last = true
	}
	common := 0
	for common < len(dir) && common < len(at) && dir[common] == at[common] {
		common++
	}
	parts := make([]string, 0, len(dir)-common+len(at)-common)
	for range len(dir) - common {
		parts = append(parts, "..")
	}
	parts = append(parts, at[common:]...)
	if len(parts) == 0 {
		return ".", steps, ""
	}
	return strings.Join(parts, sep), steps, ""
}
