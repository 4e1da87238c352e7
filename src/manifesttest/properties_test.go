package manifesttest_test

import (
	"os"
	"path/filepath"

	"github.com/garden-windows/garden-windows-release/manifesttest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// manifestWith is a manifest with one instance group holding the given jobs.
func manifestWith(jobs ...manifesttest.Job) *manifesttest.Manifest {
	return &manifesttest.Manifest{InstanceGroups: []manifesttest.InstanceGroup{{Name: "cell", Jobs: jobs}}}
}

func spec(name string, props ...string) manifesttest.JobSpec {
	s := manifesttest.JobSpec{Name: name, Properties: map[string]struct{}{}}
	for _, p := range props {
		s.Properties[p] = struct{}{}
	}
	return s
}

var _ = Describe("LoadJobSpecs", func() {
	It("reads every job's spec, with its dotted property names", func() {
		dirs, err := filepath.Glob(inRelease("jobs/*/spec"))
		Expect(err).NotTo(HaveOccurred())
		Expect(specs).To(HaveLen(len(dirs)))
		Expect(specs).To(HaveKey("winc-network"))
		Expect(specs["winc-network"].Properties).To(HaveKey("winc_network.port_pool.start"))
		Expect(specs["garden-windows"].Properties).To(HaveKey("garden.image_plugin_extra_args"))
		Expect(specs["winc"].Properties).To(BeEmpty())
	})

	It("fails on a spec whose name is not its directory's", func() {
		dir := GinkgoT().TempDir()
		Expect(os.MkdirAll(filepath.Join(dir, "jobs", "a"), 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, "jobs", "a", "spec"), []byte("name: b\n"), 0o644)).To(Succeed())
		_, err := manifesttest.LoadJobSpecs(dir)
		Expect(err).To(MatchError(ContainSubstring(`names the job "b", not "a"`)))
	})
})

