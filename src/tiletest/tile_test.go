package tiletest_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/garden-windows/garden-windows-release/tiletest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the tile scripts/build-tile builds", func() {
	It("holds metadata/, releases/ and migrations/v1/, and nothing else", func() {
		releaseEntry := "releases/" + release.Name + "-" + release.Version + ".tgz"
		want := []string{"metadata/", "metadata/garden-windows.yml", "migrations/", "migrations/v1/", "releases/", releaseEntry}
		migrations, err := filepath.Glob(filepath.Join(repoDir, "tile", "migrations", "v1", "*.js"))
		Expect(err).NotTo(HaveOccurred())
		for _, m := range migrations {
			want = append(want, "migrations/v1/"+filepath.Base(m))
		}
		Expect(tile.Entries).To(ConsistOf(want))
		Expect(metadataFile).To(Equal("metadata/garden-windows.yml"))
	})

	It("holds the release tarball as it is, stored rather than compressed again", func() {
		original, err := os.ReadFile(releaseTarball)
		Expect(err).NotTo(HaveOccurred())
		entry := "releases/" + tiletest.ReleaseFile(release)
		Expect(bytes.Equal(tile.Files[entry], original)).To(BeTrue(), "%s differs from %s", entry, releaseTarball)
		Expect(tile.Methods[entry]).To(Equal(zip.Store))
	})

	It("has a product template that parses, with the version, release and icon filled in", func() {
		Expect(metadata.Name).To(Equal("garden-windows"))
		Expect(metadata.ProductVersion).To(Equal(tileVersion))
		Expect(metadata.Releases).To(Equal([]tiletest.ReleaseRef{{
			Name: release.Name, Version: release.Version, File: release.Name + "-" + release.Version + ".tgz",
		}}))
		icon, err := base64.StdEncoding.DecodeString(metadata.IconImage)
		Expect(err).NotTo(HaveOccurred())
		original, err := os.ReadFile(filepath.Join(repoDir, "tile", "icon.png"))
		Expect(err).NotTo(HaveOccurred())
		Expect(icon).To(Equal(original))
		_, err = png.DecodeConfig(bytes.NewReader(icon))
		Expect(err).NotTo(HaveOccurred())
	})

	It("keeps the versions strings, quoted, so YAML cannot read them as numbers", func() {
		text := string(tile.Files[metadataFile])
		Expect(text).To(ContainSubstring(`product_version: "` + tileVersion + `"`))
		Expect(text).To(ContainSubstring(`version: "` + release.Version + `"`))
		Expect(metadata.MetadataVersion).To(MatchRegexp(`^[0-9]+\.[0-9]+$`))
		Expect(text).To(ContainSubstring(`metadata_version: "` + metadata.MetadataVersion + `"`))
	})

	It("asks for a windows2019 stemcell and follows its security patches", func() {
		Expect(metadata.StemcellCriteria.OS).To(Equal("windows2019"))
		Expect(metadata.StemcellCriteria.Version).To(HavePrefix("2019."))
		Expect(metadata.StemcellCriteria.EnablePatchSecurityUpdates).To(HaveValue(BeTrue()))
	})

	It("is the same file when built twice from the same inputs", func() {
		again := filepath.Join(GinkgoT().TempDir(), "again.pivotal")
		_, err := tiletest.Build(tiletest.BuildOptions{RepoDir: repoDir, Release: releaseTarball, Version: tileVersion, Output: again})
		Expect(err).NotTo(HaveOccurred())
		first, err := os.ReadFile(tilePath)
		Expect(err).NotTo(HaveOccurred())
		second, err := os.ReadFile(again)
		Expect(err).NotTo(HaveOccurred())
		Expect(bytes.Equal(first, second)).To(BeTrue())
	})
})

