package stream_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/garden-windows/garden-windows-release/stream"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// attackEnv is where an attack runs: dest is where the tar goes, outside
// a sibling directory holding sentinel.txt, which must never change, and
// top the test's temporary directory, two levels above both; nothing but
// dest's subtree may change under top.
type attackEnv struct {
	top, dest, outside string
}

// outsideName is the absolute path of a file in outside, written with
// forward slashes or with backslashes.
func (e attackEnv) outsideName(file string, backslashes bool) string {
	p := filepath.ToSlash(filepath.Join(e.outside, file))
	if backslashes {
		p = strings.ReplaceAll(p, "/", `\`)
	}
	return p
}

type attack struct {
	// entries builds the tar.
	entries func(e attackEnv) []tentry
	// entry is the name the error must quote (for absolute paths, a
	// function of the environment).
	entry    string
	entryFor func(e attackEnv) string
	// err is the sentinel the error must wrap: ErrUnsafeEntry unless set.
	err  error
	opts stream.InOptions
	// setup prepares dest before In runs.
	setup func(e attackEnv)
	// symlinks says the attack needs symlinks in the file system (made by
	// setup or by legitimate entries of the tar).
	symlinks bool
	// absent are paths (slash, relative to dest) that must not exist
	// after In.
	absent []string
}

func tarOf(es ...tentry) func(attackEnv) []tentry {
	return func(attackEnv) []tentry { return es }
}

func evil(name string) attack {
	return attack{entries: tarOf(fileEntry(name, "pwned")), entry: name}
}

var _ = Describe("In, given a hostile tar", func() {
	DescribeTable("stops at the unsafe entry, names it, and writes nothing outside dest",
		func(a attack) {
			if a.symlinks {
				requireSymlinks()
			}
			top := GinkgoT().TempDir()
			base := filepath.Join(top, "a", "b")
			env := attackEnv{top: top, dest: filepath.Join(base, "dest"), outside: filepath.Join(base, "outside")}
			Expect(os.MkdirAll(env.dest, 0o755)).To(Succeed())
			Expect(os.MkdirAll(env.outside, 0o755)).To(Succeed())
			Expect(os.WriteFile(filepath.Join(env.outside, "sentinel.txt"), []byte("untouched"), 0o644)).To(Succeed())
			if a.setup != nil {
				a.setup(env)
			}
			before := snapshot(top, "a/b/dest")

			data := buildTar(tar.FormatUnknown, a.entries(env)...)
			err := stream.In(bytes.NewReader(data), env.dest, a.opts)

			Expect(err).To(HaveOccurred())
			want := a.err
			if want == nil {
				want = stream.ErrUnsafeEntry
			}
			Expect(errors.Is(err, want)).To(BeTrue(), "the error wraps %v: %v", want, err)
			entry := a.entry
			if a.entryFor != nil {
				entry = a.entryFor(env)
			}
			Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("%q", entry)), "the error names the entry")
			Expect(snapshot(top, "a/b/dest")).To(Equal(before), "nothing outside dest changed")
			for _, p := range a.absent {
				_, err := os.Lstat(filepath.Join(env.dest, filepath.FromSlash(p)))
				Expect(os.IsNotExist(err)).To(BeTrue(), "%s must not exist in dest: %v", p, err)
			}
		},

		// Names that leave dest.
		Entry("dot-dot", evil("../outside/evil.txt")),
		Entry("dot-dot with backslashes", evil(`..\outside\evil.txt`)),
		Entry("dot-dot after a name", evil("x/../../outside/evil.txt")),
		Entry("dot-dot after a name, mixed separators", evil(`x\../..\outside/evil.txt`)),
		Entry("dot-dot at the end", evil("x/..")),
		Entry("absolute, slash", evil("/evil.txt")),
		Entry("absolute, backslash", evil(`\evil.txt`)),
		Entry("absolute path into the sibling directory", attack{
			entries:  func(e attackEnv) []tentry { return []tentry{fileEntry(e.outsideName("evil.txt", false), "pwned")} },
			entryFor: func(e attackEnv) string { return e.outsideName("evil.txt", false) },
		}),
		Entry("absolute path into the sibling directory, backslashes", attack{
			entries:  func(e attackEnv) []tentry { return []tentry{fileEntry(e.outsideName("evil.txt", true), "pwned")} },
			entryFor: func(e attackEnv) string { return e.outsideName("evil.txt", true) },
		}),
		Entry("drive-qualified absolute", evil(`C:\evil.txt`)),
		Entry("drive-qualified absolute, slash", evil(`c:/evil.txt`)),
		Entry("drive-relative", evil(`C:evil.txt`)),
		Entry("UNC", evil(`\\server\share\evil.txt`)),
		Entry("UNC with slashes", evil(`//server/share/evil.txt`)),
		Entry(`device path \\?\`, evil(`\\?\C:\evil.txt`)),
		Entry(`device path \\.\`, evil(`\\.\C:\evil.txt`)),

		// Names Windows reads differently from their text.
		Entry("alternate data stream", evil("file.txt:hidden")),
		Entry("alternate data stream of a directory", evil(`sub::$INDEX_ALLOCATION\evil.txt`)),
		Entry("reserved device name", evil("CON")),
		Entry("reserved device name with an extension, lower case", evil("sub/nul.txt")),
		Entry("reserved device name COM1", evil("COM1.log")),
		Entry("reserved device name LPT9 as a directory", evil("lpt9/evil.txt")),
		Entry("trailing dot", evil("evil.")),
		Entry("trailing space in a directory name", evil("sub /evil.txt")),
		Entry("control character", evil("evil\x01.txt")),
		Entry("newline", evil("evil\n.txt")),

		// Symlinks whose target leaves dest.
		Entry("symlink to an absolute path", attack{
			entries: func(e attackEnv) []tentry {
				return []tentry{symlinkEntry("link", e.outside), fileEntry("link/evil.txt", "pwned")}
			},
			entry:  "link",
			absent: []string{"link"},
		}),
		Entry("symlink to a drive", attack{entries: tarOf(symlinkEntry("link", `C:\Windows`)), entry: "link", absent: []string{"link"}}),
		Entry("symlink to a drive-relative path", attack{entries: tarOf(symlinkEntry("link", `C:Windows`)), entry: "link"}),
		Entry("symlink to a UNC path", attack{entries: tarOf(symlinkEntry("link", `\\server\share`)), entry: "link"}),
		Entry("symlink to a rooted path", attack{entries: tarOf(symlinkEntry("link", `\Windows`)), entry: "link"}),
		Entry("symlink climbing out", attack{
			entries: tarOf(symlinkEntry("link", "../outside"), fileEntry("link/evil.txt", "pwned")),
			entry:   "link",
			absent:  []string{"link"},
		}),
		Entry("symlink climbing out with backslashes", attack{entries: tarOf(symlinkEntry("link", `..\outside`)), entry: "link"}),
		Entry("symlink climbing out from a subdirectory", attack{
			entries: tarOf(dirEntry("a/"), dirEntry("a/b/"), symlinkEntry("a/b/link", "../../../outside/sentinel.txt")),
			entry:   "a/b/link",
		}),
		Entry("symlink whose target dips below dest and comes back", attack{
			entries: tarOf(symlinkEntry("link", "../dest/x")),
			entry:   "link",
		}),
		Entry("symlink chained through an earlier symlink and ..", attack{
			// sub/up is dest itself, so sub/up/../outside is the sibling
			// directory, though by its text it is sub/outside.
			entries: tarOf(
				dirEntry("sub/"),
				symlinkEntry("sub/up", ".."),
				symlinkEntry("sub/escape", "up/../outside"),
				fileEntry("sub/escape/evil.txt", "pwned"),
			),
			entry:    "sub/escape",
			symlinks: true,
			absent:   []string{"sub/escape"},
		}),
		Entry("symlink chained through a symlink to .", attack{
			entries: tarOf(
				symlinkEntry("here", "."),
				symlinkEntry("escape", "here/../../outside"),
			),
			entry:    "escape",
			symlinks: true,
		}),
		Entry("symlink to a symlink that was already in dest", attack{
			setup: func(e attackEnv) {
				symlink(e.outside, filepath.Join(e.dest, "planted"))
			},
			entries:  tarOf(symlinkEntry("innocent", "planted"), fileEntry("innocent/evil.txt", "pwned")),
			entry:    "innocent",
			symlinks: true,
			absent:   []string{"innocent"},
		}),

		// Writing through symlinks.
		Entry("write through a symlink an earlier entry created", attack{
			entries: tarOf(
				dirEntry("sub/"),
				symlinkEntry("link", "sub"),
				fileEntry("link/evil.txt", "pwned"),
			),
			entry:    "link/evil.txt",
			symlinks: true,
			absent:   []string{"sub/evil.txt"},
		}),
		Entry("write through a symlink an earlier entry created, backslash", attack{
			entries: tarOf(
				symlinkEntry("link", "."),
				fileEntry(`link\evil.txt`, "pwned"),
			),
			entry:    `link\evil.txt`,
			symlinks: true,
			absent:   []string{"evil.txt"},
		}),
		Entry("write through a symlink that was already in dest", attack{
			setup: func(e attackEnv) {
				symlink(e.outside, filepath.Join(e.dest, "planted"))
			},
			entries:  tarOf(fileEntry("planted/evil.txt", "pwned")),
			entry:    "planted/evil.txt",
			symlinks: true,
		}),
		Entry("write through a symlink that was already deeper in dest", attack{
			setup: func(e attackEnv) {
				Expect(os.MkdirAll(filepath.Join(e.dest, "app", "bin"), 0o755)).To(Succeed())
				symlink(filepath.Join("..", "..", "..", "outside"), filepath.Join(e.dest, "app", "bin", "planted"))
			},
			entries:  tarOf(dirEntry("app/"), fileEntry("app/bin/planted/sub/evil.txt", "pwned")),
			entry:    "app/bin/planted/sub/evil.txt",
			symlinks: true,
		}),
		Entry("make a directory through a symlink that was already in dest", attack{
			setup: func(e attackEnv) {
				symlink(e.outside, filepath.Join(e.dest, "planted"))
			},
			entries:  tarOf(dirEntry("planted/newdir/")),
			entry:    "planted/newdir/",
			symlinks: true,
		}),

		// Hard links.
		Entry("hard link climbing out", attack{
			entries: tarOf(hardLinkEntry("link", "../outside/sentinel.txt"), fileEntry("link", "pwned")),
			entry:   "link",
			absent:  []string{"link"},
		}),
		Entry("hard link to an absolute path", attack{
			entries: func(e attackEnv) []tentry {
				return []tentry{hardLinkEntry("link", e.outsideName("sentinel.txt", false))}
			},
			entry: "link",
		}),
		Entry("hard link to a file that was already in dest", attack{
			setup: func(e attackEnv) {
				Expect(os.WriteFile(filepath.Join(e.dest, "old.txt"), []byte("old"), 0o644)).To(Succeed())
			},
			entries: tarOf(hardLinkEntry("link", "old.txt")),
			entry:   "link",
		}),
		Entry("hard link to a later entry", attack{
			entries: tarOf(hardLinkEntry("link", "later.txt"), fileEntry("later.txt", "x")),
			entry:   "link",
		}),
		Entry("hard link to a symlink the stream created", attack{
			entries: tarOf(
				fileEntry("f.txt", "x"),
				symlinkEntry("s", "f.txt"),
				hardLinkEntry("link", "s"),
			),
			entry:    "link",
			symlinks: true,
		}),

		// Tar bombs.
		Entry("tar bomb: one file over MaxBytes", attack{
			entries: tarOf(fileEntry("small.txt", "ok"), tentry{name: "bomb.bin", typ: tar.TypeReg, size: 1 << 20, mode: 0o644, mtime: defaultTime}),
			entry:   "bomb.bin",
			err:     stream.ErrTooLarge,
			opts:    stream.InOptions{MaxBytes: 64 << 10},
			absent:  []string{"bomb.bin"},
		}),
		Entry("tar bomb: many files adding up over MaxBytes", attack{
			entries: func(attackEnv) []tentry {
				var es []tentry
				for i := range 10 {
					es = append(es, tentry{name: fmt.Sprintf("part-%d.bin", i), typ: tar.TypeReg, size: 10 << 10, mode: 0o644, mtime: defaultTime})
				}
				return es
			},
			entry:  "part-5.bin",
			err:    stream.ErrTooLarge,
			opts:   stream.InOptions{MaxBytes: 55 << 10},
			absent: []string{"part-5.bin", "part-6.bin"},
		}),

		// Entry types.
		Entry("character device", attack{entries: tarOf(tentry{name: "dev/evil", typ: tar.TypeChar, mode: 0o666}), entry: "dev/evil"}),
		Entry("block device", attack{entries: tarOf(tentry{name: "sda", typ: tar.TypeBlock, mode: 0o666}), entry: "sda"}),
		Entry("FIFO", attack{entries: tarOf(tentry{name: "fifo", typ: tar.TypeFifo, mode: 0o666}), entry: "fifo"}),
		Entry("a file named like dest itself", attack{entries: tarOf(fileEntry(".", "x")), entry: "."}),
	)

	It("has the limit in the tar bomb's error", func() {
		dest := filepath.Join(GinkgoT().TempDir(), "dest")
		data := buildTar(tar.FormatUnknown, tentry{name: "bomb.bin", typ: tar.TypeReg, size: 1 << 20, mode: 0o644, mtime: defaultTime})
		err := stream.In(bytes.NewReader(data), dest, stream.InOptions{MaxBytes: 65536})
		Expect(err).To(MatchError(ContainSubstring("limit of 65536 bytes")))
	})
})
