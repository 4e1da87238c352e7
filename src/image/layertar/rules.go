package layertar

import (
	"archive/tar"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/garden-windows/garden-windows-release/stream"
)

const (
	// filesDir is the top directory whose contents become the container's
	// C: drive. The importer (hcsshim) matches it with this exact case.
	filesDir       = "Files"
	whiteoutPrefix = ".wh."
	// sparsePrefix starts the PAX records of GNU sparse files.
	sparsePrefix = "GNU.sparse."
)

// foldedFiles is filesDir as fold spells it.
var foldedFiles = string(fold(nil, filesDir))

// rules holds what the entries so far tell about later ones. Paths are
// kept as keys: their names folded (see fold) and joined with '/'.
type rules struct {
	// regular holds the files a hard link may name: regular files and
	// hard links this tar wrote, and not replaced since.
	regular map[string]struct{}
	// symlinks maps each symlink this tar made to its entry's name.
	symlinks map[string]string
	// symlinkDirs holds the directories symlinks were made in, for the
	// short-name rule.
	symlinkDirs map[string]struct{}
	// walked maps every path a relative symlink target walks through (a
	// name followed by more names) to that symlink entry's name.
	walked map[string]string
	// adsOwner is the name of the entry whose alternate data streams may
	// follow: the last file, directory or symlink, unless an entry of
	// another kind came since.
	adsOwner string

	// Scratch space, reused from entry to entry: the entry's names, its
	// key and where each name ends in it; the same for a link target.
	names, tnames []string
	key, tkey     []byte
	ends, tends   []int
	steps         []string
}

func newRules() *rules {
	return &rules{
		regular:     map[string]struct{}{},
		symlinks:    map[string]string{},
		symlinkDirs: map[string]struct{}{},
		walked:      map[string]string{},
	}
}

func unsafeEntry(name, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrUnsafeEntry, name, fmt.Sprintf(format, args...))
}

// check applies the rules to one entry, in tar order, and records what
// later entries are checked against.
func (r *rules) check(hdr *tar.Header) error {
	name := hdr.Name
	if owner := r.adsOwner; owner != "" && hdr.Typeflag == tar.TypeReg &&
		len(name) > len(owner) && name[len(owner)] == ':' && name[:len(owner)] == owner {
		return checkStream(hdr, owner, name[len(owner)+1:])
	}
	r.adsOwner = ""

	if err := stream.ValidateEntryName(name); err != nil {
		return nameError(name, err)
	}
	if err := checkType(hdr); err != nil {
		return err
	}
	r.names = appendNames(r.names[:0], name)
	names := r.names
	if len(names) == 0 {
		if hdr.Typeflag == tar.TypeDir {
			return nil
		}
		return unsafeEntry(name, "it names the layer's root directory, which only a directory entry may do")
	}
	r.key, r.ends = appendKey(r.key[:0], r.ends[:0], names)
	key := r.key

	for i := range len(names) - 1 {
		if link, ok := r.symlinks[string(key[:r.ends[i]])]; ok {
			return unsafeEntry(name, "its parent %q is a symlink, made by the earlier entry %q; the entry would be written wherever that link points",
				strings.Join(names[:i+1], "/"), link)
		}
	}
	if link, ok := r.symlinks[string(key)]; ok {
		return unsafeEntry(name, "it would replace the symlink made by the earlier entry %q, and an importer that opens the existing path follows the link", link)
	}
	if len(r.symlinkDirs) > 0 {
		for i, n := range names {
			if !mayBeShortName(n) {
				continue
			}
			dir := ""
			if i > 0 {
				dir = string(key[:r.ends[i-1]])
			}
			if _, ok := r.symlinkDirs[dir]; ok {
				return unsafeEntry(name, "the name %q has the form of an 8.3 short name, in a directory where an earlier entry made a symlink; Windows could resolve it to that link's short name", n)
			}
		}
	}

	if base := names[len(names)-1]; strings.HasPrefix(base, whiteoutPrefix) {
		return r.whiteout(hdr, names, base)
	}
	switch hdr.Typeflag {
	case tar.TypeReg:
		r.regular[string(key)] = struct{}{}
		r.adsOwner = name
	case tar.TypeDir:
		delete(r.regular, string(key))
		r.adsOwner = name
	case tar.TypeSymlink:
		if err := r.symlink(name, names, hdr.Linkname); err != nil {
			return err
		}
		r.adsOwner = name
	case tar.TypeLink:
		if err := r.hardLink(name, hdr.Linkname); err != nil {
			return err
		}
		r.regular[string(key)] = struct{}{}
	}
	return nil
}

