package manifesttest

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Manifest is the part of a BOSH deployment manifest the checks read.
type Manifest struct {
	Name           string          `yaml:"name"`
	Releases       []Release       `yaml:"releases"`
	Stemcells      []Stemcell      `yaml:"stemcells"`
	InstanceGroups []InstanceGroup `yaml:"instance_groups"`
	Addons         []Addon         `yaml:"addons"`
}

// Release is an entry of the manifest's releases.
type Release struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	URL     string `yaml:"url"`
	SHA1    string `yaml:"sha1"`
}

// Stemcell is an entry of the manifest's stemcells.
type Stemcell struct {
	Alias   string `yaml:"alias"`
	OS      string `yaml:"os"`
	Version string `yaml:"version"`
}

// InstanceGroup is an entry of the manifest's instance_groups.
type InstanceGroup struct {
	Name         string    `yaml:"name"`
	Instances    int       `yaml:"instances"`
	AZs          []string  `yaml:"azs"`
	VMType       string    `yaml:"vm_type"`
	VMExtensions []string  `yaml:"vm_extensions"`
	Stemcell     string    `yaml:"stemcell"`
	Networks     []Network `yaml:"networks"`
	Jobs         []Job     `yaml:"jobs"`
}

// Network is an instance group's network.
type Network struct {
	Name string `yaml:"name"`
}

// Job is a job of an instance group or addon, with its properties as
// nested in the manifest.
type Job struct {
	Name       string         `yaml:"name"`
	Release    string         `yaml:"release"`
	Properties map[string]any `yaml:"properties"`
}

// Addon is an entry of the manifest's addons.
type Addon struct {
	Name string `yaml:"name"`
	Jobs []Job  `yaml:"jobs"`
}

// ParseManifest reads an interpolated manifest.
func ParseManifest(raw []byte) (*Manifest, error) {
	var m Manifest
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("parsing the manifest: %w", err)
	}
	return &m, nil
}

// InstanceGroup returns the instance group named name, or nil.
func (m *Manifest) InstanceGroup(name string) *InstanceGroup {
	for i := range m.InstanceGroups {
		if m.InstanceGroups[i].Name == name {
			return &m.InstanceGroups[i]
		}
	}
	return nil
}

// Release returns the release named name, or nil.
func (m *Manifest) Release(name string) *Release {
	for i := range m.Releases {
		if m.Releases[i].Name == name {
			return &m.Releases[i]
		}
	}
	return nil
}

// Stemcell returns the stemcell whose alias is alias, or nil.
func (m *Manifest) Stemcell(alias string) *Stemcell {
	for i := range m.Stemcells {
		if m.Stemcells[i].Alias == alias {
			return &m.Stemcells[i]
		}
	}
	return nil
}

// Job returns the instance group's job named name, or nil.
func (g *InstanceGroup) Job(name string) *Job {
	for i := range g.Jobs {
		if g.Jobs[i].Name == name {
			return &g.Jobs[i]
		}
	}
	return nil
}

// JobNames lists the instance group's jobs in order.
func (g *InstanceGroup) JobNames() []string {
	names := make([]string, len(g.Jobs))
	for i, j := range g.Jobs {
		names[i] = j.Name
	}
	return names
}
