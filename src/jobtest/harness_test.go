package jobtest_test

import (
	"encoding/json"

	"github.com/garden-windows/garden-windows-release/jobtest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// These tests pin down the harness itself on fixture jobs, so that the job
// tests built on it can be trusted to fail when a template is wrong.
var _ = Describe("the template harness", func() {
	load := func(name string) *jobtest.Job {
		job, err := jobtest.Load("testdata/release", name)
		Expect(err).NotTo(HaveOccurred())
		return job
	}

	gardenLink := jobtest.Link{
		Properties: map[string]any{"garden": map[string]any{"listen_address": "127.0.0.1:9241"}},
		Instances:  []jobtest.LinkInstance{{Name: "cell", Address: "10.0.16.5"}, {Name: "cell", Index: 1, Address: "10.0.16.6"}},
	}

	It("renders links, link defaults, spec values and property defaults", func() {
		out, err := load("link-consumer").Render(jobtest.Inputs{
			Links:    map[string]jobtest.Link{"garden": gardenLink},
			Instance: jobtest.Instance{Name: "cell", Deployment: "dep", IP: "10.1.2.3", AZ: "z3"},
		})
		Expect(err).NotTo(HaveOccurred())

		var config map[string]any
		Expect(json.Unmarshal([]byte(out["config/config.json"]), &config)).To(Succeed())
		Expect(config).To(Equal(map[string]any{
			"garden_address": "127.0.0.1:9241",
			"garden_hosts":   []any{"10.0.16.5", "10.0.16.6"},
			"fallback":       "fallback-value",
			"optional":       nil,
			"nested":         nil,
			"ip":             "10.1.2.3",
			"az":             "z3",
			"deployment":     "dep",
		}))

		monit, err := out.WindowsMonit()
		Expect(err).NotTo(HaveOccurred())
		Expect(monit.Processes[0].Args).To(Equal([]string{"hello"}))
	})

	It("renders an optional link when it is given, and manifest values over defaults", func() {
		out, err := load("link-consumer").Render(jobtest.Inputs{
			Properties: map[string]any{"greeting": "hi", "nested": map[string]any{"value": 3}},
			Links: map[string]jobtest.Link{
				"garden":         gardenLink,
				"optional-thing": {Properties: map[string]any{"name": "present"}},
			},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(out["config/config.json"]).To(ContainSubstring(`"optional":"present"`))
		Expect(out["config/config.json"]).To(ContainSubstring(`"nested":3`))
		Expect(out["config/config.json"]).To(ContainSubstring(`"ip":"` + jobtest.DefaultInstance.IP + `"`))
		Expect(out["monit"]).To(ContainSubstring(`"args":["hi"]`))
	})

	It("fails like a deploy when a consumed link is missing", func() {
		_, err := load("link-consumer").Render(jobtest.Inputs{})
		Expect(err).To(MatchError(ContainSubstring("Can't find link 'garden'")))
	})

	It("refuses properties and links the job does not declare", func() {
		_, err := load("link-consumer").Render(jobtest.Inputs{
			Properties: map[string]any{"greting": "typo", "nested": map[string]any{"valeu": 1}},
			Links:      map[string]jobtest.Link{"garden": gardenLink},
		})
		Expect(err).To(MatchError("job link-consumer does not declare properties greting, nested.valeu in its spec"))

		_, err = load("link-consumer").Render(jobtest.Inputs{Links: map[string]jobtest.Link{"gardn": gardenLink}})
		Expect(err).To(MatchError(`job link-consumer does not consume a link named "gardn"`))
	})

	It("reports a monit file that renders invalid JSON", func() {
		out, err := load("broken-monit").Render(jobtest.Inputs{})
		Expect(err).NotTo(HaveOccurred())
		_, err = out.WindowsMonit()
		Expect(err).To(MatchError(ContainSubstring("monit is not valid Windows monit JSON")))
	})

	It("reports a monit file with keys the agent does not know", func() {
		out := jobtest.Rendered{"monit": `{"processes":[{"name":"a","executable":"a.exe","argz":[]}]}`}
		_, err := out.WindowsMonit()
		Expect(err).To(MatchError(ContainSubstring(`unknown field "argz"`)))
	})

	It("refuses a job directory whose spec has another name", func() {
		_, err := jobtest.Load("testdata/release", "no-such-job")
		Expect(err).To(MatchError(ContainSubstring(`reading spec of job "no-such-job"`)))
	})
})
