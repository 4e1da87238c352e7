//go:build !windows

package main_test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"code.cloudfoundry.org/commandrunner/linux_command_runner"
	"code.cloudfoundry.org/guardian/rundmc"
	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/garden-windows/garden-windows-release/host/sim"
)

var nstarBin, wincBin string

func TestNstar(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "nstar")
}

var _ = BeforeSuite(func() {
	var err error
	nstarBin, err = gexec.Build("github.com/garden-windows/garden-windows-release/cmd/nstar")
	Expect(err).NotTo(HaveOccurred())
	wincBin, err = gexec.Build("github.com/garden-windows/garden-windows-release/cmd/winc")
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() { gexec.CleanupBuildArtifacts() })

func tarOf(entries map[string]string) io.Reader {
	buf := new(bytes.Buffer)
	tw := tar.NewWriter(buf)
	for name, body := range entries {
		Expect(tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})).To(Succeed())
		_, err := tw.Write([]byte(body))
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(tw.Close()).To(Succeed())
	return buf
}

func untar(r io.Reader) map[string]string {
	out := map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		Expect(err).NotTo(HaveOccurred())
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			Expect(err).NotTo(HaveOccurred())
			// Like GNU tar's "tar -C dir -c .", a whole directory's
			// entries are named ./x.
			out[strings.TrimPrefix(h.Name, "./")] = string(b)
		}
	}
}

// These tests run the Linux build of nstar the way gdn does, through
// Guardian's own nstar runner, on a container the Linux build of winc
// created on the simulated host: nstar finds the container by its init
// process, from winc's state.
var _ = Describe("nstar, driven by gdn's nstar runner", func() {
	var (
		simHost sim.Host
		runner  rundmc.NstarRunner
		pid     int
		drive   string
		log     *lagertest.TestLogger
	)

	BeforeEach(func() {
		simHost = sim.Host{Root: GinkgoT().TempDir()}
		GinkgoT().Setenv(sim.RootEnv, simHost.Root)
		for _, d := range []string{`C:\layers\base`, `C:\layers\app`} {
			Expect(os.MkdirAll(simHost.Path(d), 0o755)).To(Succeed())
		}
		bundle := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(bundle, "config.json"), []byte(`{
			"root": {"path": "\\\\?\\Volume{1}\\"},
			"process": {"args": ["sleep", "1000"], "cwd": "C:\\"},
			"windows": {"layerFolders": ["C:\\layers\\base", "C:\\layers\\app"]}
		}`), 0o644)).To(Succeed())
		pidFile := filepath.Join(bundle, "pidfile")
		out, err := exec.Command(wincBin, "run", "--detach", "--bundle", bundle, "--pid-file", pidFile, "app").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		DeferCleanup(func() { _ = exec.Command(wincBin, "delete", "--force", "app").Run() })
		data, err := os.ReadFile(pidFile)
		Expect(err).NotTo(HaveOccurred())
		pid, err = strconv.Atoi(string(data))
		Expect(err).NotTo(HaveOccurred())
		drive = sim.Compute{Host: simHost}.Drive("app")

		runner = rundmc.NewNstarRunner(nstarBin, `C:\var\vcap\packages\tar\tar.exe`, linux_command_runner.New())
		log = lagertest.NewTestLogger("gdn")
	})

	It("streams a tar into the container and back out", func() {
		Expect(runner.StreamIn(log, pid, "/Users/vcap/app", "vcap", tarOf(map[string]string{
			"index.html": "hello", "lib/app.dll": "binary",
		}))).To(Succeed())
		Expect(os.ReadFile(filepath.Join(drive, "Users", "vcap", "app", "lib", "app.dll"))).To(Equal([]byte("binary")))

		r, err := runner.StreamOut(log, pid, "/Users/vcap/app/", "vcap")
		Expect(err).NotTo(HaveOccurred())
		Expect(untar(r)).To(Equal(map[string]string{"index.html": "hello", "lib/app.dll": "binary"}))

		r, err = runner.StreamOut(log, pid, "/Users/vcap/app/index.html", "vcap")
		Expect(err).NotTo(HaveOccurred())
		Expect(untar(r)).To(Equal(map[string]string{"index.html": "hello"}))
	})

	It("refuses a tar that climbs out of the destination, naming the entry, and writes nothing outside", func() {
		err := runner.StreamIn(log, pid, "/Users/vcap/app", "vcap", tarOf(map[string]string{"../../evil.txt": "x"}))
		Expect(err).To(MatchError(ContainSubstring("../../evil.txt")))
		Expect(filepath.Join(drive, "Users", "evil.txt")).NotTo(BeAnExistingFile())
	})

	It("refuses a destination outside the container", func() {
		err := runner.StreamIn(log, pid, `/../../outside`, "vcap", tarOf(map[string]string{"a": "x"}))
		Expect(err).To(HaveOccurred())
		Expect(filepath.Join(filepath.Dir(drive), "outside")).NotTo(BeAnExistingFile())
	})

	It("says which container it could not find", func() {
		err := runner.StreamIn(log, 999999, "/x", "vcap", tarOf(map[string]string{"a": "x"}))
		Expect(err).To(MatchError(ContainSubstring("no container has init process 999999")))
	})

	It("refuses a malformed invocation", func() {
		out, err := exec.Command(nstarBin, "tar", "not-a-pid", "vcap", "/x").CombinedOutput()
		Expect(err).To(HaveOccurred())
		Expect(string(out)).To(ContainSubstring(`pid "not-a-pid" is not a process id`))
		out, err = exec.Command(nstarBin, "tar").CombinedOutput()
		Expect(err).To(HaveOccurred())
		Expect(string(out)).To(ContainSubstring(fmt.Sprintf("expected 4 or 5 arguments, got %d", 1)))
	})
})
