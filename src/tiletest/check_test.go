package tiletest_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/garden-windows/garden-windows-release/tiletest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
)

// aProblem matches a problem at where (a substring), about property
// (exactly, "" for any), whose message contains message.
func aProblem(where, property, message string) types.GomegaMatcher {
	matchers := []types.GomegaMatcher{
		HaveField("Where", ContainSubstring(where)),
		HaveField("Message", ContainSubstring(message)),
	}
	if property != "" {
		matchers = append(matchers, HaveField("Property", Equal(property)))
	}
	return ContainElement(SatisfyAll(matchers...))
}

// builtMetadata is a fresh copy of the built tile's product template, for
// a test to change.
func builtMetadata() *tiletest.ProductTemplate {
	GinkgoHelper()
	pt, err := tiletest.ParseMetadata(tile.Files[metadataFile])
	Expect(err).NotTo(HaveOccurred())
	return pt
}

func cellOf(pt *tiletest.ProductTemplate) *tiletest.JobType {
	GinkgoHelper()
	jt := pt.JobType("windows_cell")
	Expect(jt).NotTo(BeNil())
	return jt
}

// editManifest replaces old by new in the manifest snippet of job.
func editManifest(pt *tiletest.ProductTemplate, job, old, new string) {
	GinkgoHelper()
	t := cellOf(pt).Template(job)
	Expect(t).NotTo(BeNil())
	t.Manifest = mustReplace(t.Manifest, old, new)
}

func blueprint(pt *tiletest.ProductTemplate, name string) *tiletest.PropertyBlueprint {
	GinkgoHelper()
	for i := range pt.PropertyBlueprints {
		if pt.PropertyBlueprints[i].Name == name {
			return &pt.PropertyBlueprints[i]
		}
	}
	Fail("no property blueprint " + name)
	return nil
}

var _ = Describe("a copy of the metadata whose snippet uses a renamed property", func() {
	// The acceptance: the checks fail when the tile and a job
	// disagree on a property's name, naming it.
	It("fails the build, naming the property, the job, and what it was renamed from", func() {
		original, err := os.ReadFile(filepath.Join(repoDir, "tile", "metadata.yml"))
		Expect(err).NotTo(HaveOccurred())
		copied := filepath.Join(GinkgoT().TempDir(), "metadata.yml")
		Expect(os.WriteFile(copied, []byte(mustReplace(string(original), "    subnet_range: ((", "    subnet: ((")), 0o644)).To(Succeed())

		output := filepath.Join(GinkgoT().TempDir(), "renamed.pivotal")
		_, err = tiletest.Build(tiletest.BuildOptions{
			RepoDir: repoDir, Release: releaseTarball, Version: tileVersion, Metadata: copied, Output: output,
		})
		var checkErr *tiletest.CheckError
		Expect(errors.As(err, &checkErr)).To(BeTrue(), "want the checks to fail, got %v", err)
		Expect(checkErr.Problems).To(aProblem("job type windows_cell, job winc-network", "winc_network.subnet", "is not declared in the job's spec"))
		Expect(checkErr.Problems).To(aProblem("", "winc_network.subnet", "renamed to winc_network.subnet_range?"))
		Expect(err.Error()).To(ContainSubstring("winc_network.subnet is not declared"))
		Expect(output).NotTo(BeAnExistingFile())
	})
})

var _ = Describe("a release whose job renamed a property the tile sets", func() {
	var renamed string
	BeforeEach(func() {
		jobs := filepath.Join(GinkgoT().TempDir(), "jobs")
		Expect(copyJobs(filepath.Join(repoDir, "jobs"), jobs, func(job, spec string) string {
			if job != "winc-network" {
				return spec
			}
			return mustReplace(spec, "  winc_network.subnet_range:", "  winc_network.subnet_cidr:")
		})).To(Succeed())
		renamed = filepath.Join(GinkgoT().TempDir(), "renamed.tgz")
		Expect(buildFixtureRelease(jobs, "0+dev.renamed", renamed)).To(Succeed())
	})

	It("fails the checks on the tile's metadata, naming the property", func() {
		rel, err := tiletest.ReadRelease(renamed)
		Expect(err).NotTo(HaveOccurred())
		problems := tiletest.CheckProperties(builtMetadata(), rel)
		Expect(problems).To(aProblem("job type windows_cell, job winc-network", "winc_network.subnet_range", "is not declared in the job's spec (job.MF of release garden-windows/0+dev.renamed)"))
	})

	It("makes scripts/build-tile refuse to build, naming the property", func() {
		skipWithoutBash()
		output := filepath.Join(GinkgoT().TempDir(), "out.pivotal")
		out, err := buildTile("--release", renamed, "--output", output, "1.0.0")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("winc_network.subnet_range is not declared in the job's spec"))
		Expect(output).NotTo(BeAnExistingFile())
	})
})

