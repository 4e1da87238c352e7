// Package stream moves files into and out of a Windows Server Container as
// tar streams: it is what gdn's stream-in and stream-out run (through
// nstar) once the caller has found the container's root directory on the
// host.
//
// It exists because that work crosses a security boundary. The tar comes
// from a client of the Garden API, and the container's file system is
// written by the container's processes, yet the extraction and the archiving
// run on the host with the host's privileges. A tar entry named
// `..\..\Windows\x` or `C:\x`, a symlink pointing out of the destination and
// then written through, or a junction the container planted in the path
// would otherwise let a client or a container write or read host files. So:
//
//   - [Resolve] maps a container path to a host path under the container's
//     root, refusing anything that leaves it and any existing symlink,
//     junction or other reparse point along the way;
//   - [In] extracts a tar under a destination directory and refuses, by
//     name, every entry that could write elsewhere or that Windows would
//     read differently from its name ([ValidateEntryName] and the rules on
//     links in [In]'s documentation); all file system access goes through an
//     [os.Root] opened on the destination, so even a container process that
//     swaps a directory for a symlink during the extraction cannot make it
//     write outside;
//   - [Out] archives a file or directory without ever following a symlink.
//
// Paths inside the container follow Windows rules on every GOOS (package
// winpath); host paths are those of the GOOS the code runs on. Both '/' and
// '\' separate names in tar entries, as they do for Windows.
package stream

import "errors"

// ErrUnsafeEntry is wrapped by the errors for tar entries that In refuses
// and by those of ValidateEntryName. The error quotes the entry's name.
var ErrUnsafeEntry = errors.New("unsafe tar entry")

// ErrUnsafePath is wrapped by the errors for paths that Resolve and Out
// refuse because they would leave the directory they are relative to, or
// pass through a symlink or other reparse point.
var ErrUnsafePath = errors.New("unsafe path")

// ErrTooLarge is wrapped by the error In returns when a stream would write
// more than InOptions.MaxBytes.
var ErrTooLarge = errors.New("stream too large")

// chunkSize is the size of In's and Out's buffers, so the most they read or
// write with one call. Larger writes save few system calls, and on Linux
// they make the page cache allocate large folios, which was several times
// slower in the virtual machine this was measured on (memory the guest had
// not touched yet). In's tar buffer is no larger, so that reads of file
// contents that size go straight into the copy buffer.
const chunkSize = 64 << 10
