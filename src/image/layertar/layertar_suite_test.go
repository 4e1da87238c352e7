package layertar_test

import (
	"archive/tar"
	"bytes"
	"io"
	"maps"
	"testing"
	"time"

	"github.com/garden-windows/garden-windows-release/image/layertar"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestLayertar(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "image/layertar")
}

// entry is one tar entry a test writes.
type entry struct {
	hdr  tar.Header
	body []byte
}

var entryTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func file(name, body string) entry {
	return entry{
		hdr:  tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(body)), Mode: 0o644, ModTime: entryTime},
		body: []byte(body),
	}
}

func dir(name string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: entryTime}}
}

func symlink(name, target string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: entryTime}}
}

// junction is a symlink entry as backuptar writes a Windows mount point.
func junction(name, target string) entry {
	return symlink(name, target).pax("MSWINDOWS.mountpoint", "1")
}

func hardLink(name, target string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o644, ModTime: entryTime}}
}

func special(name string, typ byte) entry {
	return entry{hdr: tar.Header{Typeflag: typ, Name: name, Mode: 0o644, ModTime: entryTime}}
}

func (e entry) pax(key, value string) entry {
	e.hdr.PAXRecords = maps.Clone(e.hdr.PAXRecords)
	if e.hdr.PAXRecords == nil {
		e.hdr.PAXRecords = map[string]string{}
	}
	e.hdr.PAXRecords[key] = value
	return e
}

// writeTar writes the entries with archive/tar. It returns an error rather
// than failing, for the fuzz target and the benchmark.
func writeTar(es ...entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func tarOf(es ...entry) []byte {
	b, err := writeTar(es...)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return b
}

// filterAll reads the whole filtered stream: what came out, and the error
// that ended it (nil at the end of the tar).
func filterAll(in []byte) ([]byte, error) {
	f := layertar.Filter(bytes.NewReader(in))
	defer f.Close()
	return io.ReadAll(f)
}

// parsed is one entry as archive/tar reads it back.
type parsed struct {
	hdr  *tar.Header
	body []byte
}

// parseTar reads every entry of a tar that must be well formed.
func parseTar(b []byte) []parsed {
	var out []parsed
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		body, err := io.ReadAll(tr)
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		out = append(out, parsed{hdr: hdr, body: body})
	}
}

func names(ps []parsed) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.hdr.Name)
	}
	return out
}
