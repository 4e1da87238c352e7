package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/klauspost/compress/gzip"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/image/layertar"
)

var _ = Describe("gen", func() {
	var dir string
	var sum summary

	BeforeEach(func() {
		dir = filepath.Join(GinkgoT().TempDir(), "layout")
		var err error
		sum, err = generate(dir, 3<<20, 3, "t", 7)
		Expect(err).NotTo(HaveOccurred())
	})

	It("writes a windows/amd64 OCI layout, tagged, that go-containerregistry reads", func() {
		p, err := layout.FromPath(dir)
		Expect(err).NotTo(HaveOccurred())
		idx, err := p.ImageIndex()
		Expect(err).NotTo(HaveOccurred())
		im, err := idx.IndexManifest()
		Expect(err).NotTo(HaveOccurred())
		Expect(im.Manifests).To(HaveLen(1))
		Expect(im.Manifests[0].Annotations).To(HaveKeyWithValue("org.opencontainers.image.ref.name", "t"))
		img, err := idx.Image(im.Manifests[0].Digest)
		Expect(err).NotTo(HaveOccurred())
		cfg, err := img.ConfigFile()
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.OS).To(Equal("windows"))
		Expect(cfg.Architecture).To(Equal("amd64"))
		layers, err := img.Layers()
		Expect(err).NotTo(HaveOccurred())
		Expect(layers).To(HaveLen(3))
		Expect(cfg.RootFS.DiffIDs).To(HaveLen(3))
		for i, l := range layers {
			d, err := l.Digest()
			Expect(err).NotTo(HaveOccurred())
			Expect(d).To(Equal(sum.layers[i].digest))
			Expect(cfg.RootFS.DiffIDs[i]).To(Equal(sum.layers[i].diffID))
		}
	})

	It("makes blobs of at least the size asked, the base layer largest, that gzip 2-3 times", func() {
		Expect(sum.blobBytes).To(BeNumerically(">=", 3<<20))
		Expect(sum.layers[0].size).To(BeNumerically(">", sum.layers[1].size))
		Expect(sum.layers[1].size).To(BeNumerically(">", sum.layers[2].size))
		ratio := float64(sum.tarBytes) / float64(sum.blobBytes)
		Expect(ratio).To(BeNumerically(">=", 2))
		Expect(ratio).To(BeNumerically("<=", 3))
	})

	It("writes layer tars whose digests are right and that groot's entry filter accepts", func() {
		var regular, links int
		for _, l := range sum.layers {
			data, err := os.ReadFile(blobPath(dir, l.digest))
			Expect(err).NotTo(HaveOccurred())
			blobSum := sha256.Sum256(data)
			Expect(hex.EncodeToString(blobSum[:])).To(Equal(l.digest.Hex))

			zr, err := gzip.NewReader(strings.NewReader(string(data)))
			Expect(err).NotTo(HaveOccurred())
			raw, err := io.ReadAll(zr)
			Expect(err).NotTo(HaveOccurred())
			tarSum := sha256.Sum256(raw)
			Expect(hex.EncodeToString(tarSum[:])).To(Equal(l.diffID.Hex))
			Expect(int64(len(raw))).To(Equal(l.tarSize))

			filtered := layertar.Filter(strings.NewReader(string(raw)))
			tr := tar.NewReader(filtered)
			for {
				hdr, err := tr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				Expect(err).NotTo(HaveOccurred())
				Expect(hdr.Name).To(Or(HavePrefix("Files/"), HavePrefix("Hives/")))
				Expect(hdr.PAXRecords).To(HaveKey("MSWINDOWS.rawsd"))
				switch hdr.Typeflag {
				case tar.TypeReg:
					regular++
				case tar.TypeLink:
					links++
				}
			}
		}
		Expect(regular).To(Equal(sum.files))
		Expect(links).To(Equal(sum.links))
		Expect(links).To(BeNumerically(">", 0))
	})

	It("makes the same image from the same seed", func() {
		again, err := generate(filepath.Join(GinkgoT().TempDir(), "again"), 3<<20, 3, "t", 7)
		Expect(err).NotTo(HaveOccurred())
		Expect(again.manifest).To(Equal(sum.manifest))
	})

	It("refuses a directory that is not empty", func() {
		_, err := generate(dir, 1<<20, 1, "t", 7)
		Expect(err).To(MatchError(ContainSubstring("is not empty")))
	})

	Describe("floor", func() {
		It("reads every layer and counts the bytes gen wrote", func() {
			layers, err := imageLayers(dir, "t")
			Expect(err).NotTo(HaveOccurred())
			Expect(layers).To(HaveLen(3))
			var blobs, tars int64
			for _, l := range layers {
				b, t, err := floorLayer(dir, l)
				Expect(err).NotTo(HaveOccurred())
				blobs += b
				tars += t
			}
			Expect(blobs).To(Equal(sum.blobBytes))
			Expect(tars).To(Equal(sum.tarBytes))
		})

		It("fails on a blob whose bytes are not its digest's", func() {
			layers, err := imageLayers(dir, "")
			Expect(err).NotTo(HaveOccurred())
			// Another layer's blob in its place: valid gzip, wrong bytes.
			other, err := os.ReadFile(blobPath(dir, layers[2].Digest))
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(blobPath(dir, layers[1].Digest), other, 0o644)).To(Succeed())
			_, _, err = floorLayer(dir, layers[1])
			Expect(err).To(MatchError(ContainSubstring("sha256 is " + layers[2].Digest.Hex)))
		})

		It("names the tags it does not find", func() {
			_, err := imageLayers(dir, "nope")
			Expect(err).To(MatchError(ContainSubstring(`0 images tagged "nope"`)))
		})
	})
})