// nameError turns ValidateEntryName's refusal into this package's error,
// and explains a stray alternate data stream entry.
func nameError(name string, err error) error {
	dir := strings.LastIndexAny(name, `/\`)
	if colon := strings.IndexByte(name[dir+1:], ':'); dir >= 0 && colon > 0 {
		file := name[:dir+1+colon]
		if stream.ValidateEntryName(file) == nil {
			return unsafeEntry(name, "it names an alternate data stream of %q, but does not directly follow the entry of that file; importers take stream entries only there", file)
		}
	}
	return unsafeEntry(name, "%s", streamReason(name, err))
}

// streamReason is the reason in an error of stream.ValidateEntryName for
// name, without the sentinel and the quoted name.
func streamReason(name string, err error) string {
	return strings.TrimPrefix(err.Error(), fmt.Sprintf("%v %q: ", stream.ErrUnsafeEntry, name))
}

func checkType(hdr *tar.Header) error {
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
	case tar.TypeChar, tar.TypeBlock:
		return unsafeEntry(hdr.Name, "it is a device (tar type %q); a Windows layer holds none, and a device file would give the container the host's hardware", hdr.Typeflag)
	case tar.TypeFifo:
		return unsafeEntry(hdr.Name, "it is a FIFO (tar type %q); a Windows layer holds none", hdr.Typeflag)
	default:
		return unsafeEntry(hdr.Name, "its tar type %q is not one a Windows layer holds (regular file, directory, symlink or hard link)", hdr.Typeflag)
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, sparsePrefix) {
			return unsafeEntry(hdr.Name, "it is a GNU sparse file (PAX record %s); a Windows layer holds none, and it cannot be passed on as read", k)
		}
	}
	return nil
}

// checkStream checks an entry that names an alternate data stream of the
// entry just before it.
func checkStream(hdr *tar.Header, owner, streamName string) error {
	if err := checkType(hdr); err != nil {
		return err
	}
	problem := ""
	switch {
	case streamName == "":
		problem = "the stream name is empty"
	case !utf8.ValidString(streamName):
		problem = "the stream name is not valid UTF-8"
	default:
		for _, c := range streamName {
			if c == '/' || c == '\\' || c == ':' {
				problem = fmt.Sprintf("the stream name contains %q", c)
				break
			}
			if c < 0x20 || c == 0x7f {
				problem = fmt.Sprintf("the stream name contains the control character %q", c)
				break
			}
		}
	}
	if problem != "" {
		return unsafeEntry(hdr.Name, "it names an alternate data stream of %q, but %s", owner, problem)
	}
	return nil
}

func (r *rules) whiteout(hdr *tar.Header, names []string, base string) error {
	if hdr.Typeflag != tar.TypeReg {
		return unsafeEntry(hdr.Name, "it is a whiteout (%s<name>) but not a regular file (tar type %q)", whiteoutPrefix, hdr.Typeflag)
	}
	gone := base[len(whiteoutPrefix):]
	if err := stream.ValidateEntryName(gone); err != nil {
		return unsafeEntry(hdr.Name, "it is a whiteout for %q, which is not a valid name: %s", gone, streamReason(gone, err))
	}
	// A hard link must not name a file this layer deletes.
	dir := 0
	if len(names) > 1 {
		dir = r.ends[len(names)-2]
	}
	r.tkey = append(r.tkey[:0], r.key[:dir]...)
	if dir > 0 {
		r.tkey = append(r.tkey, '/')
	}
	r.tkey = fold(r.tkey, gone)
	delete(r.regular, string(r.tkey))
	return nil
}

func (r *rules) symlink(name string, names []string, target string) error {
	r.steps = r.steps[:0]
	key := r.key
	if earlier, ok := r.walked[string(key)]; ok {
		return unsafeEntry(name, "the target of the earlier symlink entry %q walks through this path; a symlink here would change where that link leads", earlier)
	}
	underFiles := len(names) >= 2 && names[0] == filesDir
	dirEnd := 0
	if len(names) > 1 {
		dirEnd = r.ends[len(names)-2]
	}
	quoted := fmt.Sprintf("its symlink target %q", target)

	switch {
	case target == "":
		return unsafeEntry(name, "its symlink target is empty")
	case len(target) >= 2 && isSep(target[0]) && isSep(target[1]):
		if len(target) >= 4 && (target[2] == '?' || target[2] == '.') && isSep(target[3]) {
			return unsafeEntry(name, `%s is a device path (\\?\ or \\.\), which reaches the host's devices and volumes wherever the link is followed`, quoted)
		}
		return unsafeEntry(name, `%s is a UNC path (\\server\share), which reaches the network wherever the link is followed`, quoted)
	case isSep(target[0]):
		if len(target) >= 4 && target[1] == '?' && target[2] == '?' && isSep(target[3]) {
			return unsafeEntry(name, `%s is an NT object path (\??\), which reaches the host's devices and volumes wherever the link is followed`, quoted)
		}
		return unsafeEntry(name, "%s is rooted but names no drive, so where it leads depends on the current drive of whoever follows it", quoted)
	case len(target) >= 2 && isLetter(target[0]) && target[1] == ':':
		if len(target) == 2 || !isSep(target[2]) {
			return unsafeEntry(name, "%s is relative to the current directory of drive %s, which depends on whoever follows it", quoted, target[:2])
		}
		if !underFiles {
			return unsafeEntry(name, "%s is a drive path, which only a link under %s/ may have: those are resolved inside the container, and anywhere else the host would resolve it to its own drive", quoted, filesDir)
		}
		r.tnames = appendNames(r.tnames[:0], target[3:])
		for _, n := range r.tnames {
			if n == ".." {
				return unsafeEntry(name, `%s has a ".." name; a drive target must name its directory directly`, quoted)
			}
			if err := stream.ValidateEntryName(n); err != nil {
				return unsafeEntry(name, "%s: %s", quoted, streamReason(n, err))
			}
		}
	default:
		if err := r.relativeTarget(name, quoted, key[:dirEnd], r.ends[:len(names)-1], target, underFiles); err != nil {
			return err
		}
	}

	k := string(key)
	r.symlinks[k] = name
	r.symlinkDirs[string(key[:dirEnd])] = struct{}{}
	delete(r.regular, k)
	for _, s := range r.steps {
		if _, ok := r.walked[s]; !ok {
			r.walked[s] = name
		}
	}
	return nil
}

