package tiletest

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/garden-windows/garden-windows-release/internal/propnames"
)

// Problem is something in the product template that is out of step with
// the release or with itself.
type Problem struct {
	// Where names the part of the template: a job type and job, a form, a
	// property blueprint.
	Where string
	// Property is the job property or blueprint concerned, if any.
	Property string
	Message  string
}

func (p Problem) String() string {
	if p.Property == "" {
		return p.Where + ": " + p.Message
	}
	return p.Where + ": " + p.Property + " " + p.Message
}

// Check runs every check of the product template against the release
// tarball's jobs and the documented differences from their defaults.
func Check(pt *ProductTemplate, rel *Release, diffs []Difference) []Problem {
	var problems []Problem
	problems = append(problems, CheckReleases(pt, rel)...)
	problems = append(problems, CheckJobTypes(pt, rel)...)
	problems = append(problems, CheckProperties(pt, rel)...)
	problems = append(problems, CheckForms(pt)...)
	problems = append(problems, CheckDefaults(pt, rel, diffs)...)
	return problems
}

// CheckReleases checks the template's stemcell and releases: a Windows
// stemcell, and exactly the release of the tarball, at its version, in
// releases/NAME-VERSION.tgz.
func CheckReleases(pt *ProductTemplate, rel *Release) []Problem {
	var problems []Problem
	if !strings.HasPrefix(pt.StemcellCriteria.OS, "windows") {
		problems = append(problems, Problem{Where: "stemcell_criteria", Message: fmt.Sprintf("os is %q: the release's jobs run only on a Windows stemcell (windows2019)", pt.StemcellCriteria.OS)})
	}
	if pt.StemcellCriteria.Version == "" {
		problems = append(problems, Problem{Where: "stemcell_criteria", Message: "has no version"})
	}
	want := ReleaseRef{Name: rel.Name, Version: rel.Version, File: ReleaseFile(rel)}
	found := false
	for _, r := range pt.Releases {
		if r.Name != rel.Name {
			problems = append(problems, Problem{Where: "releases", Message: fmt.Sprintf("lists release %s, but the tile ships only %s", r.Name, rel.Name)})
			continue
		}
		found = true
		if r != want {
			problems = append(problems, Problem{Where: "releases", Message: fmt.Sprintf("has %s version %q in %q; the tarball is version %q, in %q (scripts/build-tile sets these)", r.Name, r.Version, r.File, want.Version, want.File)})
		}
	}
	if !found {
		problems = append(problems, Problem{Where: "releases", Message: fmt.Sprintf("does not list release %s", rel.Name)})
	}
	return problems
}

// ReleaseFile is the name of the release tarball in the tile's releases/.
func ReleaseFile(rel *Release) string {
	return rel.Name + "-" + rel.Version + ".tgz"
}

