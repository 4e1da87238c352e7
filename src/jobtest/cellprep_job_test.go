package jobtest_test

import (
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/cellprep"
	"github.com/garden-windows/garden-windows-release/jobtest"
)

const (
	cellPrepExe    = `C:\var\vcap\packages\cell-prep\cell-prep.exe`
	cellPrepConfig = `C:\var\vcap\jobs\cell-prep\config\cell-prep.json`
)

var _ = Describe("job cell-prep", func() {
	var (
		release string
		job     *jobtest.Job
	)

	BeforeEach(func() {
		var err error
		release, err = jobtest.ReleaseDir()
		Expect(err).NotTo(HaveOccurred())
		job, err = jobtest.Load(release, "cell-prep")
		Expect(err).NotTo(HaveOccurred())
	})

	cellPrep := func(props map[string]any) map[string]any { return map[string]any{"cell_prep": props} }
	render := func(props map[string]any) (string, jobtest.Rendered, error) {
		out, err := job.Render(jobtest.Inputs{Properties: props})
		if err != nil {
			return "", nil, err
		}
		return out["config/cell-prep.json"], out, nil
	}

	// loadLikeCellPrep reads a rendered config file as cell-prep.exe does
	// (cellprep.LoadConfig: unknown fields refused, defaults, validation).
	loadLikeCellPrep := func(config string) (cellprep.Config, error) {
		path := filepath.Join(GinkgoT().TempDir(), "cell-prep.json")
		Expect(os.WriteFile(path, []byte(config), 0o644)).To(Succeed())
		return cellprep.LoadConfig(path)
	}

	// withField is the default rendered config with one field replaced, for
	// asking cell-prep itself about a value.
	withField := func(key string, value any) string {
		config, _, err := render(nil)
		Expect(err).NotTo(HaveOccurred())
		var fields map[string]any
		Expect(json.Unmarshal([]byte(config), &fields)).To(Succeed())
		fields[key] = value
		data, err := json.Marshal(fields)
		Expect(err).NotTo(HaveOccurred())
		return string(data)
	}

	// scriptCode is a rendered script without comments and blank lines.
	scriptCode := func(out jobtest.Rendered, name string) []string {
		script, ok := out[name]
		Expect(ok).To(BeTrue(), "the job renders no %s", name)
		var code []string
		for _, l := range strings.Split(script, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
				code = append(code, t)
			}
		}
		return code
	}

	// onCell is where BOSH puts a job's rendered template on the cell.
	onCell := func(j *jobtest.Job, template string) string {
		dst, ok := j.Spec.Templates[template]
		Expect(ok).To(BeTrue(), "job %s has no template %s", j.Spec.Name, template)
		return `C:\var\vcap\jobs\` + j.Spec.Name + `\` + strings.ReplaceAll(dst, "/", `\`)
	}

	It("installs cell-prep.exe and renders its config file, pre-start and post-start", func() {
		Expect(job.Spec.Packages).To(ConsistOf("cell-prep"))
		Expect(job.Spec.Templates).To(Equal(map[string]string{
			"config.json.erb": "config/cell-prep.json",
			"pre-start.ps1":   "bin/pre-start.ps1",
			"post-start.ps1":  "bin/post-start.ps1",
		}))
		Expect(job.Spec.Provides).To(BeEmpty())
		Expect(job.Spec.Consumes).To(BeEmpty())
		Expect(onCell(job, "config.json.erb")).To(Equal(cellPrepConfig))
	})

	It("describes every property", func() {
		var names []string
		for name, prop := range job.Spec.Properties {
			names = append(names, name)
			Expect(prop.Description).NotTo(BeEmpty(), "property %s has no description", name)
		}
		Expect(names).To(ConsistOf(
			"cell_prep.features",
			"cell_prep.reboot_if_required",
			"cell_prep.manage_nat_network",
			"cell_prep.check_leaked_volumes",
			"cell_prep.firewall.inbound",
			"cell_prep.firewall.outbound",
			"cell_prep.defender_exclusions",
			"cell_prep.quota_volume",
			"cell_prep.watch_interval_seconds",
		))
	})

	Describe("monit", func() {
		It("runs cell-prep watch with the rendered config file, as the one process", func() {
			_, out, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			monit, err := out.WindowsMonit()
			Expect(err).NotTo(HaveOccurred())
			Expect(monit.Processes).To(HaveLen(1))
			proc := monit.Processes[0]
			Expect(proc.Name).To(Equal("cell-prep"))
			Expect(proc.Executable).To(Equal(cellPrepExe))
			Expect(proc.Args).To(Equal([]string{"--config", cellPrepConfig, "watch"}))
			Expect(proc.Env).To(BeEmpty())
			Expect(proc.Stop).To(BeNil())

			// cell-prep reads its global options with Go's flag package
			// and then takes the command: the arguments must leave exactly
			// "watch", with --config naming where BOSH put the file.
			fs := flag.NewFlagSet("cell-prep", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			config := fs.String("config", "", "")
			Expect(fs.Parse(proc.Args)).To(Succeed())
			Expect(*config).To(Equal(onCell(job, "config.json.erb")))
			Expect(fs.Args()).To(Equal([]string{"watch"}))
		})

		It("gets cell-prep.exe from this job's package, built from cmd/cell-prep", func() {
			expectExeInPackage(release, job.Spec.Packages[0], cellPrepExe, "github.com/garden-windows/garden-windows-release/cmd/cell-prep")
		})
	})

	Context("with default properties", func() {
		It("renders cell-prep's default configuration, using the winc-network and groot jobs' files", func() {
			config, _, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(config).To(MatchJSON(`{
				"features": ["Containers", "FS-Resource-Manager"],
				"reboot_if_required": false,
				"winc_network_config": "C:\\var\\vcap\\jobs\\winc-network\\config\\winc-network.json",
				"groot_config": "C:\\var\\vcap\\jobs\\groot\\config\\groot.json",
				"firewall_inbound": "block",
				"firewall_outbound": "allow",
				"defender_exclusions": [],
				"quota_volume": "C:\\var\\vcap\\data",
				"watch_interval_seconds": 30,
				"status_file": "C:\\var\\vcap\\data\\cell-prep\\status.json"
			}`))
		})

		It("is a configuration cell-prep loads, with the values of its own defaults", func() {
			config, _, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			c, err := loadLikeCellPrep(config)
			Expect(err).NotTo(HaveOccurred())
			Expect(c.Features).To(Equal(cellprep.DefaultFeatures))
			Expect(c.RebootIfRequired).To(BeFalse())
			Expect(c.FirewallInbound).To(Equal("block"))
			Expect(c.FirewallOutbound).To(Equal("allow"))
			Expect(c.DefenderExclusions).To(BeEmpty())
			Expect(c.QuotaVolume).To(Equal(cellprep.DefaultQuotaVolume))
			Expect(c.WatchIntervalSeconds).To(Equal(cellprep.DefaultWatchInterval))
			Expect(c.StatusFile).To(Equal(cellprep.DefaultStatusFile))
		})

		It("writes exactly the fields of cell-prep's configuration, all of them", func() {
			config, _, err := render(nil)
			Expect(err).NotTo(HaveOccurred())

			dec := json.NewDecoder(strings.NewReader(config))
			dec.DisallowUnknownFields()
			var c cellprep.Config
			Expect(dec.Decode(&c)).To(Succeed())
			Expect(dec.More()).To(BeFalse())

			var rendered map[string]any
			Expect(json.Unmarshal([]byte(config), &rendered)).To(Succeed())
			t := reflect.TypeFor[cellprep.Config]()
			for i := range t.NumField() {
				key, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
				Expect(rendered).To(HaveKey(key), "field %s of cellprep.Config", t.Field(i).Name)
			}
			Expect(rendered).To(HaveLen(t.NumField()))
		})

		// One source of truth: the NAT network's settings are winc-network's
		// properties and the driver store is groot's, read from the files
		// those jobs render, wherever BOSH puts them.
		It("points cell-prep at the files the winc-network and groot jobs render", func() {
			config, _, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			c, err := loadLikeCellPrep(config)
			Expect(err).NotTo(HaveOccurred())

			wincNetwork, err := jobtest.Load(release, "winc-network")
			Expect(err).NotTo(HaveOccurred())
			Expect(c.WincNetworkConfig).To(Equal(onCell(wincNetwork, "config.json.erb")))
			Expect(c.WincNetworkConfig).To(Equal(wincNetworkConfig))

			groot, err := jobtest.Load(release, "groot")
			Expect(err).NotTo(HaveOccurred())
			Expect(c.GrootConfig).To(Equal(onCell(groot, "config.json.erb")))
			Expect(c.GrootConfig).To(Equal(grootConfig))
		})
	})

	It("renders every property an operator sets", func() {
		config, _, err := render(cellPrep(map[string]any{
			"features":             []any{"Containers"},
			"reboot_if_required":   true,
			"manage_nat_network":   false,
			"check_leaked_volumes": false,
			"firewall": map[string]any{
				"inbound":  "allow",
				"outbound": "block",
			},
			"defender_exclusions":    []any{`C:\var\lib\groot`, `D:/containers/sandboxes`, `E:\apps data\*`},
			"quota_volume":           `D:\groot`,
			"watch_interval_seconds": 300,
		}))
		Expect(err).NotTo(HaveOccurred())
		Expect(config).To(MatchJSON(`{
			"features": ["Containers"],
			"reboot_if_required": true,
			"winc_network_config": "",
			"groot_config": "",
			"firewall_inbound": "allow",
			"firewall_outbound": "block",
			"defender_exclusions": ["C:\\var\\lib\\groot", "D:/containers/sandboxes", "E:\\apps data\\*"],
			"quota_volume": "D:\\groot",
			"watch_interval_seconds": 300,
			"status_file": "C:\\var\\vcap\\data\\cell-prep\\status.json"
		}`))

		c, err := loadLikeCellPrep(config)
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(cellprep.Config{
			Features:             []string{"Containers"},
			RebootIfRequired:     true,
			WincNetworkConfig:    "",
			GrootConfig:          "",
			FirewallInbound:      "allow",
			FirewallOutbound:     "block",
			DefenderExclusions:   []string{`C:\var\lib\groot`, `D:/containers/sandboxes`, `E:\apps data\*`},
			QuotaVolume:          `D:\groot`,
			WatchIntervalSeconds: 300,
			StatusFile:           cellprep.DefaultStatusFile,
		}))
	})

	DescribeTable("renders values cell-prep accepts, in the form it uses",
		func(props map[string]any, check func(cellprep.Config)) {
			config, _, err := render(cellPrep(props))
			Expect(err).NotTo(HaveOccurred())
			c, err := loadLikeCellPrep(config)
			Expect(err).NotTo(HaveOccurred())
			check(c)
		},
		// [] is not "unset": cell-prep must check no feature rather than
		// fall back to its defaults.
		Entry("no features", map[string]any{"features": []any{}},
			func(c cellprep.Config) { Expect(c.Features).To(BeEmpty()) }),
		Entry("feature names in another case, as Windows takes them", map[string]any{"features": []any{"fs-resource-manager", "CONTAINERS"}},
			func(c cellprep.Config) { Expect(c.Features).To(Equal([]string{"FS-Resource-Manager", "Containers"})) }),
		Entry("firewall actions in Windows' spelling", map[string]any{"firewall": map[string]any{"inbound": "Block", "outbound": "Allow"}},
			func(c cellprep.Config) {
				Expect(c.FirewallInbound).To(Equal("block"))
				Expect(c.FirewallOutbound).To(Equal("allow"))
			}),
		Entry("a watch interval given as a string, as variables may give it", map[string]any{"watch_interval_seconds": "60"},
			func(c cellprep.Config) { Expect(c.WatchIntervalSeconds).To(Equal(60)) }),
		Entry("the shortest watch interval", map[string]any{"watch_interval_seconds": 1},
			func(c cellprep.Config) { Expect(c.WatchIntervalSeconds).To(Equal(1)) }),
		Entry("the longest watch interval", map[string]any{"watch_interval_seconds": 86400},
			func(c cellprep.Config) { Expect(c.WatchIntervalSeconds).To(Equal(86400)) }),
		Entry("a quota volume with forward slashes", map[string]any{"quota_volume": "d:/data"},
			func(c cellprep.Config) { Expect(c.QuotaVolume).To(Equal("d:/data")) }),
	)

	It("knows the features cell-prep knows, and only those", func() {
		for _, feature := range cellprep.KnownFeatures {
			config, _, err := render(cellPrep(map[string]any{"features": []any{feature}}))
			Expect(err).NotTo(HaveOccurred(), "feature %s", feature)
			c, err := loadLikeCellPrep(config)
			Expect(err).NotTo(HaveOccurred())
			Expect(c.Features).To(Equal([]string{feature}))
		}
		_, _, err := render(cellPrep(map[string]any{"features": []any{"Containers", "Hyper-V"}}))
		Expect(err).To(MatchError(ContainSubstring(`"Hyper-V" is not a feature cell-prep knows`)))
	})

	DescribeTable("refuses invalid properties at render time, naming the property",
		func(props map[string]any, message string) {
			_, _, err := render(cellPrep(props))
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("an unknown feature", map[string]any{"features": []any{"Containers", "Hyper-V"}},
			`job property cell_prep.features is ["Containers", "Hyper-V"]: "Hyper-V" is not a feature cell-prep knows: expected each one of Containers, FS-Resource-Manager`),
		Entry("a feature that is not a string", map[string]any{"features": []any{true}},
			`job property cell_prep.features is [true]: true is not a feature cell-prep knows`),
		Entry("features that are not a list", map[string]any{"features": "Containers"},
			`job property cell_prep.features is "Containers": expected a list of Windows features, each one of Containers, FS-Resource-Manager`),
		Entry("a feature listed twice", map[string]any{"features": []any{"Containers", "containers"}},
			`job property cell_prep.features is ["Containers", "containers"]: lists Containers more than once: expected each feature once`),
		Entry("a watch interval of 0", map[string]any{"watch_interval_seconds": 0},
			`job property cell_prep.watch_interval_seconds is 0: expected a whole number of seconds between checks, from 1 to 86400, for example 30`),
		Entry("a negative watch interval", map[string]any{"watch_interval_seconds": -30},
			`job property cell_prep.watch_interval_seconds is -30: expected a whole number of seconds between checks`),
		Entry("a fractional watch interval", map[string]any{"watch_interval_seconds": 2.5},
			`job property cell_prep.watch_interval_seconds is 2.5: expected a whole number of seconds between checks`),
		Entry("a watch interval with a unit", map[string]any{"watch_interval_seconds": "30s"},
			`job property cell_prep.watch_interval_seconds is "30s": expected a whole number of seconds between checks`),
		Entry("a watch interval of 0 given as a string", map[string]any{"watch_interval_seconds": "0"},
			`job property cell_prep.watch_interval_seconds is "0": expected a whole number`),
		Entry("a watch interval over a day", map[string]any{"watch_interval_seconds": 86401},
			`job property cell_prep.watch_interval_seconds is 86401: expected a whole number of seconds between checks, from 1 to 86400`),
		Entry("a watch interval that is a boolean", map[string]any{"watch_interval_seconds": true},
			`job property cell_prep.watch_interval_seconds is true: expected a whole number`),
		Entry("an unknown inbound firewall action", map[string]any{"firewall": map[string]any{"inbound": "deny"}},
			`job property cell_prep.firewall.inbound is "deny": expected block or allow`),
		Entry("an unknown outbound firewall action", map[string]any{"firewall": map[string]any{"outbound": "NotConfigured"}},
			`job property cell_prep.firewall.outbound is "NotConfigured": expected block or allow`),
		Entry("a firewall action that is a boolean", map[string]any{"firewall": map[string]any{"inbound": false}},
			`job property cell_prep.firewall.inbound is false: expected block or allow`),
		Entry("a relative Defender exclusion", map[string]any{"defender_exclusions": []any{`C:\var\lib\groot`, `var\vcap\data`}},
			`job property cell_prep.defender_exclusions is ["C:\\var\\lib\\groot", "var\\vcap\\data"]: "var\\vcap\\data" is not an absolute path on a drive without quotes or control characters: expected a list of absolute paths on a drive`),
		Entry("a Defender exclusion without a drive", map[string]any{"defender_exclusions": []any{`\var\vcap\data`}},
			`job property cell_prep.defender_exclusions is ["\\var\\vcap\\data"]: "\\var\\vcap\\data" is not an absolute path on a drive`),
		Entry("a Defender exclusion relative to a drive's current directory", map[string]any{"defender_exclusions": []any{`C:groot`}},
			`"C:groot" is not an absolute path on a drive`),
		Entry("a Defender exclusion with a single quote", map[string]any{"defender_exclusions": []any{`C:\o'brien`}},
			`job property cell_prep.defender_exclusions is ["C:\\o'brien"]: "C:\\o'brien" is not an absolute path on a drive without quotes or control characters`),
		Entry("a Defender exclusion with a double quote", map[string]any{"defender_exclusions": []any{`C:\a"b`}},
			`is not an absolute path on a drive without quotes or control characters`),
		Entry("a Defender exclusion with a newline", map[string]any{"defender_exclusions": []any{"C:\\groot\nD:\\x"}},
			`job property cell_prep.defender_exclusions is ["C:\\groot\nD:\\x"]: "C:\\groot\nD:\\x" is not an absolute path`),
		Entry("a Defender exclusion that is not a string", map[string]any{"defender_exclusions": []any{42}},
			`job property cell_prep.defender_exclusions is [42]: 42 is not an absolute path`),
		Entry("Defender exclusions that are not a list", map[string]any{"defender_exclusions": `C:\var\lib\groot`},
			`job property cell_prep.defender_exclusions is "C:\\var\\lib\\groot": expected a list of absolute paths on a drive`),
		Entry("a reboot flag that is not a boolean", map[string]any{"reboot_if_required": "yes"},
			`job property cell_prep.reboot_if_required is "yes": expected true or false`),
		Entry("a reboot flag given as the string true", map[string]any{"reboot_if_required": "true"},
			`job property cell_prep.reboot_if_required is "true": expected true or false`),
		Entry("a NAT network flag that is not a boolean", map[string]any{"manage_nat_network": 1},
			`job property cell_prep.manage_nat_network is 1: expected true or false`),
		Entry("a leaked volumes flag that is not a boolean", map[string]any{"check_leaked_volumes": "no"},
			`job property cell_prep.check_leaked_volumes is "no": expected true or false`),
		Entry("a relative quota volume", map[string]any{"quota_volume": `var\vcap\data`},
			`job property cell_prep.quota_volume is "var\\vcap\\data": expected an absolute path on a drive, on the volume of the containers' sandboxes, for example C:\var\vcap\data`),
		Entry("a quota volume without a drive", map[string]any{"quota_volume": "/var/vcap/data"},
			`job property cell_prep.quota_volume is "/var/vcap/data": expected an absolute path on a drive`),
		Entry("a quota volume on a network share", map[string]any{"quota_volume": `\\fileserver\share`},
			`job property cell_prep.quota_volume is "\\\\fileserver\\share": expected an absolute path on a drive`),
		Entry("an empty quota volume", map[string]any{"quota_volume": ""},
			`job property cell_prep.quota_volume is "": expected an absolute path on a drive`),
		Entry("a quota volume that is not a string", map[string]any{"quota_volume": []any{`C:\`}},
			`job property cell_prep.quota_volume is ["C:\\"]: expected an absolute path on a drive`),
	)

	// The template refuses at least what cell-prep refuses when it loads
	// the file, so no value that passes rendering fails the pre-start.
	DescribeTable("refuses every value cell-prep refuses",
		func(property string, field string, values ...any) {
			for _, value := range values {
				_, goErr := loadLikeCellPrep(withField(field, value))
				Expect(goErr).To(MatchError(cellprep.ErrInvalidConfig), "cell-prep accepts %s %#v: this list is of values it refuses", field, value)

				props := map[string]any{}
				switch name := strings.TrimPrefix(property, "cell_prep."); {
				case strings.HasPrefix(name, "firewall."):
					props["firewall"] = map[string]any{strings.TrimPrefix(name, "firewall."): value}
				default:
					props[name] = value
				}
				_, _, err := render(cellPrep(props))
				Expect(err).To(MatchError(ContainSubstring("job property "+property+" is ")), "%s %#v", property, value)
			}
		},
		Entry("watch intervals", "cell_prep.watch_interval_seconds", "watch_interval_seconds", 0, -1, -30),
		Entry("features", "cell_prep.features", "features", []any{"Hyper-V"}, []any{"Containers", ""}, []any{"Containers "}),
		Entry("inbound firewall actions", "cell_prep.firewall.inbound", "firewall_inbound", "deny", "blocked", " block"),
		Entry("outbound firewall actions", "cell_prep.firewall.outbound", "firewall_outbound", "drop", "allowed"),
		Entry("Defender exclusions", "cell_prep.defender_exclusions", "defender_exclusions",
			[]any{`var\lib\groot`}, []any{`\var\lib\groot`}, []any{"C:groot"}, []any{`C:\o'brien`}, []any{`C:\a"b`},
			[]any{"C:\\groot\n"}, []any{"C:\\groot\r"}, []any{"C:\\groot\x00"}, []any{""}),
		Entry("quota volumes", "cell_prep.quota_volume", "quota_volume",
			`var\vcap\data`, `\var\vcap\data`, "/var/vcap/data", "C:data", `\\fileserver\share\data`, `\\?\C:\data`),
	)

	Describe("pre-start", func() {
		It("converges the cell with cell-prep.exe and this job's config file, failing with it", func() {
			_, out, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			// Stop: a missing executable fails the deploy rather than
			// leaving $LASTEXITCODE empty (exit 0). Every other exit code,
			// 1 (not ready) and 3 (reboot scheduled), fails it too.
			Expect(scriptCode(out, "bin/pre-start.ps1")).To(Equal([]string{
				`$ErrorActionPreference = "Stop"`,
				"& " + cellPrepExe + " --config " + onCell(job, "config.json.erb") + " converge; exit $LASTEXITCODE",
			}))
		})
	})

	Describe("post-start", func() {
		It("checks the cell with cell-prep.exe and this job's config file, failing with it", func() {
			_, out, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(scriptCode(out, "bin/post-start.ps1")).To(Equal([]string{
				`$ErrorActionPreference = "Stop"`,
				"& " + cellPrepExe + " --config " + onCell(job, "config.json.erb") + " check; exit $LASTEXITCODE",
			}))
		})
	})
})
