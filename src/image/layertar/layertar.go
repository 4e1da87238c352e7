// Package layertar checks the uncompressed tar of a Windows image layer,
// entry by entry, before the host's layer import sees it.
//
// A Windows layer tar holds the container's files under Files/, registry
// hives under Hives/, sometimes a utility VM under UtilityVM/, and
// whiteouts (".wh.<name>") for files the layer deletes. The import runs on
// the host with backup and restore privileges, and the tar comes from
// whoever built the image. An entry named `Files\..\..\x` or `C:\x`, a hard
// link to a file outside the layer, a symlink that a later entry writes
// through, or a symlink that host-side code could follow out of the layer
// would let a hostile image write or expose host files. [Filter] passes the
// tar on unchanged, except that it stops with an error wrapping
// [ErrUnsafeEntry] at the first entry that breaks one of the rules that
// [Filter] documents.
package layertar

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync/atomic"
)

// ErrUnsafeEntry is wrapped by the error a filtered layer tar returns at
// the first entry Filter refuses. The error quotes the entry's name and
// says which rule it breaks. An image with such a layer cannot be
// imported: whoever built it has to rebuild it without that entry.
var ErrUnsafeEntry = errors.New("unsafe layer tar entry")

// Filter reads the uncompressed layer tar from r and returns a reader of an
// equivalent tar stream: every entry re-encoded with archive/tar, its
// header as read (name, type, link target, mode, owner, times, and every
// PAX record archive/tar does not derive from those fields, such as
// MSWINDOWS.rawsd, MSWINDOWS.fileattr, MSWINDOWS.mountpoint and
// LIBARCHIVE.creationtime, byte for byte) and its contents byte-identical.
// Two things differ on purpose: PAX global headers are dropped (nothing in
// a Windows layer needs them, and readers that apply their records, a
// "path" for instance, to every later entry would see names this filter
// never checked); and directories, symlinks and hard links get size 0, as
// archive/tar reads them without contents anyway, so that no other tar
// reader can take bytes hidden behind such a header for entries.
//
// Reading from the returned reader fails, at the first unsafe entry and
// before any byte of that entry is returned, with an error that wraps
// ErrUnsafeEntry, quotes the entry's name and says which rule it breaks.
// The rules, where "/" stands for either separator ('/' and '\' both
// separate names, as they do for Windows) and names compare as NTFS
// compares them, without regard to case:
//
//   - Names: an entry's name passes [stream.ValidateEntryName]: not empty,
//     relative (no `/x`, `\x`, `C:\x`, `C:x`, `\\server\share`, `\\?\`),
//     no ".." name, no control character, valid UTF-8, and no name Windows
//     would not store as written (reserved device names such as CON, a
//     trailing dot or space, the characters < > " | ? * and ':'). The one
//     ':' a Windows layer needs is allowed: backuptar writes a file's
//     alternate data streams as entries named "<file>:<stream>" right after
//     the file's entry, and the importer takes them as such only there; so
//     an entry named exactly the previous file, directory or symlink entry's
//     name, then ':', then a stream name (not empty, no separator, no ':',
//     no control character) is a stream of that file. Anywhere else, ':' is
//     refused. Only a directory entry may name the layer root itself (".").
//   - Types: regular files, directories, symlinks and hard links. Character
//     and block devices, FIFOs, GNU sparse files and other types are
//     refused: Windows layers hold none, and the importer would have to
//     make something of them.
//   - Whiteouts (last name ".wh.<name>") must be regular files, and <name>
//     must itself be a valid name.
//   - Write-through: no entry's parent path may be a symlink that an
//     earlier entry created (link `Files/a` -> `C:\Windows`, then
//     `Files/a/evil.dll` would land in the host's C:\Windows wherever the
//     link is followed), and no entry may replace such a symlink (an
//     importer that opens the existing path would follow it). Names of
//     8.3 short-name form ("PROGRA~1") are refused in a directory where an
//     earlier entry made a symlink, since Windows can resolve such a name
//     to the link's generated short name.
//   - Symlinks: UNC and device targets (`\\server\share`, `\\?\`, `\\.\`,
//     `\??\`) are refused wherever they are: whoever follows them reaches
//     the network or the host's devices. So is a target rooted without a
//     drive (`\Windows`), which depends on the current drive of whoever
//     follows it, and a drive-relative one (`C:x`). A drive target
//     (`C:\Users`) is allowed only for links under Files/, because Files/
//     becomes the container's C: drive and the container resolves those
//     targets in its own namespace: Windows base layers have such
//     junctions (`Files/Documents and Settings` -> `C:\Users`). Under
//     Hives/ or UtilityVM/, or at the top, the host reads or serves the
//     files and would resolve C:\ on the host. A relative target,
//     resolved name by name from the link's directory, with ".." removing
//     a name (as Windows resolves it), must stay inside the layer; its
//     names must be valid; it must not walk through a symlink that an
//     earlier entry created, and no later entry may make a symlink of a
//     path an earlier target walks through (so that resolving it
//     physically, the POSIX way, gives the same place). A link outside
//     Files/ must not resolve into Files/ or to the layer root, so that
//     no chain of links from outside Files/ reaches a drive target.
//   - Hard links: the target is an entry name of this tar. It must pass
//     the name rules, must not pass through a symlink, and must name a
//     regular file (or hard link to one) that an earlier entry wrote. A
//     hard link to a file of a parent layer is refused.
//
// Nothing is capped (the layer store caps sizes), and nothing is held in
// memory but the current header and, for the rules, the folded names of
// regular files and symlinks seen so far.
//
// Filter starts no goroutine: each Read decodes what it needs from r and
// copies file contents from r straight into the caller's buffer, so a
// consumer that stops early leaves nothing running. Close marks the reader
// closed (later Reads fail) and does not close r, which stays the
// caller's; it may be called concurrently with a Read. After the tar's end
// marker, Filter reads nothing more from r, so the caller can read what
// follows (padding, a compressor's trailer) itself.
func Filter(r io.Reader) io.ReadCloser {
	return &filter{tr: tar.NewReader(r), rules: newRules()}
}

