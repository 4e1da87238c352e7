package main_test

// The Windows integration suite of cell-prep: the real cell-prep.exe reads a
// Windows worker's state through the system adapter (DISM, netsh, the
// service manager, the registry) and HNS. It only runs plan and check,
// which change nothing, so it is safe on a shared worker; it needs an
// administrator. Run by the pipeline in ci/ (never under Wine:
// scripts/wine/skip-packages lists this package).

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/garden-windows/garden-windows-release/cellprep"
)

var cellPrepBin string

func TestCellPrepWindows(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "cell-prep (Windows)")
}

var _ = BeforeSuite(func() {
	var err error
	cellPrepBin, err = gexec.Build("github.com/garden-windows/garden-windows-release/cmd/cell-prep")
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() { gexec.CleanupBuildArtifacts() })

var _ = Describe("cell-prep.exe on Windows", func() {
	var configFile string

	BeforeEach(func() {
		dir := GinkgoT().TempDir()
		configFile = filepath.Join(dir, "cell-prep.json")
		cfg := map[string]any{"status_file": filepath.Join(dir, "status.json"), "quota_volume": `C:\`}
		data, err := json.Marshal(cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(configFile, data, 0o644)).To(Succeed())
	})

	It("plans from the worker's real state, in the documented JSON, changing nothing", func() {
		out, err := exec.Command(cellPrepBin, "--config", configFile, "plan", "--json").Output()
		Expect(err).NotTo(HaveOccurred())
		var r cellprep.Report
		Expect(json.Unmarshal(out, &r)).To(Succeed())
		byName := map[string]cellprep.Finding{}
		for _, f := range r.Findings {
			byName[f.Check] = f
			Expect(f.Problem).NotTo(HavePrefix("inspecting failed"), "check %s could not inspect the worker", f.Check)
		}
		Expect(byName["windows-version"].Ready).To(BeTrue())
		Expect(byName["feature Containers"].Ready).To(BeTrue(), "the worker has the Containers feature")
		Expect(byName["firewall"].Current).To(ContainSubstring("Public"))
		Expect(byName["quota-support"].Current).To(ContainSubstring("NTFS"))
	})

	It("check exits 0 or 1 with a report, never a crash", func() {
		cmd := exec.Command(cellPrepBin, "--config", configFile, "check")
		out, err := cmd.Output()
		if err != nil {
			Expect(cmd.ProcessState.ExitCode()).To(Equal(1))
		}
		Expect(string(out)).To(MatchRegexp(`the cell is (ready|not ready)`))
	})
})
