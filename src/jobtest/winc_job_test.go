package jobtest_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/jobtest"
)

var _ = Describe("job winc", func() {
	var (
		release string
		job     *jobtest.Job
	)

	BeforeEach(func() {
		var err error
		release, err = jobtest.ReleaseDir()
		Expect(err).NotTo(HaveOccurred())
		job, err = jobtest.Load(release, "winc")
		Expect(err).NotTo(HaveOccurred())
	})

	It("installs winc.exe and runs no process: gdn calls it", func() {
		Expect(job.Spec.Packages).To(ConsistOf("winc"))
		Expect(job.Spec.Properties).To(BeEmpty())
		out, err := job.Render(jobtest.Inputs{})
		Expect(err).NotTo(HaveOccurred())
		monit, err := out.WindowsMonit()
		Expect(err).NotTo(HaveOccurred())
		Expect(monit.Processes).To(BeEmpty())
	})

	It("is where garden-windows looks for its runtime plugin by default", func() {
		garden, err := jobtest.Load(release, "garden-windows")
		Expect(err).NotTo(HaveOccurred())
		def := garden.Spec.Properties["garden.runtime_plugin"].Default
		Expect(def).To(Equal(`C:\var\vcap\packages\winc\winc.exe`))

		// config/binaries builds winc.exe into that package.
		binaries, err := os.ReadFile(filepath.Join(release, "config", "binaries"))
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Fields(grepLine(string(binaries), "winc.exe"))).To(Equal([]string{
			"winc", "winc.exe", "github.com/garden-windows/garden-windows-release/cmd/winc",
		}))
	})
})

func grepLine(text, word string) string {
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "#") && strings.Contains(l, word) {
			return l
		}
	}
	return ""
}
