package manifesttest_test

import (
	"errors"

	"github.com/garden-windows/garden-windows-release/manifesttest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const windowsRootfs = "oci:///C:/var/vcap/packages/windows2019fs"

// The jobs of cf-deployment's windows2019-cell that are not Garden's, with
// the releases cf-deployment takes them from (operations/windows2019-cell.yml
// and use-offline-windows2019fs.yml).
var cfWindowsJobs = map[string]string{
	"rep_windows":                   "diego",
	"route_emitter_windows":         "diego",
	"envoy_windows":                 "envoy-nginx",
	"loggregator_agent_windows":     "loggregator-agent",
	"loggr-syslog-agent-windows":    "loggregator-agent",
	"loggr-forwarder-agent-windows": "loggregator-agent",
	"prom_scraper_windows":          "loggregator-agent",
	"enable_ssh":                    "windows-utilities",
	"windows2019fs":                 "windows2019fs",
}

// The upstream Garden stack's releases, which a converted cell must not use.
var upstreamReleases = []string{"winc", "garden-runc"}

func expectNoUpstreamJobs(g *manifesttest.InstanceGroup) {
	GinkgoHelper()
	for _, j := range g.Jobs {
		Expect(upstreamReleases).NotTo(ContainElement(j.Release), "job %s of %s still comes from %s", j.Name, g.Name, j.Release)
	}
}

var _ = Describe("operations/add-windows-cell.yml", func() {
	var before, m *manifesttest.Manifest

	BeforeEach(func() {
		before = fixture()
		m = interpolate(cf("add-windows-cell.yml"))
	})

	It("replaces an existing windows2019-cell by one built from this release's jobs", func() {
		count := 0
		for _, g := range m.InstanceGroups {
			if g.Name == "windows2019-cell" {
				count++
			}
		}
		Expect(count).To(Equal(1))
		g := mustGroup(m, "windows2019-cell")
		for _, name := range ourJobs() {
			Expect(mustJob(g, name).Release).To(Equal(release), "job %s", name)
		}
		expectNoUpstreamJobs(g)
		Expect(g.Job("winc-network-hns-acls")).To(BeNil())
		// Replaced whole: the operator's network settings are not carried over.
		Expect(mustJob(g, "winc-network").Properties).To(BeEmpty())
	})

	It("adds a cell to a cf-deployment that has none", func() {
		m := interpolate(cf(removeWindowsCell, "add-windows-cell.yml"))
		g := mustGroup(m, "windows2019-cell")
		Expect(m.InstanceGroups[len(m.InstanceGroups)-1].Name).To(Equal("windows2019-cell"))
		Expect(g.JobNames()).To(Equal(mustGroup(interpolate(cf("add-windows-cell.yml")), "windows2019-cell").JobNames()))
		Expect(m.Stemcell("windows2019")).NotTo(BeNil())
	})

	It("runs Diego's, Loggregator's and the other Windows jobs from their own releases, as cf-deployment does", func() {
		g := mustGroup(m, "windows2019-cell")
		Expect(g.Jobs).To(HaveLen(len(ourJobs()) + len(cfWindowsJobs)))
		for name, rel := range cfWindowsJobs {
			Expect(mustJob(g, name).Release).To(Equal(rel), "job %s", name)
		}
		Expect(g.Stemcell).To(Equal("windows2019"))
		Expect(g.VMExtensions).To(ContainElement("100GB_ephemeral_disk"))
	})

	It("gives groot, and Diego for the windows stack, the rootfs of the windows2019fs package", func() {
		g := mustGroup(m, "windows2019-cell")
		Expect(flatten(mustJob(g, "groot").Properties)).To(HaveKeyWithValue("groot.cached_image_uris", []any{windowsRootfs}))
		Expect(flatten(mustJob(g, "groot").Properties)).To(HaveKeyWithValue("groot.driver_store", "/var/vcap/data/groot"))
		Expect(flatten(mustJob(g, "rep_windows").Properties)).To(HaveKeyWithValue("diego.rep.preloaded_rootfses", []any{"windows:" + windowsRootfs}))
	})

	It("leaves gdn on Diego's address, its default", func() {
		garden := mustJob(mustGroup(m, "windows2019-cell"), "garden-windows")
		Expect(flatten(garden.Properties)).NotTo(HaveKey("garden.listen_address"))
	})

	It("adds the windows stack and the Windows buildpacks to the Cloud Controller, keeping the others", func() {
		cc := flatten(mustJob(mustGroup(m, "api"), "cloud_controller_ng").Properties)
		oldCC := flatten(mustJob(mustGroup(before, "api"), "cloud_controller_ng").Properties)
		stacks := cc["cc.stacks"].([]any)
		Expect(stacks).To(HaveLen(len(oldCC["cc.stacks"].([]any)) + 1))
		Expect(stacks).To(ContainElements(append(oldCC["cc.stacks"].([]any), map[string]any{"name": "windows", "description": "Windows Server"})...))
		buildpacks := cc["cc.install_buildpacks"].([]any)
		Expect(buildpacks).To(ContainElements(append(oldCC["cc.install_buildpacks"].([]any),
			map[string]any{"name": "hwc_buildpack", "package": "hwc-buildpack-windows"},
			map[string]any{"name": "binary_buildpack", "package": "binary-buildpack-windows"})...))
		Expect(mustJob(mustGroup(m, "api"), "hwc-buildpack").Release).To(Equal("hwc-buildpack"))
	})

	It("leaves the Linux cells alone", func() {
		Expect(*mustGroup(m, "diego-cell")).To(Equal(*mustGroup(before, "diego-cell")))
	})

	It("declares garden-windows and windows2019fs as uploaded releases and pins the releases it downloads", func() {
		Expect(*m.Release(release)).To(Equal(manifesttest.Release{Name: release, Version: "latest"}))
		Expect(*m.Release("windows2019fs")).To(Equal(manifesttest.Release{Name: "windows2019fs", Version: "latest"}))
		for _, name := range []string{"windows-utilities", "hwc-buildpack", "envoy-nginx"} {
			r := m.Release(name)
			Expect(r).NotTo(BeNil(), "release %s", name)
			Expect(r.Version).To(MatchRegexp(`^\d+\.\d+\.\d+$`), "release %s", name)
			Expect(r.URL).To(HavePrefix("https://bosh.io/d/github.com/"), "release %s", name)
			Expect(r.URL).To(HaveSuffix("?v="+r.Version), "release %s", name)
			Expect(r.SHA1).To(MatchRegexp(`^sha256:[0-9a-f]{64}$`), "release %s", name)
		}
	})
})

var _ = Describe("operations/convert-windows2019-cell.yml", func() {
	var before, m *manifesttest.Manifest
	var oldCell, cell *manifesttest.InstanceGroup

	BeforeEach(func() {
		before = fixture()
		m = interpolate(cf("convert-windows2019-cell.yml"))
		oldCell = mustGroup(before, "windows2019-cell")
		cell = mustGroup(m, "windows2019-cell")
	})

	It("runs every job of this release on the cell, and none of winc-release's or garden-runc-release's", func() {
		for _, name := range ourJobs() {
			Expect(mustJob(cell, name).Release).To(Equal(release), "job %s", name)
		}
		expectNoUpstreamJobs(cell)
		Expect(cell.Job("winc-network-hns-acls")).To(BeNil())
	})

	It("keeps the operator's winc_network.* settings, on winc-network", func() {
		Expect(mustJob(cell, "winc-network").Properties).To(Equal(mustJob(oldCell, "winc-network-hns-acls").Properties))
		Expect(mustJob(cell, "winc-network").Properties).NotTo(BeEmpty())
	})

	It("keeps the operator's groot.* settings", func() {
		Expect(mustJob(cell, "groot").Properties).To(Equal(mustJob(oldCell, "groot").Properties))
	})

	It("keeps the operator's garden.* settings, dropping the upstream plugin wiring and the properties this job does not have", func() {
		Expect(mustJob(cell, "garden-windows").Properties).To(Equal(map[string]any{
			"garden": map[string]any{
				"max_containers":               100,
				"log_level":                    "debug",
				"destroy_containers_on_start":  true,
				"listen_address":               "127.0.0.1:9241",
				"default_container_rootfs":     windowsRootfs,
				"cleanup_process_dirs_on_wait": true,
			},
		}))
		// The fixture did set them, so their absence is the ops file's doing.
		old := flatten(mustJob(oldCell, "garden-windows").Properties)
		Expect(old).To(HaveKey("garden.image_plugin_extra_args"))
		Expect(old).To(HaveKey("garden.dropsonde.origin"))
		Expect(old).To(HaveKey("logging.format.timestamp"))
	})

	It("adds cell-prep", func() {
		Expect(oldCell.Job("cell-prep")).To(BeNil())
		Expect(mustJob(cell, "cell-prep").Release).To(Equal(release))
	})

	It("leaves the cell's other jobs and settings, and the other instance groups, as they were", func() {
		converted := map[string]bool{"winc": true, "winc-network-hns-acls": true, "groot": true, "garden-windows": true}
		for _, j := range oldCell.Jobs {
			if converted[j.Name] {
				continue
			}
			Expect(*mustJob(cell, j.Name)).To(Equal(j), "job %s", j.Name)
		}
		Expect(cell.Jobs).To(HaveLen(len(oldCell.Jobs) + 1))
		Expect(cell.Instances).To(Equal(oldCell.Instances))
		Expect(cell.AZs).To(Equal(oldCell.AZs))
		Expect(cell.VMType).To(Equal(oldCell.VMType))
		Expect(cell.VMExtensions).To(Equal(oldCell.VMExtensions))
		Expect(cell.Stemcell).To(Equal(oldCell.Stemcell))
		for _, g := range before.InstanceGroups {
			if g.Name != "windows2019-cell" {
				Expect(*mustGroup(m, g.Name)).To(Equal(g))
			}
		}
		Expect(m.Stemcells).To(Equal(before.Stemcells))
	})

	It("adds the garden-windows release and keeps garden-runc, which the Linux cells use", func() {
		Expect(*m.Release(release)).To(Equal(manifesttest.Release{Name: release, Version: "latest"}))
		Expect(m.Release("garden-runc")).NotTo(BeNil())
		Expect(m.Releases).To(HaveLen(len(before.Releases) + 1))
	})

	It("fails, naming the path, on a manifest without the upstream cell", func() {
		_, err := bosh.Interpolate(cf(removeWindowsCell, "convert-windows2019-cell.yml"))
		var ie *manifesttest.InterpolateError
		Expect(errors.As(err, &ie)).To(BeTrue(), "expected bosh interpolate to fail, got %v", err)
		Expect(ie.Output).To(ContainSubstring("/instance_groups/name=windows2019-cell"))
	})

	It("fails, naming the upstream job it looks for, when applied twice", func() {
		_, err := bosh.Interpolate(cf("convert-windows2019-cell.yml", "convert-windows2019-cell.yml"))
		var ie *manifesttest.InterpolateError
		Expect(errors.As(err, &ie)).To(BeTrue(), "expected bosh interpolate to fail, got %v", err)
		Expect(ie.Output).To(ContainSubstring("name=winc-network-hns-acls"))
	})
})
