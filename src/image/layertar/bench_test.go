package layertar_test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/garden-windows/garden-windows-release/image/layertar"
)

// benchLayer is a 256 MiB layer tar of few large files, built once.
var benchLayer = sync.OnceValues(func() ([]byte, error) {
	const files, fileSize = 8, 32 << 20
	chunk := randomBytes(1<<20, 8)
	var buf bytes.Buffer
	buf.Grow(files*fileSize + 1<<20)
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "Files/", Mode: 0o755,
		PAXRecords: map[string]string{"MSWINDOWS.fileattr": "16"}}); err != nil {
		return nil, err
	}
	for i := range files {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("Files/big-%d.bin", i), Size: fileSize, Mode: 0o644,
			PAXRecords: map[string]string{"MSWINDOWS.fileattr": "32", "MSWINDOWS.rawsd": "AQAEgBQAAAAkAAAAAAAAADQAAAA="}}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		for range fileSize / len(chunk) {
			if _, err := tw.Write(chunk); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
})

// Neither side may short-cut the copy (bytes.Reader's WriteTo, io.Discard's
// ReadFrom): both copies go through io.Copy's buffer.
type onlyReader struct{ io.Reader }

type onlyWriter struct{}

func (onlyWriter) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkFilter compares the filter with a plain copy of the same tar;
// compare their MB/s.
func BenchmarkFilter(b *testing.B) {
	in, err := benchLayer()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("io.Copy", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := io.Copy(onlyWriter{}, onlyReader{bytes.NewReader(in)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Filter", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			f := layertar.Filter(onlyReader{bytes.NewReader(in)})
			n, err := io.Copy(onlyWriter{}, f)
			if err != nil {
				b.Fatal(err)
			}
			if n != int64(len(in)) {
				b.Fatalf("the filter gave %d bytes of %d", n, len(in))
			}
			f.Close()
		}
	})
}
