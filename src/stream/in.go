package stream

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// InOptions tunes In.
type InOptions struct {
	// MaxBytes caps the bytes of file contents In writes, all entries
	// together; 0 means no cap. An entry that would go past it stops the
	// stream, before anything of that entry is written, with an error that
	// wraps ErrTooLarge and names the entry and the limit.
	MaxBytes int64
	// Grant, when not nil, is called once with the destination directory
	// after the extraction, so that the container's user can use what was
	// written (on Windows the caller's adapter gives BUILTIN\Users access).
	// It is called also when an entry stopped the stream, since what was
	// written before it stays; it is not called when dest could not be
	// created or opened.
	Grant func(path string) error
}

// In extracts the tar read from r into the directory dest, which it
// creates, with its parents, if missing. dest should come from Resolve;
// In refuses it if it is a symlink or other reparse point.
//
// Every entry name must pass ValidateEntryName. Entry types:
//
//   - directories are created (or kept, if there); their mode and
//     modification time are set after the last entry, so that writing into
//     them does not undo it. "./" names dest itself.
//   - regular files are created with O_EXCL after removing what was at
//     their name (a file, or a symlink, which is removed and not followed;
//     a directory stays and is an error), so an existing hard link is never
//     written through. Their mode (the permission bits; Windows keeps only
//     the read-only attribute) and modification time are set.
//   - symlinks are allowed only if the target is relative and, resolved
//     name by name from the link's directory, never leaves dest, and does
//     not pass through a symlink (the link may point at a symlink this
//     stream created, but not at one that was already there). The link is
//     created with the target cleaned (`x/../y` becomes `y`), with the
//     host's separator; on Windows it is a directory link if the target is
//     an existing directory when the link is made. Symlinks keep the time
//     of their creation.
//   - hard links must point at a regular file an earlier entry of this
//     stream wrote.
//   - devices, FIFOs and any other type are refused. PAX global headers are
//     ignored.
//
// No entry is created through a symlink: if a name before the last one of
// an entry is a symlink or reparse point, whether an earlier entry created
// it or it was there before, the entry is refused. Missing parent
// directories are created.
//
// The first entry that breaks a rule stops the stream with an error that
// wraps ErrUnsafeEntry (ErrTooLarge for MaxBytes) and quotes the entry's
// name; what earlier entries wrote stays, for the caller to report. Nothing
// is ever written outside dest: all access goes through an os.Root opened
// on dest.
func In(r io.Reader, dest string, opts InOptions) error {
	// A link at dest is refused before MkdirAll could follow it; after
	// MkdirAll, in case one appeared meanwhile.
	fi, err := os.Lstat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return fmt.Errorf("stream in: creating the destination: %w", err)
		}
		fi, err = os.Lstat(dest)
	}
	if err != nil {
		return fmt.Errorf("stream in: %w", err)
	}
	if isLink(fi) {
		return fmt.Errorf("%w: the destination %q is a symlink, junction or other reparse point", ErrUnsafePath, dest)
	}
	if !fi.IsDir() {
		return fmt.Errorf("stream in: the destination %q is not a directory", dest)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return fmt.Errorf("stream in: %w", err)
	}
	umask, umaskKnown := processUmask()
	x := &extractor{
		root:     &dir{Root: root},
		umask:    umask,
		chmodAll: !umaskKnown,
		opts:     opts,
		sep:      string(filepath.Separator),
		verified: map[string]struct{}{},
		roots:    map[string]*dir{},
		links:    map[string]struct{}{},
		files:    map[string]struct{}{},
		dirIndex: map[string]int{},
	}
	err = x.extract(tar.NewReader(bufio.NewReaderSize(r, chunkSize)))
	if err == nil {
		err = x.finishDirs()
	}
	x.close()
	if opts.Grant != nil {
		if gerr := opts.Grant(dest); gerr != nil {
			err = errors.Join(err, fmt.Errorf("stream in: granting access to %q: %w", dest, gerr))
		}
	}
	return err
}

// maxOpenDirs bounds how many directories of dest the extractor holds
// open at once.
const maxOpenDirs = 32

