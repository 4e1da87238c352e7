package source_test

import (
	"context"
	"os"
	"path/filepath"

	"code.cloudfoundry.org/lager/v3/lagertest"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/garden-windows/garden-windows-release/image/ref"
	"github.com/garden-windows/garden-windows-release/image/source"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const layoutPath = `C:\var\vcap\packages\windows2019fs`

var _ = Describe("Resolve from an OCI image layout", func() {
	var (
		root   string
		local  string
		lay    layout.Path
		opts   source.Options
		logger *lagertest.TestLogger
		ctx    context.Context
		mapped []string
	)

	parse := func(uri string) ref.Ref {
		r, err := ref.Parse(uri)
		Expect(err).NotTo(HaveOccurred())
		return r
	}

	BeforeEach(func() {
		root = GinkgoT().TempDir()
		local = windowsPathIn(root)(layoutPath)
		var err error
		lay, err = layout.Write(local, empty.Index)
		Expect(err).NotTo(HaveOccurred())
		logger = lagertest.NewTestLogger("source")
		ctx = context.Background()
		mapped = nil
		toLocal := windowsPathIn(root)
		opts = source.Options{
			LocalPath: func(p string) string {
				mapped = append(mapped, p)
				return toLocal(p)
			},
			Log: logger,
		}
	})

	tagged := func(tag string) layout.Option {
		return layout.WithAnnotations(map[string]string{specs.AnnotationRefName: tag})
	}
	withPlatform := func(os, arch, osVersion string) layout.Option {
		return layout.WithPlatform(*platform(os, arch, osVersion))
	}

	It("resolves a single image: layers base first, config, env, name, and blobs that round-trip", func() {
		img := windowsImage("10.0.17763.5576", "PATH=C:\\Windows", "FOO=bar")
		Expect(lay.AppendImage(img)).To(Succeed())

		r := parse("oci:///C:/var/vcap/packages/windows2019fs")
		got, err := source.Resolve(ctx, r, opts)
		Expect(err).NotTo(HaveOccurred())
		expectImage(got, img, "oci:///C:/var/vcap/packages/windows2019fs")
		Expect(got.Env).To(Equal([]string{"PATH=C:\\Windows", "FOO=bar"}))
		Expect(mapped).To(ContainElement(layoutPath), "the Windows path goes through LocalPath")
		Expect(logger.LogMessages()).To(ContainElement("source.resolve.resolved"))
	})

	It("uses the path as it is when LocalPath is nil", func() {
		img := windowsImage("")
		Expect(lay.AppendImage(img)).To(Succeed())
		opts.LocalPath = nil
		got, err := source.Resolve(ctx, ref.Ref{Scheme: ref.OCI, Path: local}, opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.ConfigDigest).To(Equal(configDigest(img)))
	})

	Describe("tags", func() {
		var img2019, img2022 v1.Image

		BeforeEach(func() {
			img2019 = windowsImage("10.0.17763.5576")
			img2022 = windowsImage("10.0.20348.2000")
			Expect(lay.AppendImage(img2019, tagged("2019"), withPlatform("windows", "amd64", "10.0.17763.5576"))).To(Succeed())
			Expect(lay.AppendImage(img2022, tagged("2022"), withPlatform("windows", "amd64", "10.0.20348.2000"))).To(Succeed())
		})

		DescribeTable("select the manifest by its ref name annotation",
			func(uri string, want *v1.Image) {
				r := parse(uri)
				got, err := source.Resolve(ctx, r, opts)
				Expect(err).NotTo(HaveOccurred())
				Expect(got.ConfigDigest).To(Equal(configDigest(*want)))
			},
			Entry("colon form", "oci:///C:/var/vcap/packages/windows2019fs:2022", &img2022),
			Entry("fragment form", "oci:///C:/var/vcap/packages/windows2019fs#2019", &img2019),
		)

		It("matches a ref name that is a whole image name by its tag", func() {
			other := windowsImage("10.0.17763.1")
			Expect(lay.AppendImage(other, tagged("docker.io/cloudfoundry/windows2016fs:1803"))).To(Succeed())
			r := parse("oci:///C:/var/vcap/packages/windows2019fs:1803")
			got, err := source.Resolve(ctx, r, opts)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.ConfigDigest).To(Equal(configDigest(other)))
		})

		It("fails for a tag the layout lacks, listing the tags it has", func() {
			r := parse("oci:///C:/var/vcap/packages/windows2019fs:2016")
			_, err := source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(source.ErrNotFound))
			Expect(err.Error()).To(ContainSubstring(`no image tagged "2016"`))
			Expect(err.Error()).To(ContainSubstring(layoutPath))
			Expect(err.Error()).To(ContainSubstring("tags it has: 2019, 2022"))
		})

		It("without a tag, chooses by the host's Windows build", func() {
			opts.HostOSVersion = "10.0.20348.2227"
			r := parse("oci:///C:/var/vcap/packages/windows2019fs")
			got, err := source.Resolve(ctx, r, opts)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.ConfigDigest).To(Equal(configDigest(img2022)))
		})

		It("without a tag or a host version, says to give a tag", func() {
			r := parse("oci:///C:/var/vcap/packages/windows2019fs")
			_, err := source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(source.ErrPlatform))
			Expect(err.Error()).To(ContainSubstring("add its tag to the URI"))
			Expect(err.Error()).To(ContainSubstring("tags: 2019, 2022"))
		})
	})

	Describe("choosing by platform from an index", func() {
		var images map[string]v1.Image

		BeforeEach(func() {
			images = map[string]v1.Image{}
			for _, v := range []string{"10.0.17763.1000", "10.0.17763.5576", "10.0.17763.6000", "10.0.20348.2000"} {
				images[v] = windowsImage(v)
			}
			images["linux"] = imageFor("linux", "amd64", "")
			images["arm64"] = imageFor("windows", "arm64", "10.0.17763.5576")
		})

		appendAll := func(tag string) {
			for _, v := range []string{"10.0.17763.1000", "10.0.17763.5576", "10.0.17763.6000", "10.0.20348.2000"} {
				Expect(lay.AppendImage(images[v], tagged(tag), withPlatform("windows", "amd64", v))).To(Succeed())
			}
			Expect(lay.AppendImage(images["linux"], tagged(tag), withPlatform("linux", "amd64", ""))).To(Succeed())
			Expect(lay.AppendImage(images["arm64"], tagged(tag), withPlatform("windows", "arm64", "10.0.17763.5576"))).To(Succeed())
		}

		DescribeTable("picks the windows/amd64 entry for the host's build",
			func(host, want string) {
				appendAll("multi")
				opts.HostOSVersion = host
				r := parse("oci:///C:/var/vcap/packages/windows2019fs:multi")
				got, err := source.Resolve(ctx, r, opts)
				Expect(err).NotTo(HaveOccurred())
				Expect(got.ConfigDigest).To(Equal(configDigest(images[want])))
			},
			Entry("the exact revision", "10.0.17763.5576", "10.0.17763.5576"),
			Entry("the highest revision not above the host's", "10.0.17763.5999", "10.0.17763.5576"),
			Entry("the highest revision when the host is newer than all", "10.0.17763.9999", "10.0.17763.6000"),
			Entry("the highest revision of the build when all are newer than the host", "10.0.17763.10", "10.0.17763.6000"),
			Entry("the highest revision when the host gives no revision", "10.0.17763", "10.0.17763.6000"),
			Entry("another build", "10.0.20348.1", "10.0.20348.2000"),
		)

		It("fails when no entry has the host's build, listing the builds offered and the host's", func() {
			appendAll("multi")
			opts.HostOSVersion = "10.0.14393.6897"
			r := parse("oci:///C:/var/vcap/packages/windows2019fs:multi")
			_, err := source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(source.ErrPlatform))
			Expect(err.Error()).To(ContainSubstring("10.0.14393.6897"))
			Expect(err.Error()).To(ContainSubstring("builds offered: 10.0.17763, 10.0.20348"))
		})

		It("fails without a host version when several windows/amd64 entries are offered", func() {
			appendAll("multi")
			r := parse("oci:///C:/var/vcap/packages/windows2019fs:multi")
			_, err := source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(source.ErrPlatform))
			Expect(err.Error()).To(ContainSubstring("4 windows/amd64 images"))
			Expect(err.Error()).To(ContainSubstring("host's Windows version was not given"))
		})

		It("takes the only windows/amd64 entry without a host version", func() {
			Expect(lay.AppendImage(images["linux"], tagged("t"), withPlatform("linux", "amd64", ""))).To(Succeed())
			Expect(lay.AppendImage(images["10.0.20348.2000"], tagged("t"), withPlatform("windows", "amd64", "10.0.20348.2000"))).To(Succeed())
			r := parse("oci:///C:/var/vcap/packages/windows2019fs:t")
			got, err := source.Resolve(ctx, r, opts)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.ConfigDigest).To(Equal(configDigest(images["10.0.20348.2000"])))
		})

		It("fails for an index without any windows/amd64 entry, saying what it offers", func() {
			Expect(lay.AppendImage(images["linux"], tagged("t"), withPlatform("linux", "amd64", ""))).To(Succeed())
			Expect(lay.AppendImage(images["arm64"], tagged("t"), withPlatform("windows", "arm64", "10.0.17763.5576"))).To(Succeed())
			opts.HostOSVersion = "10.0.17763.5576"
			r := parse("oci:///C:/var/vcap/packages/windows2019fs:t")
			_, err := source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(source.ErrPlatform))
			Expect(err.Error()).To(ContainSubstring("no windows/amd64 image (it offers linux/amd64, windows/arm64 10.0.17763.5576)"))
		})

		It("fails for a host version it cannot read", func() {
			appendAll("multi")
			opts.HostOSVersion = "Windows Server 2019"
			r := parse("oci:///C:/var/vcap/packages/windows2019fs:multi")
			_, err := source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(ContainSubstring(`host's Windows version "Windows Server 2019"`)))
		})

		It("descends into a manifest list the layout's index points to", func() {
			idx := indexOf(
				entry{platform("linux", "amd64", ""), images["linux"]},
				entry{platform("windows", "amd64", "10.0.17763.1000"), images["10.0.17763.1000"]},
				entry{platform("windows", "amd64", "10.0.20348.2000"), images["10.0.20348.2000"]},
			)
			Expect(lay.AppendIndex(idx, tagged("2019"))).To(Succeed())
			opts.HostOSVersion = "10.0.17763.5576"
			r := parse("oci:///C:/var/vcap/packages/windows2019fs:2019")
			got, err := source.Resolve(ctx, r, opts)
			Expect(err).NotTo(HaveOccurred())
			expectImage(got, images["10.0.17763.1000"], "oci:///C:/var/vcap/packages/windows2019fs:2019")
		})
	})

	It("refuses a single image whose config is for Linux", func() {
		Expect(lay.AppendImage(imageFor("linux", "amd64", ""))).To(Succeed())
		r := parse("oci:///C:/var/vcap/packages/windows2019fs")
		_, err := source.Resolve(ctx, r, opts)
		Expect(err).To(MatchError(source.ErrPlatform))
		Expect(err.Error()).To(ContainSubstring("is for linux/amd64"))
	})

	Describe("a missing or damaged layout", func() {
		It("says which directory is missing and that the BOSH package may be missing", func() {
			r := parse("oci:///C:/var/vcap/packages/windows2016fs")
			_, err := source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(source.ErrLayoutMissing))
			Expect(err).To(MatchError(os.ErrNotExist))
			Expect(err.Error()).To(ContainSubstring(`OCI image layout directory C:\var\vcap\packages\windows2016fs`))
			Expect(err.Error()).To(ContainSubstring("does not exist"))
			Expect(err.Error()).To(ContainSubstring("BOSH package"))
			Expect(logger.LogMessages()).To(ContainElement("source.resolve.failed"))
		})

		It("says when the path is a file", func() {
			Expect(os.WriteFile(filepath.Join(filepath.Dir(local), "file"), nil, 0o600)).To(Succeed())
			r := parse("oci:///C:/var/vcap/packages/file")
			_, err := source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(source.ErrLayoutMissing))
			Expect(err.Error()).To(ContainSubstring("not a directory"))
		})

		It("says when the directory is not a layout", func() {
			Expect(os.Remove(filepath.Join(local, "index.json"))).To(Succeed())
			r := parse("oci:///C:/var/vcap/packages/windows2019fs")
			_, err := source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(source.ErrLayoutMissing))
			Expect(err.Error()).To(ContainSubstring(`C:\var\vcap\packages\windows2019fs`))
			Expect(err.Error()).To(ContainSubstring("not an OCI image layout"))
		})

		It("names a layer blob the layout lacks", func() {
			img := windowsImage("")
			Expect(lay.AppendImage(img)).To(Succeed())
			layers, err := img.Layers()
			Expect(err).NotTo(HaveOccurred())
			d, err := layers[1].Digest()
			Expect(err).NotTo(HaveOccurred())
			Expect(os.Remove(filepath.Join(local, "blobs", d.Algorithm, d.Hex))).To(Succeed())

			r := parse("oci:///C:/var/vcap/packages/windows2019fs")
			_, err = source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(source.ErrLayoutMissing))
			Expect(err.Error()).To(ContainSubstring("lacks blob " + d.String()))
		})

		It("names a blob whose size is wrong", func() {
			img := windowsImage("")
			Expect(lay.AppendImage(img)).To(Succeed())
			layers, err := img.Layers()
			Expect(err).NotTo(HaveOccurred())
			d, err := layers[0].Digest()
			Expect(err).NotTo(HaveOccurred())
			Expect(os.Truncate(filepath.Join(local, "blobs", d.Algorithm, d.Hex), 10)).To(Succeed())

			r := parse("oci:///C:/var/vcap/packages/windows2019fs")
			_, err = source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(source.ErrLayoutMissing))
			Expect(err.Error()).To(ContainSubstring("blob " + d.String()))
			Expect(err.Error()).To(ContainSubstring("is 10 bytes"))
		})

		It("makes Open say which blob went missing after Resolve", func() {
			img := windowsImage("")
			Expect(lay.AppendImage(img)).To(Succeed())
			r := parse("oci:///C:/var/vcap/packages/windows2019fs")
			got, err := source.Resolve(ctx, r, opts)
			Expect(err).NotTo(HaveOccurred())

			l := got.Layers[2]
			Expect(os.Remove(filepath.Join(local, "blobs", "sha256", l.Digest[len("sha256:"):]))).To(Succeed())
			_, err = l.Open()
			Expect(err).To(MatchError(source.ErrLayoutMissing))
			Expect(err.Error()).To(ContainSubstring(l.Digest))
		})

		It("fails for an empty layout", func() {
			r := parse("oci:///C:/var/vcap/packages/windows2019fs")
			_, err := source.Resolve(ctx, r, opts)
			Expect(err).To(MatchError(source.ErrNotFound))
			Expect(err.Error()).To(ContainSubstring("lists no images"))
		})
	})

	It("stops when the context is already cancelled", func() {
		Expect(lay.AppendImage(windowsImage(""))).To(Succeed())
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		r := parse("oci:///C:/var/vcap/packages/windows2019fs")
		_, err := source.Resolve(cctx, r, opts)
		Expect(err).To(MatchError(context.Canceled))
	})
})
