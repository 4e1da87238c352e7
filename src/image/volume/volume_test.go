package volume_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/host/hostfakes"
	"github.com/garden-windows/garden-windows-release/image/volume"
)

var _ = Describe("Quota", func() {
	DescribeTable("is the limit, less the image unless excluded",
		func(s volume.Spec, want uint64) {
			Expect(volume.Quota(s)).To(Equal(want))
		},
		Entry("no limit", volume.Spec{ImageSize: 100}, uint64(0)),
		Entry("no limit, image excluded", volume.Spec{ImageSize: 100, ExcludeImage: true}, uint64(0)),
		Entry("image excluded", volume.Spec{DiskLimit: 1000, ImageSize: 100, ExcludeImage: true}, uint64(1000)),
		Entry("image included", volume.Spec{DiskLimit: 1000, ImageSize: 100}, uint64(900)),
		Entry("image excluded, limit below the image", volume.Spec{DiskLimit: 10, ImageSize: 100, ExcludeImage: true}, uint64(10)),
	)

	It("refuses a limit the image fills, saying what to do", func() {
		for _, limit := range []uint64{99, 100} {
			_, err := volume.Quota(volume.Spec{DiskLimit: limit, ImageSize: 100})
			Expect(errors.Is(err, volume.ErrQuotaTooSmall)).To(BeTrue())
			Expect(err.Error()).To(ContainSubstring("--exclude-image-from-quota"))
		}
	})
})

