//go:build !windows

package main_test

// End-to-end tests of the Linux build of cell-prep on the simulated Windows
// host: a fresh host converges to ready, a ready host is left alone, drift
// is repaired by watch, and what crashed containers leaked is removed.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/garden-windows/garden-windows-release/cellprep"
	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/host/sim"
	"github.com/garden-windows/garden-windows-release/image/volume"
	"github.com/garden-windows/garden-windows-release/network/portpool"
)

var _ = Describe("cell-prep on a simulated Windows host", func() {
	var (
		simHost    sim.Host
		windows    sim.Windows
		hns        sim.Network
		configFile string
		netConfig  string
		grootCfg   string
		stateDir   string
		statusFile string
	)

	writeJSON := func(path string, v any) {
		data, err := json.Marshal(v)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(path, data, 0o644)).To(Succeed())
	}

	config := func(extra map[string]any) {
		cfg := map[string]any{
			"winc_network_config": netConfig, "groot_config": grootCfg,
			"defender_exclusions": []string{`C:\var\vcap\data\groot`},
			"status_file":         statusFile, "watch_interval_seconds": 1,
		}
		for k, v := range extra {
			cfg[k] = v
		}
		writeJSON(configFile, cfg)
	}

	cellPrep := func(args ...string) *gexec.Session {
		s, err := gexec.Start(exec.Command(cellPrepBin, append([]string{"--config", configFile}, args...)...), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		return s
	}

	run := func(args ...string) (*gexec.Session, int) {
		s := cellPrep(args...)
		Eventually(s, "30s").Should(gexec.Exit())
		return s, s.ExitCode()
	}

	BeforeEach(func() {
		simHost = sim.Host{Root: GinkgoT().TempDir()}
		GinkgoT().Setenv(sim.RootEnv, simHost.Root)
		windows, hns = sim.Windows{Host: simHost}, sim.Network{Host: simHost}
		dir := GinkgoT().TempDir()
		configFile = filepath.Join(dir, "cell-prep.json")
		netConfig = filepath.Join(dir, "winc-network.json")
		grootCfg = filepath.Join(dir, "groot.json")
		stateDir = filepath.Join(dir, "winc-network-state")
		statusFile = filepath.Join(dir, "status", "status.json")
		writeJSON(netConfig, map[string]any{"state_dir": stateDir})
		writeJSON(grootCfg, map[string]any{"driver_store": `C:\groot`})
		config(nil)
	})

	readyHost := func() {
		Expect(windows.Update(func(d *sim.SystemDoc) error {
			d.Features["Containers"], d.Features["FS-Resource-Manager"] = true, true
			d.Services["srmsvc"] = &host.ServiceState{Installed: true, Running: true, Automatic: true}
			return nil
		})).To(Succeed())
		_, code := run("converge")
		Expect(code).To(Equal(0))
	}

	It("takes a fresh host to ready, stopping for the reboot the Containers feature needs", func() {
		s, code := run("plan")
		Expect(code).To(Equal(0), "plan changes nothing and succeeds")
		Expect(s.Out).To(gbytes.Say(`\[ACTION \] feature Containers\s+not installed`))
		Expect(s.Out).To(gbytes.Say(`runs: dism.exe /Online /Enable-Feature /FeatureName:Containers /All /NoRestart /English`))
		d, err := windows.Read()
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Features).To(BeEmpty(), "plan changed nothing")

		s, code = run("converge")
		Expect(code).To(Equal(1))
		Expect(s.Out).To(gbytes.Say("installing the Containers feature needs a reboot to take effect; cell-prep does not reboot unless cell_prep.reboot_if_required is true"))

		Expect(windows.Reboot()).To(Succeed())
		s, code = run("converge")
		Expect(code).To(Equal(0), string(s.Out.Contents()))
		Expect(s.Out).To(gbytes.Say("changed: feature FS-Resource-Manager"))
		Expect(s.Out).To(gbytes.Say("changed: nat-network: create the NAT network"))
		Expect(s.Out).To(gbytes.Say("changed: defender-exclusions: add the exclusions"))
		Expect(s.Out).To(gbytes.Say("the cell is ready"))
		n, ok, err := hns.NetworkByName("winc-nat")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		Expect(n.Subnet).To(Equal("172.30.0.0/22"))

		_, code = run("check")
		Expect(code).To(Equal(0))
		s, code = run("converge")
		Expect(code).To(Equal(0))
		Expect(s.Out).To(gbytes.Say("the cell is ready; nothing changed"))
		Expect(string(s.Out.Contents())).NotTo(ContainSubstring("changed:"))
	})

	It("schedules the reboot when it may, and exits 3", func() {
		config(map[string]any{"reboot_if_required": true})
		s, code := run("plan")
		Expect(code).To(Equal(0))
		Expect(s.Out).To(gbytes.Say(`if the install needs a reboot, converge then runs: shutdown.exe /r /t 60`))
		s, code = run("converge")
		Expect(code).To(Equal(3))
		Expect(s.Out).To(gbytes.Say("a reboot was scheduled"))
		d, err := windows.Read()
		Expect(err).NotTo(HaveOccurred())
		Expect(d.RebootScheduled).To(ContainSubstring("Containers"))
	})

	It("check fails with a readable report on a cell that is not ready", func() {
		s, code := run("check")
		Expect(code).To(Equal(1))
		Expect(s.Out).To(gbytes.Say(`the cell is not ready: \d+ of \d+ checks are off`))
	})

	It("prints plan --json in a stable shape", func() {
		readyHost()
		Expect(hns.SetHostAddresses([]string{"10.0.0.5/24"})).To(Succeed())
		s1, _ := run("plan", "--json")
		s2, _ := run("plan", "--json")
		var r1, r2 cellprep.Report
		Expect(json.Unmarshal(s1.Out.Contents(), &r1)).To(Succeed())
		Expect(json.Unmarshal(s2.Out.Contents(), &r2)).To(Succeed())
		r1.Time, r2.Time = time.Time{}, time.Time{}
		Expect(r1).To(Equal(r2))
		Expect(r1.Ready).To(BeTrue())
		var names []string
		for _, f := range r1.Findings {
			names = append(names, f.Check)
		}
		Expect(names).To(Equal([]string{"windows-version", "reboot-pending", "feature Containers", "feature FS-Resource-Manager",
			"quota-support", "nat-network", "firewall", "defender-exclusions", "leaked-endpoints", "leaked-port-reservations", "leaked-volumes"}))
		var raw map[string]any
		Expect(json.Unmarshal(s1.Out.Contents(), &raw)).To(Succeed())
		Expect(raw).To(HaveKey("checks"))
		Expect(raw["checks"].([]any)[0]).To(HaveKey("current"))
	})

	It("watch repairs drift within an interval, logs each repair and keeps a status file", func() {
		readyHost()
		// An interval long enough to tell "within one interval" from
		// "eventually": the repair must come before the second round.
		config(map[string]any{"watch_interval_seconds": 3})
		watch := cellPrep("watch")
		defer func() {
			watch.Signal(syscall.SIGTERM)
			Eventually(watch, "10s").Should(gexec.Exit(0))
		}()
		Eventually(statusFile, "10s").Should(BeAnExistingFile())

		n, _, err := hns.NetworkByName("winc-nat")
		Expect(err).NotTo(HaveOccurred())
		Expect(hns.DeleteNetwork(n.ID)).To(Succeed())
		Expect(windows.Update(func(d *sim.SystemDoc) error {
			d.Firewall["Public"].Enabled = false
			d.Services["srmsvc"].Running = false
			return nil
		})).To(Succeed())

		deleted := time.Now()
		Eventually(func() bool { _, ok, _ := hns.NetworkByName("winc-nat"); return ok }, "5s", "50ms").Should(BeTrue())
		Expect(time.Since(deleted)).To(BeNumerically("<", 3*time.Second+time.Second), "repaired by the next round, one interval (3 s) after at most")
		Eventually(func() bool {
			d, _ := windows.Read()
			return d.Firewall["Public"].Enabled && d.Services["srmsvc"].Running
		}, "5s", "100ms").Should(BeTrue())
		Eventually(watch.Err, "5s").Should(gbytes.Say(`cell-prep.repaired.*nat-network: create the NAT network`))
		Eventually(func() bool {
			data, _ := os.ReadFile(statusFile)
			var r cellprep.Report
			return json.Unmarshal(data, &r) == nil && r.Ready
		}, "5s", "100ms").Should(BeTrue())
	})

	It("removes endpoints, port reservations and volumes that no container owns, and keeps a live container's", func() {
		readyHost()
		compute := sim.Compute{Host: simHost}
		Expect(os.MkdirAll(simHost.Path(`C:\layers\base`), 0o755)).To(Succeed())
		Expect(compute.CreateContainer(host.ContainerSpec{ID: "alive", VolumePath: `\\?\Volume{1}\`, ScratchLayer: `C:\layers\base`, ParentLayers: []string{`C:\layers\base`}})).To(Succeed())
		Expect(compute.StartContainer("alive")).To(Succeed())

		n, _, err := hns.NetworkByName("winc-nat")
		Expect(err).NotTo(HaveOccurred())
		for _, h := range []string{"alive", "ghost"} {
			_, err := hns.CreateEndpoint(host.EndpointSpec{Name: h, NetworkID: n.ID})
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(os.MkdirAll(stateDir, 0o755)).To(Succeed()) // winc-network makes it
		pool := portpool.Pool{StateFile: filepath.Join(stateDir, "ports.json"), Start: 40000, Size: 5000}
		for _, h := range []string{"alive", "ghost", "orphan"} {
			_, err := pool.Reserve(h, []uint16{0})
			Expect(err).NotTo(HaveOccurred())
		}
		vols := volume.Manager{Dir: `C:\groot\volumes`, Local: simHost.Path, Host: sim.Volumes{Host: simHost}, Log: lagertest.NewTestLogger("t"),
			HostLock: func() (func(), error) { return func() {}, nil }}
		for _, h := range []string{"alive", "ghost"} {
			_, err := vols.Create(volume.Spec{Handle: h, Layers: []string{`C:\layers\base`}})
			Expect(err).NotTo(HaveOccurred())
		}

		s, code := run("plan")
		Expect(code).To(Equal(0))
		Expect(s.Out).To(gbytes.Say(`leaked-endpoints\s+1 HNS endpoints without a container: ghost`))
		s, code = run("check")
		Expect(code).To(Equal(0), "post-start's check leaves clean-ups out: with gdn running, a container being created looks leaked")
		Expect(string(s.Out.Contents())).NotTo(ContainSubstring("leaked-"))

		s, code = run("converge")
		Expect(code).To(Equal(0), string(s.Out.Contents()))
		eps, err := hns.AllEndpoints()
		Expect(err).NotTo(HaveOccurred())
		Expect(eps).To(HaveLen(1))
		Expect(eps[0].Name).To(Equal("alive"))
		all, err := pool.All()
		Expect(err).NotTo(HaveOccurred())
		Expect(all).To(HaveLen(1))
		Expect(all).To(HaveKey("alive"))
		handles, err := vols.Handles()
		Expect(err).NotTo(HaveOccurred())
		Expect(handles).To(Equal([]string{"alive"}))
	})

	It("refuses a bad configuration at start, naming the property", func() {
		config(map[string]any{"watch_interval_seconds": 0})
		s, code := run("check")
		Expect(code).To(Equal(1))
		Expect(s.Out).To(gbytes.Say("watch_interval_seconds: 0"))
		config(map[string]any{"features": []string{"Hyper-V"}})
		s, _ = run("plan")
		Expect(s.Out).To(gbytes.Say(`features\[0\]: "Hyper-V"`))
	})
})
