package winpath_test

import (
	"fmt"

	"github.com/garden-windows/garden-windows-release/internal/winpath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("ValidateContainerPath", func() {
	DescribeTable("accepts",
		func(p string) {
			Expect(winpath.ValidateContainerPath(p)).To(Succeed())
		},
		Entry("a directory", `C:\app`),
		Entry("a nested directory", `C:\Users\vcap\app`),
		Entry("lower-case drive and slashes", `c:/app/bin`),
		Entry("repeated and trailing separators", `C:\a\\b\`),
		Entry("a space inside a name", `D:\my app\x`),
		Entry("a leading dot", `C:\.hidden`),
		Entry("dots inside a name", `C:\app.v1.2\x.txt`),
		Entry("a reserved name as a prefix", `C:\nulx`),
		Entry("a reserved name inside a longer name", `C:\console`),
		Entry("COM with two digits", `C:\com10`),
		Entry("LPT without digit", `C:\lpt`),
		Entry("a reserved name after a hyphen", `C:\con-1`),
		Entry("a reserved name as extension", `C:\x.nul`),
		Entry("COM and a superscript Windows does not count as a digit", `C:\COM⁴`),
		Entry("non-ASCII names", `C:\Résumé\日本`),
	)

	DescribeTable("refuses, saying why",
		func(p, reason string) {
			err := winpath.ValidateContainerPath(p)
			Expect(err).To(MatchError(winpath.ErrInvalidContainerPath))
			Expect(err.Error()).To(ContainSubstring(reason))
			if p != "" {
				Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("%q", p)), "the error names the value")
			}
		},
		Entry("empty", ``, "empty"),
		Entry("UNC", `\\server\share\x`, "UNC path"),
		Entry("device path", `\\?\C:\x`, "device path"),
		Entry("device path, dot form", `\\.\C:\x`, "device path"),
		Entry("rooted without drive", `\x`, "no drive letter"),
		Entry("slash-rooted without drive", `/x`, "no drive letter"),
		Entry("relative", `x\y`, "relative"),
		Entry("drive-relative", `C:x`, "relative to the current directory of drive C:"),
		Entry("bare drive", `C:`, "relative to the current directory of drive C:"),
		Entry("drive root", `C:\`, "root of drive C:"),
		Entry("drive root with slash", `d:/`, "root of drive d:"),
		Entry("drive root doubled", `C:\\`, "root of drive C:"),
		Entry("dot-dot", `C:\a\..\x`, `".."`),
		Entry("dot-dot to the root", `C:\..`, `".."`),
		Entry("dot", `C:\.\x`, `"."`),
		Entry("less than", `C:\a<b`, `name "a<b" contains the reserved character '<'`),
		Entry("greater than", `C:\a>b`, `'>'`),
		Entry("colon", `C:\foo:bar`, `name "foo:bar" contains the reserved character ':'`),
		Entry("double quote", `C:\a"b`, `'"'`),
		Entry("pipe", `C:\a|b\c`, `'|'`),
		Entry("question mark", `C:\a?`, `'?'`),
		Entry("asterisk", `C:\*`, `'*'`),
		Entry("NUL character", "C:\\a\x00b", `'\x00'`),
		Entry("control character", "C:\\a\x01b", `'\x01'`),
		Entry("tab", "C:\\a\tb", `'\t'`),
		Entry("newline", "C:\\a\nb", `'\n'`),
		Entry("unit separator", "C:\\a\x1fb", `'\x1f'`),
		Entry("trailing space", `C:\a `, `name "a " ends with a space`),
		Entry("trailing space in a middle name", `C:\a \b`, "ends with a space"),
		Entry("trailing dot", `C:\a.\b`, `name "a." ends with a dot`),
		Entry("trailing dots", `C:\x\...`, "ends with a dot"),
		Entry("CON", `C:\CON`, `name "CON" is a reserved device name`),
		Entry("con in lower case", `C:\con`, "reserved device name"),
		Entry("NUL with extension", `C:\x\nul.txt`, `name "nul.txt" is a reserved device name`),
		Entry("NUL with two extensions", `C:\Nul.tar.gz`, "reserved device name"),
		Entry("NUL with spaces before the extension", `C:\NUL  .txt`, "reserved device name"),
		Entry("PRN", `C:\PRN`, "reserved device name"),
		Entry("AUX in a middle name", `C:\AUX\x`, "reserved device name"),
		Entry("COM1", `C:\COM1`, "reserved device name"),
		Entry("com9 with extension", `C:\com9.log`, "reserved device name"),
		Entry("COM0", `C:\COM0`, "reserved device name"),
		Entry("LPT1", `C:\LPT1`, "reserved device name"),
		Entry("lpt9", `C:\lpt9`, "reserved device name"),
		Entry("COM with superscript one", `C:\COM¹`, "reserved device name"),
		Entry("LPT with superscript three and extension", `C:\lpt³.txt`, "reserved device name"),
		Entry("CONIN$", `C:\CONIN$`, "reserved device name"),
		Entry("conout$", `C:\conout$`, "reserved device name"),
	)
})