// relativeTarget resolves a relative symlink target from the link's
// directory (dir, its key, and dirEnds, where its names end in it) and
// leaves in steps the paths it walks through.
func (r *rules) relativeTarget(name, quoted string, dir []byte, dirEnds []int, target string, underFiles bool) error {
	r.tkey = append(r.tkey[:0], dir...)
	r.tends = append(r.tends[:0], dirEnds...)
	r.tnames = appendNames(r.tnames[:0], target)
	for i, n := range r.tnames {
		if n == ".." {
			if len(r.tends) == 0 {
				return unsafeEntry(name, "%s leaves the layer", quoted)
			}
			r.tends = r.tends[:len(r.tends)-1]
			r.tkey = r.tkey[:lastEnd(r.tends)]
			continue
		}
		if err := stream.ValidateEntryName(n); err != nil {
			return unsafeEntry(name, "%s: %s", quoted, streamReason(n, err))
		}
		if len(r.tends) > 0 {
			r.tkey = append(r.tkey, '/')
		}
		r.tkey = fold(r.tkey, n)
		r.tends = append(r.tends, len(r.tkey))
		if i == len(r.tnames)-1 {
			break
		}
		if link, ok := r.symlinks[string(r.tkey)]; ok {
			return unsafeEntry(name, "%s walks through the symlink made by the earlier entry %q; it would lead wherever that link points", quoted, link)
		}
		r.steps = append(r.steps, string(r.tkey))
	}
	if !underFiles {
		if len(r.tends) == 0 {
			return unsafeEntry(name, "%s leads to the layer's root; only links under %s/ may, so that no chain of links from outside %s/ reaches a drive target", quoted, filesDir, filesDir)
		}
		if string(r.tkey[:r.tends[0]]) == foldedFiles {
			return unsafeEntry(name, "%s leads into %s/, where links may point to drive paths; only links under %s/ may", quoted, filesDir, filesDir)
		}
	}
	return nil
}

