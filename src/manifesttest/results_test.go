package manifesttest_test

import (
	"sync"

	"github.com/garden-windows/garden-windows-release/manifesttest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// result is a manifest as an operator would deploy it: a base manifest with
// ops files and the documented variables.
type result struct {
	name string
	in   func() manifesttest.Interpolation
}

// results lists every combination the documentation describes.
func results() []result {
	rs := []result{
		{"the standalone manifest", func() manifesttest.Interpolation { return standalone() }},
		{"the standalone manifest on windows2016", func() manifesttest.Interpolation {
			return with(standalone(), map[string]string{"stemcell_os": "windows2016"})
		}},
		{"cf-deployment with add-windows-cell.yml", func() manifesttest.Interpolation { return cf("add-windows-cell.yml") }},
		{"cf-deployment without a Windows cell, with add-windows-cell.yml", func() manifesttest.Interpolation {
			return cf(removeWindowsCell, "add-windows-cell.yml")
		}},
		{"cf-deployment with convert-windows2019-cell.yml", func() manifesttest.Interpolation { return cf("convert-windows2019-cell.yml") }},
	}
	for _, base := range smallOpsBases {
		for _, op := range smallOps {
			build, file := base.build, op.file
			rs = append(rs, result{op.file + " on " + base.name, func() manifesttest.Interpolation { return build(file) }})
		}
	}
	return rs
}

// Interpolations are memoized: each result is checked several ways.
var (
	interpolatedMu sync.Mutex
	interpolated   = map[string]*manifesttest.Manifest{}
)

func resultManifest(r result) *manifesttest.Manifest {
	GinkgoHelper()
	interpolatedMu.Lock()
	defer interpolatedMu.Unlock()
	if m, ok := interpolated[r.name]; ok {
		return m
	}
	m := interpolate(r.in())
	interpolated[r.name] = m
	return m
}

var _ = Describe("every manifest the documentation describes", func() {
	var entries []TableEntry
	for _, r := range results() {
		entries = append(entries, Entry(r.name, r))
	}

	DescribeTable("has a value for every variable, given the documented ones",
		func(r result) {
			missing, err := bosh.MissingVariables(r.in())
			Expect(err).NotTo(HaveOccurred())
			Expect(missing).To(BeEmpty())
		}, entries)

	DescribeTable("sets on this release's jobs only properties their specs declare",
		func(r result) {
			var problems []string
			for _, p := range manifesttest.CheckProperties(resultManifest(r), release, specs) {
				problems = append(problems, p.String())
			}
			Expect(problems).To(BeEmpty())
		}, entries)

	DescribeTable("gives this release's jobs values their templates accept",
		func(r result) {
			Expect(renderOurJobs(resultManifest(r))).To(BeEmpty())
		}, entries)

	DescribeTable("declares every release and stemcell its instance groups use",
		func(r result) {
			m := resultManifest(r)
			for _, g := range m.InstanceGroups {
				Expect(m.Stemcell(g.Stemcell)).NotTo(BeNil(), "instance group %s uses stemcell %q", g.Name, g.Stemcell)
				for _, j := range g.Jobs {
					Expect(m.Release(j.Release)).NotTo(BeNil(), "instance group %s, job %s uses release %q", g.Name, j.Name, j.Release)
				}
			}
			seen := map[string]bool{}
			for _, rel := range m.Releases {
				Expect(seen[rel.Name]).To(BeFalse(), "release %s is declared twice", rel.Name)
				seen[rel.Name] = true
			}
		}, entries)
})
