// Package winpath handles Windows paths the same way on every GOOS.
//
// The paths this release deals with (mount destinations, directories inside
// a Windows Server Container, paths in job properties) are Windows paths,
// but much of the code that checks and rewrites them runs, or is tested, on
// Linux. Package path/filepath follows the rules of the host it is compiled
// for, so on Linux it treats "C:\foo" as a single relative name and a
// backslash as an ordinary character. This package knows only the Windows
// rules and applies them whatever the host is; it never touches a file
// system.
//
// Both '\' and '/' are accepted as separators; results use '\'. Names are
// compared the way NTFS compares them: without regard to case. The
// comparison maps every character to its Unicode simple uppercase form, an
// approximation of NTFS's upcase table, so for example "é" matches "É" but
// the Kelvin sign does not match "k" (Unicode case folding would match
// them; NTFS does not).
//
// Recognized volume forms:
//
//	C:                      drive letter
//	\\server\share          UNC share
//	\\?\C:, \\.\C:          device (long) path naming a drive
//	\\?\Volume{guid}        device path naming a volume
//	\\?\UNC\server\share    device path naming a UNC share
//
// Windows itself passes \\?\ paths to the file system without normalizing
// them; this package cleans them like any other path. That never makes a
// path look contained where Windows would disagree: a "." or ".." name or a
// '/' in a \\?\ path is invalid on NTFS anyway. The NT namespace prefix \??\
// is not recognized and is treated as an ordinary rooted path.
package winpath

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Separator is the separator this package writes.
const Separator = '\\'

type volumeKind int

const (
	noVolume volumeKind = iota
	driveVolume
	uncVolume
	deviceVolume
)

// volume is the volume part of a path.
type volume struct {
	kind volumeKind
	// raw is the volume exactly as it appears at the start of the path, so
	// that the rest of the path is p[len(raw):].
	raw string
	// canon is the volume written with single backslashes.
	canon string
}

func isSep(c byte) bool { return c == '\\' || c == '/' }

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// isDriveSpec reports whether s is exactly a drive letter and a colon.
func isDriveSpec(s string) bool { return len(s) == 2 && isLetter(s[0]) && s[1] == ':' }

// skipSeps returns the index of the first non-separator at or after i.
func skipSeps(p string, i int) int {
	for i < len(p) && isSep(p[i]) {
		i++
	}
	return i
}

// nameEnd returns the index of the first separator at or after i.
func nameEnd(p string, i int) int {
	for i < len(p) && !isSep(p[i]) {
		i++
	}
	return i
}

// moreNames extends a volume that ends at end by up to n further names,
// each preceded by one or more separators.
func moreNames(p string, end int, names []string, n int) (int, []string) {
	for ; n > 0; n-- {
		start := skipSeps(p, end)
		if start == len(p) {
			break
		}
		end = nameEnd(p, start)
		names = append(names, p[start:end])
	}
	return end, names
}

