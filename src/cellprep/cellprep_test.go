package cellprep_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/cellprep"
	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/host/hostfakes"
)

// fakeCommands shows command lines as the action's words.
type fakeCommands struct{}

func (fakeCommands) EnableFeature(name string) []string { return []string{"enable " + name} }
func (fakeCommands) SetFirewallDefaults(in, out host.FirewallAction) []string {
	return []string{"firewall on", "firewall " + string(in) + " " + string(out)}
}
func (fakeCommands) AddDefenderExclusions(paths []string) []string {
	return []string{"exclude " + strings.Join(paths, " ")}
}
func (fakeCommands) ScheduleReboot(reason string) []string { return []string{"reboot " + reason} }

var _ = Describe("ReleaseOf", func() {
	DescribeTable("names the release of a build",
		func(version, name string, supported bool) {
			r, err := cellprep.ReleaseOf(version)
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Name).To(Equal(name))
			Expect(r.Supported).To(Equal(supported))
		},
		Entry("2016", "10.0.14393.6897", "Windows Server 2016 (1607)", true),
		Entry("1709", "10.0.16299.15", "Windows Server 1709", true),
		Entry("1803", "10.0.17134.1", "Windows Server 1803", true),
		Entry("2019", "10.0.17763.5576", "Windows Server 2019 (1809)", true),
		Entry("a 2019 with an unknown build after it", "10.0.18362.1", "Windows Server 2019 (1809) or later (build 18362)", true),
		Entry("2022", "10.0.20348.2340", "Windows Server 2022", true),
		Entry("2025", "10.0.26100.1", "Windows Server 2025", true),
		Entry("older than 2016", "10.0.10586.0", "Windows build 10586", false),
	)

	It("notes what differs: serialized endpoints before 2019, lost NAT networks from 2019, ACLs and quotas on 2025", func() {
		r, _ := cellprep.ReleaseOf("10.0.17134.1")
		Expect(strings.Join(r.Notes, " ")).To(ContainSubstring("serializes"))
		r, _ = cellprep.ReleaseOf("10.0.17763.1")
		Expect(strings.Join(r.Notes, " ")).To(ContainSubstring("NAT network can disappear"))
		r, _ = cellprep.ReleaseOf("10.0.26100.1")
		Expect(strings.Join(r.Notes, " ")).To(And(ContainSubstring("deny by default"), ContainSubstring("0x80045313")))
	})

	It("refuses what is not a Windows 10.0 version", func() {
		for _, v := range []string{"", "10.0", "6.3.9600", "10.0.x"} {
			_, err := cellprep.ReleaseOf(v)
			Expect(err).To(MatchError(ContainSubstring(v)))
		}
	})
})

var _ = Describe("LoadConfig", func() {
	load := func(content string) (cellprep.Config, error) {
		path := filepath.Join(GinkgoT().TempDir(), "cell-prep.json")
		Expect(os.WriteFile(path, []byte(content), 0o644)).To(Succeed())
		return cellprep.LoadConfig(path)
	}

	It("gives defaults", func() {
		c, err := load(`{}`)
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(cellprep.Config{Features: []string{"Containers", "FS-Resource-Manager"}, FirewallInbound: "block", FirewallOutbound: "allow",
			QuotaVolume: `C:\var\vcap\data`, WatchIntervalSeconds: 30, StatusFile: `C:\var\vcap\data\cell-prep\status.json`}))
	})

	DescribeTable("refuses, naming the field",
		func(content, field string) {
			_, err := load(content)
			Expect(errors.Is(err, cellprep.ErrInvalidConfig)).To(BeTrue())
			Expect(err.Error()).To(ContainSubstring(field))
		},
		Entry("an unknown feature", `{"features":["Hyper-V"]}`, `features[0]: "Hyper-V" is not a feature`),
		Entry("an interval of zero", `{"watch_interval_seconds":0}`, "watch_interval_seconds: 0"),
		Entry("a negative interval", `{"watch_interval_seconds":-5}`, "watch_interval_seconds: -5"),
		Entry("a firewall word", `{"firewall_inbound":"deny"}`, "firewall_inbound"),
		Entry("a relative exclusion", `{"defender_exclusions":["data"]}`, "defender_exclusions[0]"),
		Entry("a quote in an exclusion", `{"defender_exclusions":["C:\\a'b"]}`, "defender_exclusions[0]"),
		Entry("a relative quota volume", `{"quota_volume":"data"}`, "quota_volume"),
		Entry("an unknown field", `{"featurez":[]}`, "featurez"),
	)
})