func (r *rules) hardLink(name, target string) error {
	if err := stream.ValidateEntryName(target); err != nil {
		return unsafeEntry(name, "its hard link target %q: %s", target, streamReason(target, err))
	}
	r.tnames = appendNames(r.tnames[:0], target)
	if len(r.tnames) == 0 {
		return unsafeEntry(name, "its hard link target %q is the layer's root", target)
	}
	r.tkey, r.tends = appendKey(r.tkey[:0], r.tends[:0], r.tnames)
	for i := range len(r.tnames) - 1 {
		if link, ok := r.symlinks[string(r.tkey[:r.tends[i]])]; ok {
			return unsafeEntry(name, "its hard link target %q passes through the symlink made by the earlier entry %q", target, link)
		}
	}
	if link, ok := r.symlinks[string(r.tkey)]; ok {
		return unsafeEntry(name, "its hard link target %q is the symlink made by the earlier entry %q, not a regular file", target, link)
	}
	if _, ok := r.regular[string(r.tkey)]; !ok {
		return unsafeEntry(name, "its hard link target %q is not a regular file that an earlier entry of this layer wrote; a hard link may only join files of its own layer", target)
	}
	return nil
}

func isSep(c byte) bool { return c == '/' || c == '\\' }

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// appendNames appends the names of p, split at either separator, leaving
// out empty and "." names (which name the directory they are in).
func appendNames(dst []string, p string) []string {
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || isSep(p[i]) {
			if n := p[start:i]; n != "" && n != "." {
				dst = append(dst, n)
			}
			start = i + 1
		}
	}
	return dst
}

// appendKey appends the key of names to key, and to ends where each name
// ends in it.
func appendKey(key []byte, ends []int, names []string) ([]byte, []int) {
	for i, n := range names {
		if i > 0 {
			key = append(key, '/')
		}
		key = fold(key, n)
		ends = append(ends, len(key))
	}
	return key, ends
}

func lastEnd(ends []int) int {
	if len(ends) == 0 {
		return 0
	}
	return ends[len(ends)-1]
}

// fold appends name to dst with every character replaced by the least
// character of its Unicode case-folding orbit, so that names NTFS holds
// for the same (it compares their upper-case forms) fold the same. It
// folds more than NTFS does (the Kelvin sign matches "k"), which errs on
// the safe side for the symlink rules; for hard links it only means an
// importer could look for a target it then does not find.
func fold(dst []byte, name string) []byte {
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(name[i:])
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		dst = utf8.AppendRune(dst, least)
		i += size
	}
	return dst
}

// mayBeShortName reports whether n could be a short name NTFS generates
// for a longer one ("PROGRA~1", "AB12~1.TXT"): at most 12 characters with
// a '~' followed by a digit.
func mayBeShortName(n string) bool {
	if len(n) > 12 {
		return false
	}
	for i := 0; i+1 < len(n); i++ {
		if n[i] == '~' && '0' <= n[i+1] && n[i+1] <= '9' {
			return true
		}
	}
	return false
}
