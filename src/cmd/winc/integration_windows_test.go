//go:build windows

package main_test

// The Windows integration suite: winc.exe against the real Host Compute
// Service. It runs on a Windows worker of the pipeline in ci/ (never under
// Wine: scripts/wine/skip-packages lists this package), with
//
//   WINC_TEST_BASE_LAYERS  the image's layer folders, topmost first, separated
//                          by ';' (for a windows2019fs image imported by
//                          groot or docker: its layer directories)
//   WINC_TEST_LAYERS_ROOT  a directory on the same volume for sandbox layers
//
// The image must have cmd.exe and powershell.exe (Server Core based).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"code.cloudfoundry.org/guardian/rundmc/goci"
	"github.com/Microsoft/hcsshim"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var wincExe string

func TestWincOnWindows(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "winc on Windows (HCS)")
}

var _ = BeforeSuite(func() {
	Expect(os.Getenv("WINC_TEST_BASE_LAYERS")).NotTo(BeEmpty(), "set WINC_TEST_BASE_LAYERS to the image's layer folders (see the top of this file)")
	Expect(os.Getenv("WINC_TEST_LAYERS_ROOT")).NotTo(BeEmpty(), "set WINC_TEST_LAYERS_ROOT to a directory for sandbox layers")
	var err error
	wincExe, err = gexec.Build("github.com/garden-windows/garden-windows-release/cmd/winc")
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() { gexec.CleanupBuildArtifacts() })

var _ = Describe("winc.exe with HCS", func() {
	var root string

	BeforeEach(func() { root = GinkgoT().TempDir() })

	parents := func() []string { return strings.Split(os.Getenv("WINC_TEST_BASE_LAYERS"), ";") }

	// sandbox makes a container's scratch layer and volume, as the image
	// plugin does on a cell; remove undoes it.
	sandbox := func(id string) (volume, scratch string, remove func()) {
		info := hcsshim.DriverInfo{HomeDir: os.Getenv("WINC_TEST_LAYERS_ROOT")}
		p := parents()
		Expect(hcsshim.CreateSandboxLayer(info, id, p[0], p)).To(Succeed())
		Expect(hcsshim.ActivateLayer(info, id)).To(Succeed())
		Expect(hcsshim.PrepareLayer(info, id, p)).To(Succeed())
		volume, err := hcsshim.GetLayerMountPath(info, id)
		Expect(err).NotTo(HaveOccurred())
		return volume, filepath.Join(info.HomeDir, id), func() {
			_ = hcsshim.UnprepareLayer(info, id)
			_ = hcsshim.DeactivateLayer(info, id)
			_ = hcsshim.DestroyLayer(info, id)
		}
	}

	winc := func(args ...string) *exec.Cmd {
		return exec.Command(wincExe, append([]string{"--root", root}, args...)...)
	}

	// create makes a container like gdn does (CPU shares 512) and returns
	// what removes it and its sandbox. The shares reach HCS as
	// ProcessorWeight (the Linux contract tests check the translation);
	// HCS offers no query to read them back.
	create := func(id string, memoryLimit uint64, mounts ...specs.Mount) (remove func()) {
		volume, scratch, removeSandbox := sandbox(id)
		b := goci.Bundle().
			WithHostname(id).
			WithRootFS(volume).
			WithProcess(specs.Process{Args: []string{"cmd.exe", "/c", "ping -t localhost > NUL"}, Cwd: `C:\`}).
			WithMounts(mounts...).
			WithWindows(specs.Windows{LayerFolders: append(parents(), scratch)}).
			WithWindowsMemoryLimit(specs.WindowsMemoryResources{Limit: &memoryLimit})
		shares := uint16(512)
		b = b.WithWindowsCPUShares(specs.WindowsCPUResources{Shares: &shares})
		dir := GinkgoT().TempDir()
		Expect(goci.BundleSaver{}.Save(b, dir)).To(Succeed())
		remove = func() {
			_ = winc("delete", "--force", id).Run()
			removeSandbox()
		}
		out, err := winc("run", "--detach", "--bundle", dir, "--pid-file", filepath.Join(dir, "pidfile"), id).CombinedOutput()
		if err != nil {
			remove()
		}
		Expect(err).NotTo(HaveOccurred(), string(out))
		return remove
	}

	// execLikeGdn runs a process as gdn's Windows exec runner does, with an
	// inherited log handle.
	execLikeGdn := func(id, stdin string, args ...string) (int, string, string) {
		data, err := json.Marshal(specs.Process{Args: args, Cwd: `C:\`})
		Expect(err).NotTo(HaveOccurred())
		dir := GinkgoT().TempDir()
		spec := filepath.Join(dir, "spec.json")
		Expect(os.WriteFile(spec, data, 0o600)).To(Succeed())
		logR, logW, err := os.Pipe()
		Expect(err).NotTo(HaveOccurred())
		defer logR.Close()
		cmd := exec.Command(wincExe, "--root", root, "--debug", "--log-handle", strconv.FormatUint(uint64(logW.Fd()), 10),
			"--log-format", "json", "exec", "--pid-file", filepath.Join(dir, "pidfile"), "-p", spec, id)
		cmd.SysProcAttr = &syscall.SysProcAttr{AdditionalInheritedHandles: []syscall.Handle{syscall.Handle(logW.Fd())}}
		var out, errOut bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errOut
		_ = cmd.Run()
		logW.Close()
		return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
	}

	hcsHas := func(id string) bool {
		props, err := hcsshim.GetContainers(hcsshim.ComputeSystemQuery{IDs: []string{id}})
		Expect(err).NotTo(HaveOccurred())
		return len(props) > 0
	}

	It("creates, runs processes with stdio and exit codes, reports state, and deletes", func() {
		DeferCleanup(create("it-basic", 512<<20))
		out, err := winc("state", "it-basic").Output()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).To(ContainSubstring(`"status":"running"`))

		code, stdout, _ := execLikeGdn("it-basic", "", "cmd.exe", "/c", "echo hello")
		Expect(code).To(Equal(0))
		Expect(stdout).To(Equal("hello\r\n"))

		code, _, _ = execLikeGdn("it-basic", "", "cmd.exe", "/c", "exit 42")
		Expect(code).To(Equal(42))

		code, stdout, _ = execLikeGdn("it-basic", "line one\r\n", "findstr.exe", ".")
		Expect(code).To(Equal(0))
		Expect(stdout).To(Equal("line one\r\n"))

		code, _, stderr := execLikeGdn("it-basic", "", "cmd.exe", "/c", "echo oops 1>&2")
		Expect(code).To(Equal(0))
		Expect(stderr).To(ContainSubstring("oops"))

		code, stdout, _ = execLikeGdn("it-basic", "", "powershell.exe", "-Command", `Write-Output $args`, "a b", `c"d`)
		Expect(code).To(Equal(0))
		Expect(stdout).To(Equal("a b\r\nc\"d\r\n"))

		Expect(winc("delete", "--force", "it-basic").Run()).To(Succeed())
		Expect(hcsHas("it-basic")).To(BeFalse())
		Expect(os.ReadDir(root)).To(BeEmpty())
	})

	It("enforces the memory limit", func() {
		DeferCleanup(create("it-memory", 256<<20))
		code, _, _ := execLikeGdn("it-memory", "", "powershell.exe", "-Command", `$a = New-Object byte[] (1024MB); $a[0] = 1`)
		Expect(code).NotTo(Equal(0), "allocating 1 GiB in a 256 MiB container must fail")
		code, _, _ = execLikeGdn("it-memory", "", "powershell.exe", "-Command", `$a = New-Object byte[] (16MB); $a[0] = 1`)
		Expect(code).To(Equal(0))
	})

	It("reports CPU and memory in stats", func() {
		DeferCleanup(create("it-stats", 512<<20))
		code, _, _ := execLikeGdn("it-stats", "", "powershell.exe", "-Command", `$x = 0; foreach ($i in 1..200000) { $x += $i }`)
		Expect(code).To(Equal(0))
		out, err := winc("events", "--stats", "it-stats").Output()
		Expect(err).NotTo(HaveOccurred())
		var ev struct {
			Data struct {
				CPU struct {
					Usage struct{ Total uint64 } `json:"usage"`
				} `json:"cpu"`
				Memory struct {
					Raw struct {
						TotalRss uint64 `json:"total_rss"`
					} `json:"raw"`
				} `json:"memory"`
			} `json:"data"`
		}
		Expect(json.Unmarshal(out, &ev)).To(Succeed())
		Expect(ev.Data.CPU.Usage.Total).To(BeNumerically(">", 0))
		Expect(ev.Data.Memory.Raw.TotalRss).To(BeNumerically(">", 0))
	})

	It("maps directories read-only unless rw", func() {
		ro, rw := GinkgoT().TempDir(), GinkgoT().TempDir()
		DeferCleanup(create("it-mounts", 512<<20,
			specs.Mount{Source: ro, Destination: `C:\ro`, Options: []string{"bind", "ro"}},
			specs.Mount{Source: rw, Destination: `C:\rw`, Options: []string{"bind", "rw"}}))
		code, _, _ := execLikeGdn("it-mounts", "", "cmd.exe", "/c", `echo x> C:\ro\f.txt`)
		Expect(code).NotTo(Equal(0))
		Expect(filepath.Join(ro, "f.txt")).NotTo(BeAnExistingFile())
		code, _, _ = execLikeGdn("it-mounts", "", "cmd.exe", "/c", `echo x> C:\rw\f.txt`)
		Expect(code).To(Equal(0))
		Expect(filepath.Join(rw, "f.txt")).To(BeAnExistingFile())
	})

	It("runs 50 containers in parallel", func() {
		const n = 50
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				id := fmt.Sprintf("it-par-%d", i)
				defer create(id, 256<<20)()
				code, stdout, _ := execLikeGdn(id, "", "cmd.exe", "/c", "echo "+id)
				Expect(code).To(Equal(0))
				Expect(stdout).To(Equal(id + "\r\n"))
				Expect(winc("delete", "--force", id).Run()).To(Succeed())
				Expect(hcsHas(id)).To(BeFalse())
			}()
		}
		wg.Wait()
		Expect(os.ReadDir(root)).To(BeEmpty())
	})
})