// CheckJobTypes checks each job type's shape (an instance count, the four
// resources) and its templates: each from a release of the tile, each job
// of the release tarball present in it, and every job of the release on
// some job type.
func CheckJobTypes(pt *ProductTemplate, rel *Release) []Problem {
	var problems []Problem
	releases := map[string]bool{}
	for _, r := range pt.Releases {
		releases[r.Name] = true
	}
	placed := map[string]bool{}
	if len(pt.JobTypes) == 0 {
		problems = append(problems, Problem{Where: "job_types", Message: "is empty: the tile deploys nothing"})
	}
	for _, jt := range pt.JobTypes {
		where := "job type " + jt.Name
		if jt.ResourceLabel == "" {
			problems = append(problems, Problem{Where: where, Message: "has no resource_label (its name on the Resource Config page)"})
		}
		if jt.MaxInFlight == nil {
			problems = append(problems, Problem{Where: where, Message: "has no max_in_flight"})
		}
		id := jt.InstanceDefinition
		if n, ok := id.Default.(int); id.Name != "instances" || id.Type != "integer" || !ok || n < 0 {
			problems = append(problems, Problem{Where: where, Message: "needs an instance_definition named instances, of type integer, with a default of 0 or more"})
		}
		for _, name := range []string{"ram", "ephemeral_disk", "persistent_disk", "cpu"} {
			r := jt.Resource(name)
			if r == nil {
				problems = append(problems, Problem{Where: where, Message: fmt.Sprintf("has no resource definition %s", name)})
				continue
			}
			if _, ok := r.Default.(int); !ok || r.Type != "integer" {
				problems = append(problems, Problem{Where: where, Message: fmt.Sprintf("resource %s needs type integer and a whole-number default", name)})
			}
		}
		if len(jt.Templates) == 0 {
			problems = append(problems, Problem{Where: where, Message: "has no templates (jobs)"})
		}
		seen := map[string]bool{}
		for _, t := range jt.Templates {
			tw := where + ", job " + t.Name
			if seen[t.Release+"/"+t.Name] {
				problems = append(problems, Problem{Where: tw, Message: "is listed twice"})
			}
			seen[t.Release+"/"+t.Name] = true
			if !releases[t.Release] {
				problems = append(problems, Problem{Where: tw, Message: fmt.Sprintf("comes from release %q, which is not in the tile's releases", t.Release)})
				continue
			}
			if t.Release != rel.Name {
				continue
			}
			if _, ok := rel.Jobs[t.Name]; !ok {
				problems = append(problems, Problem{Where: tw, Message: fmt.Sprintf("is not a job of release %s/%s (its jobs: %s)", rel.Name, rel.Version, strings.Join(rel.JobNames(), ", "))})
				continue
			}
			placed[t.Name] = true
		}
	}
	for _, name := range rel.JobNames() {
		if !placed[name] {
			problems = append(problems, Problem{Where: "job_types", Message: fmt.Sprintf("job %s of release %s is on no job type: the jobs work together (gdn runs the plugins, cell-prep reads their files), so every one belongs on the cell", name, rel.Name)})
		}
	}
	return problems
}

// Setting is a job property the product template sets: the value of its
// dotted name in a template's manifest snippet, and the spec property.
type Setting struct {
	JobType  string
	Job      string
	Property string
	// Value is the parsed snippet below the property: literals, *Expr and
	// *Interp.
	Value any
	Spec  SpecProperty
}

func (s Setting) where() string {
	return "job type " + s.JobType + ", job " + s.Job
}

// Settings walks the manifest snippets of the templates from the release
// and returns what they set, with a problem for each path that is not a
// property of the job's spec (BOSH would ignore it), each value set at a
// map of properties, and each expression that does not resolve.
//
// Snippets are nested maps; specs have dotted names. A key path is a
// property when it is a spec property, whatever its value (a spec property
// holding a map or a list is a leaf), and a map on the way to properties
// otherwise (winc_network: {port_pool: {start: 1}} sets
// winc_network.port_pool.start).
func Settings(pt *ProductTemplate, rel *Release) ([]Setting, []Problem) {
	var settings []Setting
	var problems []Problem
	source := fmt.Sprintf("job.MF of release %s/%s", rel.Name, rel.Version)
	for ji := range pt.JobTypes {
		jt := &pt.JobTypes[ji]
		for _, t := range jt.Templates {
			spec, ok := rel.Jobs[t.Name]
			if t.Release != rel.Name || !ok || strings.TrimSpace(t.Manifest) == "" {
				continue
			}
			where := "job type " + jt.Name + ", job " + t.Name
			tree, errs := pt.ParseSnippet(jt, t.Manifest)
			for _, err := range errs {
				problems = append(problems, Problem{Where: where, Message: err.Error()})
			}
			props, ok := tree.(map[string]any)
			if !ok {
				if tree != nil {
					problems = append(problems, Problem{Where: where, Message: fmt.Sprintf("the manifest snippet is %s, not a map of properties", describe(tree))})
				}
				continue
			}
			var walk func(prefix string, m map[string]any)
			walk = func(prefix string, m map[string]any) {
				for _, key := range sortedKeys(m) {
					name := prefix + key
					value := m[key]
					if sp, ok := spec.Properties[name]; ok {
						settings = append(settings, Setting{JobType: jt.Name, Job: t.Name, Property: name, Value: value, Spec: sp})
						continue
					}
					below := propnames.Below(spec.Properties, name)
					nested, isMap := value.(map[string]any)
					switch {
					case isMap && len(below) > 0:
						walk(name+".", nested)
					case len(below) > 0:
						problems = append(problems, Problem{Where: where, Property: name,
							Message: fmt.Sprintf("is set to %s, but the job's spec (%s) declares properties below it, not it: %s", describe(value), source, strings.Join(below, ", "))})
					default:
						msg := fmt.Sprintf("is not declared in the job's spec (%s), so BOSH would ignore it", source)
						if similar := propnames.Similar(spec.Properties, name); len(similar) > 0 {
							msg += "; was it renamed to " + strings.Join(similar, " or ") + "?"
						}
						problems = append(problems, Problem{Where: where, Property: name, Message: msg})
					}
				}
			}
			walk("", props)
		}
	}
	return settings, problems
}