type extractor struct {
	root *dir
	opts InOptions
	sep  string
	buf  []byte
	// umask is the process's umask; chmodAll is set when it is unknown,
	// and then every file's mode is set after it is created.
	umask    fs.FileMode
	chmodAll bool
	// written counts the bytes of file contents written.
	written int64
	// verified holds the directories (paths from dest, joined with sep)
	// known to be real directories: created by this stream, or checked
	// with Lstat. The stream never replaces a directory, so they stay so.
	verified map[string]struct{}
	// roots holds open directories of dest, by path.
	roots map[string]*dir
	// links and files hold the symlinks and regular files this stream
	// created, by pathKey.
	links map[string]struct{}
	files map[string]struct{}
	// dirs are the directory entries, whose times and modes are set at the
	// end; dirIndex finds one by path.
	dirs     []dirEntry
	dirIndex map[string]int
}

type dirEntry struct {
	path  string
	mode  fs.FileMode
	mtime time.Time
}

// dir is an open directory of dest.
type dir struct {
	*os.Root
	sys dirSys
}

func (d *dir) close() {
	d.closeSys()
	d.Root.Close()
}

// newFile is a regular file dir.create has just made, open for writing.
type newFile interface {
	Write(p []byte) (int, error)
	// finish sets the modification time and, if chmod, the mode perm,
	// and closes the file.
	finish(mtime time.Time, perm fs.FileMode, chmod bool) error
	// abort closes the file.
	abort()
}

func (x *extractor) close() {
	for _, d := range x.roots {
		d.close()
	}
	x.root.close()
}

func (x *extractor) extract(tr *tar.Reader) error {
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		// archive/tar flags some unsafe names with ErrInsecurePath (when
		// GODEBUG asks); the checks below decide.
		if err != nil && !(errors.Is(err, tar.ErrInsecurePath) && hdr != nil) {
			return fmt.Errorf("stream in: reading the tar: %w", err)
		}
		if err := x.entry(tr, hdr); err != nil {
			return err
		}
	}
}

func (x *extractor) entry(tr *tar.Reader, hdr *tar.Header) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	name := hdr.Name
	names, problem := splitRelative(name)
	if problem != "" {
		return unsafeEntry(name, "%s", problem)
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.dir(hdr, names)
	case tar.TypeReg, '\x00', tar.TypeCont, tar.TypeGNUSparse:
		if len(names) == 0 {
			return unsafeEntry(name, "a file cannot be the destination directory itself")
		}
		return x.file(tr, hdr, names)
	case tar.TypeSymlink:
		if len(names) == 0 {
			return unsafeEntry(name, "a symlink cannot be the destination directory itself")
		}
		return x.symlink(hdr, names)
	case tar.TypeLink:
		if len(names) == 0 {
			return unsafeEntry(name, "a hard link cannot be the destination directory itself")
		}
		return x.hardLink(hdr, names)
	case tar.TypeChar, tar.TypeBlock:
		return unsafeEntry(name, "device entries are not allowed")
	case tar.TypeFifo:
		return unsafeEntry(name, "FIFO entries are not allowed")
	default:
		return unsafeEntry(name, "entries of type %q are not supported", hdr.Typeflag)
	}
}

func (x *extractor) join(names []string) string {
	if len(names) == 0 {
		return "."
	}
	return strings.Join(names, x.sep)
}

func (x *extractor) fail(hdr *tar.Header, err error) error {
	return fmt.Errorf("stream in: entry %q: %w", hdr.Name, err)
}

