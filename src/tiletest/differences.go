package tiletest

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// DifferencesFile is where, relative to the repository, the tile's
// documented differences from the job specs' defaults are.
const DifferencesFile = "tile/spec-differences.yml"

// Difference is a job property that the tile, with every form at its
// default, sets to a value other than the spec's default, on purpose.
type Difference struct {
	Job      string
	Property string
	// Value is what the tile sets.
	Value  any
	Reason string
}

// ParseDifferences parses a differences file: a list under differences:,
// each entry with job, property, value and a reason. An entry without a
// reason, without a value, or listed twice is an error.
func ParseDifferences(raw []byte) ([]Difference, error) {
	var doc struct {
		Differences []struct {
			Job      string    `yaml:"job"`
			Property string    `yaml:"property"`
			Value    yaml.Node `yaml:"value"`
			Reason   string    `yaml:"reason"`
		} `yaml:"differences"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parsing the differences: %w", err)
	}
	seen := map[string]bool{}
	var out []Difference
	for i, e := range doc.Differences {
		entry := fmt.Sprintf("entry %d (%s %s)", i+1, e.Job, e.Property)
		if e.Job == "" || e.Property == "" {
			return nil, fmt.Errorf("%s: give the job and the property", entry)
		}
		if strings.TrimSpace(e.Reason) == "" {
			return nil, fmt.Errorf("%s has no reason: say why the tile does not use the spec's default", entry)
		}
		if e.Value.Kind == 0 {
			return nil, fmt.Errorf("%s has no value: give the value the tile sets", entry)
		}
		if seen[e.Job+" "+e.Property] {
			return nil, fmt.Errorf("%s is listed twice", entry)
		}
		seen[e.Job+" "+e.Property] = true
		d := Difference{Job: e.Job, Property: e.Property, Reason: strings.TrimSpace(e.Reason)}
		if err := e.Value.Decode(&d.Value); err != nil {
			return nil, fmt.Errorf("%s: its value: %w", entry, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// ReadDifferences parses the differences file at file.
func ReadDifferences(file string) ([]Difference, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	diffs, err := ParseDifferences(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return diffs, nil
}
