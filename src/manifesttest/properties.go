package manifesttest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/garden-windows/garden-windows-release/internal/propnames"
)

// JobSpec is what the checks need from a job's spec: its property names
// (dotted, as the spec declares them).
type JobSpec struct {
	Name       string
	Properties map[string]struct{}
}

// LoadJobSpecs reads jobs/*/spec of the release at releaseDir, by job name.
func LoadJobSpecs(releaseDir string) (map[string]JobSpec, error) {
	paths, err := filepath.Glob(filepath.Join(releaseDir, "jobs", "*", "spec"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no job specs (jobs/*/spec) in %s", releaseDir)
	}
	specs := map[string]JobSpec{}
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var spec struct {
			Name       string         `yaml:"name"`
			Properties map[string]any `yaml:"properties"`
		}
		if err := yaml.Unmarshal(raw, &spec); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", path, err)
		}
		dir := filepath.Base(filepath.Dir(path))
		if spec.Name != dir {
			return nil, fmt.Errorf("%s names the job %q, not %q", path, spec.Name, dir)
		}
		js := JobSpec{Name: spec.Name, Properties: map[string]struct{}{}}
		for name := range spec.Properties {
			js.Properties[name] = struct{}{}
		}
		specs[spec.Name] = js
	}
	return specs, nil
}

// PropertyProblem is a property a manifest sets on a job of the release that
// the job's spec does not declare. The director would ignore it without a
// word, so the setting would have no effect on the cell.
type PropertyProblem struct {
	// Where names the instance group or addon the job is in.
	Where    string
	Job      string
	Property string
	Problem  string
}

func (p PropertyProblem) String() string {
	return fmt.Sprintf("%s, job %s: property %s %s", p.Where, p.Job, p.Property, p.Problem)
}

// CheckProperties returns every property set on a job of release in the
// manifest's instance groups and addons that the job's spec (from specs)
// does not declare, and every job of release that has no spec.
//
// Manifest properties are nested maps; spec properties are dotted names. A
// key path matches when it is a spec property, whatever its value (a spec
// property holding a map or a list is a leaf), or when it is a map on the
// way to spec properties (winc_network: {port_pool: {start: 1}} matches
// winc_network.port_pool.start).
func CheckProperties(m *Manifest, release string, specs map[string]JobSpec) []PropertyProblem {
	var problems []PropertyProblem
	check := func(where string, jobs []Job) {
		for _, job := range jobs {
			if job.Release != release {
				continue
			}
			spec, ok := specs[job.Name]
			if !ok {
				problems = append(problems, PropertyProblem{
					Where: where, Job: job.Name,
					Problem: fmt.Sprintf("cannot be checked: release %s has no job %s (no jobs/%s/spec)", release, job.Name, job.Name),
				})
				continue
			}
			for _, p := range checkJob(spec, job.Properties) {
				p.Where = where
				problems = append(problems, p)
			}
		}
	}
	for _, g := range m.InstanceGroups {
		check("instance group "+g.Name, g.Jobs)
	}
	for _, a := range m.Addons {
		check("addon "+a.Name, a.Jobs)
	}
	return problems
}

func checkJob(spec JobSpec, props map[string]any) []PropertyProblem {
	var problems []PropertyProblem
	var walk func(prefix string, value map[string]any)
	walk = func(prefix string, value map[string]any) {
		keys := make([]string, 0, len(value))
		for k := range value {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			name := prefix + key
			if _, ok := spec.Properties[name]; ok {
				continue
			}
			below := propnames.Below(spec.Properties, name)
			nested, isMap := value[key].(map[string]any)
			switch {
			case isMap && len(below) > 0:
				walk(name+".", nested)
			case len(below) > 0:
				problems = append(problems, PropertyProblem{
					Job: spec.Name, Property: name,
					Problem: fmt.Sprintf("is set to %s, but jobs/%s/spec declares properties below it, not it: %s", describe(value[key]), spec.Name, strings.Join(below, ", ")),
				})
			default:
				problem := fmt.Sprintf("is not declared in jobs/%s/spec, so the job ignores it", spec.Name)
				if similar := propnames.Similar(spec.Properties, name); len(similar) > 0 {
					problem += "; did you mean " + strings.Join(similar, " or ") + "?"
				}
				problems = append(problems, PropertyProblem{Job: spec.Name, Property: name, Problem: problem})
			}
		}
	}
	walk("", props)
	return problems
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	default:
		return fmt.Sprintf("the value %v", v)
	}
}