func parseVolume(p string) volume {
	if len(p) >= 2 && isDriveSpec(p[:2]) {
		return volume{kind: driveVolume, raw: p[:2], canon: p[:2]}
	}
	// Everything else starts with exactly two separators and a name.
	if len(p) < 3 || !isSep(p[0]) || !isSep(p[1]) || isSep(p[2]) {
		return volume{}
	}
	if (p[2] == '?' || p[2] == '.') && len(p) >= 4 && isSep(p[3]) {
		prefix := `\\` + p[2:3] + `\`
		start := skipSeps(p, 4)
		if start == len(p) {
			return volume{kind: deviceVolume, raw: p, canon: prefix}
		}
		end := nameEnd(p, start)
		names := []string{p[start:end]}
		if strings.EqualFold(names[0], "UNC") {
			end, names = moreNames(p, end, names, 2)
		}
		return volume{kind: deviceVolume, raw: p[:end], canon: prefix + strings.Join(names, `\`)}
	}
	end := nameEnd(p, 2)
	end, names := moreNames(p, end, []string{p[2:end]}, 1)
	return volume{kind: uncVolume, raw: p[:end], canon: `\\` + strings.Join(names, `\`)}
}

// parsed is a path taken apart and cleaned.
type parsed struct {
	vol volume
	// rooted is whether a separator follows the volume.
	rooted bool
	// names holds the names after the volume, without empty names, "." or
	// resolvable "..". Only a path that is not rooted can start with "..".
	names []string
}

func parse(p string) parsed {
	v := parseVolume(p)
	return parseRest(v, p[len(v.raw):])
}

func parseRest(v volume, rest string) parsed {
	q := parsed{vol: v, rooted: rest != "" && isSep(rest[0])}
	for i := 0; i < len(rest); {
		start := skipSeps(rest, i)
		end := nameEnd(rest, start)
		i = end
		switch name := rest[start:end]; name {
		case "", ".":
		case "..":
			switch {
			case len(q.names) > 0 && q.names[len(q.names)-1] != "..":
				q.names = q.names[:len(q.names)-1]
			case q.rooted:
				// Nothing is above the root.
			default:
				q.names = append(q.names, name)
			}
		default:
			q.names = append(q.names, name)
		}
	}
	return q
}

// absolute reports whether the path does not depend on a current directory.
func (q parsed) absolute() bool {
	switch q.vol.kind {
	case uncVolume, deviceVolume:
		return true
	case driveVolume:
		return q.rooted
	}
	return false
}

func (q parsed) String() string {
	var b strings.Builder
	b.WriteString(q.vol.canon)
	// A device volume without a name ("\\?\") already ends in a separator.
	if q.rooted && !strings.HasSuffix(q.vol.canon, `\`) {
		b.WriteByte(Separator)
	}
	if q.vol.kind == noVolume && !q.rooted && len(q.names) > 0 && len(q.names[0]) >= 2 && isDriveSpec(q.names[0][:2]) {
		// Without a prefix, a first name such as "C:x" would turn into a
		// drive letter when the result is read back.
		b.WriteString(`.\`)
	}
	for i, name := range q.names {
		if i > 0 {
			b.WriteByte(Separator)
		}
		b.WriteString(name)
	}
	if b.Len() == 0 {
		return "."
	}
	return b.String()
}

// VolumeName returns the volume at the start of p: "C:" for a drive letter,
// `\\server\share` for a UNC path, and `\\?\C:`, `\\?\Volume{guid}` or
// `\\?\UNC\server\share` for device paths (also with "." instead of "?").
// A UNC path without a share has just `\\server` as its volume.
// It returns "" when p has no volume. The result is a prefix of p, spelled
// as in p, so p[len(VolumeName(p)):] is the rest of the path.
func VolumeName(p string) string {
	return parseVolume(p).raw
}

// IsAbs reports whether p names the same file whatever the current drive
// and directory are: a drive letter followed by a separator, or a UNC or
// device path. "C:foo" (relative to drive C's current directory) and `\foo`
// (relative to the current drive) are not absolute.
func IsAbs(p string) bool {
	v := parseVolume(p)
	switch v.kind {
	case uncVolume, deviceVolume:
		return true
	case driveVolume:
		return len(p) > 2 && isSep(p[2])
	}
	return false
}

// Clean returns the shortest path that names the same file as p, by
// Windows rules: '/' becomes '\', repeated separators collapse, "." names
// go, and ".." removes the name before it. ".." never climbs above the root
// of a rooted path; it is kept at the start of a relative one ("..\x",
// "C:..\x"). The volume is kept, and the case of every name is left alone.
// A trailing separator is removed except after a root.
//
// Clean("") and Clean(".") return "."; Clean("C:") and Clean("C:.") return
// "C:". A relative result whose first name would read as a drive letter
// gets a `.\` prefix, so `.\C:x` stays relative.
func Clean(p string) string {
	return parse(p).String()
}

// Join joins the non-empty elements with separators and cleans the result.
// Elements after the first are appended as they are, even when they have a
// volume or start with a separator. A drive letter alone as the first
// element gives a drive-relative path: Join("C:", "x") is "C:x". Join
// returns "" when every element is empty.
func Join(elem ...string) string {
	for i, first := range elem {
		if first == "" {
			continue
		}
		v := parseVolume(first)
		rest := first[len(v.raw):]
		for _, e := range elem[i+1:] {
			switch {
			case e == "":
			case rest == "" && v.kind == driveVolume:
				rest = e
			default:
				rest += `\` + e
			}
		}
		return parseRest(v, rest).String()
	}
	return ""
}

// IsDriveRoot reports whether p, once cleaned, names the root of a drive:
// `C:\`, `c:/`, `C:\foo\..`, the device forms `\\?\C:\` and `\\.\C:`, and
// the bare drive "C:" (which denotes drive C as a whole).
func IsDriveRoot(p string) bool {
	q := parse(p)
	if len(q.names) > 0 {
		return false
	}
	switch q.vol.kind {
	case driveVolume:
		return true
	case deviceVolume:
		return isDriveSpec(q.vol.canon[4:])
	}
	return false
}

// EqualFold reports whether a and b are the same path once cleaned, with
// names compared without regard to case. `C:\Foo\` and `c:/foo` are equal;
// so are `\\server\share` and `\\server\share\`. "C:x" (drive-relative) and
// `C:\x` are not, and neither are paths that spell one volume differently
// (`C:\x` and `\\?\C:\x`).
func EqualFold(a, b string) bool {
	qa, qb := parse(a), parse(b)
	if !sameVolume(qa.vol, qb.vol) || len(qa.names) != len(qb.names) {
		return false
	}
	if qa.vol.kind == noVolume || qa.vol.kind == driveVolume {
		if qa.rooted != qb.rooted {
			return false
		}
	}
	for i := range qa.names {
		if !foldEqual(qa.names[i], qb.names[i]) {
			return false
		}
	}
	return true
}

// Within reports whether p is root or a path inside root. Both are cleaned
// first and must be absolute; a relative one gives false, since what it
// names depends on a current directory. Names are compared without regard
// to case and whole name by whole name, so `C:\foo` does not contain
// `C:\foobar`, and `C:\foo\..\bar` is not within `C:\foo`.
//
// Within answers from the text alone. It gives false, rather than guess,
// when p has a name below root that ends in a space or a dot, because
// Windows drops those in some places while normalizing a path, so such a
// path need not mean what its text says. Paths that spell one volume in
// different forms (`C:\x` and `\\?\C:\x`) are never within each other, and
// short 8.3 names or links are not resolved.
func Within(root, p string) bool {
	r, q := parse(root), parse(p)
	if !r.absolute() || !q.absolute() || !sameVolume(r.vol, q.vol) {
		return false
	}
	if len(q.names) < len(r.names) {
		return false
	}
	for i, name := range r.names {
		if !foldEqual(name, q.names[i]) {
			return false
		}
	}
	for _, name := range q.names[len(r.names):] {
		if last := name[len(name)-1]; last == ' ' || last == '.' {
			return false
		}
	}
	return true
}

func sameVolume(a, b volume) bool {
	return a.kind == b.kind && foldEqual(a.canon, b.canon)
}

// upcase maps r the way NTFS's upcase table does. The table covers single
// UTF-16 code units only, so characters outside the Basic Multilingual
// Plane are compared exactly.
func upcase(r rune) rune {
	if r > 0xFFFF {
		return r
	}
	return unicode.ToUpper(r)
}

// foldEqual reports whether a and b are the same name for NTFS. Bytes that
// are not valid UTF-8 must match exactly.
func foldEqual(a, b string) bool {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if (ra == utf8.RuneError && na == 1) || (rb == utf8.RuneError && nb == 1) {
			if a[:na] != b[:nb] {
				return false
			}
		} else if ra != rb && upcase(ra) != upcase(rb) {
			return false
		}
		a, b = a[na:], b[nb:]
	}
	return a == "" && b == ""
}

// ToSlash returns p with every '\' replaced by '/'.
func ToSlash(p string) string {
	return strings.ReplaceAll(p, `\`, "/")
}

// FromSlash returns p with every '/' replaced by '\'.
func FromSlash(p string) string {
	return strings.ReplaceAll(p, "/", `\`)
}
