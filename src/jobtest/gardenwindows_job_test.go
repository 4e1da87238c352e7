package jobtest_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"time"

	"code.cloudfoundry.org/guardian/guardiancmd"
	"github.com/garden-windows/garden-windows-release/jobtest"
	"github.com/jessevdk/go-flags"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const configPath = `C:\var\vcap\jobs\garden-windows\config\config.ini`

// parseLikeGdn runs gdn's start-up handling of its arguments and config file
// at the pinned Guardian version, step by step as cmd/gdn's main does (Go's
// flag package finds --config, go-flags reads the ini file, then the
// arguments), without starting the server. An option gdn does not know, or a
// value it rejects, fails here as it would on the cell.
//
// gdn checks that file options (plugins, nstar, init, iptables) name existing
// files. On Linux a Windows path such as C:\var\vcap\x.exe is one relative
// file name, so the files, and the config file, are created under a temporary
// working directory and gdn's checks run for real against them.
func parseLikeGdn(proc jobtest.WindowsProcess, out jobtest.Rendered, existingFiles ...string) (*guardiancmd.CommonCommand, error) {
	dir, err := os.MkdirTemp("", "gdn-flags-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, dir)
	for _, f := range existingFiles {
		Expect(os.WriteFile(filepath.Join(dir, f), nil, 0o755)).To(Succeed())
	}
	Expect(os.WriteFile(filepath.Join(dir, configPath), []byte(out["config/config.ini"]), 0o644)).To(Succeed())
	wd, err := os.Getwd()
	Expect(err).NotTo(HaveOccurred())
	Expect(os.Chdir(dir)).To(Succeed())
	defer func() { Expect(os.Chdir(wd)).To(Succeed()) }()

	goFlags := flag.NewFlagSet("gdn", flag.ContinueOnError)
	config := goFlags.String("config", "", "")
	if err := goFlags.Parse(proc.Args); err != nil {
		return nil, err
	}

	cmd := &guardiancmd.GdnCommand{}
	parser := flags.NewParser(cmd, flags.HelpFlag|flags.PassDoubleDash)
	parser.NamespaceDelimiter = "-"
	// gdn would now Execute the command go-flags chose; keep it instead.
	var chosen flags.Commander
	parser.CommandHandler = func(c flags.Commander, _ []string) error { chosen = c; return nil }
	if *config != "" {
		if err := flags.NewIniParser(parser).ParseFile(*config); err != nil {
			return nil, err
		}
	}
	rest, err := parser.ParseArgs(proc.Args)
	if err != nil {
		return nil, err
	}
	Expect(rest).To(BeEmpty())
	Expect(chosen).To(BeAssignableToTypeOf(&guardiancmd.ServerCommand{}), "gdn must run its server command")
	return chosen.(*guardiancmd.ServerCommand).CommonCommand, nil
}

var defaultFiles = []string{
	`C:\var\vcap\packages\winc\winc.exe`,
	`C:\var\vcap\packages\groot\groot.exe`,
	`C:\var\vcap\packages\winc-network\winc-network.exe`,
	`C:\var\vcap\packages\nstar\nstar.exe`,
	`C:\var\vcap\packages\winit\winit.exe`,
	`C:\var\vcap\packages\gdn\gdn.exe`,
}

var _ = Describe("job garden-windows", func() {
	var job *jobtest.Job

	BeforeEach(func() {
		release, err := jobtest.ReleaseDir()
		Expect(err).NotTo(HaveOccurred())
		job, err = jobtest.Load(release, "garden-windows")
		Expect(err).NotTo(HaveOccurred())
	})

	render := func(props map[string]any) (jobtest.WindowsProcess, jobtest.Rendered, error) {
		out, err := job.Render(jobtest.Inputs{Properties: props})
		if err != nil {
			return jobtest.WindowsProcess{}, nil, err
		}
		monit, err := out.WindowsMonit()
		Expect(err).NotTo(HaveOccurred(), "monit must be valid JSON whatever the properties")
		Expect(monit.Processes).To(HaveLen(1))
		return monit.Processes[0], out, nil
	}
	garden := func(props map[string]any) map[string]any { return map[string]any{"garden": props} }

	It("declares its packages and provides the listen address through a link", func() {
		Expect(job.Spec.Packages).To(ConsistOf("gdn", "winit", "nstar"))
		Expect(job.Spec.Provides).To(ConsistOf(jobtest.LinkDefinition{
			Name: "garden", Type: "garden",
			Properties: []string{"garden.listen_network", "garden.listen_address"},
		}))
	})

	It("describes every property", func() {
		for name, prop := range job.Spec.Properties {
			Expect(prop.Description).NotTo(BeEmpty(), "property %s has no description", name)
		}
	})

	Context("with default properties", func() {
		It("runs gdn.exe server with its rendered config file", func() {
			proc, _, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(proc.Name).To(Equal("gdn"))
			Expect(proc.Executable).To(Equal(`C:\var\vcap\packages\gdn\gdn.exe`))
			Expect(proc.Args).To(Equal([]string{"--config=" + configPath, "server"}))
		})

		It("configures gdn with this release's plugins, listening on loopback", func() {
			_, out, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(out["config/config.ini"]).To(Equal(`; gdn.exe configuration, rendered by BOSH from the garden-windows job's
; properties. Change the deployment manifest, not this file.
[server]
bind-ip = "127.0.0.1"
bind-port = "9241"
log-level = "info"
depot = "C:\\var\\vcap\\data\\garden\\depot"
properties-path = "C:\\var\\vcap\\data\\garden\\props.json"
max-containers = "250"
default-grace-time = "0"
init-bin = "C:\\var\\vcap\\packages\\winit\\winit.exe"
dropsonde-origin = "garden-windows"
runtime-plugin = "C:\\var\\vcap\\packages\\winc\\winc.exe"
image-plugin = "C:\\var\\vcap\\packages\\groot\\groot.exe"
network-plugin = "C:\\var\\vcap\\packages\\winc-network\\winc-network.exe"
nstar-bin = "C:\\var\\vcap\\packages\\nstar\\nstar.exe"
image-plugin-extra-arg = "--config"
image-plugin-extra-arg = "C:\\var\\vcap\\jobs\\groot\\config\\groot.json"
network-plugin-extra-arg = "--configFile"
network-plugin-extra-arg = "C:\\var\\vcap\\jobs\\winc-network\\config\\winc-network.json"
external-ip = "10.0.16.5"
destroy-containers-on-startup = "true"
disable-privileged-containers = "true"
iptables-bin = "C:\\var\\vcap\\packages\\gdn\\gdn.exe"
iptables-restore-bin = "C:\\var\\vcap\\packages\\gdn\\gdn.exe"

; Not run on Windows cells; see the iptables note in the job's template.
[cleanup]
iptables-bin = "C:\\var\\vcap\\packages\\gdn\\gdn.exe"
iptables-restore-bin = "C:\\var\\vcap\\packages\\gdn\\gdn.exe"
`))
		})

		It("sets only options gdn accepts, to the values intended", func() {
			proc, out, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			gdn, err := parseLikeGdn(proc, out, defaultFiles...)
			Expect(err).NotTo(HaveOccurred())
			Expect(gdn.Server.BindIP.IP().String()).To(Equal("127.0.0.1"))
			Expect(gdn.Server.BindPort).To(BeEquivalentTo(9241))
			Expect(gdn.Server.DebugBindIP).To(BeNil())
			Expect(gdn.Logger.LogLevel).To(Equal("info"))
			Expect(gdn.Containers.Dir).To(Equal(`C:\var\vcap\data\garden\depot`))
			Expect(gdn.Limits.MaxContainers).To(BeEquivalentTo(250))
			Expect(gdn.Containers.DefaultGraceTime).To(BeZero())
			Expect(gdn.Containers.DestroyContainersOnStartup).To(BeTrue())
			Expect(gdn.Containers.DisablePrivilgedContainers).To(BeTrue())
			Expect(gdn.Containers.CleanupProcessDirsOnWait).To(BeFalse())
			Expect(gdn.Containers.DefaultRootFS).To(BeEmpty())
			Expect(gdn.Runtime.Plugin).To(Equal(`C:\var\vcap\packages\winc\winc.exe`))
			Expect(gdn.Runtime.PluginExtraArgs).To(BeEmpty())
			Expect(filepath.Base(gdn.Image.Plugin.Path())).To(Equal(`C:\var\vcap\packages\groot\groot.exe`))
			Expect(gdn.Image.PluginExtraArgs).To(Equal([]string{"--config", `C:\var\vcap\jobs\groot\config\groot.json`}))
			Expect(filepath.Base(gdn.Network.Plugin.Path())).To(Equal(`C:\var\vcap\packages\winc-network\winc-network.exe`))
			Expect(gdn.Network.PluginExtraArgs).To(Equal([]string{"--configFile", `C:\var\vcap\jobs\winc-network\config\winc-network.json`}))
			Expect(filepath.Base(gdn.Bin.NSTar.Path())).To(Equal(`C:\var\vcap\packages\nstar\nstar.exe`))
			Expect(filepath.Base(gdn.Bin.Init.Path())).To(Equal(`C:\var\vcap\packages\winit\winit.exe`))
			Expect(gdn.Bin.Tar.Path()).To(BeEmpty())
			Expect(gdn.Metrics.DropsondeOrigin).To(Equal("garden-windows"))
			Expect(gdn.Network.ExternalIP.IP().String()).To(Equal(jobtest.DefaultInstance.IP))
		})
	})

	It("creates gdn's depot before gdn starts, since gdn does not create it", func() {
		proc, out, err := render(nil)
		Expect(err).NotTo(HaveOccurred())
		gdn, err := parseLikeGdn(proc, out, defaultFiles...)
		Expect(err).NotTo(HaveOccurred())
		Expect(out["bin/pre-start.ps1"]).To(ContainSubstring("New-Item -ItemType Directory -Force -Path " + gdn.Containers.Dir + " "))
	})

	It("gives gdn the instance's IP as the IP mapped ports are reached on", func() {
		out, err := job.Render(jobtest.Inputs{Instance: jobtest.Instance{Name: "cell", IP: "10.9.8.7"}})
		Expect(err).NotTo(HaveOccurred())
		monit, err := out.WindowsMonit()
		Expect(err).NotTo(HaveOccurred())
		gdn, err := parseLikeGdn(monit.Processes[0], out, defaultFiles...)
		Expect(err).NotTo(HaveOccurred())
		Expect(gdn.Network.ExternalIP.IP().String()).To(Equal("10.9.8.7"))
	})

	It("would not start without the iptables placeholders, which is why it renders them", func() {
		// gdn's default is /sbin/iptables, absent on Windows cells; a
		// Linux host with iptables installed cannot show the failure.
		if _, err := os.Stat("/sbin/iptables"); err == nil {
			Skip("/sbin/iptables exists on this machine (installed with skopeo, for example), so gdn's default would be found here")
		}
		proc, out, err := render(nil)
		Expect(err).NotTo(HaveOccurred())
		var kept []string
		for _, l := range strings.Split(out["config/config.ini"], "\n") {
			if !strings.HasPrefix(l, "iptables") {
				kept = append(kept, l)
			}
		}
		out["config/config.ini"] = strings.Join(kept, "\n")
		_, err = parseLikeGdn(proc, out, defaultFiles...)
		Expect(err).To(MatchError(ContainSubstring("/sbin/iptables")))
	})

	It("renders every property an operator sets", func() {
		proc, out, err := render(garden(map[string]any{
			"listen_network":                "tcp",
			"listen_address":                "0.0.0.0:7777",
			"debug_listen_address":          "127.0.0.1:17019",
			"log_level":                     "debug",
			"max_containers":                75,
			"destroy_containers_on_start":   false,
			"default_container_rootfs":      "oci:///C:/var/vcap/packages/windows2019fs",
			"default_container_grace_time":  "5m",
			"cleanup_process_dirs_on_wait":  true,
			"disable_privileged_containers": false,
			"runtime_plugin":                `D:\plugins\runtime.exe`,
			"runtime_plugin_extra_args":     []any{`--log=C:\var\vcap\sys\log\winc\winc.log`, "--debug"},
			"image_plugin":                  `D:\plugins\image.exe`,
			"image_plugin_extra_args":       []any{`--driver-store=C:\var\vcap\data\groot`},
			"network_plugin":                `D:\plugins\network.exe`,
			"network_plugin_extra_args":     []any{"--configFile", `C:\var\vcap\jobs\winc-network\config\config.json`, `a "quoted"; value # with = signs`},
			"nstar_bin":                     `D:\plugins\nstar.exe`,
			"tar_bin":                       `D:\plugins\tar.exe`,
		}))
		Expect(err).NotTo(HaveOccurred())
		Expect(out["config/config.ini"]).NotTo(ContainSubstring("destroy-containers-on-startup"))
		Expect(out["config/config.ini"]).NotTo(ContainSubstring("disable-privileged-containers"))

		gdn, err := parseLikeGdn(proc, out,
			`D:\plugins\image.exe`, `D:\plugins\network.exe`, `D:\plugins\nstar.exe`, `D:\plugins\tar.exe`,
			`C:\var\vcap\packages\winit\winit.exe`, `C:\var\vcap\packages\gdn\gdn.exe`)
		Expect(err).NotTo(HaveOccurred())
		Expect(gdn.Server.BindIP.IP().String()).To(Equal("0.0.0.0"))
		Expect(gdn.Server.BindPort).To(BeEquivalentTo(7777))
		Expect(gdn.Server.DebugBindIP.IP().String()).To(Equal("127.0.0.1"))
		Expect(gdn.Server.DebugBindPort).To(BeEquivalentTo(17019))
		Expect(gdn.Logger.LogLevel).To(Equal("debug"))
		Expect(gdn.Limits.MaxContainers).To(BeEquivalentTo(75))
		Expect(gdn.Containers.DestroyContainersOnStartup).To(BeFalse())
		Expect(gdn.Containers.DisablePrivilgedContainers).To(BeFalse())
		Expect(gdn.Containers.CleanupProcessDirsOnWait).To(BeTrue())
		Expect(gdn.Containers.DefaultGraceTime).To(Equal(5 * time.Minute))
		Expect(gdn.Containers.DefaultRootFS).To(Equal("oci:///C:/var/vcap/packages/windows2019fs"))
		Expect(gdn.Runtime.Plugin).To(Equal(`D:\plugins\runtime.exe`))
		// Extra arguments reach the plugins unchanged and in order, even those
		// that look like options or hold quotes, ';', '#' and '='.
		Expect(gdn.Runtime.PluginExtraArgs).To(Equal([]string{`--log=C:\var\vcap\sys\log\winc\winc.log`, "--debug"}))
		Expect(gdn.Image.PluginExtraArgs).To(Equal([]string{`--driver-store=C:\var\vcap\data\groot`}))
		Expect(gdn.Network.PluginExtraArgs).To(Equal([]string{"--configFile", `C:\var\vcap\jobs\winc-network\config\config.json`, `a "quoted"; value # with = signs`}))
		Expect(filepath.Base(gdn.Image.Plugin.Path())).To(Equal(`D:\plugins\image.exe`))
		Expect(filepath.Base(gdn.Network.Plugin.Path())).To(Equal(`D:\plugins\network.exe`))
		Expect(filepath.Base(gdn.Bin.NSTar.Path())).To(Equal(`D:\plugins\nstar.exe`))
		Expect(filepath.Base(gdn.Bin.Tar.Path())).To(Equal(`D:\plugins\tar.exe`))
	})

	It("is caught by gdn's own checks when a plugin file is missing on the cell", func() {
		proc, out, err := render(nil)
		Expect(err).NotTo(HaveOccurred())
		missingNstar := []string{defaultFiles[0], defaultFiles[1], defaultFiles[2], defaultFiles[4], defaultFiles[5]}
		_, err = parseLikeGdn(proc, out, missingNstar...)
		Expect(err).To(MatchError(ContainSubstring("nstar.exe")))
	})

	It("accepts an IPv6 listen address", func() {
		proc, out, err := render(garden(map[string]any{"listen_address": "[::1]:9241"}))
		Expect(err).NotTo(HaveOccurred())
		gdn, err := parseLikeGdn(proc, out, defaultFiles...)
		Expect(err).NotTo(HaveOccurred())
		Expect(gdn.Server.BindIP.IP().String()).To(Equal("::1"))
	})

	DescribeTable("refuses invalid properties at render time, naming the property",
		func(props map[string]any, message string) {
			_, _, err := render(garden(props))
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("a listen address without a port", map[string]any{"listen_address": "127.0.0.1"},
			`job property garden.listen_address is "127.0.0.1": expected IP:PORT`),
		Entry("a listen address with a host name", map[string]any{"listen_address": "localhost:9241"},
			`job property garden.listen_address is "localhost:9241": expected IP:PORT with a literal IP`),
		Entry("a listen address with a netmask", map[string]any{"listen_address": "10.0.0.1/8:9241"},
			`job property garden.listen_address is "10.0.0.1/8:9241": expected IP:PORT`),
		Entry("a listen port out of range", map[string]any{"listen_address": "127.0.0.1:70000"},
			`job property garden.listen_address is "127.0.0.1:70000"`),
		Entry("a debug address that is not IP:PORT", map[string]any{"debug_listen_address": "debug"},
			`job property garden.debug_listen_address is "debug"`),
		Entry("a unix listen network", map[string]any{"listen_network": "unix"},
			`job property garden.listen_network is "unix": Windows cells only support "tcp"`),
		Entry("max_containers of 0", map[string]any{"max_containers": 0},
			`job property garden.max_containers is 0: expected a whole number of at least 1`),
		Entry("negative max_containers", map[string]any{"max_containers": -5},
			`job property garden.max_containers is -5`),
		Entry("max_containers that is not a number", map[string]any{"max_containers": "lots"},
			`job property garden.max_containers is "lots"`),
		Entry("an unknown log level", map[string]any{"log_level": "verbose"},
			`job property garden.log_level is "verbose": expected one of debug, info, error, fatal`),
		Entry("a grace time without a unit", map[string]any{"default_container_grace_time": "30"},
			`job property garden.default_container_grace_time is "30": expected a Go duration`),
		Entry("a rootfs that is not an image URI", map[string]any{"default_container_rootfs": `C:\rootfs`},
			`job property garden.default_container_rootfs is "C:\\rootfs": expected an image URI`),
		Entry("an empty plugin path", map[string]any{"runtime_plugin": ""},
			`job property garden.runtime_plugin is "": expected the path of an executable`),
		Entry("extra args that are not a list", map[string]any{"image_plugin_extra_args": "--driver-store=C:\\groot"},
			`job property garden.image_plugin_extra_args is "--driver-store=C:\\groot": expected a list of strings`),
		Entry("a flag that is not a boolean", map[string]any{"destroy_containers_on_start": "yes"},
			`job property garden.destroy_containers_on_start is "yes": expected true or false`),
	)
})