// CheckProperties checks every property the templates' manifest snippets
// set: that the job's spec in the release tarball declares it, and that
// the value's kind (string, integer, boolean, list, map) is the one the
// spec's default has (or its description says, when it has no default),
// list elements included. A job type's own manifest snippet is refused:
// BOSH gives its properties to the instance group, where a job with
// properties of its own never sees them.
func CheckProperties(pt *ProductTemplate, rel *Release) []Problem {
	var problems []Problem
	for _, jt := range pt.JobTypes {
		if strings.TrimSpace(jt.Manifest) != "" {
			problems = append(problems, Problem{Where: "job type " + jt.Name,
				Message: "has a manifest snippet of its own: set each job's properties in its template's manifest, where the checks can match them to the job's spec"})
		}
	}
	settings, walkProblems := Settings(pt, rel)
	problems = append(problems, walkProblems...)
	for _, s := range settings {
		want, from := s.Spec.Kind()
		got, gotElem := kindOfValue(s.Value)
		if !compatible(want, got) {
			problems = append(problems, Problem{Where: s.where(), Property: s.Property,
				Message: fmt.Sprintf("is set to %s, %s, but the job's spec expects %s (going by %s)", describe(s.Value), article(got), article(want), from)})
			continue
		}
		if want == KindList && got == KindList {
			if wantElem := s.Spec.ElemKind(); !compatible(wantElem, gotElem) {
				problems = append(problems, Problem{Where: s.where(), Property: s.Property,
					Message: fmt.Sprintf("is set to %s, a list of %s values, but the spec's default is a list of %s values", describe(s.Value), gotElem, wantElem)})
			}
		}
	}
	return problems
}

// ManifestRefs lists every blueprint the job types' manifest snippets
// read, whatever the release.
func ManifestRefs(pt *ProductTemplate) map[string]bool {
	refs := map[string]bool{}
	for ji := range pt.JobTypes {
		jt := &pt.JobTypes[ji]
		snippets := []string{jt.Manifest}
		for _, t := range jt.Templates {
			snippets = append(snippets, t.Manifest)
		}
		for _, s := range snippets {
			tree, _ := pt.ParseSnippet(jt, s)
			refsOf(tree, refs)
		}
	}
	return refs
}

