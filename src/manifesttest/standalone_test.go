package manifesttest_test

import (
	"os"

	"gopkg.in/yaml.v3"

	"github.com/garden-windows/garden-windows-release/manifesttest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the standalone manifest, manifests/garden-windows.yml", func() {
	var (
		m    *manifesttest.Manifest
		vars map[string]any
	)

	BeforeEach(func() {
		raw, err := os.ReadFile(inRelease("manifests/vars-example.yml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(yaml.Unmarshal(raw, &vars)).To(Succeed())
		m = interpolate(standalone())
	})

	It("deploys one Windows cell, named as cf-deployment's, from the given variables", func() {
		Expect(m.Name).To(Equal(vars["deployment_name"]))
		Expect(m.InstanceGroups).To(HaveLen(1))
		g := mustGroup(m, "windows2019-cell")
		Expect(g.Instances).To(Equal(1))
		Expect(g.AZs).To(Equal([]string{vars["az"].(string)}))
		Expect(g.VMType).To(Equal(vars["vm_type"]))
		Expect(g.Networks).To(Equal([]manifesttest.Network{{Name: vars["network"].(string)}}))

		stemcell := m.Stemcell(g.Stemcell)
		Expect(stemcell).NotTo(BeNil(), "the instance group's stemcell alias %q is not in stemcells", g.Stemcell)
		Expect(stemcell.OS).To(Equal(vars["stemcell_os"]))
		Expect(stemcell.Version).To(Equal("latest"))
	})

	It("runs every job of this release, each from release garden-windows at its latest version", func() {
		g := mustGroup(m, "windows2019-cell")
		Expect(g.JobNames()).To(ConsistOf(ourJobs()))
		for _, j := range g.Jobs {
			Expect(j.Release).To(Equal(release), "job %s", j.Name)
		}
		Expect(m.Releases).To(Equal([]manifesttest.Release{{Name: release, Version: "latest"}}))
	})

	It("has gdn listen on every interface on port 7777, for Garden's integration tests", func() {
		garden := mustJob(mustGroup(m, "windows2019-cell"), "garden-windows").Properties["garden"]
		Expect(garden).To(HaveKeyWithValue("listen_address", "0.0.0.0:7777"))
	})

	It("uses rootfs_image_uri as gdn's default rootfs and as groot's cached image", func() {
		g := mustGroup(m, "windows2019-cell")
		Expect(flatten(mustJob(g, "garden-windows").Properties)).To(HaveKeyWithValue("garden.default_container_rootfs", vars["rootfs_image_uri"]))
		Expect(flatten(mustJob(g, "groot").Properties)).To(HaveKeyWithValue("groot.cached_image_uris", []any{vars["rootfs_image_uri"]}))
	})

	It("keeps groot's store on the ephemeral disk, which cell-prep keeps from Defender", func() {
		g := mustGroup(m, "windows2019-cell")
		Expect(flatten(mustJob(g, "groot").Properties)).To(HaveKeyWithValue("groot.driver_store", "/var/vcap/data/groot"))
		Expect(flatten(mustJob(g, "cell-prep").Properties)).To(HaveKeyWithValue("cell_prep.defender_exclusions", []any{`C:\var\vcap\data\groot`}))
	})

	It("deploys on the stemcell_os given", func() {
		m := interpolate(with(standalone(), map[string]string{"stemcell_os": "windows2016"}))
		Expect(m.Stemcell(mustGroup(m, "windows2019-cell").Stemcell).OS).To(Equal("windows2016"))
	})

	It("needs exactly its six documented variables", func() {
		missing, err := bosh.MissingVariables(manifesttest.Interpolation{Manifest: inRelease("manifests/garden-windows.yml")})
		Expect(err).NotTo(HaveOccurred())
		Expect(missing).To(Equal([]string{"az", "deployment_name", "network", "rootfs_image_uri", "stemcell_os", "vm_type"}))
	})

	It("fails, naming the variable, when one is not given", func() {
		in := standalone()
		in.VarsFiles = nil
		in.Vars = map[string]string{"deployment_name": "d", "stemcell_os": "windows2019", "network": "n", "az": "z", "vm_type": "v"}
		missing, err := bosh.MissingVariables(in)
		Expect(err).NotTo(HaveOccurred())
		Expect(missing).To(Equal([]string{"rootfs_image_uri"}))
	})

	It("documents in vars-example.yml every variable of the manifest and of the ops files, and no other", func() {
		needed := map[string]bool{}
		files, err := os.ReadDir(inRelease("manifests/operations"))
		Expect(err).NotTo(HaveOccurred())
		ins := []manifesttest.Interpolation{{Manifest: inRelease("manifests/garden-windows.yml")}}
		for _, f := range files {
			// add-windows-cell.yml uses cf-deployment's own credentials; the
			// cf-deployment tests resolve those.
			if f.Name() == "add-windows-cell.yml" || f.Name() == "convert-windows2019-cell.yml" {
				continue
			}
			ins = append(ins, manifesttest.Interpolation{Manifest: inRelease("manifests/garden-windows.yml"), OpsFiles: []string{opsFile(f.Name())}})
		}
		for _, in := range ins {
			missing, err := bosh.MissingVariables(in)
			Expect(err).NotTo(HaveOccurred())
			for _, name := range missing {
				needed[name] = true
			}
		}
		documented := map[string]bool{}
		for name := range vars {
			documented[name] = true
		}
		Expect(documented).To(Equal(needed))
	})
})
