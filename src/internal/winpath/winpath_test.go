package winpath_test

import (
	"math/rand/v2"
	"strings"

	"github.com/garden-windows/garden-windows-release/internal/winpath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("VolumeName", func() {
	DescribeTable("returns the volume as spelled in the path",
		func(p, want string) {
			Expect(winpath.VolumeName(p)).To(Equal(want))
			Expect(strings.HasPrefix(p, want)).To(BeTrue())
		},
		Entry("empty", "", ""),
		Entry("relative", `foo\bar`, ""),
		Entry("rooted without drive", `\foo`, ""),
		Entry("drive, absolute", `C:\foo`, "C:"),
		Entry("drive, slash", `C:/foo`, "C:"),
		Entry("drive, lower case", `c:\foo`, "c:"),
		Entry("drive alone", `C:`, "C:"),
		Entry("drive-relative", `C:foo`, "C:"),
		Entry("digit is no drive letter", `1:\foo`, ""),
		Entry("non-ASCII letter is no drive letter", `é:\foo`, ""),
		Entry("colon later", `foo:bar`, ""),
		Entry("UNC", `\\server\share\foo`, `\\server\share`),
		Entry("UNC with slashes", `//server/share/foo`, `//server/share`),
		Entry("UNC share root", `\\server\share\`, `\\server\share`),
		Entry("UNC server only", `\\server`, `\\server`),
		Entry("UNC server only, trailing separator", `\\server\`, `\\server`),
		Entry("UNC doubled separator before share", `\\server\\share\x`, `\\server\\share`),
		Entry("three separators are no UNC path", `\\\foo`, ""),
		Entry("two separators alone", `\\`, ""),
		Entry("device path with drive", `\\?\C:\foo`, `\\?\C:`),
		Entry("device path with drive, dot form", `\\.\C:\foo`, `\\.\C:`),
		Entry("device path with slashes", `//?/C:/foo`, `//?/C:`),
		Entry("device path with volume GUID", `\\?\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\x`, `\\?\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}`),
		Entry("device path with UNC", `\\?\UNC\server\share\foo`, `\\?\UNC\server\share`),
		Entry("device path with lower-case unc", `\\?\unc\server\share`, `\\?\unc\server\share`),
		Entry("device path with UNC, server only", `\\?\UNC\server`, `\\?\UNC\server`),
		Entry("named pipe", `\\.\pipe\name`, `\\.\pipe`),
		Entry("device prefix alone", `\\?\`, `\\?\`),
		Entry("NT prefix is not recognized", `\??\C:\foo`, ""),
	)
})

var _ = Describe("IsAbs", func() {
	DescribeTable("tells absolute paths from the rest",
		func(p string, want bool) {
			Expect(winpath.IsAbs(p)).To(Equal(want))
		},
		Entry("drive root", `C:\`, true),
		Entry("drive root, slash", `C:/`, true),
		Entry("drive path", `c:\foo\bar`, true),
		Entry("UNC share", `\\server\share`, true),
		Entry("UNC path", `\\server\share\foo`, true),
		Entry("device path", `\\?\C:\foo`, true),
		Entry("device UNC path", `\\?\UNC\server\share\foo`, true),
		Entry("volume GUID path", `\\?\Volume{guid}\foo`, true),
		Entry("pipe", `\\.\pipe\foo`, true),
		Entry("bare drive", `C:`, false),
		Entry("drive-relative", `C:foo`, false),
		Entry("drive-relative with dot-dot", `C:..\foo`, false),
		Entry("rooted without drive", `\foo`, false),
		Entry("rooted with slash", `/foo`, false),
		Entry("relative", `foo\bar`, false),
		Entry("dot", `.`, false),
		Entry("dot-dot", `..\foo`, false),
		Entry("empty", ``, false),
	)
})

var _ = Describe("Clean", func() {
	DescribeTable("returns the shortest equivalent path",
		func(p, want string) {
			Expect(winpath.Clean(p)).To(Equal(want))
			Expect(winpath.Clean(want)).To(Equal(want), "Clean is idempotent")
		},
		Entry("empty", ``, `.`),
		Entry("dot", `.`, `.`),
		Entry("name and dot-dot", `a\..`, `.`),
		Entry("slash becomes backslash", `a/b`, `a\b`),
		Entry("repeated and trailing separators", `a//b\\\c\`, `a\b\c`),
		Entry("leading dot", `.\a`, `a`),
		Entry("relative dot-dot is kept", `..\a`, `..\a`),
		Entry("relative dot-dot beyond start", `a\..\..\b`, `..\b`),
		Entry("several dot-dots", `..\..\a\..`, `..\..`),
		Entry("root", `\`, `\`),
		Entry("slash root", `/`, `\`),
		Entry("dot-dot at root", `\..`, `\`),
		Entry("dot-dot beyond root", `\a\..\..\b`, `\b`),
		Entry("three leading separators", `\\\a`, `\a`),
		Entry("bare drive", `C:`, `C:`),
		Entry("drive dot", `C:.`, `C:`),
		Entry("drive root", `C:\`, `C:\`),
		Entry("drive root with slash", `C:/`, `C:\`),
		Entry("drive root doubled", `C:\\`, `C:\`),
		Entry("dot-dot at drive root", `C:\..`, `C:\`),
		Entry("never climbs above the drive root", `C:\a\..\..\..\b`, `C:\b`),
		Entry("dots and trailing separator", `C:\a\.\b\`, `C:\a\b`),
		Entry("drive-relative dot-dot is kept", `C:a\..\..`, `C:..`),
		Entry("drive-relative", `C:..\x`, `C:..\x`),
		Entry("case is kept", `c:\Foo\BAR`, `c:\Foo\BAR`),
		Entry("mixed separators", `C:/Users\vcap/app`, `C:\Users\vcap\app`),
		Entry("UNC share", `\\server\share`, `\\server\share`),
		Entry("UNC share root", `\\server\share\`, `\\server\share\`),
		Entry("UNC never climbs above the share", `\\server\share\..\..\x`, `\\server\share\x`),
		Entry("UNC with slashes", `//server/share/a/../b`, `\\server\share\b`),
		Entry("UNC doubled separators", `\\server\\share\\x`, `\\server\share\x`),
		Entry("UNC server only", `\\server\`, `\\server\`),
		Entry("device path", `\\?\C:\a\..\b`, `\\?\C:\b`),
		Entry("device path root", `\\?\C:\..`, `\\?\C:\`),
		Entry("device path without separator", `\\?\C:`, `\\?\C:`),
		Entry("device UNC never climbs above the share", `\\?\UNC\s\sh\..\..`, `\\?\UNC\s\sh\`),
		Entry("device path with slashes", `//./pipe/x`, `\\.\pipe\x`),
		Entry("device prefix with doubled separator", `\\?\\C:\x`, `\\?\C:\x`),
		Entry("a name that looks like a drive stays relative", `a\..\C:\x`, `.\C:\x`),
		Entry("drive-like name after dot", `.\C:x`, `.\C:x`),
		Entry("colon in a later name", `a\C:`, `a\C:`),
		Entry("unicode", `C:\Résumé\..\日本`, `C:\日本`),
		Entry("names with dots are names", `C:\a\...\b.`, `C:\a\...\b.`),
	)
})

var _ = Describe("Join", func() {
	DescribeTable("joins and cleans",
		func(elem []string, want string) {
			Expect(winpath.Join(elem...)).To(Equal(want))
		},
		Entry("nothing", []string{}, ``),
		Entry("only empty", []string{"", ""}, ``),
		Entry("two names", []string{"a", "b"}, `a\b`),
		Entry("empty elements are skipped", []string{"", "a", "", "b", ""}, `a\b`),
		Entry("drive root", []string{`C:\`, "x"}, `C:\x`),
		Entry("bare drive gives drive-relative", []string{"C:", "x"}, `C:x`),
		Entry("bare drive and rooted element", []string{"C:", `\x`}, `C:\x`),
		Entry("dot-dot stops at the root", []string{`C:\a`, `..\..\b`}, `C:\b`),
		Entry("slashes", []string{"C:/a/", "/b/"}, `C:\a\b`),
		Entry("does not make a UNC path", []string{`\`, "server", "share"}, `\server\share`),
		Entry("does not make a UNC path from a rooted element", []string{`\`, `\server\share`}, `\server\share`),
		Entry("UNC", []string{`\\server\share`, "x"}, `\\server\share\x`),
		Entry("UNC server and share", []string{`\\server`, "share", "x"}, `\\server\share\x`),
		Entry("later absolute element is appended", []string{`C:\a`, `D:\b`}, `C:\a\D:\b`),
		Entry("later drive is appended", []string{"a", `C:\b`}, `a\C:\b`),
		Entry("relative result that looks like a drive", []string{"a", "..", "C:x"}, `.\C:x`),
		Entry("device prefix", []string{`\\?\`, "C:", "x"}, `\\?\C:\x`),
	)
})

var _ = Describe("IsDriveRoot", func() {
	DescribeTable("recognizes the root of a drive",
		func(p string, want bool) {
			Expect(winpath.IsDriveRoot(p)).To(Equal(want))
		},
		Entry("backslash", `C:\`, true),
		Entry("lower case and slash", `c:/`, true),
		Entry("bare drive", `C:`, true),
		Entry("drive dot", `C:.`, true),
		Entry("root dot", `C:\.`, true),
		Entry("root dot-dot", `C:\..`, true),
		Entry("name and dot-dot", `C:\foo\..`, true),
		Entry("doubled separator", `C:\\`, true),
		Entry("device path", `\\?\C:\`, true),
		Entry("device path without separator", `\\.\C:`, true),
		Entry("directory", `C:\foo`, false),
		Entry("directory with trailing separator", `C:\foo\`, false),
		Entry("drive-relative name", `C:foo`, false),
		Entry("drive-relative dot-dot", `C:..`, false),
		Entry("rooted without drive", `\`, false),
		Entry("UNC share", `\\server\share\`, false),
		Entry("volume GUID", `\\?\Volume{guid}\`, false),
		Entry("device path directory", `\\?\C:\foo`, false),
		Entry("empty", ``, false),
		Entry("relative", `foo`, false),
	)
})

var _ = Describe("Within", func() {
	DescribeTable("reports containment",
		func(root, p string, want bool) {
			Expect(winpath.Within(root, p)).To(Equal(want))
		},
		Entry("same path", `C:\foo`, `C:\foo`, true),
		Entry("child", `C:\foo`, `C:\foo\bar`, true),
		Entry("deep child", `C:\foo`, `C:\foo\bar\baz\qux.txt`, true),
		Entry("different case", `C:\foo`, `c:\FOO\bar`, true),
		Entry("different case outside ASCII", `C:\Résumé`, `C:\RÉSUMÉ\x`, true),
		Entry("separators and trailing separators", `C:\foo\`, `C:/foo/bar/`, true),
		Entry("drive root contains everything on the drive", `C:\`, `C:\anything\at\all`, true),
		Entry("dot-dot that stays inside", `C:\foo`, `C:\foo\bar\..\baz`, true),
		Entry("uncleaned root", `C:\foo\.\bar\..`, `C:\foo\x`, true),
		Entry("name with a dot inside", `C:\foo`, `C:\foo\bar.txt`, true),
		Entry("UNC", `\\server\share`, `\\SERVER\Share\x`, true),
		Entry("UNC share root", `\\server\share\`, `\\server\share`, true),
		Entry("device path", `\\?\C:\foo`, `\\?\c:\foo\x`, true),
		Entry("prefix of a name", `C:\foo`, `C:\foobar`, false),
		Entry("prefix of a name, with separator", `C:\foo\`, `C:\foobar\x`, false),
		Entry("dot-dot into a sibling", `C:\foo`, `C:\foo\..\foobar`, false),
		Entry("dot-dot to the parent", `C:\foo`, `C:\foo\..`, false),
		Entry("dot-dot far beyond the root", `C:\foo`, `C:\foo\..\..\..\foo2`, false),
		Entry("parent", `C:\foo\bar`, `C:\foo`, false),
		Entry("drive root", `C:\foo`, `C:\`, false),
		Entry("other drive", `C:\foo`, `D:\foo\x`, false),
		Entry("UNC with the same names", `C:\foo`, `\\server\share\foo`, false),
		Entry("other UNC share", `\\server\share`, `\\server\other\x`, false),
		Entry("other spelling of the volume", `C:\foo`, `\\?\C:\foo\x`, false),
		Entry("relative path", `C:\foo`, `C:foo\x`, false),
		Entry("relative root", `C:foo`, `C:foo\x`, false),
		Entry("relative names", `foo`, `foo\x`, false),
		Entry("rooted paths without drive", `\foo`, `\foo\x`, false),
		Entry("trailing dot below root", `C:\foo`, `C:\foo\bar.`, false),
		Entry("trailing space below root", `C:\foo`, `C:\foo\bar `, false),
		Entry("dot-dot with trailing space", `C:\foo`, `C:\foo\.. `, false),
		Entry("three dots", `C:\foo`, `C:\foo\...`, false),
		Entry("Kelvin sign is not k for NTFS", `C:\k`, "C:\\\u212a\\x", false),
		Entry("empty path", `C:\foo`, ``, false),
	)
})

var _ = Describe("EqualFold", func() {
	DescribeTable("compares cleaned paths without regard to case",
		func(a, b string, want bool) {
			Expect(winpath.EqualFold(a, b)).To(Equal(want))
			Expect(winpath.EqualFold(b, a)).To(Equal(want), "symmetric")
		},
		Entry("case and separators", `C:\Foo\`, `c:/foo`, true),
		Entry("dot-dot", `C:\a\..\b`, `c:\B`, true),
		Entry("UNC with and without root separator", `\\server\share`, `\\SERVER\share\`, true),
		Entry("unicode case", `C:\é`, `C:\É`, true),
		Entry("relative", `a\b`, `A/B/`, true),
		Entry("empty and dot", ``, `.`, true),
		Entry("invalid UTF-8, same bytes", "C:\\\xff", "c:\\\xff", true),
		Entry("invalid UTF-8, different bytes", "C:\\\xff", "C:\\\xfe", false),
		Entry("drive-relative and absolute", `C:x`, `C:\x`, false),
		Entry("bare drive and drive root", `C:`, `C:\`, false),
		Entry("rooted and relative", `\x`, `x`, false),
		Entry("volume spelled differently", `C:\x`, `\\?\C:\x`, false),
		Entry("Kelvin sign", `C:\k`, "C:\\\u212a", false),
		Entry("parent and child", `C:\a`, `C:\a\b`, false),
		Entry("trailing dot", `C:\foo`, `C:\foo.`, false),
	)
})

var _ = Describe("ToSlash and FromSlash", func() {
	It("swap the separators", func() {
		Expect(winpath.ToSlash(`C:\a/b\c`)).To(Equal(`C:/a/b/c`))
		Expect(winpath.FromSlash(`C:\a/b\c`)).To(Equal(`C:\a\b\c`))
	})
})

var _ = Describe("properties", func() {
	// Pieces chosen to produce volumes, separators, dots and drive-like
	// names in every combination.
	pieces := []string{`a`, `B`, `é`, `\`, `/`, `\\`, `.`, `..`, `:`, `C:`, `?`, ` `, `UNC`}
	randomPath := func(r *rand.Rand) string {
		var b strings.Builder
		for n := r.IntN(10); n > 0; n-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}

	It("hold for random paths", func() {
		r := rand.New(rand.NewPCG(1, 2))
		for range 20000 {
			p := randomPath(r)
			c := winpath.Clean(p)
			Expect(winpath.Clean(c)).To(Equal(c), "Clean(Clean(%q))", p)
			Expect(winpath.EqualFold(p, c)).To(BeTrue(), "EqualFold(%q, Clean)", p)
			Expect(winpath.IsAbs(c)).To(Equal(winpath.IsAbs(p)), "IsAbs(%q) and IsAbs(%q)", p, c)
			Expect(winpath.IsDriveRoot(c)).To(Equal(winpath.IsDriveRoot(p)), "IsDriveRoot(%q)", p)
			Expect(winpath.Within(p, p)).To(Equal(winpath.IsAbs(p)), "Within(%q, itself)", p)
			Expect(strings.ContainsRune(c, '/')).To(BeFalse(), "Clean(%q) = %q", p, c)

			q := randomPath(r)
			if j := winpath.Join(p, q); p != "" || q != "" {
				Expect(winpath.Clean(j)).To(Equal(j), "Join(%q, %q) is clean", p, q)
			}
		}
	})

	It("keep joined paths within their root", func() {
		r := rand.New(rand.NewPCG(3, 4))
		volumes := []string{`C:\`, `c:/`, `\\srv\sh`, `//srv/sh/`, `\\?\C:\`, `\\.\Volume{x}`, `\\?\UNC\srv\sh`}
		// No dots and no spaces, so that nothing climbs out and no name
		// ends in a way Within refuses.
		names := []string{`a`, `B`, `é`, `\`, `/`, `:`, `?`, `C:`}
		randomNames := func() string {
			var b strings.Builder
			for n := r.IntN(6); n > 0; n-- {
				b.WriteString(names[r.IntN(len(names))])
			}
			return b.String()
		}
		for range 20000 {
			root := volumes[r.IntN(len(volumes))] + randomNames()
			q := randomNames()
			j := winpath.Join(root, q)
			Expect(winpath.Within(root, j)).To(BeTrue(), "Within(%q, Join(%q, %q))", root, root, q)
			Expect(winpath.Within(winpath.Join(root, "x"), root)).To(BeFalse(), "Within(Join(%q, x), itself)", root)
		}
	})
})
