package releasecheck_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/pe"
	"encoding/binary"
	"os"
	"path/filepath"

	"github.com/garden-windows/garden-windows-release/releasecheck"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// peFile builds the headers of a PE image: enough for debug/pe, and for the
// check, to tell the machine and the optional header's kind.
func peFile(machine uint16, plus bool) []byte {
	var b bytes.Buffer
	dos := make([]byte, 64)
	copy(dos, "MZ")
	binary.LittleEndian.PutUint32(dos[0x3c:], 64)
	b.Write(dos)
	b.WriteString("PE\x00\x00")
	size := uint16(binary.Size(pe.OptionalHeader32{}))
	if plus {
		size = uint16(binary.Size(pe.OptionalHeader64{}))
	}
	Expect(binary.Write(&b, binary.LittleEndian, pe.FileHeader{
		Machine: machine, SizeOfOptionalHeader: size,
		Characteristics: pe.IMAGE_FILE_EXECUTABLE_IMAGE,
	})).To(Succeed())
	if plus {
		Expect(binary.Write(&b, binary.LittleEndian, pe.OptionalHeader64{Magic: 0x20b, NumberOfRvaAndSizes: 16})).To(Succeed())
	} else {
		Expect(binary.Write(&b, binary.LittleEndian, pe.OptionalHeader32{Magic: 0x10b, NumberOfRvaAndSizes: 16})).To(Succeed())
	}
	return b.Bytes()
}

func tgz(files map[string][]byte) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range files {
		Expect(tw.WriteHeader(&tar.Header{Name: "./" + name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})).To(Succeed())
		_, err := tw.Write(content)
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(tw.Close()).To(Succeed())
	Expect(gz.Close()).To(Succeed())
	return buf.Bytes()
}

var _ = Describe("release check", func() {
	var (
		dir      string
		repo     string
		gdnExe   []byte
		packages map[string]map[string][]byte
		jobs     []string
	)

	writeRelease := func() string {
		files := map[string][]byte{}
		mf := "name: garden-windows\nversion: 0+dev.1\njobs:\n"
		for _, j := range jobs {
			mf += "- name: " + j + "\n  fingerprint: j" + j + "\n"
			files["jobs/"+j+".tgz"] = tgz(map[string][]byte{"job.MF": []byte("name: " + j), "monit": []byte("{}")})
		}
		mf += "packages:\n"
		for name, content := range packages {
			mf += "- name: " + name + "\n  fingerprint: p" + name + "\n"
			files["packages/"+name+".tgz"] = tgz(content)
		}
		files["release.MF"] = []byte(mf)
		path := filepath.Join(dir, "release.tgz")
		Expect(os.WriteFile(path, tgz(files), 0o644)).To(Succeed())
		return path
	}

	check := func() []error {
		exp, err := releasecheck.ExpectationFromRepo(repo)
		Expect(err).NotTo(HaveOccurred())
		rel, err := releasecheck.Read(writeRelease())
		Expect(err).NotTo(HaveOccurred())
		return rel.Check(exp)
	}

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		repo = filepath.Join(dir, "repo")
		for _, d := range []string{"jobs/garden-windows", "packages/gdn", "packages/winit", "config"} {
			Expect(os.MkdirAll(filepath.Join(repo, d), 0o755)).To(Succeed())
		}
		Expect(os.WriteFile(filepath.Join(repo, "config", "binaries"), []byte(
			"# comment\ngdn gdn.exe example.com/cmd/gdn\nwinit  winit.exe  example.com/cmd/winit\n"), 0o644)).To(Succeed())
		gdnExe = peFile(pe.IMAGE_FILE_MACHINE_AMD64, true)
		packages = map[string]map[string][]byte{
			"gdn":   {"build/gdn/gdn.exe": gdnExe, "packaging": []byte("Copy-Item")},
			"winit": {"build/winit/winit.exe": gdnExe, "packaging": []byte("Copy-Item")},
		}
		jobs = []string{"garden-windows"}
	})

	It("passes a release that holds what the repository describes, and summarises it", func() {
		Expect(check()).To(BeEmpty())
		rel, err := releasecheck.Read(writeRelease())
		Expect(err).NotTo(HaveOccurred())
		Expect(rel.Summary()).To(ContainSubstring("release garden-windows/0+dev.1"))
		Expect(rel.Summary()).To(MatchRegexp(`job +garden-windows +jgarden-windows`))
		Expect(rel.Summary()).To(MatchRegexp(`package +gdn +pgdn +gdn.exe \(0.0 MiB\)`))
	})

	It("reports missing and unexpected jobs and packages", func() {
		jobs = []string{"stray-job"}
		delete(packages, "winit")
		packages["extra"] = map[string][]byte{"packaging": nil}
		Expect(check()).To(ConsistOf(
			MatchError("job garden-windows is missing"),
			MatchError("unexpected job stray-job"),
			MatchError("package winit is missing"),
			MatchError("unexpected package extra"),
		))
	})

	It("reports a package without its executable, or with one for the wrong machine", func() {
		packages["gdn"] = map[string][]byte{"packaging": nil}
		packages["winit"]["build/winit/winit.exe"] = peFile(pe.IMAGE_FILE_MACHINE_I386, false)
		Expect(check()).To(ConsistOf(
			MatchError("package gdn: executable gdn.exe is missing"),
			MatchError(ContainSubstring("package winit: build/winit/winit.exe: PE file for machine 0x14c, expected x86-64")),
		))
	})

	It("tells a PE32+ x86-64 executable from everything else", func() {
		Expect(releasecheck.CheckWindowsAMD64(gdnExe)).To(Succeed())
		Expect(releasecheck.CheckWindowsAMD64([]byte("\x7fELF not windows"))).To(MatchError(ContainSubstring("not a Windows PE file")))
		Expect(releasecheck.CheckWindowsAMD64(peFile(pe.IMAGE_FILE_MACHINE_AMD64, false))).To(MatchError("PE32 file, expected PE32+ (64-bit)"))
		Expect(releasecheck.CheckWindowsAMD64(peFile(pe.IMAGE_FILE_MACHINE_ARM64, true))).To(MatchError(ContainSubstring("machine 0xaa64")))
	})

	It("refuses a config/binaries line that is malformed or names a package that does not exist", func() {
		binaries := filepath.Join(repo, "config", "binaries")
		Expect(os.WriteFile(binaries, []byte("gdn gdn example.com/cmd/gdn\n"), 0o644)).To(Succeed())
		_, err := releasecheck.ExpectationFromRepo(repo)
		Expect(err).To(MatchError(ContainSubstring(`binaries:1: expected '<package> <file>.exe <go package>'`)))

		Expect(os.WriteFile(binaries, []byte("nope nope.exe example.com/cmd/nope\n"), 0o644)).To(Succeed())
		_, err = releasecheck.ExpectationFromRepo(repo)
		Expect(err).To(MatchError(`config/binaries puts nope.exe in package "nope", which has no directory under packages/`))
	})

	It("says so when a file is not a release tarball", func() {
		path := filepath.Join(dir, "not-a-release.tgz")
		Expect(os.WriteFile(path, tgz(map[string][]byte{"hello": nil}), 0o644)).To(Succeed())
		_, err := releasecheck.Read(path)
		Expect(err).To(MatchError(ContainSubstring("has no release.MF")))
	})
})
