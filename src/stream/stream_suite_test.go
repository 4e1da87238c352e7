package stream_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestStream(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "stream")
}

var (
	symlinkProbe     sync.Once
	symlinkSkipCause string
)

// requireSymlinks skips the current spec where the test cannot make
// symlinks: on Windows without the privilege (ERROR_PRIVILEGE_NOT_HELD,
// unless Developer Mode is on), and under Wine, whose os.Symlink reports
// success and makes nothing.
func requireSymlinks() {
	symlinkProbe.Do(func() {
		dir, err := os.MkdirTemp("", "stream-symlink-probe")
		Expect(err).NotTo(HaveOccurred())
		defer os.RemoveAll(dir)
		link := filepath.Join(dir, "link")
		if err := os.Symlink("target", link); err != nil {
			// 1314 is ERROR_PRIVILEGE_NOT_HELD.
			if runtime.GOOS == "windows" && errors.Is(err, syscall.Errno(1314)) {
				symlinkSkipCause = "creating symlinks needs SeCreateSymbolicLinkPrivilege (run as administrator or turn on Developer Mode): " + err.Error()
				return
			}
			Fail("os.Symlink failed: " + err.Error())
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			symlinkSkipCause = "os.Symlink reported success but made no symlink (Wine does this)"
		}
	})
	if symlinkSkipCause != "" {
		Skip(symlinkSkipCause)
	}
}

// symlink makes a symlink for a spec that has called requireSymlinks.
func symlink(target, link string) {
	Expect(os.Symlink(target, link)).To(Succeed())
}

// tentry is one tar entry a test writes.
type tentry struct {
	name  string
	typ   byte
	body  string
	mode  int64
	mtime time.Time
	link  string
	size  int64 // when body is "", the size to write as zeros
}

var defaultTime = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

func fileEntry(name, body string) tentry {
	return tentry{name: name, typ: tar.TypeReg, body: body, mode: 0o644, mtime: defaultTime}
}

func dirEntry(name string) tentry {
	return tentry{name: name, typ: tar.TypeDir, mode: 0o755, mtime: defaultTime}
}

func symlinkEntry(name, target string) tentry {
	return tentry{name: name, typ: tar.TypeSymlink, link: target, mode: 0o777, mtime: defaultTime}
}

func hardLinkEntry(name, target string) tentry {
	return tentry{name: name, typ: tar.TypeLink, link: target, mode: 0o644, mtime: defaultTime}
}

func (e tentry) withMode(mode int64) tentry { e.mode = mode; return e }

func (e tentry) withTime(t time.Time) tentry { e.mtime = t; return e }

// buildTar writes entries as a tar in the given format (FormatUnknown lets
// archive/tar choose).
func buildTar(format tar.Format, entries ...tentry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		size := int64(len(e.body))
		if e.body == "" {
			size = e.size
		}
		if e.typ != tar.TypeReg {
			size = 0
		}
		hdr := &tar.Header{
			Typeflag: e.typ,
			Name:     e.name,
			Linkname: e.link,
			Size:     size,
			Mode:     e.mode,
			ModTime:  e.mtime,
			Format:   format,
		}
		ExpectWithOffset(1, tw.WriteHeader(hdr)).To(Succeed(), "writing the header of %q", e.name)
		if e.body != "" {
			_, err := io.WriteString(tw, e.body)
			ExpectWithOffset(1, err).NotTo(HaveOccurred())
		} else if size > 0 {
			_, err := io.CopyN(tw, zeros{}, size)
			ExpectWithOffset(1, err).NotTo(HaveOccurred())
		}
	}
	ExpectWithOffset(1, tw.Close()).To(Succeed())
	return buf.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// node is what a test compares of one file.
type node struct {
	Kind   string // dir, file, symlink
	Mode   fs.FileMode
	MTime  int64 // seconds; not compared for symlinks
	Body   string
	Target string
}

func (n node) String() string {
	body := n.Body
	if len(body) > 40 {
		body = fmt.Sprintf("%s... (%d bytes)", body[:40], len(body))
	}
	return fmt.Sprintf("%s mode=%v mtime=%d body=%q target=%q", n.Kind, n.Mode, n.MTime, body, n.Target)
}

// portable drops what the OS cannot represent: on Windows a file's mode
// is only its read-only attribute (Go shows 0444 or 0666) and a directory's
// is always 0777; symlinks have no mode or time worth comparing.
func portable(n node) node {
	switch {
	case n.Kind == "symlink":
		n.Mode, n.MTime = 0, 0
	case runtime.GOOS == "windows" && n.Kind == "file":
		if n.Mode&0o200 == 0 {
			n.Mode = 0o444
		} else {
			n.Mode = 0o666
		}
	case runtime.GOOS == "windows" && n.Kind == "dir":
		n.Mode = 0
	}
	return n
}

// snapshot describes the tree under root, without following symlinks,
// keyed by slash paths relative to root ("." for root). Paths under skip
// (relative to root) are left out.
func snapshot(root string, skip ...string) map[string]node {
	tree := map[string]node{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		for _, s := range skip {
			if rel == s {
				return filepath.SkipDir
			}
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		n := node{Mode: fi.Mode().Perm(), MTime: fi.ModTime().Unix()}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			n.Kind = "symlink"
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			n.Target = filepath.ToSlash(target)
		case fi.IsDir():
			n.Kind = "dir"
		case fi.Mode().IsRegular():
			n.Kind = "file"
			body, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n.Body = string(body)
		default:
			n.Kind = fi.Mode().Type().String()
		}
		tree[rel] = portable(n)
		return nil
	})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return tree
}

// tarTree describes a tar the way snapshot describes a tree: names
// cleaned ("./a/" is "a"), the root entry as ".".
func tarTree(data []byte) map[string]node {
	tree := map[string]node{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		name := strings.TrimSuffix(hdr.Name, "/")
		name = strings.TrimPrefix(name, "./")
		if name == "" || name == "." {
			name = "."
		}
		n := node{Mode: fs.FileMode(hdr.Mode).Perm(), MTime: hdr.ModTime.Unix()}
		switch hdr.Typeflag {
		case tar.TypeDir:
			n.Kind = "dir"
			ExpectWithOffset(1, hdr.Name).To(HaveSuffix("/"), "directory names end in a slash")
		case tar.TypeReg:
			n.Kind = "file"
			body, err := io.ReadAll(tr)
			ExpectWithOffset(1, err).NotTo(HaveOccurred())
			n.Body = string(body)
		case tar.TypeSymlink:
			n.Kind = "symlink"
			n.Target = hdr.Linkname
		default:
			n.Kind = fmt.Sprintf("type %q", hdr.Typeflag)
		}
		ExpectWithOffset(1, tree).NotTo(HaveKey(name), "entry %q appears twice", hdr.Name)
		tree[name] = portable(n)
	}
	return tree
}

// entriesTree is the tree a list of entries (dirs, files, symlinks) should
// extract to.
func entriesTree(entries ...tentry) map[string]node {
	tree := map[string]node{}
	for _, e := range entries {
		name := strings.Trim(strings.TrimPrefix(e.name, "./"), "/")
		if name == "" || name == "." {
			name = "."
		}
		n := node{Mode: fs.FileMode(e.mode).Perm(), MTime: e.mtime.Unix()}
		switch e.typ {
		case tar.TypeDir:
			n.Kind = "dir"
		case tar.TypeReg:
			n.Kind = "file"
			n.Body = e.body
		case tar.TypeSymlink:
			n.Kind = "symlink"
			n.Target = e.link
		}
		tree[name] = portable(n)
	}
	return tree
}