// parent returns the directory that holds names' last name, open, after
// checking that no name before the last is a symlink or reparse point, and
// creating missing ones.
func (x *extractor) parent(hdr *tar.Header, names []string) (*dir, error) {
	parents := names[:len(names)-1]
	if len(parents) == 0 {
		return x.root, nil
	}
	key := x.join(parents)
	if r, ok := x.roots[key]; ok {
		return r, nil
	}
	for i := range parents {
		p := x.join(parents[:i+1])
		if _, ok := x.links[pathKey(p)]; ok {
			return nil, unsafeEntry(hdr.Name, "%q is a symlink an earlier entry created; nothing is written through a symlink", filepath.ToSlash(p))
		}
		if _, ok := x.verified[p]; ok {
			continue
		}
		fi, err := x.root.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := x.root.Mkdir(p, 0o755); err != nil {
				return nil, x.fail(hdr, err)
			}
		case err != nil:
			return nil, x.fail(hdr, err)
		case isLink(fi):
			return nil, unsafeEntry(hdr.Name, "%q is a symlink, junction or other reparse point; nothing is written through one", filepath.ToSlash(p))
		case !fi.IsDir():
			return nil, x.fail(hdr, fmt.Errorf("%q is not a directory", filepath.ToSlash(p)))
		}
		x.verified[p] = struct{}{}
	}
	r, err := x.root.OpenRoot(key)
	if err != nil {
		return nil, x.fail(hdr, err)
	}
	if len(x.roots) >= maxOpenDirs {
		for k, old := range x.roots {
			old.close()
			delete(x.roots, k)
		}
	}
	d := &dir{Root: r}
	x.roots[key] = d
	return d, nil
}

// clear removes what is at base in d, unless it is a directory, so that
// base can be created afresh. Remove never follows a symlink.
func (x *extractor) clear(hdr *tar.Header, d *dir, base string) error {
	fi, err := d.Lstat(base)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return x.fail(hdr, err)
	case fi.IsDir() && !isLink(fi):
		return x.fail(hdr, fmt.Errorf("a directory is in the way"))
	}
	if err := d.Remove(base); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return x.fail(hdr, err)
	}
	return nil
}

func (x *extractor) dir(hdr *tar.Header, names []string) error {
	rel := x.join(names)
	if len(names) > 0 {
		d, err := x.parent(hdr, names)
		if err != nil {
			return err
		}
		base := names[len(names)-1]
		_, isOurLink := x.links[pathKey(rel)]
		fi, err := d.Lstat(base)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return x.fail(hdr, err)
		case fi.IsDir() && !isLink(fi) && !isOurLink:
			// Already a directory: keep it.
		default:
			// A file or a symlink: replace it, never follow it.
			if err := d.Remove(base); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return x.fail(hdr, err)
			}
			err = fs.ErrNotExist
		}
		if err != nil {
			if err := d.Mkdir(base, 0o755); err != nil {
				return x.fail(hdr, err)
			}
		}
		delete(x.links, pathKey(rel))
		delete(x.files, pathKey(rel))
		x.verified[rel] = struct{}{}
	}
	e := dirEntry{path: rel, mode: fs.FileMode(hdr.Mode) & fs.ModePerm, mtime: hdr.ModTime}
	if i, ok := x.dirIndex[rel]; ok {
		x.dirs[i] = e
	} else {
		x.dirIndex[rel] = len(x.dirs)
		x.dirs = append(x.dirs, e)
	}
	return nil
}

// finishDirs sets the modes and modification times of the directories,
// deepest (last listed) first.
func (x *extractor) finishDirs() error {
	for i := len(x.dirs) - 1; i >= 0; i-- {
		e := x.dirs[i]
		if err := setDirMode(x.root.Root, e.path, e.mode); err != nil {
			return fmt.Errorf("stream in: directory %q: %w", filepath.ToSlash(e.path), err)
		}
		if err := x.root.Chtimes(e.path, time.Time{}, e.mtime); err != nil {
			return fmt.Errorf("stream in: directory %q: %w", filepath.ToSlash(e.path), err)
		}
	}
	return nil
}

func (x *extractor) file(tr *tar.Reader, hdr *tar.Header, names []string) error {
	size := hdr.Size
	if limit := x.opts.MaxBytes; limit > 0 && size > limit-x.written {
		return fmt.Errorf("%w: entry %q (%d bytes) would take the stream past its limit of %d bytes (%d bytes already written)",
			ErrTooLarge, hdr.Name, size, limit, x.written)
	}
	d, err := x.parent(hdr, names)
	if err != nil {
		return err
	}
	base := names[len(names)-1]
	rel := x.join(names)
	perm := fs.FileMode(hdr.Mode) & fs.ModePerm
	f, err := d.create(base, perm)
	if errors.Is(err, fs.ErrExist) {
		if err := x.clear(hdr, d, base); err != nil {
			return err
		}
		f, err = d.create(base, perm)
	}
	if err != nil {
		return x.fail(hdr, err)
	}
	delete(x.links, pathKey(rel))
	if err := x.fill(f, tr, size); err != nil {
		f.abort()
		return x.fail(hdr, err)
	}
	if err := f.finish(hdr.ModTime, perm, x.chmodAll || perm&x.umask != 0); err != nil {
		return x.fail(hdr, err)
	}
	x.files[pathKey(rel)] = struct{}{}
	return nil
}

