package container_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/garden-windows/garden-windows-release/container"
	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/host/hostfakes"
	"github.com/garden-windows/garden-windows-release/internal/filelock"
)

// hcsError is an HCS error as hcsshim returns it.
type hcsError uint32

func (e hcsError) Error() string   { return "hcs error" }
func (e hcsError) HRESULT() uint32 { return uint32(e) }

const (
	systemNotFound = hcsError(0xc037010e)
	unexpectedExit = hcsError(0xc0370106)
)

var _ = Describe("Runtime", func() {
	var (
		fakeHost *hostfakes.FakeComputeHost
		rt       *container.Runtime
		root     string
		bundle   string
	)

	writeBundle := func(s *specs.Spec) {
		data, err := json.Marshal(s)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644)).To(Succeed())
	}

	BeforeEach(func() {
		fakeHost = new(hostfakes.FakeComputeHost)
		root = filepath.Join(GinkgoT().TempDir(), "winc")
		bundle = GinkgoT().TempDir()
		rt = &container.Runtime{
			Host:            fakeHost,
			States:          container.Store{Root: root},
			Stat:            fakeStat,
			Now:             func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) },
			ShutdownTimeout: time.Second,
			Log:             lagertest.NewTestLogger("runtime"),
		}
		writeBundle(gdnBundle())
	})

	stateDirs := func() []string {
		entries, _ := os.ReadDir(root)
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}

	Describe("Create", func() {
		It("creates and starts the compute system and records the container as created", func() {
			Expect(rt.Create("app-1", bundle)).To(Succeed())
			Expect(fakeHost.CreateContainerCallCount()).To(Equal(1))
			Expect(fakeHost.CreateContainerArgsForCall(0).MemoryMaximumMB).To(Equal(int64(256)))
			Expect(fakeHost.StartContainerArgsForCall(0)).To(Equal("app-1"))

			fakeHost.RunningReturns(true, nil)
			st, err := rt.State("app-1")
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Status).To(Equal(container.Created))
			Expect(st.Bundle).To(Equal(bundle))
			Expect(st.Created).To(Equal(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)))
		})

		It("refuses an id that exists, without touching the existing container", func() {
			Expect(rt.Create("app-1", bundle)).To(Succeed())
			err := rt.Create("app-1", bundle)
			Expect(errors.Is(err, container.ErrAlreadyExists)).To(BeTrue())
			Expect(err).To(MatchError(ContainSubstring("app-1")))
			Expect(fakeHost.CreateContainerCallCount()).To(Equal(1))
			Expect(stateDirs()).To(ConsistOf("app-1"))
		})

		It("leaves no state when HCS refuses to create, and explains the code", func() {
			fakeHost.CreateContainerReturns(unexpectedExit)
			err := rt.Create("app-1", bundle)
			Expect(err).To(MatchError(ContainSubstring("0xc0370106")))
			Expect(err).To(MatchError(ContainSubstring("creating container app-1")))
			Expect(stateDirs()).To(BeEmpty())
			Expect(fakeHost.TerminateCallCount()).To(Equal(0))
		})

		It("terminates the compute system and leaves no state when it cannot start", func() {
			fakeHost.StartContainerReturns(unexpectedExit)
			Expect(rt.Create("app-1", bundle)).NotTo(Succeed())
			Expect(fakeHost.TerminateCallCount()).To(Equal(1))
			Expect(stateDirs()).To(BeEmpty())
		})

		DescribeTable("refuses bad bundles before anything exists",
			func(setup func(), message string) {
				setup()
				err := rt.Create("app-1", bundle)
				Expect(err).To(MatchError(ContainSubstring(message)))
				Expect(errors.Is(err, container.ErrInvalidBundle)).To(BeTrue())
				Expect(fakeHost.CreateContainerCallCount()).To(Equal(0))
				Expect(stateDirs()).To(BeEmpty())
			},
			Entry("missing bundle", func() { bundle = filepath.Join(bundle, "nope") }, "has no config.json"),
			Entry("malformed config.json", func() {
				Expect(os.WriteFile(filepath.Join(bundle, "config.json"), []byte(`{"root": {`), 0o644)).To(Succeed())
			}, "malformed JSON"),
			Entry("unsupported field", func() {
				s := gdnBundle()
				s.Windows.HyperV = &specs.WindowsHyperV{}
				writeBundle(s)
			}, "windows.hyperv"),
		)
	})

	Describe("Run", func() {
		var proc *hostfakes.FakeProcess

		BeforeEach(func() {
			proc = new(hostfakes.FakeProcess)
			proc.PidReturns(4242)
			fakeHost.StartProcessReturns(proc, nil)
		})

		It("detached, starts the init process without pipes, writes the pid file and records it running", func() {
			pidFile := filepath.Join(bundle, "pidfile")
			code, err := rt.Run("app-1", bundle, pidFile, true, container.Stdio{})
			Expect(err).NotTo(HaveOccurred())
			Expect(code).To(Equal(0))
			id, ps := fakeHost.StartProcessArgsForCall(0)
			Expect(id).To(Equal("app-1"))
			Expect(ps.Stdio).To(BeFalse())
			Expect(ps.CommandLine).To(Equal(`C:\Windows\Temp\bin\winit.exe`))
			Expect(os.ReadFile(pidFile)).To(Equal([]byte("4242")))
			Expect(proc.CloseCallCount()).To(Equal(1))
			Expect(proc.KillCallCount()).To(Equal(0))

			fakeHost.RunningReturns(true, nil)
			st, err := rt.State("app-1")
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Status).To(Equal(container.Running))
			Expect(st.Pid).To(Equal(4242))
		})

		It("refuses a bundle without a process before creating anything", func() {
			s := gdnBundle()
			s.Process.Args = nil
			writeBundle(s)
			_, err := rt.Run("app-1", bundle, "", true, container.Stdio{})
			Expect(err).To(MatchError(ContainSubstring("process.args: is empty")))
			Expect(fakeHost.CreateContainerCallCount()).To(Equal(0))
			Expect(stateDirs()).To(BeEmpty())
		})

		It("removes the container when its process cannot start", func() {
			fakeHost.StartProcessReturns(nil, hcsError(0x80070002))
			_, err := rt.Run("app-1", bundle, "", true, container.Stdio{})
			Expect(err).To(MatchError(ContainSubstring("0x80070002")))
			Expect(fakeHost.TerminateCallCount()).To(Equal(1))
			Expect(stateDirs()).To(BeEmpty())
		})
	})

	Describe("Exec", func() {
		BeforeEach(func() {
			fakeHost.StartProcessReturns(new(hostfakes.FakeProcess), nil)
			_, err := rt.Run("app-1", bundle, "", true, container.Stdio{})
			Expect(err).NotTo(HaveOccurred())
		})

		It("proxies all output, closes stdin at end of input, and returns the exit code", func() {
			inR, inW := io.Pipe()
			outR, outW := io.Pipe()
			errR, errW := io.Pipe()
			proc := new(hostfakes.FakeProcess)
			proc.StdioReturns(inW, outR, errR)
			received := make(chan string, 1)
			go func() {
				b, _ := io.ReadAll(inR)
				received <- string(b)
			}()
			proc.CloseStdinStub = func() error { return inW.Close() }
			proc.WaitStub = func() (int, error) {
				// The process writes after it was told its input ended,
				// and exits before the output is read to the end.
				go func() {
					<-time.After(10 * time.Millisecond)
					_, _ = outW.Write([]byte(strings.Repeat("o", 100000)))
					_ = outW.Close()
					_, _ = errW.Write([]byte("warning"))
					_ = errW.Close()
				}()
				return 3, nil
			}
			fakeHost.StartProcessReturns(proc, nil)

			var out, errOut strings.Builder
			code, err := rt.Exec("app-1", &specs.Process{Args: []string{"cmd"}}, "", container.Stdio{In: strings.NewReader("input"), Out: &out, Err: &errOut})
			Expect(err).NotTo(HaveOccurred())
			Expect(code).To(Equal(3))
			Expect(out.Len()).To(Equal(100000))
			Expect(errOut.String()).To(Equal("warning"))
			Eventually(received).Should(Receive(Equal("input")))
			_, ps := fakeHost.StartProcessArgsForCall(1)
			Expect(ps.Stdio).To(BeTrue())
		})

		It("fails for a container that does not exist", func() {
			_, err := rt.Exec("nope", &specs.Process{Args: []string{"cmd"}}, "", container.Stdio{})
			Expect(errors.Is(err, container.ErrNotFound)).To(BeTrue())
			Expect(err).To(MatchError(ContainSubstring("nope")))
		})
	})

	Describe("Delete", func() {
		It("terminates the compute system and removes the state; twice is fine", func() {
			Expect(rt.Create("app-1", bundle)).To(Succeed())
			Expect(rt.Delete("app-1", false)).To(Succeed())
			Expect(fakeHost.TerminateArgsForCall(0)).To(Equal("app-1"))
			Expect(stateDirs()).To(BeEmpty())

			fakeHost.TerminateReturns(systemNotFound)
			Expect(rt.Delete("app-1", false)).To(Succeed())
		})

		It("refuses a running container without force", func() {
			fakeHost.StartProcessReturns(new(hostfakes.FakeProcess), nil)
			_, err := rt.Run("app-1", bundle, "", true, container.Stdio{})
			Expect(err).NotTo(HaveOccurred())
			fakeHost.RunningReturns(true, nil)
			Expect(rt.Delete("app-1", false)).To(MatchError(ContainSubstring("--force")))
			Expect(stateDirs()).To(ConsistOf("app-1"))
			Expect(rt.Delete("app-1", true)).To(Succeed())
			Expect(stateDirs()).To(BeEmpty())
		})

		It("cleans up a container whose create died half-way", func() {
			Expect(os.MkdirAll(filepath.Join(root, "app-1"), 0o755)).To(Succeed())
			st, err := rt.State("app-1")
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Status).To(Equal(container.Stopped), "nobody is creating it any more")
			Expect(rt.Delete("app-1", false)).To(Succeed())
			Expect(stateDirs()).To(BeEmpty())
			Expect(rt.Create("app-1", bundle)).To(Succeed())
		})

		It("keeps the state when HCS fails, so delete can be retried", func() {
			Expect(rt.Create("app-1", bundle)).To(Succeed())
			fakeHost.TerminateReturns(hcsError(0x5aa))
			Expect(rt.Delete("app-1", true)).To(MatchError(ContainSubstring("0x000005aa")))
			Expect(stateDirs()).To(ConsistOf("app-1"))
		})
	})

	Describe("State", func() {
		It("reports a container whose winc is still creating it as creating", func() {
			Expect(os.MkdirAll(filepath.Join(root, "app-1"), 0o755)).To(Succeed())
			creator, err := filelock.Acquire(filepath.Join(root, "app-1", "create.lock"))
			Expect(err).NotTo(HaveOccurred())
			st, err := rt.State("app-1")
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Status).To(Equal(container.Creating))
			Expect(creator.Unlock()).To(Succeed())
		})

		It("reports a container whose compute system is gone as stopped", func() {
			Expect(rt.Create("app-1", bundle)).To(Succeed())
			fakeHost.RunningReturns(false, nil)
			st, err := rt.State("app-1")
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Status).To(Equal(container.Stopped))
		})
	})

	Describe("Kill", func() {
		BeforeEach(func() {
			Expect(rt.Create("app-1", bundle)).To(Succeed())
		})

		It("TERM shuts down gracefully and terminates only if that timed out", func() {
			fakeHost.ShutdownReturns(true, nil)
			Expect(rt.Kill("app-1", "TERM")).To(Succeed())
			_, timeout := fakeHost.ShutdownArgsForCall(0)
			Expect(timeout).To(Equal(time.Second))
			Expect(fakeHost.TerminateCallCount()).To(Equal(0))

			Expect(rt.Create("app-2", bundle)).To(Succeed())
			fakeHost.ShutdownReturns(false, nil)
			Expect(rt.Kill("app-2", "SIGTERM")).To(Succeed())
			Expect(fakeHost.TerminateArgsForCall(0)).To(Equal("app-2"))
		})

		It("KILL terminates at once", func() {
			Expect(rt.Kill("app-1", "KILL")).To(Succeed())
			Expect(fakeHost.ShutdownCallCount()).To(Equal(0))
			Expect(fakeHost.TerminateCallCount()).To(Equal(1))
		})

		It("refuses signals Windows containers cannot take", func() {
			Expect(rt.Kill("app-1", "HUP")).To(MatchError(ContainSubstring(`signal "HUP" is not supported`)))
		})
	})

	Describe("Store.FindByPid", func() {
		It("finds the container whose init process has the pid, or says none has", func() {
			proc := new(hostfakes.FakeProcess)
			proc.PidReturns(777)
			fakeHost.StartProcessReturns(proc, nil)
			_, err := rt.Run("app-1", bundle, "", true, container.Stdio{})
			Expect(err).NotTo(HaveOccurred())
			Expect(rt.Create("app-2", bundle)).To(Succeed())

			st, err := rt.States.FindByPid(777)
			Expect(err).NotTo(HaveOccurred())
			Expect(st.ID).To(Equal("app-1"))
			Expect(st.Bundle).To(Equal(bundle))

			_, err = rt.States.FindByPid(778)
			Expect(errors.Is(err, container.ErrNotFound)).To(BeTrue())
			Expect(err).To(MatchError(ContainSubstring("no container has init process 778")))
		})
	})

	Describe("Stats", func() {
		It("reports HCS figures in runc's units and shape", func() {
			Expect(rt.Create("app-1", bundle)).To(Succeed())
			fakeHost.StatsReturns(host.Stats{MemoryCommitBytes: 10 << 20, MemoryPrivateWorkingSetBytes: 8 << 20, CPUTotal100ns: 30, CPUUser100ns: 20, CPUKernel100ns: 10, Processes: 3}, nil)
			ev, err := rt.Stats("app-1")
			Expect(err).NotTo(HaveOccurred())
			data, err := json.Marshal(ev)
			Expect(err).NotTo(HaveOccurred())
			var got map[string]any
			Expect(json.Unmarshal(data, &got)).To(Succeed())
			Expect(got["type"]).To(Equal("stats"))
			Expect(got).To(HaveKeyWithValue("data", HaveKeyWithValue("cpu", HaveKeyWithValue("usage", And(
				HaveKeyWithValue("total", BeNumerically("==", 3000)),
				HaveKeyWithValue("user", BeNumerically("==", 2000)),
				HaveKeyWithValue("kernel", BeNumerically("==", 1000)))))))
			Expect(got).To(HaveKeyWithValue("data", HaveKeyWithValue("memory", HaveKeyWithValue("raw", And(
				HaveKeyWithValue("total_rss", BeNumerically("==", 10<<20)),
				HaveKeyWithValue("hierarchical_memory_limit", BeNumerically("==", 256<<20)))))))
			Expect(got).To(HaveKeyWithValue("data", HaveKeyWithValue("pids", HaveKeyWithValue("current", BeNumerically("==", 3)))))
		})
	})
})