var _ = Describe("the consistency checks", func() {
	DescribeTable("catch a product template out of step",
		func(mutate func(*tiletest.ProductTemplate), where, property, message string) {
			pt := builtMetadata()
			mutate(pt)
			Expect(tiletest.Check(pt, release, diffs)).To(aProblem(where, property, message))
		},

		// Property types.
		Entry("a string_list's comma-separated value given to a list property",
			func(pt *tiletest.ProductTemplate) {
				editManifest(pt, "winc-network", "container_dns_servers.parsed_strings || []", "container_dns_servers.value")
			},
			"job winc-network", "winc_network.dns_servers", "a string, but the job's spec expects a list (going by its default)"),
		Entry("a string form given to an integer property",
			func(pt *tiletest.ProductTemplate) {
				editManifest(pt, "garden-windows", ".windows_cell.max_containers.value", ".properties.log_level.value")
			},
			"job garden-windows", "garden.max_containers", "a string, but the job's spec expects an integer"),
		Entry("a form whose type changed under its property",
			func(pt *tiletest.ProductTemplate) {
				bp := blueprint(pt, "port_pool_start")
				bp.Type, bp.Default = "string", "40000"
				bp.Constraints.Kind = 0
			},
			"job winc-network", "winc_network.port_pool.start", "a string, but the job's spec expects an integer"),
		Entry("a boolean form given to a string property",
			func(pt *tiletest.ProductTemplate) {
				editManifest(pt, "groot", "log_level: (( .properties.log_level.value ))", "log_level: (( .properties.reboot_if_required.value ))")
			},
			"job groot", "groot.log_level", "a boolean, but the job's spec expects a string"),
		Entry("integers in a list of strings",
			func(pt *tiletest.ProductTemplate) {
				editManifest(pt, "garden-windows", "garden:\n", "garden:\n  image_plugin_extra_args: [ (( .properties.port_pool_size.value )) ]\n")
			},
			"job garden-windows", "garden.image_plugin_extra_args", "a list of integer values, but the spec's default is a list of string values"),
		Entry("a value given to a map of properties",
			func(pt *tiletest.ProductTemplate) {
				cellOf(pt).Template("winc-network").Manifest = "winc_network:\n  port_pool: (( .properties.port_pool_start.value ))\n"
			},
			"job winc-network", "winc_network.port_pool", "declares properties below it, not it: winc_network.port_pool.size, winc_network.port_pool.start"),
		Entry("a property of another job",
			func(pt *tiletest.ProductTemplate) {
				editManifest(pt, "groot", "groot:\n", "groot:\n  max_containers: 5\n")
			},
			"job groot", "groot.max_containers", "is not declared in the job's spec"),
		Entry("a job type's own manifest snippet",
			func(pt *tiletest.ProductTemplate) { cellOf(pt).Manifest = "garden:\n  max_containers: 5\n" },
			"job type windows_cell", "", "has a manifest snippet of its own"),
		Entry("a snippet that is not YAML",
			func(pt *tiletest.ProductTemplate) { cellOf(pt).Template("groot").Manifest = "groot: [\n" },
			"job groot", "", "is not YAML"),

		// Expressions.
		Entry("a snippet reading a property blueprint that does not exist",
			func(pt *tiletest.ProductTemplate) {
				editManifest(pt, "garden-windows", "log_level: (( .properties.log_level.value ))", "log_level: (( .properties.loglevel.value ))")
			},
			"job garden-windows", "", "names property .properties.loglevel, which has no property blueprint"),
		Entry("an accessor the blueprint's type does not have",
			func(pt *tiletest.ProductTemplate) {
				editManifest(pt, "winc-network", "container_subnet.value", "container_subnet.parsed_strings")
			},
			"job winc-network", "", "a string has no accessor parsed_strings (it has value)"),
		Entry("a job type that does not exist",
			func(pt *tiletest.ProductTemplate) {
				editManifest(pt, "garden-windows", ".windows_cell.max_containers.value", ".linux_cell.max_containers.value")
			},
			"job garden-windows", "", "names job type linux_cell, which the product template does not have"),

		// Job templates and releases.
		Entry("a job the release does not have",
			func(pt *tiletest.ProductTemplate) {
				cellOf(pt).Templates = append(cellOf(pt).Templates, tiletest.Template{Name: "rep_windows", Release: "garden-windows"})
			},
			"job type windows_cell, job rep_windows", "", "is not a job of release garden-windows/"),
		Entry("a job from a release the tile does not ship",
			func(pt *tiletest.ProductTemplate) {
				cellOf(pt).Templates = append(cellOf(pt).Templates, tiletest.Template{Name: "rep_windows", Release: "diego"})
			},
			"job type windows_cell, job rep_windows", "", `comes from release "diego", which is not in the tile's releases`),
		Entry("a job of the release left off the cell",
			func(pt *tiletest.ProductTemplate) {
				cell := cellOf(pt)
				cell.Templates = cell.Templates[1:]
				Expect(pt.JobType("windows_cell").Template("cell-prep")).To(BeNil())
			},
			"job_types", "", "job cell-prep of release garden-windows is on no job type"),
		Entry("a release version that is not the tarball's",
			func(pt *tiletest.ProductTemplate) { pt.Releases[0].Version = "41" },
			"releases", "", `has garden-windows version "41"`),
		Entry("a stemcell that is not Windows",
			func(pt *tiletest.ProductTemplate) { pt.StemcellCriteria.OS = "ubuntu-jammy" },
			"stemcell_criteria", "", "run only on a Windows stemcell"),
		Entry("a job type without an ephemeral disk",
			func(pt *tiletest.ProductTemplate) {
				cell := cellOf(pt)
				var kept []tiletest.Definition
				for _, r := range cell.ResourceDefinitions {
					if r.Name != "ephemeral_disk" {
						kept = append(kept, r)
					}
				}
				cell.ResourceDefinitions = kept
			},
			"job type windows_cell", "", "has no resource definition ephemeral_disk"),

		// Forms.
		Entry("a form property that no snippet reads",
			func(pt *tiletest.ProductTemplate) {
				pt.PropertyBlueprints = append(pt.PropertyBlueprints, tiletest.PropertyBlueprint{Name: "unused", Type: "string", Configurable: true, Default: "x"})
				pt.FormTypes[0].PropertyInputs = append(pt.FormTypes[0].PropertyInputs, tiletest.PropertyInput{Reference: ".properties.unused", Label: "Unused"})
			},
			"property blueprint", ".properties.unused", "is on form container_images but is read by no manifest snippet"),
		Entry("a configurable property on no form",
			func(pt *tiletest.ProductTemplate) {
				form := &pt.FormTypes[len(pt.FormTypes)-1]
				var kept []tiletest.PropertyInput
				for _, in := range form.PropertyInputs {
					if in.Reference != ".properties.log_level" {
						kept = append(kept, in)
					}
				}
				Expect(kept).To(HaveLen(len(form.PropertyInputs) - 1))
				form.PropertyInputs = kept
			},
			"property blueprint", ".properties.log_level", "is configurable but on no form"),
		Entry("a form field naming no blueprint",
			func(pt *tiletest.ProductTemplate) {
				pt.FormTypes[0].PropertyInputs = append(pt.FormTypes[0].PropertyInputs, tiletest.PropertyInput{Reference: ".properties.nope"})
			},
			"form container_images", ".properties.nope", "names no property blueprint"),
		Entry("a field on two forms",
			func(pt *tiletest.ProductTemplate) {
				pt.FormTypes[1].PropertyInputs = append(pt.FormTypes[1].PropertyInputs, pt.FormTypes[0].PropertyInputs[0])
			},
			"form container_networking", ".properties.rootfs_image_uri", "is already on form container_images"),
		Entry("a default outside its own constraints",
			func(pt *tiletest.ProductTemplate) { blueprint(pt, "port_pool_start").Default = 80 },
			"property blueprint", ".properties.port_pool_start", "has default 80, outside its own constraint min: 1024"),
		Entry("a default its own regex refuses",
			func(pt *tiletest.ProductTemplate) { blueprint(pt, "container_subnet").Default = "172.30.0.0" },
			"property blueprint", ".properties.container_subnet", "does not match its own must_match_regex"),
		Entry("a dropdown default that is not an option",
			func(pt *tiletest.ProductTemplate) { blueprint(pt, "log_level").Default = "warn" },
			"property blueprint", ".properties.log_level", `has default "warn", which is not one of its options`),
		Entry("an optional property with a default",
			func(pt *tiletest.ProductTemplate) {
				blueprint(pt, "insecure_registries").Default = "registry.example.com"
			},
			"property blueprint", ".properties.insecure_registries", "is optional and has a default"),

		// Defaults.
		Entry("a form default that differs from the spec's, undocumented",
			func(pt *tiletest.ProductTemplate) { blueprint(pt, "container_subnet").Default = "10.200.0.0/22" },
			"job winc-network", "winc_network.subnet_range", `is "10.200.0.0/22" with the forms at their defaults, but the spec's default is "172.30.0.0/22"`),
		Entry("a fixed value that differs from the spec's, undocumented",
			func(pt *tiletest.ProductTemplate) {
				editManifest(pt, "winc-network", "winc_network:\n", "winc_network:\n  mtu: 1400\n")
			},
			"job winc-network", "winc_network.mtu", "is 1400 with the forms at their defaults, but the spec's default is 0"),
		Entry("a documented difference whose value changed",
			func(pt *tiletest.ProductTemplate) {
				blueprint(pt, "rootfs_image_uri").Default = "docker:///example/rootfs:1"
			},
			"job garden-windows", "garden.default_container_rootfs", `but tile/spec-differences.yml says "docker:///cloudfoundry/windows2016fs:2019"`),
		Entry("a documented difference the tile no longer sets",
			func(pt *tiletest.ProductTemplate) {
				editManifest(pt, "groot", "  driver_store: /var/vcap/data/groot\n", "")
			},
			"tile/spec-differences.yml", "groot.driver_store", "which the tile does not set it on: remove the entry"),
		Entry("a documented difference that is now the spec's default",
			func(pt *tiletest.ProductTemplate) {
				editManifest(pt, "groot", "driver_store: /var/vcap/data/groot", "driver_store: /var/lib/groot")
			},
			"job groot", "groot.driver_store", "is the spec's default"),
	)

	It("check the differences file against the tile, entry by entry", func() {
		pt := builtMetadata()
		extra := append([]tiletest.Difference{}, diffs...)
		extra = append(extra, tiletest.Difference{Job: "winc-network", Property: "winc_network.subnet_range", Value: "172.30.0.0/22", Reason: "none"})
		Expect(tiletest.CheckDefaults(pt, release, extra)).To(aProblem("job winc-network", "winc_network.subnet_range", "is the spec's default"))
	})
})

var _ = Describe("the differences file", func() {
	DescribeTable("refuses an entry that does not say enough",
		func(entry, message string) {
			_, err := tiletest.ParseDifferences([]byte("differences:\n" + entry))
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("no reason", "- {job: groot, property: groot.driver_store, value: /x}\n", "has no reason"),
		Entry("a blank reason", "- {job: groot, property: groot.driver_store, value: /x, reason: ' '}\n", "has no reason"),
		Entry("no value", "- {job: groot, property: groot.driver_store, reason: why}\n", "has no value"),
		Entry("no job", "- {property: groot.driver_store, value: /x, reason: why}\n", "give the job and the property"),
		Entry("an entry listed twice", strings.Repeat("- {job: groot, property: groot.driver_store, value: /x, reason: why}\n", 2), "is listed twice"),
		Entry("an unknown key", "- {job: groot, property: groot.driver_store, value: /x, reason: why, note: x}\n", "field note not found"),
	)

	It("takes a null value: the tile unsets the property", func() {
		d, err := tiletest.ParseDifferences([]byte("differences:\n- {job: groot, property: groot.driver_store, value: null, reason: why}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(d).To(HaveLen(1))
		Expect(d[0].Value).To(BeNil())
	})
})
