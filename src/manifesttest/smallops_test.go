package manifesttest_test

import (
	"github.com/garden-windows/garden-windows-release/manifesttest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Values for the small ops files' variables that differ from both the
// example variables and the jobs' defaults, so that each change shows.
var smallOpsVars = map[string]string{
	"windows_rootfs_registry_uri": "docker://registry.example.com/windows/rootfs:2019",
	"port_pool_start":             "50000",
	"port_pool_size":              "2000",
	"max_containers":              "40",
}

// smallOp is a small ops file and the properties it sets on this release's
// jobs of windows2019-cell: job, then dotted property, then value.
type smallOp struct {
	file string
	sets map[string]map[string]any
}

var smallOps = []smallOp{
	{"use-registry-rootfs.yml", map[string]map[string]any{
		"groot":          {"groot.cached_image_uris": []any{"docker://registry.example.com/windows/rootfs:2019"}},
		"garden-windows": {"garden.default_container_rootfs": "docker://registry.example.com/windows/rootfs:2019"},
	}},
	{"use-offline-rootfs.yml", map[string]map[string]any{
		"groot":          {"groot.cached_image_uris": []any{windowsRootfs}},
		"garden-windows": {"garden.default_container_rootfs": windowsRootfs},
	}},
	{"allow-outbound-by-default.yml", map[string]map[string]any{
		"winc-network": {"winc_network.allow_outbound_traffic_by_default": true},
	}},
	{"set-port-range.yml", map[string]map[string]any{
		"winc-network": {"winc_network.port_pool.start": 50000, "winc_network.port_pool.size": 2000},
	}},
	{"set-max-containers.yml", map[string]map[string]any{
		"garden-windows": {"garden.max_containers": 40},
	}},
	{"reboot-if-required.yml", map[string]map[string]any{
		"cell-prep": {"cell_prep.reboot_if_required": true},
	}},
}

// The manifests every small ops file must apply to, as functions of the ops
// files to add after their own.
var smallOpsBases = []struct {
	name  string
	build func(ops ...string) manifesttest.Interpolation
}{
	{"the standalone manifest", standalone},
	{"cf-deployment with add-windows-cell.yml", func(ops ...string) manifesttest.Interpolation {
		return cf(append([]string{"add-windows-cell.yml"}, ops...)...)
	}},
	{"cf-deployment with convert-windows2019-cell.yml", func(ops ...string) manifesttest.Interpolation {
		return cf(append([]string{"convert-windows2019-cell.yml"}, ops...)...)
	}},
}

var _ = Describe("the small ops files", func() {
	var entries []TableEntry
	for _, base := range smallOpsBases {
		for _, op := range smallOps {
			entries = append(entries, Entry(op.file+" on "+base.name, base.build, op))
		}
	}

	DescribeTable("set what they say on windows2019-cell and change nothing else",
		func(build func(...string) manifesttest.Interpolation, op smallOp) {
			before := interpolate(with(build(), smallOpsVars))
			after := interpolate(with(build(op.file), smallOpsVars))
			oldCell, cell := mustGroup(before, "windows2019-cell"), mustGroup(after, "windows2019-cell")

			for job, sets := range op.sets {
				props := flatten(mustJob(cell, job).Properties)
				for name, value := range sets {
					Expect(props).To(HaveKeyWithValue(name, value), "job %s", job)
				}
			}
			// Every other property of every job is untouched.
			for _, old := range oldCell.Jobs {
				oldProps := flatten(old.Properties)
				newProps := flatten(mustJob(cell, old.Name).Properties)
				for name := range op.sets[old.Name] {
					delete(oldProps, name)
					delete(newProps, name)
				}
				Expect(newProps).To(Equal(oldProps), "job %s", old.Name)
				Expect(mustJob(cell, old.Name).Release).To(Equal(old.Release), "job %s", old.Name)
			}
			for _, g := range before.InstanceGroups {
				if g.Name != "windows2019-cell" {
					Expect(*mustGroup(after, g.Name)).To(Equal(g))
				}
			}

			if op.file == "use-offline-rootfs.yml" {
				// The package is the windows2019fs job's: it is added when
				// missing, and kept, properties and all, when present.
				Expect(mustJob(cell, "windows2019fs").Release).To(Equal("windows2019fs"))
				if old := oldCell.Job("windows2019fs"); old != nil {
					Expect(*mustJob(cell, "windows2019fs")).To(Equal(*old))
				}
				Expect(after.Release("windows2019fs")).NotTo(BeNil())
				Expect(cell.Jobs).To(HaveLen(len(oldCell.Jobs) + boolToInt(oldCell.Job("windows2019fs") == nil)))
			} else {
				Expect(cell.JobNames()).To(Equal(oldCell.JobNames()))
				Expect(after.Releases).To(Equal(before.Releases))
			}
		}, entries)

	It("sets values that differ from the bases', so that the table above sees each change", func() {
		for _, base := range smallOpsBases {
			cell := mustGroup(interpolate(with(base.build(), smallOpsVars)), "windows2019-cell")
			for _, op := range smallOps {
				if op.file == "use-offline-rootfs.yml" {
					// cf-deployment's cell already uses the package.
					continue
				}
				for job, sets := range op.sets {
					props := flatten(mustJob(cell, job).Properties)
					for name, value := range sets {
						Expect(props[name]).NotTo(Equal(value), "%s: %s of job %s on %s", op.file, name, job, base.name)
					}
				}
			}
		}
	})
})

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