var _ = Describe("CheckProperties", func() {
	fakeSpecs := map[string]manifesttest.JobSpec{
		"net":  spec("net", "net.subnet_range", "net.port_pool.start", "net.port_pool.size", "net.dns_servers"),
		"gdn":  spec("gdn", "garden.max_containers", "garden.extra"),
		"bare": spec("bare"),
	}

	It("matches nested manifest maps to dotted spec properties", func() {
		m := manifestWith(manifesttest.Job{Name: "net", Release: "r", Properties: map[string]any{
			"net": map[string]any{
				"subnet_range": "10.0.0.0/22",
				"port_pool":    map[string]any{"start": 1, "size": 2},
				"dns_servers":  []any{"1.1.1.1"},
			},
		}})
		Expect(manifesttest.CheckProperties(m, "r", fakeSpecs)).To(BeEmpty())
	})

	It("takes a spec property holding a map or list as a leaf", func() {
		m := manifestWith(manifesttest.Job{Name: "gdn", Release: "r", Properties: map[string]any{
			"garden": map[string]any{"extra": map[string]any{"anything": map[string]any{"below": 1}}},
		}})
		Expect(manifesttest.CheckProperties(m, "r", fakeSpecs)).To(BeEmpty())
	})

	It("names the job and key of a property the spec does not declare, with what it may have meant", func() {
		m := manifestWith(manifesttest.Job{Name: "net", Release: "r", Properties: map[string]any{
			"net": map[string]any{"subnet": "10.0.0.0/22"},
		}})
		problems := manifesttest.CheckProperties(m, "r", fakeSpecs)
		Expect(problems).To(HaveLen(1))
		Expect(problems[0].Where).To(Equal("instance group cell"))
		Expect(problems[0].Job).To(Equal("net"))
		Expect(problems[0].Property).To(Equal("net.subnet"))
		Expect(problems[0].String()).To(Equal("instance group cell, job net: property net.subnet is not declared in jobs/net/spec, so the job ignores it; did you mean net.subnet_range?"))
	})

	It("suggests names a few typing errors away", func() {
		m := manifestWith(manifesttest.Job{Name: "gdn", Release: "r", Properties: map[string]any{
			"garden": map[string]any{"max_contianers": 4},
		}})
		problems := manifesttest.CheckProperties(m, "r", fakeSpecs)
		Expect(problems).To(HaveLen(1))
		Expect(problems[0].Problem).To(HaveSuffix("did you mean garden.max_containers?"))
	})

	It("reports a whole unknown top-level key, not each key below it", func() {
		m := manifestWith(manifesttest.Job{Name: "gdn", Release: "r", Properties: map[string]any{
			"logging": map[string]any{"format": map[string]any{"timestamp": "rfc3339"}},
		}})
		problems := manifesttest.CheckProperties(m, "r", fakeSpecs)
		Expect(problems).To(HaveLen(1))
		Expect(problems[0].Property).To(Equal("logging"))
	})

	It("reports a single value where the spec has properties below it", func() {
		m := manifestWith(manifesttest.Job{Name: "net", Release: "r", Properties: map[string]any{
			"net": map[string]any{"port_pool": 40000},
		}})
		problems := manifesttest.CheckProperties(m, "r", fakeSpecs)
		Expect(problems).To(HaveLen(1))
		Expect(problems[0].Property).To(Equal("net.port_pool"))
		Expect(problems[0].Problem).To(ContainSubstring("net.port_pool.size, net.port_pool.start"))
	})

	It("reports a job of the release that has no spec", func() {
		m := manifestWith(manifesttest.Job{Name: "nope", Release: "r"})
		problems := manifesttest.CheckProperties(m, "r", fakeSpecs)
		Expect(problems).To(HaveLen(1))
		Expect(problems[0].Job).To(Equal("nope"))
		Expect(problems[0].Problem).To(ContainSubstring("release r has no job nope"))
	})

	It("reports any property of a job whose spec declares none", func() {
		m := manifestWith(manifesttest.Job{Name: "bare", Release: "r", Properties: map[string]any{"x": 1}})
		Expect(manifesttest.CheckProperties(m, "r", fakeSpecs)).To(HaveLen(1))
	})

	It("checks addons' jobs too", func() {
		m := &manifesttest.Manifest{Addons: []manifesttest.Addon{{Name: "add", Jobs: []manifesttest.Job{
			{Name: "gdn", Release: "r", Properties: map[string]any{"garden": map[string]any{"nope": 1}}},
		}}}}
		problems := manifesttest.CheckProperties(m, "r", fakeSpecs)
		Expect(problems).To(HaveLen(1))
		Expect(problems[0].Where).To(Equal("addon add"))
	})

	It("ignores jobs of other releases", func() {
		m := manifestWith(manifesttest.Job{Name: "net", Release: "other", Properties: map[string]any{"whatever": 1}})
		Expect(manifesttest.CheckProperties(m, "r", fakeSpecs)).To(BeEmpty())
	})

	Context("on real manifests", func() {
		It("fails an ops file that sets a renamed property, naming the job and the property", func() {
			m := interpolate(standalone("src/manifesttest/testdata/set-subnet.yml"))
			problems := manifesttest.CheckProperties(m, release, specs)
			Expect(problems).To(HaveLen(1))
			Expect(problems[0].String()).To(Equal("instance group windows2019-cell, job winc-network: property winc_network.subnet is not declared in jobs/winc-network/spec, so the job ignores it; did you mean winc_network.subnet_range?"))
		})

		It("finds the upstream garden-windows job's properties that this release's job lacks, which convert-windows2019-cell.yml removes", func() {
			m := fixture()
			for i := range m.InstanceGroups {
				for j := range m.InstanceGroups[i].Jobs {
					job := &m.InstanceGroups[i].Jobs[j]
					if job.Name == "garden-windows" {
						job.Release = release
					}
				}
			}
			var props []string
			for _, p := range manifesttest.CheckProperties(m, release, specs) {
				Expect(p.Job).To(Equal("garden-windows"))
				props = append(props, p.Property)
			}
			Expect(props).To(ConsistOf("garden.dropsonde", "logging"))
		})
	})
})

var _ = Describe("FindBosh", func() {
	It("refuses a $BOSH_CLI that is not a BOSH CLI, naming it", func() {
		GinkgoT().Setenv(manifesttest.BoshEnv, filepath.Join(GinkgoT().TempDir(), "no-bosh"))
		_, err := manifesttest.FindBosh(releaseDir)
		Expect(err).To(MatchError(ContainSubstring("$BOSH_CLI is")))
		Expect(err).To(MatchError(ContainSubstring("no-bosh")))
	})

	It("takes a working $BOSH_CLI as is", func() {
		GinkgoT().Setenv(manifesttest.BoshEnv, bosh.Path)
		b, err := manifesttest.FindBosh(releaseDir)
		Expect(err).NotTo(HaveOccurred())
		Expect(b.Path).To(Equal(bosh.Path))
	})
})

var _ = Describe("MissingVariables", func() {
	It("returns other failures as errors", func() {
		_, err := bosh.MissingVariables(manifesttest.Interpolation{Manifest: filepath.Join(GinkgoT().TempDir(), "missing.yml")})
		Expect(err).To(HaveOccurred())
	})
})
