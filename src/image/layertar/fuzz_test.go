package layertar_test

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/garden-windows/garden-windows-release/image/layertar"
)

// FuzzFilter filters two tars: one built from spec, whose lines are
// entries written as a type byte, then the name, then optionally '|' and
// the link target (so the fuzzer reaches names and links without having
// to forge checksums), and raw as it is. Neither may panic, and every
// entry that comes out must be safe: no name or hard link target that is
// absolute or has a ".." name, no symlink target that leads out of the
// layer or is a drive path outside Files/. When the filter succeeds, its
// output must be a complete tar that the filter passes on unchanged.
func FuzzFilter(f *testing.F) {
	for _, spec := range []string{
		"5Files/\n0Files/a.txt\n0Files/a.txt:Zone.Identifier\n1Files/h|Files/a.txt",
		"5Files\n2Files/Documents and Settings|C:\\Users\n0Files/.wh.old",
		"2Files/a|C:\\Windows\n0Files/a/evil.dll",
		"2Files/a|C:\\Windows\n0FILES\\A\\evil.dll",
		"2Files/LongDirectoryName|C:\\Windows\n0Files/LONGDI~1/evil.dll",
		"2Files/m|d/x\n2Files/d|C:\\Windows",
		"2Hives/h|../Files/a\n2Files/a|C:\\",
		"2Hives/h|C:\\Windows",
		"2Files/l|..\\..\\x",
		"2Files/l|\\\\?\\C:\\x",
		"2Files/l|\\??\\C:\\x",
		"1Files/h|/etc/passwd",
		"1Files/h|Files/../../x",
		"0Files/../../evil",
		"0..\\..\\evil",
		"0C:\\Windows\\evil",
		"0\\\\server\\share\\evil",
		"3Files/dev\n4Files/blk\n6Files/fifo",
		"0Files/x:stream",
	} {
		f.Add(spec, []byte(nil))
	}
	for _, es := range [][]entry{
		{
			dir("Files").pax("MSWINDOWS.fileattr", "16"),
			file("Files/a.txt", "x").pax("MSWINDOWS.rawsd", "AQAEgA=="),
			file("Files/a.txt:Zone.Identifier", "z"),
			hardLink("Files/h", "Files/a.txt"),
			junction("Files/Documents and Settings", `C:\Users`),
			file("Files/.wh.gone", ""),
		},
		{dir("Files"), junction("Files/a", `C:\Windows`), file("Files/a/evil.dll", "x")},
	} {
		b, err := writeTar(es...)
		if err != nil {
			f.Fatal(err)
		}
		f.Add("", b)
	}

	f.Fuzz(func(t *testing.T, spec string, raw []byte) {
		checkFiltered(t, tarFromSpec(spec))
		checkFiltered(t, raw)
	})
}

func tarFromSpec(spec string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for line := range strings.SplitSeq(spec, "\n") {
		if line == "" {
			continue
		}
		name, link, _ := strings.Cut(line[1:], "|")
		hdr := &tar.Header{Typeflag: line[0], Name: name, Linkname: link, Mode: 0o644, Format: tar.FormatPAX}
		body := ""
		if hdr.Typeflag == tar.TypeReg {
			body = "contents of " + name
			hdr.Size = int64(len(body))
		}
		if tw.WriteHeader(hdr) != nil {
			continue // archive/tar will not write it; leave it out
		}
		_, _ = io.WriteString(tw, body)
	}
	_ = tw.Close()
	return buf.Bytes()
}

func checkFiltered(t *testing.T, in []byte) {
	t.Helper()
	out, err := io.ReadAll(layertar.Filter(bytes.NewReader(in)))
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		hdr, rerr := tr.Next()
		if rerr != nil {
			if err == nil && rerr != io.EOF {
				t.Fatalf("the filter succeeded, but its output does not read as a tar: %v", rerr)
			}
			break
		}
		if problem := unsafeName(hdr.Name); problem != "" {
			t.Fatalf("passed the entry %q, whose name %s", hdr.Name, problem)
		}
		switch hdr.Typeflag {
		case tar.TypeLink:
			if problem := unsafeName(hdr.Linkname); problem != "" {
				t.Fatalf("passed the hard link %q, whose target %q %s", hdr.Name, hdr.Linkname, problem)
			}
		case tar.TypeSymlink:
			if problem := unsafeTarget(hdr.Name, hdr.Linkname); problem != "" {
				t.Fatalf("passed the symlink %q, whose target %q %s", hdr.Name, hdr.Linkname, problem)
			}
		}
	}
	if err != nil {
		return
	}
	again, err := io.ReadAll(layertar.Filter(bytes.NewReader(out)))
	if err != nil {
		t.Fatalf("the filter refuses its own output: %v", err)
	}
	if !bytes.Equal(again, out) {
		t.Fatalf("the filter changes its own output")
	}
}

func isSep(c byte) bool { return c == '/' || c == '\\' }

// splitNames splits at either separator, leaving out empty and "." names.
func splitNames(p string) []string {
	var out []string
	for _, n := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if n != "." {
			out = append(out, n)
		}
	}
	return out
}

// unsafeName says what makes an entry name or hard link target unsafe,
// or "".
func unsafeName(name string) string {
	switch {
	case name == "":
		return "is empty"
	case isSep(name[0]):
		return "is absolute"
	case len(name) >= 2 && name[1] == ':' && strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", rune(name[0])):
		return "starts with a drive"
	}
	for _, n := range splitNames(name) {
		if n == ".." {
			return `has a ".." name`
		}
	}
	for _, c := range []byte(name) {
		if c < 0x20 || c == 0x7f {
			return "has a control character"
		}
	}
	return ""
}

// unsafeTarget says what makes a symlink target unsafe, or "".
func unsafeTarget(link, target string) string {
	linkNames := splitNames(link)
	switch {
	case target == "":
		return "is empty"
	case isSep(target[0]):
		return "is rooted, UNC or a device path"
	case len(target) >= 2 && target[1] == ':':
		if len(target) == 2 || !isSep(target[2]) {
			return "is drive-relative"
		}
		if len(linkNames) < 2 || linkNames[0] != "Files" {
			return "is a drive path outside Files/"
		}
		for _, n := range splitNames(target[2:]) {
			if n == ".." {
				return `is a drive path with a ".." name`
			}
		}
		return ""
	}
	depth := len(linkNames) - 1
	for _, n := range splitNames(target) {
		if n == ".." {
			depth--
		} else {
			depth++
		}
		if depth < 0 {
			return "leaves the layer"
		}
	}
	return ""
}