// fill copies the entry's size bytes from tr to f.
func (x *extractor) fill(f newFile, tr *tar.Reader, size int64) error {
	if size == 0 {
		return nil
	}
	if x.buf == nil {
		x.buf = make([]byte, chunkSize)
	}
	var done int64
	for done < size {
		n, err := tr.Read(x.buf[:min(int64(len(x.buf)), size-done)])
		if n > 0 {
			if _, werr := f.Write(x.buf[:n]); werr != nil {
				return werr
			}
			done += int64(n)
			x.written += int64(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if done != size {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func (x *extractor) symlink(hdr *tar.Header, names []string) error {
	target, steps, problem := cleanLinkTarget(names, hdr.Linkname, x.sep)
	if problem != "" {
		return unsafeEntry(hdr.Name, "%s", problem)
	}
	d, err := x.parent(hdr, names)
	if err != nil {
		return err
	}
	// The target must not pass through a symlink, since where ".." goes
	// after one depends on the link; it may end at one this stream created
	// (checked like this one), not at one that was there before.
	for _, step := range steps {
		p := x.join(step.path)
		_, ours := x.links[pathKey(p)]
		link := ours
		if !link {
			fi, err := x.root.Lstat(p)
			switch {
			case err == nil:
				link = isLink(fi)
			case errors.Is(err, fs.ErrNotExist), isNotDir(err):
			default:
				return x.fail(hdr, err)
			}
		}
		switch {
		case link && !step.last:
			return unsafeEntry(hdr.Name, "its symlink target %q passes through the symlink %q", hdr.Linkname, filepath.ToSlash(p))
		case link && !ours:
			return unsafeEntry(hdr.Name, "its symlink target %q is %q, a symlink or reparse point that was already there", hdr.Linkname, filepath.ToSlash(p))
		}
	}
	base := names[len(names)-1]
	if err := x.clear(hdr, d, base); err != nil {
		return err
	}
	if err := d.Symlink(target, base); err != nil {
		return x.fail(hdr, err)
	}
	rel := x.join(names)
	delete(x.files, pathKey(rel))
	x.links[pathKey(rel)] = struct{}{}
	return nil
}

func (x *extractor) hardLink(hdr *tar.Header, names []string) error {
	targetNames, problem := splitRelative(hdr.Linkname)
	if problem != "" {
		return unsafeEntry(hdr.Name, "its hard link target %q: %s", hdr.Linkname, problem)
	}
	target := x.join(targetNames)
	rel := x.join(names)
	if _, ok := x.files[pathKey(target)]; !ok || len(targetNames) == 0 {
		return unsafeEntry(hdr.Name, "its hard link target %q is not a file an earlier entry wrote", hdr.Linkname)
	}
	if pathKey(target) == pathKey(rel) {
		return unsafeEntry(hdr.Name, "it is a hard link to itself")
	}
	td, err := x.parent(hdr, targetNames)
	if err != nil {
		return err
	}
	fi, err := td.Lstat(targetNames[len(targetNames)-1])
	if err != nil {
		return x.fail(hdr, err)
	}
	if !fi.Mode().IsRegular() || isLink(fi) {
		return unsafeEntry(hdr.Name, "its hard link target %q is no longer a regular file", hdr.Linkname)
	}
	d, err := x.parent(hdr, names)
	if err != nil {
		return err
	}
	if err := x.clear(hdr, d, names[len(names)-1]); err != nil {
		return err
	}
	if err := x.root.Link(target, rel); err != nil {
		return x.fail(hdr, err)
	}
	delete(x.links, pathKey(rel))
	x.files[pathKey(rel)] = struct{}{}
	return nil
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
