package layertar_test

import (
	"archive/tar"
	"bytes"
	"os"
	"strconv"

	"github.com/garden-windows/garden-windows-release/image/layertar"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// evilBody is the contents of every refused regular file, and afterBody
// that of the entry after it: neither may come out of the filter.
const (
	evilBody  = "EVIL-CONTENTS-MUST-NOT-PASS"
	afterBody = "AFTER-THE-EVIL-ENTRY"
)

// attack is a tar whose entry bad the filter must refuse, after passing
// the legitimate entries before it.
type attack struct {
	before []entry
	bad    entry
	// reason is part of the error, saying which rule bad breaks.
	reason string
	// raw, if set, rewrites the written tar (for what archive/tar will not
	// write).
	raw func([]byte) []byte
}

func evilFile(name string) entry { return file(name, evilBody) }

func refuse(bad entry, reason string, before ...entry) attack {
	return attack{before: before, bad: bad, reason: reason}
}

var (
	filesDir = dir("Files/")
	// windowsJunction is a junction under Files/ to the container's
	// C:\Windows, as legitimate as Windows base layers' junctions; the
	// host would resolve it to its own C:\Windows.
	windowsJunction = junction("Files/a", `C:\Windows`)
	plainFile       = file("Files/f.txt", "ok")
)

var _ = Describe("Filter, given a hostile layer", func() {
	DescribeTable("stops at the unsafe entry, names it, says why, and passes nothing of it or after it",
		func(a attack) {
			good := tarOf(a.before...)
			goodOut, err := filterAll(good)
			Expect(err).NotTo(HaveOccurred(), "the entries before the bad one are fine")
			Expect(len(goodOut)).To(BeNumerically(">=", 1024))

			in := tarOf(append(append(a.before[:len(a.before):len(a.before)], a.bad), file("Files/after.txt", afterBody))...)
			if a.raw != nil {
				in = a.raw(in)
			}
			f := layertar.Filter(bytes.NewReader(in))
			var out bytes.Buffer
			_, err = out.ReadFrom(f)

			Expect(err).To(MatchError(layertar.ErrUnsafeEntry))
			Expect(err.Error()).To(ContainSubstring(strconv.Quote(a.bad.hdr.Name)), "the error quotes the entry")
			Expect(err.Error()).To(ContainSubstring(a.reason))
			// Byte for byte what the good entries alone give, but for the
			// end marker: not a header byte of the bad entry or any later.
			Expect(out.Bytes()).To(Equal(goodOut[:len(goodOut)-1024]))
			Expect(out.String()).NotTo(ContainSubstring(evilBody))
			Expect(out.String()).NotTo(ContainSubstring(afterBody))

			_, again := f.Read(make([]byte, 10))
			Expect(again).To(Equal(err), "the error sticks")
		},

		// Names, with either separator.
		Entry("an absolute name", refuse(evilFile("/Files/evil.dll"), "absolute")),
		Entry("an absolute name with backslashes", refuse(evilFile(`\Files\evil.dll`), "absolute")),
		Entry("a drive path", refuse(evilFile(`C:\Windows\evil.dll`), "drive C:")),
		Entry("a drive path with slashes", refuse(evilFile(`C:/Windows/evil.dll`), "drive C:")),
		Entry("a drive-relative name", refuse(evilFile(`C:evil.dll`), "drive C:")),
		Entry("a UNC path", refuse(evilFile(`\\server\share\evil.dll`), "UNC")),
		Entry("a UNC path with slashes", refuse(evilFile(`//server/share/evil.dll`), "UNC")),
		Entry("a device path", refuse(evilFile(`\\?\C:\Windows\evil.dll`), "device path")),
		Entry("a device path with slashes", refuse(evilFile(`//?/C:/Windows/evil.dll`), "device path")),
		Entry(`a \\.\ device path`, refuse(evilFile(`\\.\C:\evil.dll`), "device path")),
		Entry(`".." names`, refuse(evilFile("Files/../../evil.dll"), `".."`, filesDir)),
		Entry(`".." names with backslashes`, refuse(evilFile(`Files\..\..\evil.dll`), `".."`, filesDir)),
		Entry(`".." names with both separators`, refuse(evilFile(`Files/x\..\../evil.dll`), `".."`, filesDir)),
		Entry(`a ".." that stays inside`, refuse(evilFile("Files/sub/../evil.dll"), `".."`, filesDir)),
		Entry(`".." alone`, refuse(evilFile(".."), `".."`)),
		Entry("a newline", refuse(evilFile("Files/a\nb"), "control character", filesDir)),
		Entry("a control character", refuse(evilFile("Files/a\x01b"), "control character", filesDir)),
		Entry("a tab", refuse(evilFile("Files/a\tb"), "control character", filesDir)),
		Entry("DEL", refuse(evilFile("Files/a\x7fb"), "control character", filesDir)),
		Entry("invalid UTF-8", refuse(evilFile("Files/a\xffb"), "UTF-8", filesDir)),
		Entry("an empty name", refuse(evilFile(""), "empty")),
		Entry("a reserved device name", refuse(evilFile("Files/CON"), "reserved device name", filesDir)),
		Entry("a reserved device name with an extension", refuse(evilFile(`Files\aux.txt`), "reserved device name", filesDir)),
		Entry("a trailing dot", refuse(evilFile("Files/evil."), "ends with a dot", filesDir)),
		Entry("a trailing space", refuse(evilFile(`Files\evil \x`), "ends with a space", filesDir)),
		Entry("a file naming the layer root", refuse(evilFile("."), "root")),
		Entry("a symlink naming the layer root", refuse(symlink(".", "Files"), "root")),

		// Alternate data streams.
		Entry("a stream entry that follows no file", refuse(evilFile("Files/f.txt:evil"), "does not directly follow", filesDir)),
		Entry("a stream entry with backslashes that follows no file", refuse(evilFile(`Files\f.txt:evil`), "does not directly follow", filesDir)),
		Entry("a stream entry that follows another file", refuse(evilFile("Files/f.txt:evil"), "does not directly follow", filesDir, plainFile, file("Files/g.txt", ""))),
		Entry("a stream entry after a hard link", refuse(evilFile("Files/h.txt:evil"), "does not directly follow", filesDir, plainFile, hardLink("Files/h.txt", "Files/f.txt"))),
		Entry("a stream entry after a whiteout", refuse(evilFile("Files/.wh.x:evil"), "does not directly follow", filesDir, file("Files/.wh.x", ""))),
		Entry("a stream name with a slash", refuse(evilFile("Files/f.txt:a/../../x"), "stream name contains '/'", filesDir, plainFile)),
		Entry("a stream name with a backslash", refuse(evilFile(`Files/f.txt:..\..\x`), `stream name contains '\\'`, filesDir, plainFile)),
		Entry("a stream name with a colon", refuse(evilFile("Files/f.txt:s:$DATA"), "stream name contains ':'", filesDir, plainFile)),
		Entry("an empty stream name", refuse(evilFile("Files/f.txt:"), "stream name is empty", filesDir, plainFile)),
		Entry("a stream name with a control character", refuse(evilFile("Files/f.txt:\x05Summary"), "control character", filesDir, plainFile)),
		Entry("a stream entry that is a directory", refuse(dir("Files/f.txt:s"), "does not directly follow", filesDir, plainFile)),

		// Types.
		Entry("a character device", refuse(special("Files/dev", tar.TypeChar), "device", filesDir)),
		Entry("a block device", refuse(special("Files/disk", tar.TypeBlock), "device", filesDir)),
		Entry("a FIFO", refuse(special("Files/fifo", tar.TypeFifo), "FIFO", filesDir)),
		Entry("a contiguous file", refuse(special("Files/c", tar.TypeCont), "tar type '7'", filesDir)),
		Entry("a vendor type", refuse(special("Files/v", 'A'), "tar type 'A'", filesDir)),
		Entry("a GNU sparse file", attack{
			before: []entry{filesDir},
			// archive/tar will not write GNU.sparse records: write a
			// record of the same length and rename it.
			bad: evilFile("Files/sparse").pax("XYZ.sparse.major", "9"),
			raw: func(b []byte) []byte {
				return bytes.Replace(b, []byte("XYZ.sparse.major"), []byte("GNU.sparse.major"), 1)
			},
			reason: "GNU sparse",
		}),

		// Whiteouts.
		Entry("a whiteout that is a symlink", refuse(symlink("Files/.wh.x", `C:\Windows`), "whiteout", filesDir)),
		Entry("a whiteout that is a directory", refuse(dir(`Files\.wh.x`), "whiteout", filesDir)),
		Entry("a whiteout for a reserved name", refuse(file("Files/.wh.CON", ""), "reserved device name", filesDir)),

		// Writing through a symlink an earlier entry made.
		Entry("a file under a junction", refuse(evilFile("Files/a/evil.dll"), "parent \"Files/a\" is a symlink", filesDir, windowsJunction)),
		Entry("a file under a junction, with backslashes", refuse(evilFile(`Files\a\evil.dll`), "is a symlink", filesDir, windowsJunction)),
		Entry("a file under a junction, in other case", refuse(evilFile("FILES/A/evil.dll"), "is a symlink", filesDir, windowsJunction)),
		Entry("a file under a junction, with . and empty names", refuse(evilFile("./Files/./a//evil.dll"), "is a symlink", filesDir, windowsJunction)),
		Entry("a file deep under a junction", refuse(evilFile("Files/a/System32/drivers/evil.sys"), "is a symlink", filesDir, windowsJunction)),
		Entry("a directory under a junction", refuse(dir("Files/a/sub/"), "is a symlink", filesDir, windowsJunction)),
		Entry("a symlink under a junction", refuse(symlink("Files/a/l", "x"), "is a symlink", filesDir, windowsJunction)),
		Entry("a hard link under a junction", refuse(hardLink("Files/a/h", "Files/f.txt"), "is a symlink", filesDir, plainFile, windowsJunction)),
		Entry("a whiteout under a junction", refuse(file("Files/a/.wh.x", ""), "is a symlink", filesDir, windowsJunction)),
		Entry("a file under a relative symlink", refuse(evilFile(`Files\r\evil.dll`), "is a symlink", filesDir, symlink("Files/r", "sub"))),
		Entry("a file under a Hives symlink", refuse(evilFile("Hives/h/evil"), "is a symlink", dir("Hives"), symlink("Hives/h", "x"))),
		Entry("a file replacing a junction", refuse(evilFile("Files/a"), "would replace the symlink", filesDir, windowsJunction)),
		Entry("a directory replacing a junction", refuse(dir(`Files\a`), "would replace the symlink", filesDir, windowsJunction)),
		Entry("a symlink replacing a junction, in other case", refuse(junction("files/A", `C:\Users`), "would replace the symlink", filesDir, windowsJunction)),
		Entry("the short name of a junction, as a parent", refuse(evilFile(`Files\LONGDI~1\evil.dll`), "8.3 short name", filesDir, junction("Files/LongDirectoryName", `C:\Windows`))),
		Entry("the short name of a junction, as the name", refuse(evilFile("Files/LONGDI~1"), "8.3 short name", filesDir, junction("Files/LongDirectoryName", `C:\Windows`))),

		// Symlink targets.
		Entry("a relative target that leaves the layer", refuse(symlink("Files/l", "../../x"), "leaves the layer", filesDir)),
		Entry("a relative target that leaves the layer, with backslashes", refuse(symlink("Files/l", `..\..\x`), "leaves the layer", filesDir)),
		Entry("a relative target that leaves the layer from deeper", refuse(symlink(`Files\sub\l`, `..\..\..\x`), "leaves the layer", filesDir)),
		Entry("a relative target that goes down before it leaves", refuse(symlink("Files/l", `x/../../../y`), "leaves the layer", filesDir)),
		Entry("a UNC target", refuse(symlink("Files/l", `\\server\share`), "UNC", filesDir)),
		Entry("a UNC target with slashes", refuse(symlink("Files/l", `//server/share/x`), "UNC", filesDir)),
		Entry("a device target", refuse(junction("Files/l", `\\?\C:\Windows`), "device path", filesDir)),
		Entry(`a \\.\ device target`, refuse(symlink("Files/l", `\\.\PhysicalDrive0`), "device path", filesDir)),
		Entry("an NT object path target", refuse(junction("Files/l", `\??\C:\Windows`), "NT object path", filesDir)),
		Entry("an NT object path target with slashes", refuse(symlink("Files/l", `/??/C:/Windows`), "NT object path", filesDir)),
		Entry("a target rooted without a drive", refuse(symlink("Files/l", `\Windows`), "names no drive", filesDir)),
		Entry("a target rooted without a drive, with a slash", refuse(symlink("Files/l", `/etc`), "names no drive", filesDir)),
		Entry("a drive-relative target", refuse(symlink("Files/l", `C:Windows`), "current directory of drive C:", filesDir)),
		Entry("an empty target", refuse(symlink("Files/l", ""), "target is empty", filesDir)),
		Entry("a drive target under Hives/", refuse(symlink("Hives/h", `C:\Windows\System32\config\SAM`), "only a link under Files/", dir("Hives"))),
		Entry("a drive target under UtilityVM/", refuse(junction("UtilityVM/Files/Documents and Settings", `C:\Users`), "only a link under Files/", dir("UtilityVM"), dir("UtilityVM/Files"))),
		Entry("a drive target at the top", refuse(symlink("evil", `C:\`), "only a link under Files/")),
		Entry("a drive target for Files itself", refuse(junction("Files", `C:\`), "only a link under Files/")),
		Entry("a drive target under files/, in other case", refuse(junction("files/x", `C:\Users`), "only a link under Files/", filesDir)),
		Entry(`a drive target with ".."`, refuse(junction("Files/x", `C:\Users\..\..\Windows`), `".."`, filesDir)),
		Entry("a drive target with a reserved name", refuse(symlink("Files/x", `C:/Windows/CON`), "reserved device name", filesDir)),
		Entry("a relative target with a reserved name", refuse(symlink("Files/x", `sub\NUL.txt`), "reserved device name", filesDir)),
		Entry("a relative target with a stream", refuse(symlink("Files/x", "sub/a.txt:s"), "alternate data stream", filesDir)),
		Entry("a target walking through a junction", refuse(symlink("Files/m", "a/System32"), "walks through the symlink", filesDir, windowsJunction)),
		Entry(`a target walking through a junction and back with ".."`, refuse(symlink("Files/m", `a\..\b`), "walks through the symlink", filesDir, windowsJunction)),
		Entry("a symlink on a path an earlier target walks through", refuse(junction("Files/d", `C:\Windows`), `"Files/m" walks through this path`, filesDir, symlink("Files/m", "d/x"))),
		Entry("a Hives/ link into Files/", refuse(symlink("Hives/h", "../Files/a"), "leads into Files/", dir("Hives"))),
		Entry("a UtilityVM/ link into Files/, in other case", refuse(symlink(`UtilityVM\u`, `..\files\x`), "leads into Files/", dir("UtilityVM"))),
		Entry("a Hives/ link to the layer root", refuse(symlink("Hives/h", ".."), "layer's root", dir("Hives"))),

		// Hard link targets.
		Entry("an absolute hard link target", refuse(hardLink("Files/h", "/etc/passwd"), "absolute", filesDir)),
		Entry("a drive hard link target", refuse(hardLink("Files/h", `C:\Windows\System32\config\SAM`), "drive C:", filesDir)),
		Entry("a UNC hard link target", refuse(hardLink("Files/h", `\\server\share\x`), "UNC", filesDir)),
		Entry(`a hard link target with ".."`, refuse(hardLink("Files/h", "Files/../../x"), `".."`, filesDir)),
		Entry(`a hard link target with ".." and backslashes`, refuse(hardLink("Files/h", `Files\..\..\x`), `".."`, filesDir)),
		Entry("a hard link to a file no entry wrote", refuse(hardLink("Files/h", "Files/nothere.txt"), "not a regular file that an earlier entry", filesDir)),
		Entry("a hard link to a file written later", refuse(hardLink("Files/h", "Files/f.txt"), "not a regular file that an earlier entry", filesDir)),
		Entry("a hard link to a directory", refuse(hardLink("Files/h", "Files"), "not a regular file that an earlier entry", filesDir)),
		Entry("a hard link to a junction", refuse(hardLink("Files/h", "Files/a"), "is the symlink", filesDir, windowsJunction)),
		Entry("a hard link through a junction", refuse(hardLink("Files/h", `Files\a\notepad.exe`), "passes through the symlink", filesDir, windowsJunction)),
		Entry("a hard link to a stream", refuse(hardLink("Files/h", "Files/f.txt:s"), "alternate data stream", filesDir, plainFile)),
		Entry("a hard link to a file the layer deletes", refuse(hardLink("Files/h", "Files/g.txt"), "not a regular file that an earlier entry", filesDir, file("Files/g.txt", "x"), file("Files/.wh.g.txt", ""))),
		Entry("a hard link to a file a directory replaced", refuse(hardLink("Files/h", "Files/g"), "not a regular file that an earlier entry", filesDir, file("Files/g", "x"), dir("Files/g"))),
		Entry("an empty hard link target", refuse(hardLink("Files/h", ""), "empty", filesDir)),
		Entry("a hard link to the layer root", refuse(hardLink("Files/h", "."), "layer's root", filesDir)),
	)

	It("applies its own rules when archive/tar flags insecure paths (GODEBUG=tarinsecurepath=0)", func() {
		GinkgoT().Setenv("GODEBUG", "tarinsecurepath=0")
		in := tarOf(filesDir, plainFile, file("Files/f.txt:Zone.Identifier", "z"), evilFile("Files/../../evil.dll"))
		tr := tar.NewReader(bytes.NewReader(tarOf(evilFile("../evil.dll"))))
		_, err := tr.Next()
		Expect(err).To(MatchError(tar.ErrInsecurePath), "the setting is in effect")

		out, err := filterAll(in)
		Expect(err).To(MatchError(layertar.ErrUnsafeEntry))
		Expect(err.Error()).To(ContainSubstring(`"Files/../../evil.dll"`))
		// On Windows, archive/tar would now flag the stream entry too.
		Expect(os.Setenv("GODEBUG", "")).To(Succeed())
		Expect(names(parseTar(append(out, make([]byte, 1024)...)))).To(Equal([]string{"Files/", "Files/f.txt", "Files/f.txt:Zone.Identifier"}))
	})

	It("refuses a NUL in a name, which archive/tar itself never returns", func() {
		err := layertar.CheckHeaders(&tar.Header{Typeflag: tar.TypeReg, Name: "Files/a\x00b.dll"})
		Expect(err).To(MatchError(layertar.ErrUnsafeEntry))
		Expect(err.Error()).To(ContainSubstring(`"Files/a\x00b.dll"`))
		Expect(err.Error()).To(ContainSubstring("control character"))
	})
})

var _ = Describe("Filter, given what Windows layers hold", func() {
	DescribeTable("passes it on",
		func(es ...entry) {
			in := tarOf(es...)
			out, err := filterAll(in)
			Expect(err).NotTo(HaveOccurred())
			Expect(names(parseTar(out))).To(Equal(names(parseTar(in))))
		},
		Entry("streams of a file", filesDir, plainFile, file("Files/f.txt:Zone.Identifier", "[ZoneTransfer]"), file("Files/f.txt:other", "")),
		Entry("a stream of a directory", filesDir, dir("Files/d"), file("Files/d:meta", "x")),
		Entry("a stream of a junction", filesDir, windowsJunction, file("Files/a:s", "x")),
		Entry("a stream of a file with a one-letter name", filesDir, file("Files/a", "x"), file("Files/a:s", "x")),
		Entry("junctions under Files/ to drive paths", filesDir,
			junction("Files/Documents and Settings", `C:\Users`),
			junction("Files/ProgramData/Application Data", `C:\ProgramData`),
			symlink("Files/d", `D:/data`)),
		Entry("relative links inside the layer", filesDir, dir("Files/sub"),
			symlink("Files/sub/l", `..\f.txt`),
			symlink("Files/out", `../Hives/x`),
			symlink(`Hives\h`, `..\UtilityVM\x`),
			symlink("Hives/self", "."),
			symlink("Files/chain", "sub/l")),
		Entry("a link to the layer root from under Files/", filesDir, symlink("Files/up", "..")),
		Entry("a hard link whose target differs in case", filesDir, file("Files/A.txt", "x"), hardLink("Files/h", `files\a.TXT`)),
		Entry("a hard link to a hard link", filesDir, plainFile, hardLink("Files/h1", "Files/f.txt"), hardLink("Files/h2", "Files/h1")),
		Entry("whiteouts", filesDir, file("Files/.wh.gone.txt", ""), file("Files/sub/.wh..wh..opq", "")),
		Entry("short-name forms in a directory without symlinks", filesDir, junction("Files/a", `C:\x`), file("Files/sub/PROGRA~1", "x")),
		Entry("the root directory and ./ names", dir("./"), dir("./Files"), file("./Files/x", "y")),
		Entry("a directory replacing a file", filesDir, file("Files/x", "y"), dir("Files/x")),
		Entry("a junction replacing a directory", filesDir, dir("Files/x"), junction("Files/x", `C:\Users`)),
	)

	It("drops PAX global headers, so that no reader applies their records to later entries", func() {
		global := entry{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header",
			PAXRecords: map[string]string{"path": `C:\Windows\evil.dll`, "comment": "x"}}}
		in := tarOf(filesDir, global, file("Files/x", "y"))
		read := parseTar(in)
		Expect(read).To(HaveLen(3))
		Expect(read[1].hdr.Typeflag).To(Equal(byte(tar.TypeXGlobalHeader)))

		out, err := filterAll(in)
		Expect(err).NotTo(HaveOccurred())
		got := parseTar(out)
		Expect(names(got)).To(Equal([]string{"Files/", "Files/x"}))
		Expect(got[1].body).To(Equal([]byte("y")))
		Expect(out).To(Equal(tarOf(filesDir, file("Files/x", "y"))))
	})

	It("gives directories, symlinks and hard links size 0, so that no reader takes contents from them", func() {
		d := dir("Files/d")
		d.hdr.Size = 4096
		l := junction("Files/l", `C:\Users`)
		l.hdr.Size = 1024
		out, err := filterAll(tarOf(filesDir, d, l, file("Files/x", "y")))
		Expect(err).NotTo(HaveOccurred())
		got := parseTar(out)
		Expect(names(got)).To(Equal([]string{"Files/", "Files/d", "Files/l", "Files/x"}))
		Expect(got[1].hdr.Size).To(BeZero())
		Expect(got[2].hdr.Size).To(BeZero())
		Expect(got[3].body).To(Equal([]byte("y")))
	})

	It("reports a tar it cannot read without calling it unsafe", func() {
		in := tarOf(filesDir, file("Files/x", "some contents"))
		out, err := filterAll(in[:512+100])
		Expect(err).To(HaveOccurred())
		Expect(err).NotTo(MatchError(layertar.ErrUnsafeEntry))
		Expect(err.Error()).To(ContainSubstring(`"Files/"`))
		Expect(out).To(Equal(in[:512]))

		_, err = filterAll([]byte("this is not a tar, but it is long enough to fill a block" + string(make([]byte, 512))))
		Expect(err).To(MatchError(ContainSubstring("first header")))
	})
})