var _ = Describe("the Windows cell job type", func() {
	var cell *tiletest.JobType
	BeforeEach(func() {
		Expect(metadata.JobTypes).To(HaveLen(1))
		cell = metadata.JobType("windows_cell")
		Expect(cell).NotTo(BeNil())
	})

	It("runs every job of the release, from the release", func() {
		var names []string
		for _, t := range cell.Templates {
			Expect(t.Release).To(Equal(release.Name))
			names = append(names, t.Name)
		}
		Expect(names).To(ConsistOf(release.JobNames()))
		Expect(names).To(ConsistOf("cell-prep", "winc", "winc-network", "groot", "garden-windows"))
	})

	// docs/operations.md, "Requirements".
	It("defaults to a VM that meets the documented requirements, and refuses smaller ones", func() {
		for name, least := range map[string]int{"cpu": 2, "ram": 8192, "ephemeral_disk": 102400} {
			r := cell.Resource(name)
			Expect(r).NotTo(BeNil(), name)
			Expect(r.Default).To(BeNumerically(">=", least), name)
			var constraints struct {
				Min int `yaml:"min"`
			}
			Expect(r.Constraints.Decode(&constraints)).To(Succeed(), name)
			Expect(constraints.Min).To(BeNumerically(">=", least), name)
		}
		Expect(cell.Resource("persistent_disk").Default).To(Equal(0), "nothing on a cell needs to outlive its VM")
		Expect(cell.InstanceDefinition.Default).To(Equal(1))
	})

	It("updates one cell at a time", func() {
		Expect(cell.MaxInFlight).To(Equal(1))
	})
})

var _ = Describe("the consistency checks on the tile as built", func() {
	It("find nothing out of step with the release's jobs", func() {
		problems := tiletest.Check(metadata, release, diffs)
		Expect(problems).To(BeEmpty(), "%s", problemList(problems))
	})

	It("see every property the forms set, typed as the specs want", func() {
		settings, problems := tiletest.Settings(metadata, release)
		Expect(problems).To(BeEmpty())
		set := map[string]string{}
		for _, s := range settings {
			set[s.Job+" "+s.Property] = describeValue(s.Value)
		}
		Expect(set).To(Equal(map[string]string{
			"cell-prep cell_prep.reboot_if_required":                      "(( .properties.reboot_if_required.value ))",
			"cell-prep cell_prep.defender_exclusions":                     `[C:\var\vcap\data\groot]`,
			"winc-network winc_network.subnet_range":                      "(( .properties.container_subnet.value ))",
			"winc-network winc_network.dns_servers":                       "(( .properties.container_dns_servers.parsed_strings || [] ))",
			"winc-network winc_network.allow_outbound_traffic_by_default": "(( .properties.allow_outbound_traffic_by_default.value ))",
			"winc-network winc_network.port_pool.start":                   "(( .properties.port_pool_start.value ))",
			"winc-network winc_network.port_pool.size":                    "(( .properties.port_pool_size.value ))",
			"groot groot.driver_store":                                    "/var/vcap/data/groot",
			"groot groot.cached_image_uris":                               "[(( .properties.rootfs_image_uri.value ))]",
			"groot groot.insecure_registries":                             "(( .properties.insecure_registries.parsed_strings || [] ))",
			"groot groot.log_level":                                       "(( .properties.log_level.value ))",
			"garden-windows garden.max_containers":                        "(( .windows_cell.max_containers.value ))",
			"garden-windows garden.default_container_rootfs":              "(( .properties.rootfs_image_uri.value ))",
			"garden-windows garden.log_level":                             "(( .properties.log_level.value ))",
		}))
	})

	It("document every difference from the specs' defaults with a reason", func() {
		Expect(diffs).NotTo(BeEmpty())
		for _, d := range diffs {
			Expect(strings.TrimSpace(d.Reason)).NotTo(BeEmpty(), d.Property)
		}
	})
})

func problemList(problems []tiletest.Problem) string {
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// describeValue shows a parsed snippet value compactly: expressions as
// written, lists in brackets, literals as they are.
func describeValue(v any) string {
	switch n := v.(type) {
	case *tiletest.Expr:
		return "(( " + n.Text + " ))"
	case *tiletest.Interp:
		return n.Text
	case []any:
		parts := make([]string, len(n))
		for i, item := range n {
			parts[i] = describeValue(item)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		return fmt.Sprint(n)
	}
}
