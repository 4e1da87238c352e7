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
	"runtime"
	"slices"
	"strings"
	"time"
)

// Out writes to w a tar of compressPath, a path relative to the directory
// source ("." for all of source), as `tar -c -C source compressPath` would:
// names are relative, with forward slashes, and start with compressPath
// ("./" and "./x" for "."); directories, empty ones too, get entries (names
// ending in "/"), followed by their contents in name order; symlinks are
// stored as symlinks, with their target as it is (forward slashes), and
// never followed; each entry has its permission bits and its modification
// time, to the second. Hard links are stored as separate files, and
// sockets, devices and FIFOs are left out. No owners are stored.
//
// compressPath must pass ValidateEntryName: it cannot leave source (".."),
// be absolute or name a drive, UNC or device path; a name of it before the
// last that is a symlink or other reparse point is refused too. Those
// errors wrap ErrUnsafePath. All reads go through an os.Root opened on
// source.
func Out(w io.Writer, source, compressPath string) error {
	names, problem := splitRelative(compressPath)
	if problem != "" {
		return fmt.Errorf("%w: compress path %q: %s", ErrUnsafePath, compressPath, problem)
	}
	root, err := os.OpenRoot(source)
	if err != nil {
		return fmt.Errorf("stream out: %w", err)
	}
	defer root.Close()

	bw := bufio.NewWriterSize(w, chunkSize)
	a := &archiver{tw: tar.NewWriter(bw), buf: make([]byte, chunkSize)}
	if len(names) == 0 {
		err = a.entry(root, ".", "./", true)
	} else {
		err = a.sub(root, compressPath, names)
	}
	if err != nil {
		return err
	}
	if err := a.tw.Close(); err != nil {
		return fmt.Errorf("stream out: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("stream out: %w", err)
	}
	return nil
}

// sub archives the path names (compressPath) of root, after checking that
// the names before the last are directories, not links.
func (a *archiver) sub(root *os.Root, compressPath string, names []string) error {
	d := root
	for i, name := range names[:len(names)-1] {
		fi, err := d.Lstat(name)
		if err != nil {
			return fmt.Errorf("stream out: %w", err)
		}
		shown := strings.Join(names[:i+1], "/")
		if isLink(fi) {
			return fmt.Errorf("%w: compress path %q: %q is a symlink, junction or other reparse point", ErrUnsafePath, compressPath, shown)
		}
		if !fi.IsDir() {
			return fmt.Errorf("stream out: compress path %q: %q is not a directory", compressPath, shown)
		}
		next, err := d.OpenRoot(name)
		if err != nil {
			return fmt.Errorf("stream out: %w", err)
		}
		if d != root {
			d.Close()
		}
		d = next
	}
	if d != root {
		defer d.Close()
	}
	return a.entry(d, names[len(names)-1], strings.Join(names, "/"), false)
}

type archiver struct {
	tw  *tar.Writer
	buf []byte
}

// entry archives base, in d, under the tar name tarName. isTop says base
// is "." (source itself), named "./" in the tar.
func (a *archiver) entry(d *os.Root, base, tarName string, isTop bool) error {
	fi, err := d.Lstat(base)
	if err != nil {
		return fmt.Errorf("stream out: %w", err)
	}
	mode := fi.Mode()
	switch {
	case mode.IsRegular():
		return a.file(d, base, tarName, fi)
	case mode.IsDir():
		dirName := tarName
		if !strings.HasSuffix(dirName, "/") {
			dirName += "/"
		}
		if err := a.header(&tar.Header{Typeflag: tar.TypeDir, Name: dirName}, fi); err != nil {
			return err
		}
		sub := d
		if !isTop {
			if sub, err = d.OpenRoot(base); err != nil {
				return fmt.Errorf("stream out: %w", err)
			}
			defer sub.Close()
		}
		return a.children(sub, dirName)
	case mode&fs.ModeSymlink != 0 || (runtime.GOOS == "windows" && mode&fs.ModeIrregular != 0):
		target, err := d.Readlink(base)
		if err != nil {
			if mode&fs.ModeSymlink == 0 {
				// A reparse point that is no link: leave it out.
				return nil
			}
			return fmt.Errorf("stream out: %w", err)
		}
		return a.header(&tar.Header{Typeflag: tar.TypeSymlink, Name: tarName, Linkname: filepath.ToSlash(target)}, fi)
	default:
		// Sockets, devices, FIFOs: nothing a container on Windows can use.
		return nil
	}
}

func (a *archiver) children(d *os.Root, prefix string) error {
	f, err := d.Open(".")
	if err != nil {
		return fmt.Errorf("stream out: %w", err)
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return fmt.Errorf("stream out: %w", err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() {
			// The fast way for what the directory listing says is a
			// regular file; anything else, or a file that turns out not
			// to be one, goes the general way.
			done, err := a.regularFile(f, name, prefix+name)
			if err != nil {
				return err
			}
			if done {
				continue
			}
		}
		if err := a.entry(d, name, prefix+name, false); err != nil {
			return err
		}
	}
	return nil
}

func (a *archiver) header(hdr *tar.Header, fi fs.FileInfo) error {
	hdr.Mode = int64(fi.Mode().Perm())
	hdr.ModTime = fi.ModTime()
	return a.writeHeader(hdr)
}

// writeHeader writes hdr, its time truncated to the second as GNU tar does
// (archive/tar would round it).
func (a *archiver) writeHeader(hdr *tar.Header) error {
	hdr.ModTime = hdr.ModTime.Truncate(time.Second)
	if err := a.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("stream out: %q: %w", hdr.Name, err)
	}
	return nil
}

// file archives the regular file base of d, which Lstat described as
// linfo. The file is opened and checked to be the one Lstat saw, so a
// symlink swapped in meanwhile is not followed.
func (a *archiver) file(d *os.Root, base, tarName string, linfo fs.FileInfo) error {
	f, err := d.OpenFile(base, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return fmt.Errorf("stream out: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stream out: %w", err)
	}
	if !fi.Mode().IsRegular() || !os.SameFile(linfo, fi) {
		return fmt.Errorf("stream out: %q changed while it was being archived", tarName)
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: tarName, Size: fi.Size()}
	if err := a.header(hdr, fi); err != nil {
		return err
	}
	return a.contents(f, tarName, hdr.Size)
}

// contents copies size bytes from r, the file tarName, to the tar.
func (a *archiver) contents(r io.Reader, tarName string, size int64) error {
	var done int64
	for done < size {
		n, err := r.Read(a.buf[:min(int64(len(a.buf)), size-done)])
		if n > 0 {
			if _, werr := a.tw.Write(a.buf[:n]); werr != nil {
				return fmt.Errorf("stream out: %q: %w", tarName, werr)
			}
			done += int64(n)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("stream out: %q: %w", tarName, err)
		}
	}
	if done != size {
		return fmt.Errorf("stream out: %q shrank while it was being archived", tarName)
	}
	return nil
}
