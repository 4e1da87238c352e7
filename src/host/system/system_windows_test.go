package system_test

// The Windows integration suite of the cell-prep system adapter, run by the
// pipeline on a Windows Server worker as an administrator (DISM refuses to
// run otherwise). It only reads: it installs, starts and changes nothing,
// so it is safe on any worker. Never under Wine, which has no DISM, netsh
// advfirewall or Defender.

import (
	"errors"
	"testing"

	boshlog "github.com/cloudfoundry/bosh-utils/logger"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/cellprep/wincmd"
	"github.com/garden-windows/garden-windows-release/host/system"
)

func TestSystem(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "system adapter (Windows)")
}

var _ = Describe("system.Host", func() {
	var h *system.Host

	BeforeEach(func() {
		h = system.New(boshlog.NewWriterLogger(boshlog.LevelError, GinkgoWriter))
	})

	It("reads the OS version with its revision", func() {
		v, err := h.OSVersion()
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(MatchRegexp(`^10\.0\.\d{5}\.\d+$`))
	})

	It("asks DISM about the features cell-prep manages, by names DISM knows", func() {
		for _, name := range wincmd.KnownFeatures() {
			installed, err := h.FeatureInstalled(name)
			Expect(err).NotTo(HaveOccurred(), "feature %s", name)
			GinkgoWriter.Printf("%s installed: %t\n", name, installed)
		}
	})

	It("reads the three firewall profiles", func() {
		profiles, err := h.FirewallProfiles()
		Expect(err).NotTo(HaveOccurred())
		Expect(profiles).To(HaveLen(3))
		Expect([]string{profiles[0].Name, profiles[1].Name, profiles[2].Name}).To(Equal([]string{"Domain", "Private", "Public"}))
		for _, p := range profiles {
			Expect(p.Inbound).NotTo(BeEmpty())
			Expect(p.Outbound).NotTo(BeEmpty())
		}
	})

	It("reads services, installed or not", func() {
		_, err := h.Service("srmsvc")
		Expect(err).NotTo(HaveOccurred())

		eventLog, err := h.Service("EventLog")
		Expect(err).NotTo(HaveOccurred())
		Expect(eventLog.Installed).To(BeTrue())
		Expect(eventLog.Running).To(BeTrue())
		Expect(eventLog.Automatic).To(BeTrue())

		missing, err := h.Service("gwr-no-such-service")
		Expect(err).NotTo(HaveOccurred())
		Expect(missing.Installed).To(BeFalse())
	})

	It("finds the file system of a volume, also below a path that does not exist", func() {
		Expect(h.FileSystem(`C:\`)).To(Equal("NTFS"))
		Expect(h.FileSystem(`C:\gwr-no-such-dir\below`)).To(Equal("NTFS"))
	})

	It("tells whether a reboot is pending", func() {
		_, err := h.RebootPending()
		Expect(err).NotTo(HaveOccurred())
	})

	It("reads the Defender exclusions, or reports Defender absent", func() {
		_, err := h.DefenderExclusions()
		if err != nil && !errors.Is(err, wincmd.ErrDefenderAbsent) && !errors.Is(err, wincmd.ErrDefenderNotRunning) {
			Fail(err.Error())
		}
	})
})