var _ = Describe("Manager", func() {
	var (
		fake   *hostfakes.FakeVolumeHost
		m      volume.Manager
		root   string
		locked int
		spec   volume.Spec
		metaOf func(string) string
		layers = []string{`C:\groot\layers\top`, `C:\groot\layers\base`}
	)

	BeforeEach(func() {
		fake = &hostfakes.FakeVolumeHost{}
		fake.CreateSandboxReturns(`\\?\Volume{1}\`, nil)
		root = GinkgoT().TempDir()
		locked = 0
		// Windows paths map to files under root, as in the simulation.
		local := func(p string) string {
			return filepath.Join(root, filepath.FromSlash(strings.ReplaceAll(strings.TrimPrefix(p, `C:\`), `\`, "/")))
		}
		m = volume.Manager{
			Dir: `C:\groot\volumes`, Local: local, Host: fake, Log: lagertest.NewTestLogger("volume"),
			HostLock: func() (func(), error) {
				locked++
				Expect(locked).To(Equal(1), "the lock is not taken twice")
				return func() { locked-- }, nil
			},
		}
		metaOf = func(h string) string { return local(`C:\groot\volumes\` + h + ".json") }
		spec = volume.Spec{Handle: "app-1", Layers: layers, ImageSize: 100, DiskLimit: 1000}
	})

	It("creates the sandbox on the layers, sets the quota and records it", func() {
		v, err := m.Create(spec)
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(Equal(volume.Volume{Handle: "app-1", Dir: `C:\groot\volumes\app-1`, VolumePath: `\\?\Volume{1}\`, Layers: layers, ImageSize: 100, Quota: 900, Created: true}))
		dir, parents := fake.CreateSandboxArgsForCall(0)
		Expect(dir).To(Equal(`C:\groot\volumes\app-1`))
		Expect(parents).To(Equal(layers))
		path, q := fake.SetQuotaArgsForCall(0)
		Expect(path).To(Equal(`\\?\Volume{1}\`))
		Expect(q).To(Equal(uint64(900)))
		Expect(metaOf("app-1")).To(BeAnExistingFile())
		Expect(locked).To(Equal(0))
	})

	It("sets no quota without a limit", func() {
		spec.DiskLimit = 0
		_, err := m.Create(spec)
		Expect(err).NotTo(HaveOccurred())
		Expect(fake.SetQuotaCallCount()).To(Equal(0))
	})

	It("refuses a second create of a handle without touching the host", func() {
		_, err := m.Create(spec)
		Expect(err).NotTo(HaveOccurred())
		_, err = m.Create(spec)
		Expect(errors.Is(err, volume.ErrExists)).To(BeTrue())
		Expect(fake.CreateSandboxCallCount()).To(Equal(1))
	})

	It("refuses a bad handle and a quota below the image before anything", func() {
		spec.Handle = `..\x`
		_, err := m.Create(spec)
		Expect(err).To(MatchError(ContainSubstring("invalid container handle")))
		spec.Handle, spec.DiskLimit = "app-1", 50
		_, err = m.Create(spec)
		Expect(errors.Is(err, volume.ErrQuotaTooSmall)).To(BeTrue())
		Expect(fake.CreateSandboxCallCount()).To(Equal(0))
		Expect(metaOf("app-1")).NotTo(BeAnExistingFile())
	})

	DescribeTable("undoes a failed create: no sandbox, no metadata",
		func(arm func()) {
			arm()
			_, err := m.Create(spec)
			Expect(err).To(HaveOccurred())
			Expect(fake.DestroySandboxCallCount()).To(Equal(1))
			Expect(fake.DestroySandboxArgsForCall(0)).To(Equal(`C:\groot\volumes\app-1`))
			Expect(metaOf("app-1")).NotTo(BeAnExistingFile())
			Expect(locked).To(Equal(0))
		},
		Entry("creating the sandbox", func() { fake.CreateSandboxReturns("", errors.New("boom")) }),
		Entry("setting the quota", func() { fake.SetQuotaReturns(errors.New("0x80045313")) }),
	)

	It("deletes the sandbox and the metadata, and deleting again is fine", func() {
		_, err := m.Create(spec)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Delete("app-1")).To(Succeed())
		Expect(fake.DestroySandboxArgsForCall(0)).To(Equal(`C:\groot\volumes\app-1`))
		Expect(metaOf("app-1")).NotTo(BeAnExistingFile())
		Expect(m.Delete("app-1")).To(Succeed())
	})

	It("keeps the metadata when destroying the sandbox fails, so that a retry finishes", func() {
		_, err := m.Create(spec)
		Expect(err).NotTo(HaveOccurred())
		fake.DestroySandboxReturns(errors.New("in use"))
		Expect(m.Delete("app-1")).To(MatchError(ContainSubstring("destroying the sandbox of app-1: in use")))
		Expect(metaOf("app-1")).To(BeAnExistingFile())
		fake.DestroySandboxReturns(nil)
		Expect(m.Delete("app-1")).To(Succeed())
		Expect(metaOf("app-1")).NotTo(BeAnExistingFile())
	})

	It("finishes a create a crash interrupted, when the handle is deleted", func() {
		Expect(os.MkdirAll(filepath.Dir(metaOf("app-1")), 0o755)).To(Succeed())
		Expect(os.WriteFile(metaOf("app-1"), []byte(`{"handle":"app-1","dir":"C:\\groot\\volumes\\app-1","created":false}`), 0o644)).To(Succeed())
		_, err := m.Stats("app-1")
		Expect(errors.Is(err, volume.ErrNotFound)).To(BeTrue())
		Expect(m.Delete("app-1")).To(Succeed())
		Expect(fake.DestroySandboxArgsForCall(0)).To(Equal(`C:\groot\volumes\app-1`))
		Expect(metaOf("app-1")).NotTo(BeAnExistingFile())
	})

	It("reports the container's bytes, and those plus the image's", func() {
		_, err := m.Create(spec)
		Expect(err).NotTo(HaveOccurred())
		fake.SandboxUsageReturns(42, nil)
		u, err := m.Stats("app-1")
		Expect(err).NotTo(HaveOccurred())
		Expect(u).To(Equal(volume.Usage{Total: 142, Exclusive: 42}))
		dir, path := fake.SandboxUsageArgsForCall(0)
		Expect(dir).To(Equal(`C:\groot\volumes\app-1`))
		Expect(path).To(Equal(`\\?\Volume{1}\`))
	})
})
