package container_test

import (
	"errors"
	"io/fs"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/garden-windows/garden-windows-release/container"
	"github.com/garden-windows/garden-windows-release/host"
)

// fakeInfo is a directory or file as StatFunc reports it.
type fakeInfo struct{ dir bool }

func (f fakeInfo) Name() string       { return "x" }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) Mode() fs.FileMode  { return 0 }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.dir }
func (f fakeInfo) Sys() any           { return nil }

func fakeStat(p string) (fs.FileInfo, error) {
	switch p {
	case `C:\host\dir`, `C:\var\vcap\packages\winit`:
		return fakeInfo{dir: true}, nil
	case `C:\host\file.txt`:
		return fakeInfo{dir: false}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: p, Err: os.ErrNotExist}
}

func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }

// gdnBundle is a bundle shaped like the ones gdn writes for Windows.
func gdnBundle() *specs.Spec {
	return &specs.Spec{
		Version:  specs.Version,
		Hostname: "app-1",
		Root:     &specs.Root{Path: `\\?\Volume{7c1b7a4e-0000-0000-0000-100000000000}\`},
		Process:  &specs.Process{Args: []string{`C:\Windows\Temp\bin\winit.exe`}, Cwd: `C:\`},
		Mounts: []specs.Mount{
			{Type: "bind", Source: `C:\var\vcap\packages\winit`, Destination: `C:\Windows\Temp\bin`, Options: []string{"bind"}},
		},
		Windows: &specs.Windows{
			LayerFolders: []string{`C:\groot\layers\app`, `C:\groot\layers\base`, `C:\groot\volumes\app-1`},
			Resources: &specs.WindowsResources{
				Memory: &specs.WindowsMemoryResources{Limit: u64(256 << 20)},
				CPU:    &specs.WindowsCPUResources{Shares: u16(512)},
			},
		},
		// gdn writes Linux settings into every bundle; winc ignores them.
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "network"}}},
	}
}

var _ = Describe("TranslateContainer", func() {
	It("turns gdn's bundle into an HCS container", func() {
		c, err := container.TranslateContainer("app-1", gdnBundle(), fakeStat)
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(host.ContainerSpec{
			ID:           "app-1",
			Hostname:     "app-1",
			VolumePath:   `\\?\Volume{7c1b7a4e-0000-0000-0000-100000000000}\`,
			ScratchLayer: `C:\groot\volumes\app-1`,
			ParentLayers: []string{`C:\groot\layers\app`, `C:\groot\layers\base`},
			MappedDirectories: []host.MappedDirectory{
				{HostPath: `C:\var\vcap\packages\winit`, ContainerPath: `C:\Windows\Temp\bin`, ReadOnly: true},
			},
			MemoryMaximumMB: 256,
			CPUWeight:       512,
		}))
	})

	It("rounds a memory limit up to whole MiB, so no app gets less than asked", func() {
		s := gdnBundle()
		s.Windows.Resources.Memory.Limit = u64(100<<20 + 1)
		c, err := container.TranslateContainer("a", s, fakeStat)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.MemoryMaximumMB).To(Equal(int64(101)))
	})

	It("treats a zero memory limit and zero shares as none", func() {
		s := gdnBundle()
		s.Windows.Resources.Memory.Limit = u64(0)
		s.Windows.Resources.CPU.Shares = u16(0)
		c, err := container.TranslateContainer("a", s, fakeStat)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.MemoryMaximumMB).To(BeZero())
		Expect(c.CPUWeight).To(BeZero())
	})

	It("caps CPU shares at HCS's maximum weight", func() {
		s := gdnBundle()
		s.Windows.Resources.CPU.Shares = u16(65535)
		c, err := container.TranslateContainer("a", s, fakeStat)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.CPUWeight).To(Equal(uint64(10000)))
	})

	It("passes CPU count, CPU maximum and storage limits", func() {
		s := gdnBundle()
		count, maximum := uint64(2), uint16(5000)
		s.Windows.Resources.CPU = &specs.WindowsCPUResources{Count: &count}
		s.Windows.Resources.Storage = &specs.WindowsStorageResources{Iops: u64(300), Bps: u64(1 << 20)}
		c, err := container.TranslateContainer("a", s, fakeStat)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.CPUCount).To(Equal(uint32(2)))
		Expect(c.StorageIOPSMaximum).To(Equal(uint64(300)))
		Expect(c.StorageBandwidthMaximum).To(Equal(uint64(1 << 20)))

		s.Windows.Resources.CPU = &specs.WindowsCPUResources{Maximum: &maximum}
		c, err = container.TranslateContainer("a", s, fakeStat)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.CPUMaximum).To(Equal(int64(5000)))
	})

	It("maps mounts read-only unless rw is asked for", func() {
		s := gdnBundle()
		s.Mounts = []specs.Mount{
			{Source: `C:\host\dir`, Destination: `C:\ro`, Options: []string{"bind", "ro"}},
			{Source: `C:\host\dir`, Destination: `C:\rw`, Options: []string{"bind", "rw"}},
			{Source: `C:\host\dir`, Destination: `C:\default`},
		}
		c, err := container.TranslateContainer("a", s, fakeStat)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.MappedDirectories).To(Equal([]host.MappedDirectory{
			{HostPath: `C:\host\dir`, ContainerPath: `C:\ro`, ReadOnly: true},
			{HostPath: `C:\host\dir`, ContainerPath: `C:\rw`, ReadOnly: false},
			{HostPath: `C:\host\dir`, ContainerPath: `C:\default`, ReadOnly: true},
		}))
	})

	It("passes network sharing, endpoints and a credential spec", func() {
		s := gdnBundle()
		s.Windows.Network = &specs.WindowsNetwork{NetworkSharedContainerName: "app-1", EndpointList: []string{"ep-1"}}
		s.Windows.CredentialSpec = map[string]any{"ActiveDirectoryConfig": map[string]any{"GroupManagedServiceAccounts": []any{}}}
		c, err := container.TranslateContainer("sidecar", s, fakeStat)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.NetworkSharedContainer).To(Equal("app-1"))
		Expect(c.EndpointIDs).To(Equal([]string{"ep-1"}))
		Expect(c.Credentials).To(MatchJSON(`{"ActiveDirectoryConfig":{"GroupManagedServiceAccounts":[]}}`))

		s.Windows.CredentialSpec = `{"already":"json"}`
		c, err = container.TranslateContainer("sidecar", s, fakeStat)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Credentials).To(Equal(`{"already":"json"}`))
	})

	DescribeTable("refuses what it cannot honour, naming the field",
		func(id string, change func(*specs.Spec), field string) {
			s := gdnBundle()
			change(s)
			_, err := container.TranslateContainer(id, s, fakeStat)
			Expect(err).To(MatchError(ContainSubstring(field)))
			Expect(errors.Is(err, container.ErrInvalidBundle)).To(BeTrue())
		},
		Entry("empty id", "", func(*specs.Spec) {}, "container id"),
		Entry("id with a path separator", `a\b`, func(*specs.Spec) {}, "container id"),
		Entry("id ..", "..", func(*specs.Spec) {}, "container id"),
		Entry("no root", "a", func(s *specs.Spec) { s.Root = nil }, "root.path"),
		Entry("empty root", "a", func(s *specs.Spec) { s.Root.Path = "" }, "root.path"),
		Entry("read-only root", "a", func(s *specs.Spec) { s.Root.Readonly = true }, "root.readonly"),
		Entry("no windows section", "a", func(s *specs.Spec) { s.Windows = nil }, "windows: is missing"),
		Entry("one layer folder", "a", func(s *specs.Spec) { s.Windows.LayerFolders = []string{`C:\x`} }, "windows.layerFolders"),
		Entry("empty layer folder", "a", func(s *specs.Spec) { s.Windows.LayerFolders[0] = " " }, "windows.layerFolders[0]"),
		Entry("Hyper-V isolation", "a", func(s *specs.Spec) { s.Windows.HyperV = &specs.WindowsHyperV{} }, "windows.hyperv"),
		Entry("devices", "a", func(s *specs.Spec) { s.Windows.Devices = []specs.WindowsDevice{{ID: "x", IDType: "class"}} }, "windows.devices"),
		Entry("hooks", "a", func(s *specs.Spec) { s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "x"}}} }, "hooks"),
		Entry("CPU shares and count", "a", func(s *specs.Spec) { s.Windows.Resources.CPU.Count = u64(2) }, "windows.resources.cpu"),
		Entry("CPU maximum over 10000", "a", func(s *specs.Spec) {
			m := uint16(10001)
			s.Windows.Resources.CPU = &specs.WindowsCPUResources{Maximum: &m}
		}, "windows.resources.cpu.maximum"),
		Entry("sandbox size", "a", func(s *specs.Spec) {
			s.Windows.Resources.Storage = &specs.WindowsStorageResources{SandboxSize: u64(1)}
		}, "windows.resources.storage.sandboxSize"),
		Entry("network namespace", "a", func(s *specs.Spec) { s.Windows.Network = &specs.WindowsNetwork{NetworkNamespace: "x"} }, "windows.network.networkNamespace"),
		Entry("DNS options", "a", func(s *specs.Spec) { s.Windows.Network = &specs.WindowsNetwork{DNSSearchList: []string{"x"}} }, "windows.network"),
		Entry("bad shared container", "a", func(s *specs.Spec) { s.Windows.Network = &specs.WindowsNetwork{NetworkSharedContainerName: "a/b"} }, "networkSharedContainerName"),
		Entry("mount type", "a", func(s *specs.Spec) { s.Mounts[0].Type = "tmpfs" }, "mounts[0].type"),
		Entry("relative mount destination", "a", func(s *specs.Spec) { s.Mounts[0].Destination = `Windows\bin` }, "mounts[0].destination"),
		Entry("mount on a drive root", "a", func(s *specs.Spec) { s.Mounts[0].Destination = `C:\` }, "mounts[0].destination"),
		Entry("empty mount source", "a", func(s *specs.Spec) { s.Mounts[0].Source = "" }, "mounts[0].source"),
		Entry("missing mount source", "a", func(s *specs.Spec) { s.Mounts[0].Source = `C:\nope` }, `mounts[0].source: C:\nope cannot be mapped`),
		Entry("file mount source", "a", func(s *specs.Spec) { s.Mounts[0].Source = `C:\host\file.txt` }, "only directories"),
		Entry("unknown mount option", "a", func(s *specs.Spec) { s.Mounts[0].Options = []string{"nosuid"} }, `mounts[0].options: has "nosuid"`),
		Entry("ro and rw", "a", func(s *specs.Spec) { s.Mounts[0].Options = []string{"ro", "rw"} }, "both ro and rw"),
	)
})

var _ = Describe("TranslateProcess", func() {
	It("builds one Windows command line, keeping every argument", func() {
		p, err := container.TranslateProcess(&specs.Process{
			Args: []string{`C:\Program Files\app.exe`, "a b", `say "hi"`, `C:\dir\`, ""},
			Cwd:  `C:/Users/vcap/app`,
			Env:  []string{"A=1", "B=x=y", "A=2"},
			User: specs.User{Username: "vcap"},
		}, true)
		Expect(err).NotTo(HaveOccurred())
		Expect(p).To(Equal(host.ProcessSpec{
			CommandLine:      `"C:\Program Files\app.exe" "a b" "say \"hi\"" C:\dir\ ""`,
			WorkingDirectory: `C:\Users\vcap\app`,
			Environment:      map[string]string{"A": "2", "B": "x=y"},
			User:             "vcap",
			Stdio:            true,
		}))
	})

	It("runs as the unprivileged ContainerUser, in C:\\, unless told otherwise", func() {
		p, err := container.TranslateProcess(&specs.Process{Args: []string{"cmd.exe"}}, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.User).To(Equal("ContainerUser"))
		Expect(p.WorkingDirectory).To(Equal(`C:\`))
		Expect(p.Stdio).To(BeFalse())
	})

	DescribeTable("puts rooted directories without a drive on C:, as gdn sends them",
		func(cwd, want string) {
			p, err := container.TranslateProcess(&specs.Process{Args: []string{"cmd"}, Cwd: cwd}, false)
			Expect(err).NotTo(HaveOccurred())
			Expect(p.WorkingDirectory).To(Equal(want))
		},
		Entry("gdn's default", "/", `C:\`),
		Entry("a Garden client's directory", "/Users/vcap/app", `C:\Users\vcap\app`),
		Entry("backslashes", `\Users\vcap`, `C:\Users\vcap`),
		Entry("another drive", `D:\data`, `D:\data`),
	)

	It("gives a process that asks for a terminal pipes instead", func() {
		p, err := container.TranslateProcess(&specs.Process{Args: []string{"cmd"}, Terminal: true}, true)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Stdio).To(BeTrue())
	})

	It("uses a Windows command line given as is", func() {
		p, err := container.TranslateProcess(&specs.Process{CommandLine: `cmd /c "echo hi"`}, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.CommandLine).To(Equal(`cmd /c "echo hi"`))
	})

	DescribeTable("refuses bad process specs, naming the field",
		func(p *specs.Process, field string) {
			_, err := container.TranslateProcess(p, true)
			Expect(err).To(MatchError(ContainSubstring(field)))
			Expect(errors.Is(err, container.ErrInvalidBundle)).To(BeTrue())
		},
		Entry("no process", nil, "process: is missing"),
		Entry("no args", &specs.Process{}, "process.args: is empty"),
		Entry("a quote in the program name", &specs.Process{Args: []string{`a"b`}}, "process.args"),
		Entry("relative cwd", &specs.Process{Args: []string{"cmd"}, Cwd: `Users\vcap`}, "process.cwd"),
		Entry("env without =", &specs.Process{Args: []string{"cmd"}, Env: []string{"A=1", "B"}}, "process.env[1]"),
		Entry("env without a name", &specs.Process{Args: []string{"cmd"}, Env: []string{"=x"}}, "process.env[0]"),
	)
})
