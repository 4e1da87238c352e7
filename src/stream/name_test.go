package stream_test

import (
	"fmt"

	"github.com/garden-windows/garden-windows-release/stream"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("ValidateEntryName", func() {
	DescribeTable("accepts",
		func(name string) {
			Expect(stream.ValidateEntryName(name)).To(Succeed())
		},
		Entry("a file", "a.txt"),
		Entry("a nested file", "a/b/c.txt"),
		Entry("backslashes", `a\b\c.txt`),
		Entry("a leading ./", "./a"),
		Entry("a directory with a trailing slash", "dir/"),
		Entry("dest itself", "."),
		Entry("dest itself, as GNU tar writes it", "./"),
		Entry("repeated separators", "a//b"),
		Entry("a dot name inside", "a/./b"),
		Entry("a hidden file", ".hidden"),
		Entry("dots inside a name", "..a..b"),
		Entry("non-ASCII", "Résumé/日本語.txt"),
		Entry("a reserved name as a prefix", "nulx"),
		Entry("a reserved name as an extension", "x.con"),
		Entry("COM with two digits", "COM10"),
		Entry("spaces inside", "my file.txt"),
		Entry("a dollar sign", "$Recycle"),
	)

	DescribeTable("refuses, saying why",
		func(name, reason string) {
			err := stream.ValidateEntryName(name)
			Expect(err).To(MatchError(stream.ErrUnsafeEntry))
			Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("%q", name)), "the error names the entry")
			Expect(err.Error()).To(ContainSubstring(reason))
		},
		Entry("empty", "", "empty"),
		Entry("dot-dot", "..", `".."`),
		Entry("dot-dot first", "../x", `".."`),
		Entry("dot-dot inside", "a/../../x", `".."`),
		Entry("dot-dot with backslashes", `a\..\..\x`, `".."`),
		Entry("dot-dot that would stay inside", "a/../b", `".."`),
		Entry("absolute", "/etc/passwd", "absolute"),
		Entry("absolute with a backslash", `\Windows\x`, "absolute"),
		Entry("drive", `C:\Windows\x`, "drive C:"),
		Entry("drive with a slash", `c:/x`, "drive c:"),
		Entry("drive-relative", `C:x`, "drive C:"),
		Entry("drive alone", `D:`, "drive D:"),
		Entry("UNC", `\\server\share\x`, "UNC"),
		Entry("UNC with slashes", `//server/share/x`, "UNC"),
		Entry("device path", `\\?\C:\x`, "device path"),
		Entry("device path with a dot", `\\.\C:\x`, "device path"),
		Entry("device path with slashes", `//?/C:/x`, "device path"),
		Entry("alternate data stream", "a.txt:stream", "alternate data stream"),
		Entry("alternate data stream with a type", "a.txt::$DATA", "alternate data stream"),
		Entry("colon in a directory", "x/a:b/c", "alternate data stream"),
		Entry("a one-letter name with a colon, which is a drive", "a:b/c", "drive a:"),
		Entry("CON", "CON", "reserved device name"),
		Entry("con, lower case", "x/con", "reserved device name"),
		Entry("NUL with an extension", "nul.txt", "reserved device name"),
		Entry("PRN", "PRN", "reserved device name"),
		Entry("AUX as a directory", "aux/x", "reserved device name"),
		Entry("COM1", "com1", "reserved device name"),
		Entry("COM9 with an extension", "COM9.tar.gz", "reserved device name"),
		Entry("LPT1", "LPT1", "reserved device name"),
		Entry("LPT9 as a directory", "lpt9/x", "reserved device name"),
		Entry("a trailing dot", "x.", "ends with a dot"),
		Entry("a trailing dot in a directory", "x./y", "ends with a dot"),
		Entry("a trailing space", "x ", "ends with a space"),
		Entry("a trailing space in a directory", "x /y", "ends with a space"),
		Entry("a NUL character", "a\x00b", "control character"),
		Entry("a control character", "a\x1fb", "control character"),
		Entry("a newline", "a\nb", "control character"),
		Entry("DEL", "a\x7fb", "control character"),
		Entry("a wildcard", "a*b", "reserved character"),
		Entry("a pipe", "a|b", "reserved character"),
		Entry("invalid UTF-8", "a\xffb", "UTF-8"),
	)
})
