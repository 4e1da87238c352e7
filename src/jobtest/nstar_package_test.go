package jobtest_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/jobtest"
)

var _ = Describe("package nstar", func() {
	It("is installed with garden-windows, where gdn's nstar_bin points by default", func() {
		release, err := jobtest.ReleaseDir()
		Expect(err).NotTo(HaveOccurred())
		garden, err := jobtest.Load(release, "garden-windows")
		Expect(err).NotTo(HaveOccurred())
		Expect(garden.Spec.Packages).To(ContainElement("nstar"))
		Expect(garden.Spec.Properties["garden.nstar_bin"].Default).To(Equal(`C:\var\vcap\packages\nstar\nstar.exe`))

		binaries, err := os.ReadFile(filepath.Join(release, "config", "binaries"))
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Fields(grepLine(string(binaries), "nstar.exe"))).To(Equal([]string{
			"nstar", "nstar.exe", "github.com/garden-windows/garden-windows-release/cmd/nstar",
		}))
	})
})
