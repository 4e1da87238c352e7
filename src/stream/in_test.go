package stream_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"

	"github.com/garden-windows/garden-windows-release/stream"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("In", func() {
	var base, dest, outside string

	BeforeEach(func() {
		base = GinkgoT().TempDir()
		dest = filepath.Join(base, "dest")
		outside = filepath.Join(base, "outside")
		Expect(os.MkdirAll(dest, 0o755)).To(Succeed())
		Expect(os.MkdirAll(outside, 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(outside, "sentinel.txt"), []byte("untouched"), 0o644)).To(Succeed())
	})

	in := func(opts stream.InOptions, entries ...tentry) error {
		return stream.In(bytes.NewReader(buildTar(tar.FormatUnknown, entries...)), dest, opts)
	}
	read := func(p string) string {
		b, err := os.ReadFile(p)
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		return string(b)
	}

	It("creates missing parent directories of an entry", func() {
		Expect(in(stream.InOptions{}, fileEntry("x/y/z.txt", "z"))).To(Succeed())
		Expect(read(filepath.Join(dest, "x", "y", "z.txt"))).To(Equal("z"))
	})

	It("replaces an existing file without writing through its hard links", func() {
		Expect(os.Link(filepath.Join(outside, "sentinel.txt"), filepath.Join(dest, "f.txt"))).To(Succeed())
		Expect(in(stream.InOptions{}, fileEntry("f.txt", "new"))).To(Succeed())
		Expect(read(filepath.Join(dest, "f.txt"))).To(Equal("new"))
		Expect(read(filepath.Join(outside, "sentinel.txt"))).To(Equal("untouched"))
	})

	It("replaces an existing read-only file", func() {
		p := filepath.Join(dest, "ro.txt")
		Expect(os.WriteFile(p, []byte("old"), 0o444)).To(Succeed())
		Expect(in(stream.InOptions{}, fileEntry("ro.txt", "new").withMode(0o444))).To(Succeed())
		Expect(read(p)).To(Equal("new"))
		fi, err := os.Stat(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(fi.Mode().Perm() & 0o200).To(BeZero())
	})

	It("replaces an existing symlink instead of writing through it", func() {
		requireSymlinks()
		symlink(filepath.Join(outside, "sentinel.txt"), filepath.Join(dest, "f.txt"))
		Expect(in(stream.InOptions{}, fileEntry("f.txt", "new"))).To(Succeed())
		fi, err := os.Lstat(filepath.Join(dest, "f.txt"))
		Expect(err).NotTo(HaveOccurred())
		Expect(fi.Mode().IsRegular()).To(BeTrue())
		Expect(read(filepath.Join(outside, "sentinel.txt"))).To(Equal("untouched"))
	})

	It("replaces an existing symlink with a directory entry", func() {
		requireSymlinks()
		symlink(outside, filepath.Join(dest, "d"))
		Expect(in(stream.InOptions{}, dirEntry("d/"), fileEntry("d/x.txt", "x"))).To(Succeed())
		fi, err := os.Lstat(filepath.Join(dest, "d"))
		Expect(err).NotTo(HaveOccurred())
		Expect(fi.IsDir()).To(BeTrue())
		Expect(snapshot(outside)).To(HaveLen(2), "outside and its sentinel only")
	})

	It("refuses a file where a directory is, naming the entry", func() {
		Expect(os.MkdirAll(filepath.Join(dest, "d", "keep"), 0o755)).To(Succeed())
		err := in(stream.InOptions{}, fileEntry("d", "x"))
		Expect(err).To(MatchError(ContainSubstring(`"d"`)))
		Expect(filepath.Join(dest, "d", "keep")).To(BeADirectory())
	})

	It("keeps what an existing directory holds", func() {
		Expect(os.MkdirAll(filepath.Join(dest, "d"), 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dest, "d", "old.txt"), []byte("old"), 0o644)).To(Succeed())
		Expect(in(stream.InOptions{}, dirEntry("d/"), fileEntry("d/new.txt", "new"))).To(Succeed())
		Expect(read(filepath.Join(dest, "d", "old.txt"))).To(Equal("old"))
		Expect(read(filepath.Join(dest, "d", "new.txt"))).To(Equal("new"))
	})

	It("makes hard links to earlier entries", func() {
		Expect(in(stream.InOptions{},
			dirEntry("a/"),
			fileEntry("a/one.txt", "same"),
			hardLinkEntry("two.txt", "a/one.txt"),
			hardLinkEntry(`b\three.txt`, `./a\one.txt`),
		)).To(Succeed())
		one, err := os.Stat(filepath.Join(dest, "a", "one.txt"))
		Expect(err).NotTo(HaveOccurred())
		for _, p := range []string{"two.txt", filepath.Join("b", "three.txt")} {
			other, err := os.Stat(filepath.Join(dest, p))
			Expect(err).NotTo(HaveOccurred())
			Expect(os.SameFile(one, other)).To(BeTrue(), p)
		}
	})

	It("makes symlinks that stay inside, cleaning their targets", func() {
		requireSymlinks()
		Expect(in(stream.InOptions{},
			dirEntry("sub/"),
			fileEntry("sub/f.txt", "f"),
			symlinkEntry("to-file", "sub/f.txt"),
			symlinkEntry("to-link", "to-file"),
			symlinkEntry("sub/up", ".."),
			symlinkEntry("sub/roundabout", `../sub/./x/../f.txt`),
			symlinkEntry("dangling", "later/x"),
		)).To(Succeed())
		readlink := func(p string) string {
			target, err := os.Readlink(filepath.Join(dest, filepath.FromSlash(p)))
			ExpectWithOffset(1, err).NotTo(HaveOccurred())
			return filepath.ToSlash(target)
		}
		Expect(readlink("to-file")).To(Equal("sub/f.txt"))
		Expect(readlink("to-link")).To(Equal("to-file"))
		Expect(readlink("sub/up")).To(Equal(".."))
		Expect(readlink("sub/roundabout")).To(Equal("f.txt"))
		Expect(readlink("dangling")).To(Equal("later/x"))
		Expect(read(filepath.Join(dest, "to-link"))).To(Equal("f"))
	})

	It("sets the destination's own time from a ./ entry", func() {
		Expect(in(stream.InOptions{}, dirEntry("./"), fileEntry("./x", "x"))).To(Succeed())
		fi, err := os.Stat(dest)
		Expect(err).NotTo(HaveOccurred())
		Expect(fi.ModTime().Unix()).To(Equal(defaultTime.Unix()))
	})

	It("ignores PAX global headers", func() {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		Expect(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "global", PAXRecords: map[string]string{"comment": "hi"}})).To(Succeed())
		Expect(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "x", Size: 1, Mode: 0o644})).To(Succeed())
		_, err := tw.Write([]byte("x"))
		Expect(err).NotTo(HaveOccurred())
		Expect(tw.Close()).To(Succeed())
		Expect(stream.In(&buf, dest, stream.InOptions{})).To(Succeed())
		Expect(read(filepath.Join(dest, "x"))).To(Equal("x"))
	})

	It("writes up to MaxBytes exactly", func() {
		Expect(in(stream.InOptions{MaxBytes: 6}, fileEntry("a", "abc"), fileEntry("b", "def"))).To(Succeed())
		err := in(stream.InOptions{MaxBytes: 6}, fileEntry("a", "abc"), fileEntry("b", "defg"))
		Expect(err).To(MatchError(stream.ErrTooLarge))
	})

	It("reports a truncated tar", func() {
		data := buildTar(tar.FormatUnknown, fileEntry("big", randomText(10000, 1)))
		err := stream.In(bytes.NewReader(data[:4096]), dest, stream.InOptions{})
		Expect(err).To(MatchError(ContainSubstring(`"big"`)))
	})

	It("refuses a destination that is a symlink", func() {
		requireSymlinks()
		link := filepath.Join(base, "link")
		symlink(outside, link)
		err := stream.In(bytes.NewReader(buildTar(tar.FormatUnknown, fileEntry("x", "x"))), link, stream.InOptions{})
		Expect(err).To(MatchError(stream.ErrUnsafePath))
		Expect(snapshot(outside)).To(HaveLen(2))
	})

	Describe("Grant", func() {
		var granted []string
		grant := func(p string) error {
			granted = append(granted, p)
			return nil
		}

		BeforeEach(func() {
			granted = nil
		})

		It("is called once, with the destination, after the extraction", func() {
			Expect(in(stream.InOptions{Grant: func(p string) error {
				Expect(filepath.Join(p, "a", "b.txt")).To(BeARegularFile(), "called after the entries are written")
				return grant(p)
			}}, fileEntry("a/b.txt", "b"), fileEntry("c.txt", "c"))).To(Succeed())
			Expect(granted).To(Equal([]string{dest}))
		})

		It("is called also when an entry stops the stream, for what was written", func() {
			err := in(stream.InOptions{Grant: grant}, fileEntry("ok.txt", "ok"), fileEntry("../evil", "x"))
			Expect(err).To(MatchError(stream.ErrUnsafeEntry))
			Expect(granted).To(Equal([]string{dest}))
			Expect(filepath.Join(dest, "ok.txt")).To(BeARegularFile())
		})

		It("reports its error", func() {
			err := in(stream.InOptions{Grant: func(string) error { return errors.New("no ACL for you") }}, fileEntry("x", "x"))
			Expect(err).To(MatchError(ContainSubstring("no ACL for you")))
		})
	})
})