// zeros is the padding source: contents are padded to tar blocks.
var zeros [blockSize]byte

const blockSize = 512

var errClosed = fmt.Errorf("reading a closed layer tar filter: %w", fs.ErrClosed)

type filter struct {
	tr    *tar.Reader
	rules *rules
	// out holds the bytes of the current header (or end marker) that Read
	// has not returned yet; pending is that part of out, or of zeros for
	// padding.
	out     bytes.Buffer
	pending []byte
	// name and remaining are the current entry and how many of its
	// content bytes are still to be copied; pad is the padding after them.
	name      string
	remaining int64
	pad       int
	// err is returned once pending is drained: io.EOF after the end
	// marker, or why the stream stopped.
	err    error
	closed atomic.Bool
}

func (f *filter) Read(p []byte) (int, error) {
	if f.closed.Load() {
		return 0, errClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		switch {
		case len(f.pending) > 0:
			n := copy(p, f.pending)
			f.pending = f.pending[n:]
			return n, nil
		case f.remaining > 0:
			return f.copyContents(p)
		case f.pad > 0:
			f.pending, f.pad = zeros[:f.pad], 0
		case f.err != nil:
			return 0, f.err
		default:
			f.next()
		}
	}
}

// copyContents copies the current entry's contents from the tar reader
// into p, without a buffer of its own.
func (f *filter) copyContents(p []byte) (int, error) {
	if int64(len(p)) > f.remaining {
		p = p[:f.remaining]
	}
	n, err := f.tr.Read(p)
	f.remaining -= int64(n)
	if err == io.EOF && f.remaining > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		f.err = fmt.Errorf("reading the contents of layer tar entry %q: %w", f.name, err)
		f.remaining, f.pad = 0, 0
		if n == 0 {
			return 0, f.err
		}
	}
	return n, nil
}

// next reads the next header, checks it and encodes it into pending; or
// sets err.
func (f *filter) next() {
	for {
		hdr, err := f.tr.Next()
		switch {
		case err == io.EOF:
			f.out.Reset()
			// Close writes the end marker (two zero blocks).
			if err := tar.NewWriter(&f.out).Close(); err != nil {
				f.err = fmt.Errorf("encoding the end of the layer tar: %w", err)
				return
			}
			f.pending, f.err = f.out.Bytes(), io.EOF
			return
		case errors.Is(err, tar.ErrInsecurePath) && hdr != nil:
			// With GODEBUG=tarinsecurepath=0, archive/tar flags names that
			// filepath.IsLocal refuses (on Windows, every alternate data
			// stream). The rules below decide for themselves.
		case err != nil:
			if f.name == "" {
				f.err = fmt.Errorf("reading the layer tar's first header (is it an uncompressed tar?): %w", err)
			} else {
				f.err = fmt.Errorf("reading the layer tar after entry %q: %w", f.name, err)
			}
			return
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if err := f.rules.check(hdr); err != nil {
			f.err = err
			return
		}
		size := hdr.Size
		if hdr.Typeflag != tar.TypeReg {
			size, hdr.Size = 0, 0
		}
		f.out.Reset()
		// A fresh writer for each header: the contents do not go through
		// it, so that Read can copy them from the tar reader straight into
		// the caller's buffer, and a long-lived writer would want them.
		if err := tar.NewWriter(&f.out).WriteHeader(hdr); err != nil {
			f.err = fmt.Errorf("re-encoding the header of layer tar entry %q: %w", hdr.Name, err)
			return
		}
		f.name = hdr.Name
		f.pending = f.out.Bytes()
		f.remaining = size
		f.pad = int(-size & (blockSize - 1))
		return
	}
}

// Close marks the filter closed; see Filter.
func (f *filter) Close() error {
	f.closed.Store(true)
	return nil
}
