package jobtest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/groot"
	"github.com/garden-windows/garden-windows-release/image/ref"
	"github.com/garden-windows/garden-windows-release/jobtest"
)

const (
	grootExe    = `C:\var\vcap\packages\groot\groot.exe`
	grootConfig = `C:\var\vcap\jobs\groot\config\groot.json`
)

var _ = Describe("job groot", func() {
	var (
		release string
		job     *jobtest.Job
	)

	BeforeEach(func() {
		var err error
		release, err = jobtest.ReleaseDir()
		Expect(err).NotTo(HaveOccurred())
		job, err = jobtest.Load(release, "groot")
		Expect(err).NotTo(HaveOccurred())
	})

	grootProps := func(props map[string]any) map[string]any { return map[string]any{"groot": props} }
	render := func(props map[string]any) (string, jobtest.Rendered, error) {
		out, err := job.Render(jobtest.Inputs{Properties: props})
		if err != nil {
			return "", nil, err
		}
		return out["config/groot.json"], out, nil
	}

	// loadLikeGroot reads a rendered config file as groot.exe does
	// (groot.LoadConfig: unknown fields refused, defaults, validation).
	loadLikeGroot := func(config string) (groot.Config, error) {
		path := filepath.Join(GinkgoT().TempDir(), "groot.json")
		Expect(os.WriteFile(path, []byte(config), 0o644)).To(Succeed())
		return groot.LoadConfig(path)
	}

	// preStartCode is the rendered pre-start without comments and blank lines.
	preStartCode := func(out jobtest.Rendered) []string {
		var code []string
		for _, l := range strings.Split(out["bin/pre-start.ps1"], "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
				code = append(code, t)
			}
		}
		return code
	}

	It("installs groot.exe and renders its config file and pre-start", func() {
		Expect(job.Spec.Packages).To(ConsistOf("groot"))
		Expect(job.Spec.Templates).To(Equal(map[string]string{
			"config.json.erb":   "config/groot.json",
			"pre-start.ps1.erb": "bin/pre-start.ps1",
		}))
		Expect(job.Spec.Provides).To(BeEmpty())
		Expect(job.Spec.Consumes).To(BeEmpty())
	})

	It("describes every property, under the names operators already use", func() {
		var names []string
		for name, prop := range job.Spec.Properties {
			names = append(names, name)
			Expect(prop.Description).NotTo(BeEmpty(), "property %s has no description", name)
		}
		Expect(names).To(ConsistOf(
			"groot.driver_store",
			"groot.cached_image_uris",
			"groot.log_level",
			"groot.log_format",
			"groot.insecure_registries",
		))
	})

	It("runs no process: gdn runs groot", func() {
		_, out, err := render(nil)
		Expect(err).NotTo(HaveOccurred())
		monit, err := out.WindowsMonit()
		Expect(err).NotTo(HaveOccurred())
		Expect(monit.Processes).To(BeEmpty())
	})

	Context("with default properties", func() {
		It("renders groot's default configuration, with the store on C:", func() {
			config, _, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(config).To(MatchJSON(`{
				"driver_store": "C:\\var\\lib\\groot",
				"log_level": "info",
				"log_format": "rfc3339",
				"insecure_registries": []
			}`))
		})

		It("is a configuration groot loads, with the values of its own defaults", func() {
			config, _, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			c, err := loadLikeGroot(config)
			Expect(err).NotTo(HaveOccurred())
			Expect(c.DriverStore).To(Equal(groot.DefaultDriverStore))
			Expect(c.LogLevel).To(Equal(groot.DefaultLogLevel))
			Expect(c.LogFormat).To(Equal(groot.DefaultLogFormat))
			Expect(c.InsecureRegistries).To(BeEmpty())
		})

		It("writes exactly the fields of groot's configuration, all of them", func() {
			config, _, err := render(nil)
			Expect(err).NotTo(HaveOccurred())

			dec := json.NewDecoder(strings.NewReader(config))
			dec.DisallowUnknownFields()
			var c groot.Config
			Expect(dec.Decode(&c)).To(Succeed())
			Expect(dec.More()).To(BeFalse())

			var rendered map[string]any
			Expect(json.Unmarshal([]byte(config), &rendered)).To(Succeed())
			t := reflect.TypeFor[groot.Config]()
			for i := range t.NumField() {
				key, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
				Expect(rendered).To(HaveKey(key), "field %s of groot.Config", t.Field(i).Name)
			}
			Expect(rendered).To(HaveLen(t.NumField()))
		})

		It("pulls nothing in pre-start, and succeeds", func() {
			_, out, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(preStartCode(out)).To(Equal([]string{"exit 0"}))
		})
	})

	It("renders every property an operator sets", func() {
		config, _, err := render(grootProps(map[string]any{
			"driver_store":        `D:\groot`,
			"cached_image_uris":   []any{"oci:///C:/var/vcap/packages/windows2019fs"},
			"log_level":           "debug",
			"log_format":          "unix-epoch",
			"insecure_registries": []any{"registry.example.com:5000", "10.0.0.7", "[fd00::7]:443"},
		}))
		Expect(err).NotTo(HaveOccurred())
		// The cached URIs are the pre-start's: groot's file has no field
		// for them (and LoadConfig refuses fields it does not know).
		Expect(config).To(MatchJSON(`{
			"driver_store": "D:\\groot",
			"log_level": "debug",
			"log_format": "unix-epoch",
			"insecure_registries": ["registry.example.com:5000", "10.0.0.7", "[fd00::7]:443"]
		}`))

		c, err := loadLikeGroot(config)
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(groot.Config{
			DriverStore:        `D:\groot`,
			LogLevel:           "debug",
			LogFormat:          "unix-epoch",
			InsecureRegistries: []string{"registry.example.com:5000", "10.0.0.7", "[fd00::7]:443"},
		}))
	})

	// The template writes the store in the form groot uses it, so what an
	// operator reads in the file on the cell is the directory groot uses.
	DescribeTable("renders a driver store as the path groot uses",
		func(store, rendered string) {
			config, _, err := render(grootProps(map[string]any{"driver_store": store}))
			Expect(err).NotTo(HaveOccurred())
			var fields map[string]any
			Expect(json.Unmarshal([]byte(config), &fields)).To(Succeed())
			Expect(fields["driver_store"]).To(Equal(rendered))

			want, err := groot.DriverStorePath(store)
			Expect(err).NotTo(HaveOccurred())
			Expect(rendered).To(Equal(want))
			c, err := loadLikeGroot(config)
			Expect(err).NotTo(HaveOccurred())
			Expect(c.DriverStore).To(Equal(want))
		},
		Entry("a Linux-style path, on C:", "/var/vcap/data/groot", `C:\var\vcap\data\groot`),
		Entry("a path from the root with backslashes, on C:", `\groot`, `C:\groot`),
		Entry("a path on another drive", `E:\groot\store`, `E:\groot\store`),
		Entry("forward slashes, repeated separators, . names and a trailing separator", `d:/a//b/./c/`, `d:\a\b\c`),
		Entry("a name with a space", `C:\groot store`, `C:\groot store`),
	)

	DescribeTable("refuses invalid properties at render time, naming the property",
		func(props map[string]any, message string) {
			_, _, err := render(grootProps(props))
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("a relative driver store", map[string]any{"driver_store": `var\lib\groot`},
			`job property groot.driver_store is "var\\lib\\groot": is not an absolute path: expected a drive and a path from its root (D:\groot) or a path from the root of C: (/var/lib/groot)`),
		Entry("a driver store relative to a drive's current directory", map[string]any{"driver_store": "C:groot"},
			`job property groot.driver_store is "C:groot": is not an absolute path`),
		Entry("a driver store with ..", map[string]any{"driver_store": "/var/vcap/../groot"},
			`job property groot.driver_store is "/var/vcap/../groot": contains ".."`),
		Entry("a drive root as driver store", map[string]any{"driver_store": `D:\`},
			`job property groot.driver_store is "D:\\": is the root of drive D: expected a directory of groot's own, such as D:\groot`),
		Entry("the root of C: as driver store", map[string]any{"driver_store": "/."},
			`job property groot.driver_store is "/.": is the root of drive C:`),
		Entry("a driver store with a quote", map[string]any{"driver_store": `C:\gr"oot`},
			`job property groot.driver_store is "C:\\gr\"oot": contains a quote or a control character`),
		Entry("a driver store with a newline", map[string]any{"driver_store": "C:\\groot\n"},
			`job property groot.driver_store is "C:\\groot\n": contains a quote or a control character`),
		Entry("a driver store on a network share", map[string]any{"driver_store": `\\fileserver\share\groot`},
			`job property groot.driver_store is "\\\\fileserver\\share\\groot": is a network share or device path`),
		Entry("a driver store with a colon after the drive", map[string]any{"driver_store": `C:\groot:data`},
			`job property groot.driver_store is "C:\\groot:data": has a name, "groot:data", holding one of < > : | ? *`),
		Entry("an empty driver store", map[string]any{"driver_store": ""},
			`job property groot.driver_store is "": expected an absolute Windows path`),
		Entry("a driver store that is not a string", map[string]any{"driver_store": 42},
			`job property groot.driver_store is 42: expected an absolute Windows path`),
		Entry("an image URI with an unknown scheme", map[string]any{"cached_image_uris": []any{"oci:///C:/fs", "https://registry.example.com/windows:2019"}},
			`job property groot.cached_image_uris is ["oci:///C:/fs", "https://registry.example.com/windows:2019"]: "https://registry.example.com/windows:2019" is not an image URI: expected oci:///<drive>:/<path>`),
		Entry("an image URI that is not a string", map[string]any{"cached_image_uris": []any{42}},
			`job property groot.cached_image_uris is [42]`),
		Entry("an oci URI without a drive", map[string]any{"cached_image_uris": []any{"oci:///var/vcap/packages/windows2019fs"}},
			`"oci:///var/vcap/packages/windows2019fs" is not an image URI`),
		Entry("an oci URI with a host instead of an empty one", map[string]any{"cached_image_uris": []any{"oci://C:/fs"}},
			`"oci://C:/fs" is not an image URI`),
		Entry("a docker URI without a repository", map[string]any{"cached_image_uris": []any{"docker://windows2016fs"}},
			`"docker://windows2016fs" is not an image URI: expected oci:///<drive>:/<path> (an OCI image layout on the cell, for example oci:///C:/var/vcap/packages/windows2019fs) or docker://[<registry>]/<repository>[:<tag>]`),
		Entry("an image URI with a space", map[string]any{"cached_image_uris": []any{"docker:///cloudfoundry/windows2016fs 2019"}},
			`"docker:///cloudfoundry/windows2016fs 2019" is not an image URI`),
		Entry("an image URI with a double quote", map[string]any{"cached_image_uris": []any{`docker:///cloudfoundry/"fs"`}},
			`is not an image URI`),
		Entry("image URIs that are not a list", map[string]any{"cached_image_uris": "oci:///C:/fs"},
			`job property groot.cached_image_uris is "oci:///C:/fs": expected a list of image URIs`),
		Entry("an unknown log level", map[string]any{"log_level": "verbose"},
			`job property groot.log_level is "verbose": expected one of debug, info, error, fatal`),
		Entry("an unknown log format", map[string]any{"log_format": "json"},
			`job property groot.log_format is "json": expected one of rfc3339, unix-epoch`),
		Entry("a registry with a scheme", map[string]any{"insecure_registries": []any{"https://registry.example.com:5000"}},
			`job property groot.insecure_registries is ["https://registry.example.com:5000"]: "https://registry.example.com:5000" is not a registry: expected a list of registries as host or host:port, without a scheme, path or credentials`),
		Entry("a registry with a path", map[string]any{"insecure_registries": []any{"registry.example.com/v2"}},
			`"registry.example.com/v2" is not a registry`),
		Entry("a registry with credentials", map[string]any{"insecure_registries": []any{"user:secret@registry.example.com"}},
			`"user:secret@registry.example.com" is not a registry`),
		Entry("a registry with port 0", map[string]any{"insecure_registries": []any{"registry.example.com:0"}},
			`"registry.example.com:0" is not a registry`),
		Entry("a registry with a port over 65535", map[string]any{"insecure_registries": []any{"registry.example.com:65536"}},
			`"registry.example.com:65536" is not a registry`),
		Entry("an IPv6 registry without brackets", map[string]any{"insecure_registries": []any{"fd00::7"}},
			`"fd00::7" is not a registry`),
		Entry("an empty registry", map[string]any{"insecure_registries": []any{""}},
			`job property groot.insecure_registries is [""]: "" is not a registry`),
		Entry("registries that are not a list", map[string]any{"insecure_registries": "registry.example.com"},
			`job property groot.insecure_registries is "registry.example.com": expected a list of registries`),
	)

	// The template refuses at least what groot would refuse when it loads
	// the file, so no value that passes rendering breaks groot on the cell.
	It("refuses every driver store groot refuses", func() {
		for _, store := range []string{
			`var\lib\groot`, "C:groot", "/var/vcap/../groot", `C:\a\..\b`, `D:\`, "/", "/.", `C:\gr"oot`,
			"C:\\groot\x00", "C:\\groot\r", `\\fileserver\share\groot`, "//fileserver/share/groot", `\\?\C:\groot`,
		} {
			_, goErr := groot.DriverStorePath(store)
			Expect(goErr).To(HaveOccurred(), "groot accepts %q: this list is of stores it refuses", store)
			_, _, err := render(grootProps(map[string]any{"driver_store": store}))
			Expect(err).To(MatchError(ContainSubstring("job property groot.driver_store is ")), "store %q", store)
		}
	})

	// The template checks a URI's shape; groot checks the rest when it
	// pulls (tags, repository names). Whatever the template refuses, groot
	// refuses too, so no URI groot could pull is kept out.
	It("refuses only image URIs groot refuses", func() {
		for _, uri := range []string{
			"https://registry.example.com/windows:2019", "oci://C:/fs", "oci:///var/vcap/packages/windows2019fs",
			"oci:///C:/", "docker://windows2016fs", "docker://", "docker:///cloudfoundry/windows2016fs 2019",
			`docker:///cloudfoundry/"fs"`, "oci:///C:/fs\n", "", "oci:///C:fs",
		} {
			_, grootErr := ref.Parse(uri)
			_, _, err := render(grootProps(map[string]any{"cached_image_uris": []any{uri}}))
			Expect(err).To(MatchError(ContainSubstring("job property groot.cached_image_uris is ")), "URI %q", uri)
			Expect(grootErr).To(HaveOccurred(), "groot accepts %q, which the template refuses", uri)
		}
	})

	Describe("pre-start", func() {
		It("pulls every cached image with groot.exe and this job's config file, each URI one quoted argument", func() {
			uris := []any{
				"oci:///C:/var/vcap/packages/windows2019fs",
				"docker:///cloudfoundry/windows2016fs:2019",
				"docker://registry.example.com:5000/team/windows-fs@sha256:" + strings.Repeat("0f", 32),
				"oci:///C:/images/o'brien/windows2019fs",
				// PowerShell reads U+2019 as a single quote too.
				"oci:///D:/images/it\u2019s-fs",
				// Neither expanded nor run: nothing is special in single quotes.
				"oci:///D:/images/$(Stop-Computer);$env",
				// Schemes in any case and backslashes, as groot reads them.
				`OCI:///E:\images\windows2019fs`,
				"Docker:///cloudfoundry/windows2016fs",
			}
			for _, u := range uris {
				_, err := ref.Parse(u.(string))
				Expect(err).NotTo(HaveOccurred(), "groot would not pull %s: the test should use URIs it accepts", u)
			}
			_, out, err := render(grootProps(map[string]any{"cached_image_uris": uris}))
			Expect(err).NotTo(HaveOccurred())

			// The path groot is given is where BOSH puts the rendered file.
			dst := job.Spec.Templates["config.json.erb"]
			Expect(`C:\var\vcap\jobs\groot\` + strings.ReplaceAll(dst, "/", `\`)).To(Equal(grootConfig))

			code := preStartCode(out)
			Expect(code).To(HaveLen(2))
			// Stop: a missing executable fails the deploy rather than
			// leaving $LASTEXITCODE empty (exit 0).
			Expect(code[0]).To(Equal(`$ErrorActionPreference = "Stop"`))
			call := "& " + grootExe + " --config " + grootConfig + " pull "
			Expect(code[1]).To(HavePrefix(call))
			args, rest, err := psSingleQuotedArgs(strings.TrimPrefix(code[1], call))
			Expect(err).NotTo(HaveOccurred())
			Expect(rest).To(Equal("; exit $LASTEXITCODE"))
			want := make([]string, len(uris))
			for i, u := range uris {
				want[i] = u.(string)
			}
			Expect(args).To(Equal(want))
			Expect(code[1]).To(ContainSubstring(`'oci:///C:/images/o''brien/windows2019fs'`))
		})

		It("pulls nothing when the list is empty", func() {
			_, out, err := render(grootProps(map[string]any{"cached_image_uris": []any{}}))
			Expect(err).NotTo(HaveOccurred())
			Expect(preStartCode(out)).To(Equal([]string{"exit 0"}))
		})
	})

	Describe("with garden-windows", func() {
		var garden *jobtest.Job

		BeforeEach(func() {
			var err error
			garden, err = jobtest.Load(release, "garden-windows")
			Expect(err).NotTo(HaveOccurred())
		})

		It("is the image plugin garden-windows runs by default, given this job's config file", func() {
			Expect(garden.Spec.Properties["garden.image_plugin"].Default).To(Equal(grootExe))
			Expect(garden.Spec.Properties["garden.image_plugin_extra_args"].Default).To(Equal([]any{"--config", grootConfig}))

			out, err := garden.Render(jobtest.Inputs{})
			Expect(err).NotTo(HaveOccurred())
			monit, err := out.WindowsMonit()
			Expect(err).NotTo(HaveOccurred())
			gdn, err := parseLikeGdn(monit.Processes[0], out, defaultFiles...)
			Expect(err).NotTo(HaveOccurred())
			Expect(filepath.Base(gdn.Image.Plugin.Path())).To(Equal(grootExe))
			Expect(gdn.Image.PluginExtraArgs).To(Equal([]string{"--config", grootConfig}))
		})

		It("gets groot.exe from this job's package", func() {
			expectExeInPackage(release, job.Spec.Packages[0], grootExe, "github.com/garden-windows/garden-windows-release/cmd/groot")
		})
	})
})

// psSingleQuotedArgs reads the space-separated PowerShell single-quoted
// strings at the start of s the way PowerShell's tokenizer does: any of the
// five characters it takes for a single quote opens and closes a string,
// two of them in a row stand for the second, and nothing else is special.
// It returns their values and what follows the last one. A quoted string
// followed by anything but a space and another quoted string ends the list,
// so text glued to a string (which PowerShell would join to the argument)
// shows up in rest.
func psSingleQuotedArgs(s string) (args []string, rest string, err error) {
	isQuote := func(r rune) bool { return r == '\'' || ('\u2018' <= r && r <= '\u201b') }
	rs := []rune(s)
	i := 0
	for {
		if i >= len(rs) || !isQuote(rs[i]) {
			return nil, "", fmt.Errorf("expected a single-quoted argument at %q", string(rs[i:]))
		}
		i++
		var b strings.Builder
		for {
			if i >= len(rs) {
				return nil, "", fmt.Errorf("unterminated single-quoted string in %q", s)
			}
			if isQuote(rs[i]) {
				if i+1 < len(rs) && isQuote(rs[i+1]) {
					b.WriteRune(rs[i+1])
					i += 2
					continue
				}
				i++
				break
			}
			b.WriteRune(rs[i])
			i++
		}
		args = append(args, b.String())
		if i+1 < len(rs) && rs[i] == ' ' && isQuote(rs[i+1]) {
			i++
			continue
		}
		return args, string(rs[i:]), nil
	}
}

var _ = Describe("psSingleQuotedArgs, the tests' reading of PowerShell quoting", func() {
	It("undoes doubled quotes of every kind and stops at what is not a further quoted argument", func() {
		args, rest, err := psSingleQuotedArgs("'a''b' 'c\u2019\u2019d' '$x;y'; exit 1")
		Expect(err).NotTo(HaveOccurred())
		Expect(args).To(Equal([]string{"a'b", "c\u2019d", "$x;y"}))
		Expect(rest).To(Equal("; exit 1"))

		args, rest, err = psSingleQuotedArgs("'a'b 'c'")
		Expect(err).NotTo(HaveOccurred())
		Expect(args).To(Equal([]string{"a"}))
		Expect(rest).To(Equal("b 'c'"))
	})

	It("refuses an unterminated or missing string", func() {
		_, _, err := psSingleQuotedArgs("'a''")
		Expect(err).To(MatchError(ContainSubstring("unterminated")))
		_, _, err = psSingleQuotedArgs("a")
		Expect(err).To(MatchError(ContainSubstring("expected a single-quoted argument")))
	})
})