var _ = Describe("Agent", func() {
	var (
		sys   *hostfakes.FakeSystemHost
		agent *cellprep.Agent
		log   *lagertest.TestLogger
	)

	BeforeEach(func() {
		sys = &hostfakes.FakeSystemHost{}
		sys.OSVersionReturns("10.0.17763.5576", nil)
		sys.FeatureInstalledReturns(true, nil)
		sys.FileSystemReturns("NTFS", nil)
		sys.ServiceReturns(host.ServiceState{Installed: true, Running: true, Automatic: true}, nil)
		sys.FirewallProfilesReturns([]host.FirewallProfile{
			{Name: "Domain", Enabled: true, Inbound: host.FirewallBlock, Outbound: host.FirewallAllow},
			{Name: "Public", Enabled: true, Inbound: host.FirewallBlock, Outbound: host.FirewallAllow},
		}, nil)
		cfg, err := cellprep.Config{WatchIntervalSeconds: 1, DefenderExclusions: []string{`C:\var\vcap\data`}}.WithDefaults()
		Expect(err).NotTo(HaveOccurred())
		sys.DefenderExclusionsReturns([]string{`c:\var\vcap\data\`}, nil)
		log = lagertest.NewTestLogger("cell-prep")
		root := GinkgoT().TempDir()
		agent = &cellprep.Agent{Config: cfg, System: sys, Compute: &hostfakes.FakeComputeHost{}, Commands: fakeCommands{},
			Local: func(p string) string { return filepath.Join(root, filepath.Base(strings.ReplaceAll(p, `\`, "/"))) },
			Log:   log, Now: time.Now}
	})

	findingOf := func(r cellprep.Report, check string) cellprep.Finding {
		for _, f := range r.Findings {
			if f.Check == check {
				return f
			}
		}
		Fail("no finding for " + check)
		return cellprep.Finding{}
	}

	It("finds a ready cell ready, and converge changes nothing", func() {
		r := agent.Plan()
		Expect(r.Ready).To(BeTrue(), "%+v", r.Findings)
		Expect(r.Findings).To(HaveLen(7))
		r, err := agent.Converge()
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Changed).To(BeEmpty())
		Expect(sys.EnableFeatureCallCount() + sys.SetFirewallDefaultsCallCount() + sys.StartServiceCallCount() + sys.AddDefenderExclusionsCallCount()).To(Equal(0))
	})

	It("plans each action with the command line it runs, changing nothing", func() {
		sys.FeatureInstalledStub = func(name string) (bool, error) { return name != "FS-Resource-Manager", nil }
		sys.FirewallProfilesReturns([]host.FirewallProfile{{Name: "Public", Enabled: false, Inbound: host.FirewallAllow, Outbound: host.FirewallAllow}}, nil)
		sys.DefenderExclusionsReturns(nil, nil)
		r := agent.Plan()
		Expect(r.Ready).To(BeFalse())
		f := findingOf(r, "feature FS-Resource-Manager")
		Expect(f.Current).To(Equal("not installed"))
		Expect(f.Commands).To(Equal([]string{"enable FS-Resource-Manager"}))
		f = findingOf(r, "firewall")
		Expect(f.Current).To(Equal("Public off Allow inbound Allow outbound"))
		Expect(f.Commands).To(Equal([]string{"firewall on", "firewall Block Allow"}))
		Expect(findingOf(r, "defender-exclusions").Commands).To(Equal([]string{`exclude C:\var\vcap\data`}))
		Expect(sys.EnableFeatureCallCount() + sys.SetFirewallDefaultsCallCount() + sys.AddDefenderExclusionsCallCount()).To(Equal(0))
	})

	It("converges: applies each action, then verifies", func() {
		installed := false
		sys.FeatureInstalledStub = func(name string) (bool, error) { return name != "FS-Resource-Manager" || installed, nil }
		sys.EnableFeatureStub = func(string) (bool, error) { installed = true; return false, nil }
		r, err := agent.Converge()
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Ready).To(BeTrue())
		Expect(r.Changed).To(Equal([]string{"feature FS-Resource-Manager: install the FS-Resource-Manager feature"}))
		Expect(sys.EnableFeatureArgsForCall(0)).To(Equal("FS-Resource-Manager"))
	})

	It("fails when a change needs a reboot, saying what to do, unless it may reboot", func() {
		sys.FeatureInstalledStub = func(name string) (bool, error) { return name != "Containers", nil }
		sys.EnableFeatureReturns(true, nil)
		r, err := agent.Converge()
		Expect(err).To(MatchError(ContainSubstring("installing the Containers feature needs a reboot to take effect; cell-prep does not reboot unless cell_prep.reboot_if_required is true")))
		Expect(r.Ready).To(BeFalse())
		Expect(sys.ScheduleRebootCallCount()).To(Equal(0))

		agent.Config.RebootIfRequired = true
		Expect(findingOf(agent.Plan(), "feature Containers").Notes).To(ContainElement(
			"if the install needs a reboot, converge then runs: reboot cell-prep: installing the Containers feature needs a reboot to take effect"))
		r, err = agent.Converge()
		Expect(errors.Is(err, cellprep.ErrRebootScheduled)).To(BeTrue())
		Expect(sys.ScheduleRebootArgsForCall(0)).To(ContainSubstring("Containers"))
		Expect(r.Changed).To(ContainElement("reboot scheduled"))
	})

	It("reports what it cannot fix, with what to do", func() {
		sys.FileSystemReturns("ReFS", nil)
		sys.OSVersionReturns("10.0.10586.0", nil)
		r, err := agent.Converge()
		Expect(errors.Is(err, cellprep.ErrNotReady)).To(BeTrue())
		Expect(findingOf(r, "quota-support").Problem).To(ContainSubstring("need NTFS"))
		Expect(findingOf(r, "windows-version").Problem).To(ContainSubstring("windows2019"))
	})

	It("starts a stopped FSRM service", func() {
		sys.ServiceReturnsOnCall(0, host.ServiceState{Installed: true}, nil)
		_, err := agent.Converge()
		Expect(err).NotTo(HaveOccurred())
		Expect(sys.StartServiceArgsForCall(0)).To(Equal("srmsvc"))
	})

	It("is ready without Defender", func() {
		sys.DefenderExclusionsReturns(nil, host.ErrDefenderAbsent)
		r := agent.Plan()
		Expect(findingOf(r, "defender-exclusions")).To(And(HaveField("Ready", true), HaveField("Current", "Windows Defender is not installed or not running")))
	})

	It("reports a failing inspection as a problem of that check", func() {
		sys.FirewallProfilesReturns(nil, errors.New("netsh failed"))
		r := agent.Plan()
		Expect(r.Ready).To(BeFalse())
		Expect(findingOf(r, "firewall").Problem).To(Equal("inspecting failed: netsh failed"))
	})

	It("watch repairs drift only, logs each repair and writes the status file", func() {
		sys.FeatureInstalledReturns(false, nil) // not drift: left to converge
		sys.FirewallProfilesReturnsOnCall(0, []host.FirewallProfile{{Name: "Public", Enabled: false, Inbound: host.FirewallBlock, Outbound: host.FirewallAllow}}, nil)
		r := agent.WatchOnce()
		Expect(sys.SetFirewallDefaultsCallCount()).To(Equal(1))
		Expect(sys.EnableFeatureCallCount()).To(Equal(0))
		Expect(r.Changed).To(Equal([]string{"firewall: set every profile's defaults"}))
		Expect(log.LogMessages()).To(ContainElement("cell-prep.repaired"))
		data, err := os.ReadFile(agent.Local(agent.Config.StatusFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(ContainSubstring(`"changed": [`))
	})
})
