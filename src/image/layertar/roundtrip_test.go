package layertar_test

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing/iotest"
	"time"

	"github.com/garden-windows/garden-windows-release/image/layertar"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// randomBytes returns n bytes that are the same on every run.
func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// windowsLayer is a layer tar as hcsshim's export (backuptar) writes one:
// PAX headers with Windows attributes, security descriptors and creation
// times, sub-second times, junctions, streams, a hard link, whiteouts,
// registry hives, a utility VM, a path longer than MAX_PATH and names that
// are not ASCII.
func windowsLayer() []entry {
	sd := base64.StdEncoding.EncodeToString(randomBytes(148, 1))
	mtime := time.Date(2023, 11, 14, 22, 13, 20, 123456700, time.UTC)
	win := func(e entry, attr string) entry {
		e.hdr.Format = tar.FormatPAX
		e.hdr.ModTime = mtime
		e.hdr.AccessTime = mtime.Add(time.Hour + 300)
		e.hdr.ChangeTime = mtime.Add(2*time.Hour + 500)
		return e.pax("MSWINDOWS.fileattr", attr).
			pax("MSWINDOWS.rawsd", sd).
			pax("LIBARCHIVE.creationtime", "1699999999.1234567")
	}
	const (
		dirAttr      = "16"   // FILE_ATTRIBUTE_DIRECTORY
		fileAttr     = "32"   // FILE_ATTRIBUTE_ARCHIVE
		junctionAttr = "1046" // DIRECTORY | HIDDEN | SYSTEM | REPARSE_POINT
	)
	withBody := func(name string, body []byte) entry {
		e := file(name, "")
		e.body, e.hdr.Size = body, int64(len(body))
		return e
	}
	// Stream entries carry only what backuptar copies from their file.
	stream := func(e entry) entry {
		e.hdr.Format = tar.FormatPAX
		e.hdr.ModTime = mtime
		return e
	}

	long := "Files/ProgramData/" + strings.Repeat("a-directory-whose-name-is-long/", 9)
	longDirs := []entry{}
	for i := len("Files/ProgramData/"); i < len(long); i++ {
		if long[i] == '/' {
			longDirs = append(longDirs, win(dir(long[:i]), dirAttr))
		}
	}

	es := []entry{
		win(dir("Files"), dirAttr),
		win(dir("Files/Windows"), dirAttr),
		win(dir("Files/Windows/System32"), dirAttr),
		win(withBody("Files/Windows/System32/kernel32.dll", randomBytes(100_003, 2)), fileAttr),
		stream(file("Files/Windows/System32/kernel32.dll:Zone.Identifier", "[ZoneTransfer]\r\nZoneId=3\r\n")),
		win(hardLink("Files/Windows/System32/kernel32-copy.dll", "Files/Windows/System32/kernel32.dll"), fileAttr),
		win(withBody("Files/Windows/System32/blocks.bin", randomBytes(3*512, 3)), fileAttr),
		win(file("Files/Windows/System32/empty.ini", ""), fileAttr),
		win(junction("Files/Documents and Settings", `C:\Users`), junctionAttr),
		win(dir("Files/Users"), dirAttr),
		win(dir("Files/Users/Public"), dirAttr),
		win(symlink("Files/Users/Public/kernel.lnk", `..\..\Windows\System32\kernel32.dll`), "1056"),
		win(dir("Files/Users/Jürgen"), dirAttr),
		win(file("Files/Users/Jürgen/日本語 ファイル.txt", "こんにちは"), fileAttr),
		win(dir("Files/ProgramData"), dirAttr),
		win(junction("Files/ProgramData/Application Data", `C:\ProgramData`), junctionAttr),
		// As hcsshim's export writes whiteouts: a name and nothing else.
		{hdr: tar.Header{Name: "Files/ProgramData/.wh.old.log"}},
	}
	es = append(es, longDirs...)
	es = append(es,
		win(file(long+"settings.xml", "<settings/>"), fileAttr),
		win(dir("Hives"), dirAttr),
		win(withBody("Hives/DefaultUser_Delta", randomBytes(8192+7, 4)), fileAttr),
		win(withBody("Hives/Sam_Delta", randomBytes(4096, 5)), fileAttr),
		win(dir("UtilityVM"), dirAttr),
		win(dir("UtilityVM/Files"), dirAttr),
		win(dir("UtilityVM/Files/EFI"), dirAttr),
		win(withBody("UtilityVM/Files/EFI/bootmgfw.efi", randomBytes(70_000, 6)), fileAttr),
	)
	return es
}

