package tiletest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// ProductTemplate is an Ops Manager product template (the tile's metadata),
// with the parts of the format this tile uses. ParseMetadata refuses keys
// it does not know, so that a misspelt key fails here rather than being
// ignored by Ops Manager.
type ProductTemplate struct {
	Name                     string              `yaml:"name"`
	ProductVersion           string              `yaml:"product_version"`
	MinimumVersionForUpgrade string              `yaml:"minimum_version_for_upgrade"`
	MetadataVersion          string              `yaml:"metadata_version"`
	Label                    string              `yaml:"label"`
	Description              string              `yaml:"description"`
	Rank                     int                 `yaml:"rank"`
	Serial                   bool                `yaml:"serial"`
	IconImage                string              `yaml:"icon_image"`
	StemcellCriteria         StemcellCriteria    `yaml:"stemcell_criteria"`
	Releases                 []ReleaseRef        `yaml:"releases"`
	PropertyBlueprints       []PropertyBlueprint `yaml:"property_blueprints"`
	FormTypes                []FormType          `yaml:"form_types"`
	JobTypes                 []JobType           `yaml:"job_types"`
}

// StemcellCriteria says which stemcell the product's VMs run.
type StemcellCriteria struct {
	OS                         string `yaml:"os"`
	Version                    string `yaml:"version"`
	EnablePatchSecurityUpdates *bool  `yaml:"enable_patch_security_updates"`
}

// ReleaseRef is a release in the tile's releases/ directory.
type ReleaseRef struct {
	Name    string `yaml:"name"`
	File    string `yaml:"file"`
	Version string `yaml:"version"`
}

// PropertyBlueprint declares a property of the product (top-level
// property_blueprints) or of a job type: its type, default and whether the
// operator may set it.
type PropertyBlueprint struct {
	Name         string    `yaml:"name"`
	Type         string    `yaml:"type"`
	Label        string    `yaml:"label"`
	Configurable bool      `yaml:"configurable"`
	Optional     bool      `yaml:"optional"`
	Default      any       `yaml:"default"`
	Constraints  yaml.Node `yaml:"constraints"`
	Options      []Option  `yaml:"options"`
	Placeholder  string    `yaml:"placeholder"`
	Freeze       bool      `yaml:"freeze_on_deploy"`
}

// Option is a choice of a dropdown_select or multi_select_options blueprint.
type Option struct {
	Name  string `yaml:"name"`
	Label string `yaml:"label"`
}

// FormType is a page of the tile's settings in Ops Manager.
type FormType struct {
	Name           string          `yaml:"name"`
	Label          string          `yaml:"label"`
	Description    string          `yaml:"description"`
	Markdown       string          `yaml:"markdown"`
	PropertyInputs []PropertyInput `yaml:"property_inputs"`
}

// PropertyInput is a field of a form: the blueprint it sets, by reference
// (.properties.NAME or .JOB_TYPE.NAME).
type PropertyInput struct {
	Reference   string `yaml:"reference"`
	Label       string `yaml:"label"`
	Description string `yaml:"description"`
	Placeholder string `yaml:"placeholder"`
}

// JobType is an instance group of the product's deployment.
type JobType struct {
	Name                string              `yaml:"name"`
	ResourceLabel       string              `yaml:"resource_label"`
	Description         string              `yaml:"description"`
	Release             string              `yaml:"release"`
	SingleAZOnly        bool                `yaml:"single_az_only"`
	MaxInFlight         any                 `yaml:"max_in_flight"`
	Serial              *bool               `yaml:"serial"`
	StaticIP            int                 `yaml:"static_ip"`
	DynamicIP           int                 `yaml:"dynamic_ip"`
	InstanceDefinition  Definition          `yaml:"instance_definition"`
	ResourceDefinitions []Definition        `yaml:"resource_definitions"`
	PropertyBlueprints  []PropertyBlueprint `yaml:"property_blueprints"`
	Templates           []Template          `yaml:"templates"`
	// Manifest is the job type's own snippet, whose properties BOSH gives
	// the instance group rather than a job; the checks refuse it (see
	// CheckProperties).
	Manifest string `yaml:"manifest"`
}

// Definition is the instance count or a resource (ram, ephemeral_disk,
// persistent_disk, cpu) of a job type.
type Definition struct {
	Name         string    `yaml:"name"`
	Type         string    `yaml:"type"`
	Label        string    `yaml:"label"`
	Configurable bool      `yaml:"configurable"`
	Default      any       `yaml:"default"`
	Constraints  yaml.Node `yaml:"constraints"`
}

// Template is a job of a release placed on the job type, with the
// manifest snippet that becomes the job's properties.
type Template struct {
	Name     string `yaml:"name"`
	Release  string `yaml:"release"`
	Manifest string `yaml:"manifest"`
	Consumes string `yaml:"consumes"`
	Provides string `yaml:"provides"`
}

// ParseMetadata parses a product template, refusing unknown keys.
func ParseMetadata(raw []byte) (*ProductTemplate, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var pt ProductTemplate
	if err := dec.Decode(&pt); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the product template is empty")
		}
		return nil, fmt.Errorf("parsing the product template: %w (a key this package does not know is a typo, or a part of the format to add to tiletest.ProductTemplate)", err)
	}
	if pt.Name == "" {
		return nil, errors.New("the product template has no name")
	}
	return &pt, nil
}

// ReadMetadata parses the product template in file.
func ReadMetadata(file string) (*ProductTemplate, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pt, err := ParseMetadata(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return pt, nil
}

// JobType returns the job type named name, or nil.
func (pt *ProductTemplate) JobType(name string) *JobType {
	for i := range pt.JobTypes {
		if pt.JobTypes[i].Name == name {
			return &pt.JobTypes[i]
		}
	}
	return nil
}

// Template returns the job type's template (job) named name, or nil.
func (jt *JobType) Template(name string) *Template {
	for i := range jt.Templates {
		if jt.Templates[i].Name == name {
			return &jt.Templates[i]
		}
	}
	return nil
}

// Resource returns the job type's resource definition named name, or nil.
func (jt *JobType) Resource(name string) *Definition {
	for i := range jt.ResourceDefinitions {
		if jt.ResourceDefinitions[i].Name == name {
			return &jt.ResourceDefinitions[i]
		}
	}
	return nil
}