// CheckForms checks the property blueprints and the forms that show them:
// every form field names a configurable blueprint, once; every configurable
// blueprint is on a form; every blueprint is read by a manifest snippet
// (else setting it changes nothing); and every default fits its blueprint
// (its type, its options, its constraints).
func CheckForms(pt *ProductTemplate) []Problem {
	var problems []Problem
	bps := pt.blueprints()
	onForm := map[string]string{}
	for _, f := range pt.FormTypes {
		where := "form " + f.Name
		if len(f.PropertyInputs) == 0 {
			problems = append(problems, Problem{Where: where, Message: "has no property_inputs"})
		}
		for _, in := range f.PropertyInputs {
			bp, ok := bps[in.Reference]
			switch {
			case !ok:
				problems = append(problems, Problem{Where: where, Property: in.Reference, Message: "names no property blueprint (.properties.NAME for the product's, .JOB_TYPE.NAME for a job type's)"})
				continue
			case !bp.Configurable:
				problems = append(problems, Problem{Where: where, Property: in.Reference, Message: "is not configurable, so Ops Manager does not show it: set configurable: true"})
			}
			if other, dup := onForm[in.Reference]; dup {
				problems = append(problems, Problem{Where: where, Property: in.Reference, Message: "is already on form " + other})
			}
			onForm[in.Reference] = f.Name
		}
	}
	used := ManifestRefs(pt)
	for _, ref := range sortedKeys(bps) {
		bp := bps[ref]
		where := "property blueprint"
		if bp.Configurable && onForm[ref] == "" {
			problems = append(problems, Problem{Where: where, Property: ref, Message: "is configurable but on no form, so operators cannot set it"})
		}
		if !used[ref] {
			msg := "is read by no manifest snippet, so setting it changes nothing"
			if form := onForm[ref]; form != "" {
				msg = "is on form " + form + " but " + msg
			}
			problems = append(problems, Problem{Where: where, Property: ref, Message: msg})
		}
		for _, m := range checkBlueprint(bp) {
			problems = append(problems, Problem{Where: where, Property: ref, Message: m})
		}
	}
	return problems
}

// checkBlueprint checks a blueprint's default against its type, options
// and constraints, and the combinations Ops Manager refuses.
func checkBlueprint(bp *PropertyBlueprint) []string {
	var msgs []string
	if _, ok := accessors[bp.Type]; !ok {
		return []string{fmt.Sprintf("has type %q, which this package does not know", bp.Type)}
	}
	if bp.Optional && bp.Default != nil {
		msgs = append(msgs, "is optional and has a default, which Ops Manager refuses")
	}
	if bp.Optional && !bp.Configurable {
		msgs = append(msgs, "is optional but not configurable, which Ops Manager refuses")
	}
	if bp.Configurable && !bp.Optional && bp.Default == nil {
		msgs = append(msgs, "is required and has no default: every install would stop at this form; give it a default or make it optional")
	}
	if bp.Default == nil {
		return msgs
	}
	want := map[string]Kind{"integer": KindInteger, "port": KindInteger, "boolean": KindBoolean, "multi_select_options": KindList}[bp.Type]
	if want == "" {
		want = KindString
		if bp.Type == "collection" {
			want = KindList
		}
	}
	if got := kindOf(bp.Default); got != want {
		msgs = append(msgs, fmt.Sprintf("has default %s, %s, but %s's default is %s", describe(bp.Default), article(got), article(bp.Type), article(want)))
		return msgs
	}
	if len(bp.Options) > 0 {
		names := map[string]bool{}
		for _, o := range bp.Options {
			names[o.Name] = true
		}
		defaults := []any{bp.Default}
		if list, ok := bp.Default.([]any); ok {
			defaults = list
		}
		for _, d := range defaults {
			if s, ok := d.(string); !ok || !names[s] {
				msgs = append(msgs, fmt.Sprintf("has default %s, which is not one of its options", describe(d)))
			}
		}
	}
	return append(msgs, checkConstraints(bp.Default, &bp.Constraints)...)
}

// checkConstraints checks a default against a blueprint's constraints:
// min and max for integers, must_match_regex (Ruby's syntax, whose \A and
// \z Go's regexp also has) for strings.
func checkConstraints(def any, node *yaml.Node) []string {
	if node.Kind == 0 {
		return nil
	}
	var msgs []string
	var rules []map[string]any
	switch node.Kind {
	case yaml.MappingNode:
		var m map[string]any
		if err := node.Decode(&m); err != nil {
			return []string{fmt.Sprintf("has constraints that do not parse: %v", err)}
		}
		rules = []map[string]any{m}
	case yaml.SequenceNode:
		if err := node.Decode(&rules); err != nil {
			return []string{fmt.Sprintf("has constraints that do not parse: %v", err)}
		}
	default:
		return []string{"has constraints that are neither a map nor a list"}
	}
	for _, rule := range rules {
		for _, key := range sortedKeys(rule) {
			switch key {
			case "min", "max":
				limit, ok1 := rule[key].(int)
				n, ok2 := def.(int)
				if !ok1 || !ok2 {
					msgs = append(msgs, fmt.Sprintf("has constraint %s: %v on default %s; both must be whole numbers", key, rule[key], describe(def)))
				} else if (key == "min" && n < limit) || (key == "max" && n > limit) {
					msgs = append(msgs, fmt.Sprintf("has default %d, outside its own constraint %s: %d", n, key, limit))
				}
			case "must_match_regex":
				pattern, _ := rule[key].(string)
				re, err := regexp.Compile(pattern)
				if err != nil {
					msgs = append(msgs, fmt.Sprintf("has a must_match_regex Go cannot compile (%v): keep to the syntax Ruby and Go share", err))
					continue
				}
				if s, ok := def.(string); ok && !re.MatchString(s) {
					msgs = append(msgs, fmt.Sprintf("has default %q, which does not match its own must_match_regex %s", s, pattern))
				}
			case "error_message", "may_only_increase", "may_only_be_odd_or_zero", "power_of_two", "modulo", "zero_if":
			default:
				msgs = append(msgs, fmt.Sprintf("has constraint %q, which this package does not know", key))
			}
		}
	}
	return msgs
}

