//go:build !windows

package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/commandrunner/linux_command_runner"
	"code.cloudfoundry.org/garden"
	spec "code.cloudfoundry.org/guardian/gardener/container-spec"
	"code.cloudfoundry.org/guardian/logging"
	"code.cloudfoundry.org/guardian/rundmc"
	"code.cloudfoundry.org/guardian/rundmc/bundlerules"
	"code.cloudfoundry.org/guardian/rundmc/deleter"
	"code.cloudfoundry.org/guardian/rundmc/depot"
	"code.cloudfoundry.org/guardian/rundmc/goci"
	"code.cloudfoundry.org/guardian/rundmc/processes"
	"code.cloudfoundry.org/guardian/rundmc/runrunc"
	"code.cloudfoundry.org/guardian/rundmc/users"
	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/garden-windows/garden-windows-release/host/sim"
)

// These tests drive the Linux build of winc, against the simulated Windows
// host, with the commands gdn builds: Guardian's own goci command builder
// and runrunc components (which also parse winc's output as gdn does), and,
// for exec, the invocation of rundmc/execrunner/execrunner_windows.go.
var _ = Describe("winc, driven as gdn drives it", func() {
	var (
		simHost   sim.Host
		compute   sim.Compute
		runc      goci.RuncBinary
		cmdRunner = linux_command_runner.New()
		logRunner runrunc.RuncCmdRunner
		dpt       *depot.DirectoryDepot
		creator   *runrunc.Creator
		stater    *runrunc.Stater
		statser   *runrunc.Statser
		remover   *deleter.Deleter
		log       *lagertest.TestLogger
		winitDir  string
		wincRoot  string
	)

	BeforeEach(func() {
		simHost = sim.Host{Root: GinkgoT().TempDir()}
		compute = sim.Compute{Host: simHost}
		GinkgoT().Setenv(sim.RootEnv, simHost.Root)
		Expect(os.MkdirAll(simHost.Path(`C:\groot\layers\base`), 0o755)).To(Succeed())
		wincRoot = simHost.Path(`C:\var\vcap\data\winc`)

		// gdn maps the directory of winit.exe into every container and runs
		// it as the container's first process; here it is a script.
		winitDir = GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(winitDir, "winit.exe"), []byte("#!/bin/sh\nexec sleep 100000\n"), 0o755)).To(Succeed())

		runc = goci.RuncBinary{Path: wincBin}
		logRunner = runrunc.NewLogRunner(cmdRunner, runrunc.LogDir(GinkgoT().TempDir()).GenerateLogFile)
		dpt = depot.New(GinkgoT().TempDir(), goci.BundleSaver{}, &goci.BndlLoader{})
		creator = runrunc.NewCreator(runc, nil, cmdRunner, runrunc.NewOomWatcher(cmdRunner, runc), dpt)
		stater = runrunc.NewStater(logRunner, runc)
		statser = runrunc.NewStatser(logRunner, runc, dpt, nil)
		remover = deleter.NewDeleter(stater, runrunc.NewDeleter(logRunner, runc))
		log = lagertest.NewTestLogger("gdn")
	})

	// bundleFor builds a container's bundle with Guardian's bundle code, as
	// gdn does for a Windows container.
	bundleFor := func(id string) goci.Bndl {
		scratch := fmt.Sprintf(`C:\groot\volumes\%s`, id)
		Expect(os.MkdirAll(simHost.Path(scratch), 0o755)).To(Succeed())
		b := goci.Bundle().
			WithHostname(id).
			WithRootFS(`\\?\Volume{5fa1b0c6-0000-0000-0000-100000000000}\`).
			WithProcess(specs.Process{Args: []string{`C:\Windows\Temp\bin\winit.exe`}, Cwd: `C:\`}).
			WithMounts(specs.Mount{Type: "bind", Source: winitDir, Destination: `C:\Windows\Temp\bin`, Options: []string{"bind"}})
		b, err := bundlerules.Windows{}.Apply(b, spec.DesiredContainerSpec{
			BaseConfig: specs.Spec{Windows: &specs.Windows{LayerFolders: []string{`C:\groot\layers\base`, scratch}}},
			Limits: garden.Limits{
				Memory: garden.MemoryLimits{LimitInBytes: 64 << 20},
				CPU:    garden.CPULimits{Weight: 512},
			},
		})
		Expect(err).NotTo(HaveOccurred())
		return b
	}

	create := func(id string) {
		Expect(creator.Create(log, id, bundleFor(id), garden.ProcessIO{})).To(Succeed())
	}

	// processJSON writes the process spec gdn would write for a Garden
	// process, built with Guardian's process builder.
	processJSON := func(id string, p garden.ProcessSpec) string {
		bndl, err := dpt.Load(log, id)
		Expect(err).NotTo(HaveOccurred())
		proc := processes.NewBuilder(processes.EnvFunc(processes.WindowsEnvFor), nil).BuildProcess(bndl, p, &users.ExecUser{})
		data, err := json.Marshal(proc)
		Expect(err).NotTo(HaveOccurred())
		path := filepath.Join(GinkgoT().TempDir(), "spec.json")
		Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
		return path
	}

	// execLikeGdn runs a process the way gdn's Windows exec runner does:
	// `winc --debug --log-handle <h> --log-format json exec --pid-file <f>
	// -p <spec> <id>`, with the log handle inherited (fd 3 here).
	execLikeGdn := func(id string, p garden.ProcessSpec, stdin string) (code int, stdout, stderr string, logLines []logging.LogLine, pid int) {
		specPath := processJSON(id, p)
		pidFile := filepath.Join(filepath.Dir(specPath), "pidfile")
		logR, logW, err := os.Pipe()
		Expect(err).NotTo(HaveOccurred())
		cmd := exec.Command(wincBin, "--debug", "--log-handle", "3", "--log-format", "json", "exec", "--pid-file", pidFile, "-p", specPath, id)
		cmd.ExtraFiles = []*os.File{logW}
		var out, errOut bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errOut
		runErr := cmd.Run()
		Expect(logW.Close()).To(Succeed())
		scanner := bufio.NewScanner(logR)
		for scanner.Scan() {
			var line logging.LogLine
			Expect(json.Unmarshal(scanner.Bytes(), &line)).To(Succeed(), "log line %q is not JSON", scanner.Text())
			logLines = append(logLines, line)
		}
		if runErr != nil {
			Expect(runErr).To(BeAssignableToTypeOf(&exec.ExitError{}))
		}
		if data, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(string(data))
		}
		return cmd.ProcessState.ExitCode(), out.String(), errOut.String(), logLines, pid
	}

	alive := sim.ProcessAlive

	// containerDirs lists winc's state directories.
	containerDirs := func() []string {
		entries, err := os.ReadDir(wincRoot)
		if err != nil {
			Expect(os.IsNotExist(err)).To(BeTrue())
		}
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}

	Describe("create (runrunc.Creator: run --detach)", func() {
		It("creates the container with the bundle's limits, starts winit in it and writes the pid file", func() {
			create("app-1")

			systems, err := compute.Systems()
			Expect(err).NotTo(HaveOccurred())
			Expect(systems).To(HaveKey("app-1"))
			sys := systems["app-1"]
			Expect(sys.State).To(Equal("running"))
			Expect(sys.Spec.MemoryMaximumMB).To(Equal(int64(64)))
			Expect(sys.Spec.CPUWeight).To(Equal(uint64(512)))
			Expect(sys.Spec.Hostname).To(Equal("app-1"))
			Expect(sys.Spec.ParentLayers).To(Equal([]string{`C:\groot\layers\base`}))
			Expect(sys.Spec.ScratchLayer).To(Equal(`C:\groot\volumes\app-1`))
			Expect(sys.Spec.MappedDirectories).To(HaveLen(1))
			Expect(sys.Spec.MappedDirectories[0].ReadOnly).To(BeTrue())

			Expect(sys.Processes).To(HaveLen(1))
			init := sys.Processes[0]
			Expect(init.CommandLine).To(Equal(`C:\Windows\Temp\bin\winit.exe`))
			Expect(init.User).To(Equal("ContainerUser"))

			bundlePath, err := dpt.Lookup(log, "app-1")
			Expect(err).NotTo(HaveOccurred())
			pid, err := os.ReadFile(filepath.Join(bundlePath, "pidfile"))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(pid)).To(Equal(strconv.Itoa(init.Pid)))
			Expect(alive(init.Pid)).To(BeTrue(), "winit keeps running after winc has exited")

			Expect(remover.Delete(log, "app-1")).To(Succeed())
		})

		It("reports winc's reason through gdn's error when the bundle is bad, and leaves nothing", func() {
			b := bundleFor("app-1")
			b.Spec.Windows.HyperV = &specs.WindowsHyperV{}
			err := creator.Create(log, "app-1", b, garden.ProcessIO{})
			Expect(err).To(MatchError(ContainSubstring("windows.hyperv: is set")))
			Expect(containerDirs()).To(BeEmpty())
			Expect(compute.Systems()).To(BeEmpty())
		})

		It("refuses an id that exists, naming it, and leaves the existing container alone", func() {
			create("app-1")
			err := creator.Create(log, "app-1", bundleFor("app-1"), garden.ProcessIO{})
			Expect(err).To(MatchError(ContainSubstring("container already exists: app-1")))
			st, err := stater.State(log, "app-1")
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Status).To(Equal(rundmc.RunningStatus))
			Expect(remover.Delete(log, "app-1")).To(Succeed())
		})

		It("explains an HCS failure with its code, and leaves nothing", func() {
			Expect(simHost.SetFault("CreateContainer", "hresult:0xc0370106")).To(Succeed())
			err := creator.Create(log, "app-1", bundleFor("app-1"), garden.ProcessIO{})
			Expect(err).To(MatchError(ContainSubstring("0xc0370106")))
			Expect(containerDirs()).To(BeEmpty())
			Expect(compute.Systems()).To(BeEmpty())
		})
	})

	Describe("state (runrunc.Stater)", func() {
		It("reports a running container with winit's pid", func() {
			create("app-1")
			st, err := stater.State(log, "app-1")
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Status).To(Equal(rundmc.RunningStatus))
			Expect(st.Pid).To(Equal(mustSystems(compute)["app-1"].Processes[0].Pid))
			Expect(remover.Delete(log, "app-1")).To(Succeed())
		})

		It("fails for a container that does not exist, saying so", func() {
			_, err := stater.State(log, "nope")
			Expect(err).To(MatchError(ContainSubstring("container does not exist: nope")))
		})
	})

	Describe("events --stats (runrunc.Statser)", func() {
		It("reports memory, CPU, processes and age in the shape gdn reads", func() {
			create("app-1")
			stats, err := statser.Stats(log, "app-1")
			Expect(err).NotTo(HaveOccurred())
			Expect(stats.Memory.TotalRss).To(BeNumerically(">", 0))
			Expect(stats.Memory.TotalUsageTowardLimit).To(Equal(stats.Memory.TotalRss))
			Expect(stats.Memory.HierarchicalMemoryLimit).To(Equal(uint64(64 << 20)))
			Expect(stats.Pid.Current).To(Equal(uint64(1)))
			Expect(stats.Age).To(And(BeNumerically(">", 0), BeNumerically("<", time.Minute)))
			Expect(remover.Delete(log, "app-1")).To(Succeed())
		})

		It("fails for a container that does not exist", func() {
			_, err := statser.Stats(log, "nope")
			Expect(err).To(MatchError(ContainSubstring("nope")))
		})
	})

	Describe("exec (execrunner_windows.go's invocation)", func() {
		BeforeEach(func() { create("app-1") })
		AfterEach(func() { Expect(remover.Delete(log, "app-1")).To(Succeed()) })

		It("proxies stdin to stdout and stderr, returns the exit code and writes the pid file", func() {
			code, stdout, stderr, logLines, pid := execLikeGdn("app-1", garden.ProcessSpec{
				Path: "sh", Args: []string{"-c", "cat; echo problem >&2; exit 42"},
			}, "hello from gdn")
			Expect(code).To(Equal(42))
			Expect(stdout).To(Equal("hello from gdn"))
			Expect(stderr).To(Equal("problem\n"))
			Expect(pid).To(BeNumerically(">", 0))
			Expect(logLines).NotTo(BeEmpty())
			for _, l := range logLines {
				Expect(l.IsError()).To(BeFalse(), "unexpected error line %q", l.Msg)
			}
		})

		It("keeps arguments with spaces, quotes and backslashes intact", func() {
			code, stdout, _, _, _ := execLikeGdn("app-1", garden.ProcessSpec{
				Path: "sh", Args: []string{"-c", `printf '[%s]' "$@"`, "sh", "a b", `say "hi"`, `C:\dir\`, "", `\\"x`},
			}, "")
			Expect(code).To(Equal(0))
			Expect(stdout).To(Equal(`[a b][say "hi"][C:\dir\][][\\"x]`))
		})

		It("passes env, the working directory and the user through to the host", func() {
			code, stdout, _, _, _ := execLikeGdn("app-1", garden.ProcessSpec{
				Path: "sh", Args: []string{"-c", "echo $GREETING"}, Env: []string{"GREETING=hi there"},
				User: "vcap", Dir: "/",
			}, "")
			Expect(code).To(Equal(0))
			Expect(stdout).To(Equal("hi there\n"))
			procs := mustSystems(compute)["app-1"].Processes
			last := procs[len(procs)-1]
			Expect(last.User).To(Equal("vcap"))
			Expect(last.WorkingDirectory).To(Equal(`C:\`))
			Expect(last.Environment).To(HaveKeyWithValue("GREETING", "hi there"))
		})

		It("loses no output of a process that writes a lot", func() {
			code, stdout, _, _, _ := execLikeGdn("app-1", garden.ProcessSpec{
				Path: "sh", Args: []string{"-c", "head -c 3000000 /dev/zero | tr '\\0' x"},
			}, "")
			Expect(code).To(Equal(0))
			Expect(stdout).To(HaveLen(3000000))
		})

		It("fails with an error log line gdn can report for a process.json with no args", func() {
			specPath := filepath.Join(GinkgoT().TempDir(), "spec.json")
			Expect(os.WriteFile(specPath, []byte(`{"cwd":"C:\\"}`), 0o600)).To(Succeed())
			logR, logW, err := os.Pipe()
			Expect(err).NotTo(HaveOccurred())
			cmd := exec.Command(wincBin, "--debug", "--log-handle", "3", "--log-format", "json", "exec", "-p", specPath, "app-1")
			cmd.ExtraFiles = []*os.File{logW}
			stderr := gbytes.NewBuffer()
			cmd.Stderr = stderr
			Expect(cmd.Run()).To(HaveOccurred())
			Expect(cmd.ProcessState.ExitCode()).To(Equal(1))
			Expect(logW.Close()).To(Succeed())
			var logs bytes.Buffer
			_, _ = logs.ReadFrom(logR)
			Expect(logging.MsgFromLastLogLine(logs.Bytes())).To(ContainSubstring("process.args: is empty"))
			Expect(stderr).To(gbytes.Say(`winc exec: invalid bundle: process.args: is empty`))
		})

		It("runs processes through goci's exec command too", func() {
			specPath := processJSON("app-1", garden.ProcessSpec{Path: "sh", Args: []string{"-c", "exit 7"}})
			cmd := runc.ExecCommand("app-1", specPath, filepath.Join(filepath.Dir(specPath), "pid"))
			err := cmd.Run()
			Expect(err).To(HaveOccurred())
			Expect(cmd.ProcessState.ExitCode()).To(Equal(7))
		})
	})

	Describe("exec in a container that does not exist", func() {
		It("fails with one line naming the container", func() {
			specPath := filepath.Join(GinkgoT().TempDir(), "spec.json")
			Expect(os.WriteFile(specPath, []byte(`{"args":["sh"],"cwd":"/"}`), 0o600)).To(Succeed())
			out, err := exec.Command(wincBin, "exec", "-p", specPath, "nope").CombinedOutput()
			Expect(err).To(HaveOccurred())
			Expect(strings.TrimSpace(string(out))).To(Equal("winc exec: container does not exist: nope"))
		})
	})

	Describe("pea run (run --bundle in the foreground)", func() {
		It("runs the process with stdio, returns its exit code, and removes the container", func() {
			b := bundleFor("pea-1")
			b = b.WithProcess(specs.Process{Args: []string{"sh", "-c", "cat; exit 3"}, Cwd: "/"})
			dir := GinkgoT().TempDir()
			Expect(goci.BundleSaver{}.Save(b, dir)).To(Succeed())
			cmd := exec.Command(wincBin, "--debug", "--log-handle", "2", "--log-format", "json", "run", "--pid-file", filepath.Join(dir, "pidfile"), "--bundle", dir, "pea-1")
			var out bytes.Buffer
			cmd.Stdin, cmd.Stdout = strings.NewReader("pea input"), &out
			err := cmd.Run()
			Expect(err).To(HaveOccurred())
			Expect(cmd.ProcessState.ExitCode()).To(Equal(3))
			Expect(out.String()).To(Equal("pea input"))
			Expect(compute.Systems()).NotTo(HaveKey("pea-1"))
			Expect(containerDirs()).To(BeEmpty())
		})
	})

	Describe("delete (deleter.Deleter: state, then delete --force)", func() {
		It("stops the container's processes and removes the container and its state; again is fine", func() {
			create("app-1")
			pid := mustSystems(compute)["app-1"].Processes[0].Pid
			Expect(remover.Delete(log, "app-1")).To(Succeed())
			Eventually(func() bool { return alive(pid) }).Should(BeFalse())
			Expect(compute.Systems()).To(BeEmpty())
			Expect(containerDirs()).To(BeEmpty())
			_, err := stater.State(log, "app-1")
			Expect(err).To(HaveOccurred())

			Expect(remover.Delete(log, "app-1")).To(Succeed())
			Expect(exec.Command(wincBin, "delete", "app-1").Run()).To(Succeed())
		})
	})

	Describe("kill", func() {
		It("TERM stops the container's processes gracefully", func() {
			create("app-1")
			pid := mustSystems(compute)["app-1"].Processes[0].Pid
			Expect(exec.Command(wincBin, "kill", "app-1", "TERM").Run()).To(Succeed())
			Eventually(func() bool { return alive(pid) }).Should(BeFalse())
			st, err := stater.State(log, "app-1")
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Status).To(Equal(rundmc.StoppedStatus))
			Expect(remover.Delete(log, "app-1")).To(Succeed())
			Expect(compute.Systems()).To(BeEmpty())
		})
	})

	Describe("crash safety", func() {
		It("cleans up after winc died between writing state and creating the compute system", func() {
			Expect(simHost.SetFault("CreateContainer", "crash")).To(Succeed())
			err := creator.Create(log, "app-1", bundleFor("app-1"), garden.ProcessIO{})
			Expect(err).To(MatchError(ContainSubstring("exit status 137")))
			Expect(containerDirs()).To(ConsistOf("app-1"))

			out, err := exec.Command(wincBin, "state", "app-1").Output()
			Expect(err).NotTo(HaveOccurred())
			Expect(string(out)).To(ContainSubstring(`"status":"stopped"`), "its creator is gone, so gdn must see it stopped to delete it")

			Expect(remover.Delete(log, "app-1")).To(Succeed())
			Expect(containerDirs()).To(BeEmpty())
			create("app-1")
			Expect(remover.Delete(log, "app-1")).To(Succeed())
		})

		It("cleans up a compute system left by a winc that died right after creating it", func() {
			Expect(simHost.SetFault("CreateContainer", "crash-after")).To(Succeed())
			Expect(creator.Create(log, "app-1", bundleFor("app-1"), garden.ProcessIO{})).NotTo(Succeed())
			Expect(compute.Systems()).To(HaveKey("app-1"))

			Expect(remover.Delete(log, "app-1")).To(Succeed())
			Expect(compute.Systems()).To(BeEmpty())
			Expect(containerDirs()).To(BeEmpty())
			create("app-1")
			Expect(remover.Delete(log, "app-1")).To(Succeed())
		})
	})

	Describe("concurrency", func() {
		It("creates, execs in and deletes many containers at once", func() {
			const n = 12
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer GinkgoRecover()
					defer wg.Done()
					id := fmt.Sprintf("c-%d", i)
					if err := creator.Create(log, id, bundleFor(id), garden.ProcessIO{}); err != nil {
						errs <- fmt.Errorf("create %s: %w", id, err)
						return
					}
					code, out, _, _, _ := execLikeGdn(id, garden.ProcessSpec{Path: "sh", Args: []string{"-c", "echo " + id}}, "")
					if code != 0 || out != id+"\n" {
						errs <- fmt.Errorf("exec in %s: code %d, output %q", id, code, out)
					}
					if err := remover.Delete(log, id); err != nil {
						errs <- fmt.Errorf("delete %s: %w", id, err)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				Expect(err).NotTo(HaveOccurred())
			}
			Expect(compute.Systems()).To(BeEmpty())
			Expect(containerDirs()).To(BeEmpty())
		})

		It("lets exactly one of several concurrent creates of the same id win", func() {
			const n = 6
			var wg sync.WaitGroup
			var mu sync.Mutex
			won := 0
			for range n {
				wg.Add(1)
				go func() {
					defer GinkgoRecover()
					defer wg.Done()
					if creator.Create(log, "same", bundleFor("same"), garden.ProcessIO{}) == nil {
						mu.Lock()
						won++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			Expect(won).To(Equal(1))
			Expect(mustSystems(compute)).To(HaveLen(1))
			Expect(remover.Delete(log, "same")).To(Succeed())
		})
	})
})

func mustSystems(c sim.Compute) map[string]*sim.System {
	s, err := c.Systems()
	Expect(err).NotTo(HaveOccurred())
	return s
}
