package layerstore_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/host/hostfakes"
	"github.com/garden-windows/garden-windows-release/image"
	"github.com/garden-windows/garden-windows-release/image/layerstore"
	"github.com/garden-windows/garden-windows-release/image/layertar"
)

const gzipTar = "application/vnd.oci.image.layer.v1.tar+gzip"

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func tarOf(files map[string]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	Expect(tw.WriteHeader(&tar.Header{Name: "Files/", Typeflag: tar.TypeDir, Mode: 0o755})).To(Succeed())
	for name, body := range files {
		Expect(tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})).To(Succeed())
		_, err := tw.Write([]byte(body))
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(tw.Close()).To(Succeed())
	return buf.Bytes()
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	Expect(err).NotTo(HaveOccurred())
	Expect(zw.Close()).To(Succeed())
	return buf.Bytes()
}

// layer makes an image layer of a tar, gzipped.
func layer(t []byte) image.Layer {
	blob := gz(t)
	return image.Layer{
		Digest: digestOf(blob), DiffID: digestOf(t), MediaType: gzipTar, Size: int64(len(blob)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blob)), nil },
	}
}

var _ = Describe("Store", func() {
	var (
		fake     *hostfakes.FakeLayerHost
		store    layerstore.Store
		root     string
		imported map[string]map[string]string // dir -> file -> body
		base     []byte
		top      []byte
		img      image.Image
	)

	BeforeEach(func() {
		root = GinkgoT().TempDir()
		local := func(p string) string {
			return filepath.Join(root, filepath.FromSlash(strings.ReplaceAll(strings.TrimPrefix(p, `C:\`), `\`, "/")))
		}
		imported = map[string]map[string]string{}
		fake = &hostfakes.FakeLayerHost{}
		// Like the real import: the directory appears, then the tar is
		// read up to its end marker (never further).
		fake.ImportLayerStub = func(dir string, parents []string, r io.Reader) error {
			Expect(os.MkdirAll(local(dir), 0o755)).To(Succeed())
			files := map[string]string{}
			tr := tar.NewReader(r)
			for {
				hdr, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				body, err := io.ReadAll(tr)
				if err != nil {
					return err
				}
				files[hdr.Name] = string(body)
			}
			imported[dir] = files
			return nil
		}
		fake.DestroyLayerStub = func(dir string) error { return os.RemoveAll(local(dir)) }
		store = layerstore.Store{Dir: `C:\groot\layers`, Local: local, Host: fake, Log: lagertest.NewTestLogger("layerstore")}
		base = tarOf(map[string]string{"Files/base.txt": strings.Repeat("b", 100000)})
		top = tarOf(map[string]string{"Files/top.txt": "top"})
		img = image.Image{Name: "test-image", Layers: []image.Layer{layer(base), layer(top)}}
	})

	chain := func() []string { return image.ChainIDs([]string{digestOf(base), digestOf(top)}) }
	dirOf := func(chainID string) string { return `C:\groot\layers\` + image.DigestHex(chainID) }

	It("imports the layers base first, each on its parents, and lists them topmost first", func() {
		layers, err := store.Ensure(context.Background(), img)
		Expect(err).NotTo(HaveOccurred())
		c := chain()
		Expect(layers.Dirs).To(Equal([]string{dirOf(c[1]), dirOf(c[0])}))
		Expect(layers.Size).To(Equal(uint64(len(base) + len(top))))

		Expect(fake.ImportLayerCallCount()).To(Equal(2))
		dir, parents, _ := fake.ImportLayerArgsForCall(0)
		Expect(dir).To(Equal(dirOf(c[0])))
		Expect(parents).To(BeEmpty())
		dir, parents, _ = fake.ImportLayerArgsForCall(1)
		Expect(dir).To(Equal(dirOf(c[1])))
		Expect(parents).To(Equal([]string{dirOf(c[0])}))
		Expect(imported[dirOf(c[1])]).To(HaveKeyWithValue("Files/top.txt", "top"))

		m, ok, err := store.Imported(c[1])
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		Expect(m.DiffID).To(Equal(digestOf(top)))
	})

	It("imports a layer once", func() {
		_, err := store.Ensure(context.Background(), img)
		Expect(err).NotTo(HaveOccurred())
		again, err := store.Ensure(context.Background(), img)
		Expect(err).NotTo(HaveOccurred())
		Expect(fake.ImportLayerCallCount()).To(Equal(2))
		Expect(again.Dirs).To(HaveLen(2))
	})

	Describe("refuses layers that are not what the image says, and removes what they wrote", func() {
		expectRefused := func(errText string) {
			_, err := store.Ensure(context.Background(), img)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(errText))
			c := chain()
			_, ok, _ := store.Imported(c[1])
			Expect(ok).To(BeFalse())
			Expect(filepath.Join(root, "groot", "layers", image.DigestHex(c[1]))).NotTo(BeADirectory())
		}

		It("a blob whose digest differs", func() {
			img.Layers[1].Digest = digestOf([]byte("something else"))
			expectRefused("its digest is sha256:")
			_, err := store.Ensure(context.Background(), img)
			Expect(errors.Is(err, layerstore.ErrCorruptLayer)).To(BeTrue())
		})

		It("a tar whose diff ID differs (another image's layer claimed)", func() {
			other := tarOf(map[string]string{"Files/evil.txt": "evil"})
			blob := gz(other)
			img.Layers[1] = image.Layer{Digest: digestOf(blob), DiffID: digestOf(top), MediaType: gzipTar, Size: int64(len(blob)),
				Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blob)), nil }}
			expectRefused("its diff ID is sha256:")
		})

		It("a truncated blob", func() {
			blob := gz(top)
			img.Layers[1].Open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blob[:len(blob)-10])), nil }
			expectRefused("corrupt layer")
		})

		It("a blob longer than the manifest says", func() {
			blob := append(gz(top), make([]byte, 10)...)
			img.Layers[1].Open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blob)), nil }
			expectRefused("longer than the")
		})

		It("a blob that is not gzip", func() {
			img.Layers[1].Open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(top)), nil }
			expectRefused("not gzip")
		})

		It("a tar with an unsafe entry", func() {
			evil := tarOf(map[string]string{"Files/../../evil.txt": "x"})
			img.Layers[1] = layer(evil)
			top = evil
			_, err := store.Ensure(context.Background(), img)
			Expect(errors.Is(err, layertar.ErrUnsafeEntry)).To(BeTrue(), "%v", err)
			Expect(err.Error()).To(ContainSubstring(`"Files/../../evil.txt"`))
			Expect(fake.DestroyLayerCallCount()).To(Equal(1))
		})
	})

	It("refuses an unsupported media type without importing", func() {
		img.Layers[0].MediaType = "application/vnd.oci.image.layer.v1.tar+zstd"
		_, err := store.Ensure(context.Background(), img)
		Expect(err).To(MatchError(ContainSubstring(`layer media type "application/vnd.oci.image.layer.v1.tar+zstd" is not supported`)))
		Expect(imported).To(BeEmpty())
	})

	It("refuses digests that are not sha256 before importing anything", func() {
		img.Layers[1].DiffID = "md5:abc"
		_, err := store.Ensure(context.Background(), img)
		Expect(err).To(MatchError(ContainSubstring(`"md5:abc" is not a sha256 digest`)))
		Expect(fake.ImportLayerCallCount()).To(Equal(0))
	})

	It("replaces a half-imported layer, and Cleanup removes those nobody imports", func() {
		c := chain()
		half := filepath.Join(root, "groot", "layers", image.DigestHex(c[0]))
		Expect(os.MkdirAll(filepath.Join(half, "Files"), 0o755)).To(Succeed())
		Expect(store.Cleanup()).To(Succeed())
		Expect(half).NotTo(BeADirectory())

		Expect(os.MkdirAll(half, 0o755)).To(Succeed())
		_, err := store.Ensure(context.Background(), img)
		Expect(err).NotTo(HaveOccurred())
		Expect(fake.DestroyLayerArgsForCall(fake.DestroyLayerCallCount() - 1)).To(Equal(dirOf(c[0])))

		// Imported layers are kept.
		Expect(store.Cleanup()).To(Succeed())
		Expect(half).To(BeADirectory())
	})
})