// CheckDefaults renders every property the templates set with the forms
// at their defaults and compares it with the spec's default. Each
// difference must be listed in diffs, with the value the tile gives; each
// entry of diffs must still be a difference. Values only known at deploy
// time are not compared.
func CheckDefaults(pt *ProductTemplate, rel *Release, diffs []Difference) []Problem {
	var problems []Problem
	settings, _ := Settings(pt, rel)
	listed := map[string]*Difference{}
	for i := range diffs {
		listed[diffs[i].Job+" "+diffs[i].Property] = &diffs[i]
	}
	set := map[string]bool{}
	for _, s := range settings {
		key := s.Job + " " + s.Property
		set[key] = true
		value, dynamic := render(s.Value)
		if dynamic {
			continue
		}
		d := listed[key]
		same := value == nil || equalValues(value, s.Spec.Default)
		switch {
		case !same && d == nil:
			problems = append(problems, Problem{Where: s.where(), Property: s.Property,
				Message: fmt.Sprintf("is %s with the forms at their defaults, but the spec's default is %s: make the form's default the spec's, or list the difference in %s with its reason", describe(value), describeDefault(s.Spec), DifferencesFile)})
		case !same && !equalValues(value, d.Value):
			problems = append(problems, Problem{Where: s.where(), Property: s.Property,
				Message: fmt.Sprintf("is %s with the forms at their defaults, but %s says %s: update the entry (and its reason)", describe(value), DifferencesFile, describe(d.Value))})
		case same && d != nil:
			problems = append(problems, Problem{Where: s.where(), Property: s.Property,
				Message: fmt.Sprintf("is the spec's default (%s) with the forms at their defaults, but %s lists it as a difference: remove the entry", describeDefault(s.Spec), DifferencesFile)})
		}
	}
	for _, d := range diffs {
		if !set[d.Job+" "+d.Property] {
			problems = append(problems, Problem{Where: DifferencesFile, Property: d.Property,
				Message: fmt.Sprintf("is listed for job %s, which the tile does not set it on: remove the entry", d.Job)})
		}
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].String() < problems[j].String() })
	return problems
}

// article names a kind or a blueprint type with its article: "an
// integer", "a string".
func article[T ~string](k T) string {
	if k != "" && strings.ContainsRune("aeiou", rune(k[0])) {
		return "an " + string(k)
	}
	return "a " + string(k)
}

func describeDefault(p SpecProperty) string {
	if !p.HasDefault {
		return "none (unset)"
	}
	return describe(p.Default)
}

// equalValues compares two values as YAML decodes them.
func equalValues(a, b any) bool {
	return reflect.DeepEqual(normalize(a), normalize(b))
}

func normalize(v any) any {
	switch n := v.(type) {
	case int64:
		return int(n)
	case uint64:
		return int(n)
	case []any:
		out := make([]any, len(n))
		for i, item := range n {
			out[i] = normalize(item)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(n))
		for k, item := range n {
			out[k] = normalize(item)
		}
		return out
	default:
		return n
	}
}