// chunkedReader returns at most n bytes per Read, as a consumer with a
// small buffer would ask for.
type chunkedReader struct {
	r io.Reader
	n int
}

func (c chunkedReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

var _ = Describe("Filter, given a realistic Windows layer", func() {
	var in []byte

	BeforeEach(func() {
		in = tarOf(windowsLayer()...)
	})

	DescribeTable("passes every entry on: same headers, PAX records and times, same contents",
		func(read func(in []byte) ([]byte, error)) {
			out, err := read(in)
			Expect(err).NotTo(HaveOccurred())

			want, got := parseTar(in), parseTar(out)
			Expect(names(got)).To(Equal(names(want)))
			for i := range want {
				Expect(got[i].hdr).To(Equal(want[i].hdr), "the header of %q", want[i].hdr.Name)
				Expect(got[i].body).To(Equal(want[i].body), "the contents of %q", want[i].hdr.Name)
			}
			// Spot checks that the comparison above compares something.
			byName := map[string]*tar.Header{}
			for _, p := range got {
				byName[p.hdr.Name] = p.hdr
			}
			Expect(byName["Files/Documents and Settings"].Linkname).To(Equal(`C:\Users`))
			Expect(byName["Files/Documents and Settings"].PAXRecords).To(HaveKeyWithValue("MSWINDOWS.mountpoint", "1"))
			Expect(byName["Files/Windows/System32/kernel32.dll"].PAXRecords).To(HaveKeyWithValue("LIBARCHIVE.creationtime", "1699999999.1234567"))
			Expect(byName["Files/Windows/System32/kernel32.dll"].ModTime.Nanosecond()).To(Equal(123456700))
			Expect(byName["Files/Windows/System32/kernel32-copy.dll"].Typeflag).To(Equal(byte(tar.TypeLink)))
			Expect(byName).To(HaveKey("Files/Users/Jürgen/日本語 ファイル.txt"))
			Expect(slices.ContainsFunc(names(got), func(n string) bool { return len(n) > 260 })).To(BeTrue(), "a name longer than MAX_PATH")

			// archive/tar wrote the input, and re-encodes it the same way.
			Expect(out).To(Equal(in))
		},
		Entry("read whole", func(in []byte) ([]byte, error) { return filterAll(in) }),
		Entry("read 7 bytes at a time", func(in []byte) ([]byte, error) {
			f := layertar.Filter(bytes.NewReader(in))
			defer f.Close()
			return io.ReadAll(chunkedReader{f, 7})
		}),
		Entry("from a source that gives one byte per read", func(in []byte) ([]byte, error) {
			f := layertar.Filter(iotest.OneByteReader(bytes.NewReader(in)))
			defer f.Close()
			return io.ReadAll(f)
		}),
		Entry("from a source that gives half of what is asked", func(in []byte) ([]byte, error) {
			f := layertar.Filter(iotest.HalfReader(bytes.NewReader(in)))
			defer f.Close()
			return io.ReadAll(chunkedReader{f, 1000})
		}),
	)

	It("reports a source that fails, naming the entry it was reading", func() {
		contents := bytes.Index(in, randomBytes(100_003, 2)[:64])
		Expect(contents).To(BeNumerically(">", 0))
		cut := contents + 1000
		failing := io.MultiReader(bytes.NewReader(in[:cut]), iotest.ErrReader(io.ErrClosedPipe))
		out, err := io.ReadAll(layertar.Filter(failing))
		Expect(err).To(MatchError(io.ErrClosedPipe))
		Expect(err).NotTo(MatchError(layertar.ErrUnsafeEntry))
		Expect(err.Error()).To(ContainSubstring(`"Files/Windows/System32/kernel32.dll"`))
		Expect(out).To(Equal(in[:cut]))
	})
})
