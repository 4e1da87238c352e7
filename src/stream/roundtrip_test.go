package stream_test

import (
	"archive/tar"
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/garden-windows/garden-windows-release/stream"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// longDir is a directory path over 260 characters: the old Windows
// MAX_PATH, which the Win32 APIs still apply to paths without \\?\.
var longDir = func() string {
	seg := strings.Repeat("long-directory-name-", 4)
	return "deep/" + seg + "1/" + seg + "2/" + seg + "3/" + seg + "4"
}()

// randomText is n deterministic pseudo-random bytes.
func randomText(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

// sampleEntries is a tree with what a round trip must keep: empty
// directories, long paths, non-ASCII names, modes and times.
func sampleEntries() []tentry {
	t := func(hours int) time.Time { return defaultTime.Add(time.Duration(hours) * time.Hour) }
	parents := func(p string) []tentry {
		var out []tentry
		parts := strings.Split(p, "/")
		for i := range parts {
			out = append(out, dirEntry("./"+strings.Join(parts[:i+1], "/")+"/").withTime(t(100+i)))
		}
		return out
	}
	entries := []tentry{
		dirEntry("./").withTime(t(1)),
		fileEntry("./top.txt", "top\n").withTime(t(2)),
		fileEntry("./empty-file", "").withTime(t(3)),
		dirEntry("./empty/").withTime(t(4)),
		dirEntry("./a/").withTime(t(5)),
		dirEntry("./a/b/").withTime(t(6)),
		dirEntry("./a/b/c/").withTime(t(7)).withMode(0o750),
		dirEntry("./bin/").withTime(t(8)),
		fileEntry("./bin/run.sh", "#!/bin/sh\necho hi\n").withMode(0o755).withTime(t(9)),
		fileEntry("./bin/secret", "s3cret").withMode(0o600).withTime(t(10)),
		fileEntry("./bin/read-only.txt", "do not touch").withMode(0o444).withTime(t(11)),
		fileEntry("./bin/group-writable.txt", "we share").withMode(0o664).withTime(t(20)),
		dirEntry("./private/").withMode(0o700).withTime(t(12)),
		fileEntry("./private/big.bin", randomText(1<<20+123, 7)).withTime(t(13)),
		dirEntry("./Résumé/").withTime(t(14)),
		fileEntry("./Résumé/日本語のファイル.txt", "こんにちは").withTime(t(15)),
		fileEntry("./Résumé/Ελληνικά και emoji 😀.md", "γεια").withTime(t(16)),
		dirEntry("./ñandú/").withTime(t(17)),
	}
	entries = append(entries, parents(longDir)...)
	entries = append(entries,
		fileEntry("./"+longDir+"/file-at-the-end-of-a-long-path.txt", "far away").withTime(t(18)),
		dirEntry("./"+longDir+"/empty-and-far/").withTime(t(19)),
	)
	return entries
}

// makeTree creates entries (directories, files, symlinks) under root with
// the os package, as a container's processes would.
func makeTree(root string, entries []tentry) {
	var dirs []tentry
	for _, e := range entries {
		p := filepath.Join(root, filepath.FromSlash(e.name))
		switch e.typ {
		case tar.TypeDir:
			Expect(os.MkdirAll(p, 0o755)).To(Succeed())
			dirs = append(dirs, e)
		case tar.TypeReg:
			Expect(os.WriteFile(p, []byte(e.body), 0o644)).To(Succeed())
			Expect(os.Chtimes(p, e.mtime, e.mtime)).To(Succeed())
			Expect(os.Chmod(p, os.FileMode(e.mode))).To(Succeed())
		case tar.TypeSymlink:
			symlink(filepath.FromSlash(e.link), p)
		}
	}
	for _, e := range slices.Backward(dirs) {
		p := filepath.Join(root, filepath.FromSlash(e.name))
		Expect(os.Chmod(p, os.FileMode(e.mode))).To(Succeed())
		Expect(os.Chtimes(p, e.mtime, e.mtime)).To(Succeed())
	}
}

var _ = Describe("round trips", func() {
	var base string

	BeforeEach(func() {
		base = GinkgoT().TempDir()
	})

	It("uses a path longer than 260 characters", func() {
		Expect(len(longDir)).To(BeNumerically(">", 300))
	})

	DescribeTable("In then Out give back the tree",
		func(format tar.Format) {
			entries := sampleEntries()
			data := buildTar(format, entries...)
			dest := filepath.Join(base, "not", "there", "yet")

			Expect(stream.In(bytes.NewReader(data), dest, stream.InOptions{})).To(Succeed())
			Expect(snapshot(dest)).To(Equal(entriesTree(entries...)))

			var out bytes.Buffer
			Expect(stream.Out(&out, dest, ".")).To(Succeed())
			Expect(tarTree(out.Bytes())).To(Equal(entriesTree(entries...)))
		},
		Entry("archive/tar's choice of format (USTAR, PAX where needed)", tar.FormatUnknown),
		Entry("PAX", tar.FormatPAX),
		Entry("GNU (long names as ././@LongLink entries)", tar.FormatGNU),
	)

	It("Out then In give back the tree", func() {
		entries := sampleEntries()
		src := filepath.Join(base, "src")
		makeTree(src, entries)
		Expect(snapshot(src)).To(Equal(entriesTree(entries...)))

		var out bytes.Buffer
		Expect(stream.Out(&out, src, ".")).To(Succeed())
		dest := filepath.Join(base, "dest")
		Expect(stream.In(&out, dest, stream.InOptions{})).To(Succeed())
		Expect(snapshot(dest)).To(Equal(snapshot(src)))
	})

	It("Out then In keep symlinks as symlinks", func() {
		requireSymlinks()
		entries := []tentry{
			dirEntry("./"),
			dirEntry("./sub/"),
			fileEntry("./sub/f.txt", "f"),
			fileEntry("./top.txt", "top"),
			symlinkEntry("./to-file", "sub/f.txt"),
			symlinkEntry("./sub/up", "../top.txt"),
			symlinkEntry("./to-dir", "sub"),
			symlinkEntry("./dangling", "not-there-yet"),
		}
		src := filepath.Join(base, "src")
		makeTree(src, entries)
		Expect(os.Chtimes(src, defaultTime, defaultTime)).To(Succeed())
		Expect(os.Chtimes(filepath.Join(src, "sub"), defaultTime, defaultTime)).To(Succeed())

		var out bytes.Buffer
		Expect(stream.Out(&out, src, ".")).To(Succeed())
		Expect(tarTree(out.Bytes())).To(Equal(entriesTree(entries...)))
		dest := filepath.Join(base, "dest")
		Expect(stream.In(&out, dest, stream.InOptions{})).To(Succeed())
		Expect(snapshot(dest)).To(Equal(snapshot(src)))
	})

	It("Out of a subdirectory names entries from it, and In puts them back", func() {
		entries := sampleEntries()
		src := filepath.Join(base, "src")
		makeTree(src, entries)

		var out bytes.Buffer
		Expect(stream.Out(&out, src, "Résumé")).To(Succeed())
		tree := tarTree(out.Bytes())
		Expect(tree).To(HaveKey("Résumé"))
		Expect(tree).To(HaveKey("Résumé/日本語のファイル.txt"))
		Expect(tree).To(HaveLen(3))

		dest := filepath.Join(base, "dest")
		Expect(stream.In(&out, dest, stream.InOptions{})).To(Succeed())
		Expect(snapshot(dest)).To(HaveLen(4), "dest itself and the three entries")
		want := snapshot(filepath.Join(src, "Résumé"))
		Expect(snapshot(filepath.Join(dest, "Résumé"))).To(Equal(want))
	})

	It("Out of one file at the end of a long path gives one entry with that name", func() {
		entries := sampleEntries()
		src := filepath.Join(base, "src")
		makeTree(src, entries)
		name := longDir + "/file-at-the-end-of-a-long-path.txt"

		var out bytes.Buffer
		Expect(stream.Out(&out, src, strings.ReplaceAll(name, "/", `\`))).To(Succeed())
		tree := tarTree(out.Bytes())
		Expect(tree).To(HaveLen(1))
		Expect(tree).To(HaveKeyWithValue(name, entriesTree(entries...)[name]))

		dest := filepath.Join(base, "dest")
		Expect(stream.In(&out, dest, stream.InOptions{})).To(Succeed())
		Expect(snapshot(dest)).To(HaveKeyWithValue(name, entriesTree(entries...)[name]))
	})
})
