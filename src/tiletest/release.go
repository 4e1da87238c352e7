// Package tiletest builds the Ops Manager tile of this release (a .pivotal
// file: the product template in metadata/, the release tarball in
// releases/, migrations in migrations/v1/) and checks that the product
// template in tile/ stays in step with the jobs the release really ships:
// every job template it names is in the release tarball, every property its
// manifest snippets set is declared in that job's spec (job.MF in the
// tarball) with a compatible type, every form property is used, and every
// default matches the spec's or is a documented difference.
//
// scripts/build-tile runs Build through ./buildtile; the package's tests
// build the tile with that script and check it.
package tiletest

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/garden-windows/garden-windows-release/releasecheck"
)

// Release is what the checks need from a BOSH release tarball: its name,
// version and jobs, each with the spec the tarball ships (job.MF).
type Release struct {
	Name    string
	Version string
	// Jobs by name.
	Jobs map[string]*JobSpec
}

// JobNames lists the release's jobs in order.
func (r *Release) JobNames() []string {
	names := make([]string, 0, len(r.Jobs))
	for name := range r.Jobs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// JobSpec is a job's spec: its properties by their dotted names, as the spec
// declares them.
type JobSpec struct {
	Name       string
	Properties map[string]SpecProperty
}

// SpecProperty is one property of a job spec.
type SpecProperty struct {
	Description string
	// Default is the spec's default as YAML decodes it (string, int, bool,
	// []any, map[string]any); nil with HasDefault false when the spec has
	// none.
	Default    any
	HasDefault bool
}

// Kind is the type of the property: from its default when it has one,
// otherwise from its description (see kindFromDescription), and how it was
// found, for messages.
func (p SpecProperty) Kind() (Kind, string) {
	if p.HasDefault && p.Default != nil {
		return kindOf(p.Default), "its default"
	}
	return kindFromDescription(p.Description), "its description (it has no default)"
}

// ElemKind is the kind of the elements of a list property whose default
// has some, and KindAny otherwise.
func (p SpecProperty) ElemKind() Kind {
	if list, ok := p.Default.([]any); ok && len(list) > 0 {
		return kindOf(list[0])
	}
	return KindAny
}

// ReadRelease reads a release tarball (as bosh create-release --tarball
// makes it) with releasecheck.Read, and parses the spec of every job it
// lists.
func ReadRelease(tarball string) (*Release, error) {
	r, err := releasecheck.Read(tarball)
	if err != nil {
		return nil, err
	}
	if r.Name == "" || r.Version == "" {
		return nil, fmt.Errorf("release.MF of %s has no name or version", tarball)
	}
	rel := &Release{Name: r.Name, Version: r.Version, Jobs: map[string]*JobSpec{}}
	for _, j := range r.Jobs {
		if j.Spec == nil {
			return nil, fmt.Errorf("jobs/%s.tgz of %s has no job.MF (the job's spec)", j.Name, tarball)
		}
		js, err := ParseJobSpec(j.Spec)
		if err != nil {
			return nil, fmt.Errorf("job %s of %s: %w", j.Name, tarball, err)
		}
		if js.Name != j.Name {
			return nil, fmt.Errorf("jobs/%s.tgz of %s holds the spec of job %q", j.Name, tarball, js.Name)
		}
		rel.Jobs[j.Name] = js
	}
	return rel, nil
}

// ParseJobSpec parses a job spec (jobs/NAME/spec, or job.MF in a release).
func ParseJobSpec(raw []byte) (*JobSpec, error) {
	var spec struct {
		Name       string `yaml:"name"`
		Properties map[string]struct {
			Description string    `yaml:"description"`
			Default     yaml.Node `yaml:"default"`
		} `yaml:"properties"`
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("parsing the job spec: %w", err)
	}
	if spec.Name == "" {
		return nil, errors.New("the job spec has no name")
	}
	js := &JobSpec{Name: spec.Name, Properties: map[string]SpecProperty{}}
	for name, p := range spec.Properties {
		sp := SpecProperty{Description: strings.TrimSpace(p.Description)}
		if p.Default.Kind != 0 {
			if err := p.Default.Decode(&sp.Default); err != nil {
				return nil, fmt.Errorf("the default of property %s: %w", name, err)
			}
			sp.HasDefault = true
		}
		js.Properties[name] = sp
	}
	return js, nil
}
