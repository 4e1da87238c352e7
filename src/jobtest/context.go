package jobtest

import "encoding/json"

// context is the JSON document bosh-cli's renderer script reads. Its keys are
// those of the CLI's own context (templatescompiler.RootContext) plus the
// spec values and links the director adds on a real deploy.
type context struct {
	Name              string             `json:"name"`
	Index             int                `json:"index"`
	ID                string             `json:"id"`
	AZ                string             `json:"az"`
	Bootstrap         bool               `json:"bootstrap"`
	Deployment        string             `json:"deployment"`
	Address           string             `json:"address"`
	IP                string             `json:"ip"`
	Job               map[string]string  `json:"job"`
	Networks          map[string]network `json:"networks"`
	GlobalProperties  map[string]any     `json:"global_properties"`
	ClusterProperties map[string]any     `json:"cluster_properties"`
	JobProperties     map[string]any     `json:"job_properties"`
	DefaultProperties map[string]any     `json:"default_properties"`
	Links             map[string]Link    `json:"links"`
}

type network struct {
	IP      string   `json:"ip"`
	Netmask string   `json:"netmask"`
	Gateway string   `json:"gateway"`
	Default []string `json:"default"`
}

func newContext(j *Job, in Inputs) context {
	inst := in.Instance
	if inst == (Instance{}) {
		inst = DefaultInstance
	}

	defaults := map[string]any{}
	for name, prop := range j.Spec.Properties {
		defaults[name] = prop.Default
	}
	props := in.Properties
	if props == nil {
		props = map[string]any{}
	}
	links := in.Links
	if links == nil {
		links = map[string]Link{}
	}
	return context{
		Name:              inst.Name,
		Index:             inst.Index,
		ID:                inst.ID,
		AZ:                inst.AZ,
		Bootstrap:         inst.Bootstrap,
		Deployment:        inst.Deployment,
		Address:           inst.IP,
		IP:                inst.IP,
		Job:               map[string]string{"name": j.Spec.Name},
		Networks:          map[string]network{"default": {IP: inst.IP, Netmask: "255.255.240.0", Gateway: "10.0.16.1", Default: []string{"dns", "gateway"}}},
		GlobalProperties:  map[string]any{},
		ClusterProperties: map[string]any{},
		JobProperties:     props,
		DefaultProperties: defaults,
		Links:             links,
	}
}

func (c context) MarshalJSON() ([]byte, error) {
	type plain context // without this method, so Marshal does not recurse
	return json.Marshal(plain(c))
}
