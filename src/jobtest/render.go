// Package jobtest renders this release's BOSH job templates the way a deploy
// would, so tests can assert on what lands on a cell. It drives bosh-cli's own
// ERB renderer (the Ruby script the CLI embeds, run with the system's ruby),
// adding only what that renderer leaves to the director: spec values such as
// the instance's IP, and links.
package jobtest

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	bierbrenderer "github.com/cloudfoundry/bosh-cli/v7/templatescompiler/erbrenderer"
	boshlog "github.com/cloudfoundry/bosh-utils/logger"
	boshsys "github.com/cloudfoundry/bosh-utils/system"
	"gopkg.in/yaml.v3"
)

// linksRb teaches bosh-cli's template context link() and if_link(), which the
// director provides on a real deploy but the CLI's renderer does not.
//
//go:embed links.rb
var linksRb []byte

// Job is a job of the release, read from jobs/<name>.
type Job struct {
	Dir  string
	Spec Spec
}

// Spec is the part of a job's spec file that rendering depends on.
type Spec struct {
	Name       string                        `yaml:"name"`
	Templates  map[string]string             `yaml:"templates"`
	Packages   []string                      `yaml:"packages"`
	Provides   []LinkDefinition              `yaml:"provides"`
	Consumes   []LinkDefinition              `yaml:"consumes"`
	Properties map[string]PropertyDefinition `yaml:"properties"`
}

// LinkDefinition is a link a job provides or consumes.
type LinkDefinition struct {
	Name       string   `yaml:"name"`
	Type       string   `yaml:"type"`
	Optional   bool     `yaml:"optional"`
	Properties []string `yaml:"properties"`
}

// PropertyDefinition is one property of a job spec.
type PropertyDefinition struct {
	Description string `yaml:"description"`
	Default     any    `yaml:"default"`
}

// Instance holds the spec values the director gives templates (spec.ip,
// spec.az, ...). The zero Instance stands for DefaultInstance.
type Instance struct {
	Name       string
	Deployment string
	ID         string
	Index      int
	AZ         string
	IP         string
	Bootstrap  bool
}

// DefaultInstance is the instance templates are rendered for unless a test
// says otherwise.
var DefaultInstance = Instance{
	Name:       "windows-cell",
	Deployment: "cf",
	ID:         "7f3c2a1e-0b5d-4c8e-9a61-2d4f8e0c1b93",
	Index:      0,
	AZ:         "z1",
	IP:         "10.0.16.5",
	Bootstrap:  true,
}

// Link is what a consumed link carries: the provider's property values and
// its instances.
type Link struct {
	Address    string         `json:"address,omitempty"`
	Properties map[string]any `json:"properties"`
	Instances  []LinkInstance `json:"instances"`
}

// LinkInstance is one instance of a link's provider.
type LinkInstance struct {
	Name      string `json:"name"`
	ID        string `json:"id"`
	Index     int    `json:"index"`
	AZ        string `json:"az"`
	Address   string `json:"address"`
	Bootstrap bool   `json:"bootstrap"`
}

// Inputs is what a manifest gives a job: its properties (nested as in the
// manifest), consumed links by name, and the instance it lands on.
type Inputs struct {
	Properties map[string]any
	Links      map[string]Link
	Instance   Instance
}

// Rendered holds a job's rendered files, keyed by their path in the job
// directory on the cell ("monit", "config/x.json", ...).
type Rendered map[string]string

// Load reads jobs/<name>/spec from the release at releaseDir.
func Load(releaseDir, name string) (*Job, error) {
	dir := filepath.Join(releaseDir, "jobs", name)
	raw, err := os.ReadFile(filepath.Join(dir, "spec"))
	if err != nil {
		return nil, fmt.Errorf("reading spec of job %q: %w", name, err)
	}
	var spec Spec
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("parsing spec of job %q: %w", name, err)
	}
	if spec.Name != name {
		return nil, fmt.Errorf("job directory %q holds a spec named %q", name, spec.Name)
	}
	return &Job{Dir: dir, Spec: spec}, nil
}

// ReleaseDir finds the release's root from a test's working directory.
func ReleaseDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "config", "final.yml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no BOSH release (config/final.yml) above the working directory")
		}
		dir = parent
	}
}

// Render renders the job's monit file and every template with the given
// inputs. Like a deploy it fails when a template raises, and, unlike one, it
// also fails when the inputs set a property the spec does not declare, so a
// misspelt property in a test or a manifest cannot pass unnoticed.
func (j *Job) Render(in Inputs) (Rendered, error) {
	if err := j.checkDeclared(in.Properties); err != nil {
		return nil, err
	}
	if err := j.checkLinks(in.Links); err != nil {
		return nil, err
	}

	work, err := os.MkdirTemp("", "jobtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	prelude := filepath.Join(work, "links.rb")
	if err := os.WriteFile(prelude, linksRb, 0o644); err != nil {
		return nil, err
	}

	logger := boshlog.NewLogger(boshlog.LevelNone)
	renderer := bierbrenderer.NewERBRenderer(
		boshsys.NewOsFileSystem(logger),
		preludeRunner{CmdRunner: boshsys.NewExecCmdRunner(logger), prelude: prelude},
		logger,
	)
	ctx := newContext(j, in)

	// monit first, then templates by destination, so that the first failure
	// reported is the same on every run.
	type source struct{ src, dst string }
	sources := []source{{filepath.Join(j.Dir, "monit"), "monit"}}
	for src, dst := range j.Spec.Templates {
		sources = append(sources, source{filepath.Join(j.Dir, "templates", src), dst})
	}
	sort.Slice(sources[1:], func(a, b int) bool { return sources[1+a].dst < sources[1+b].dst })
	out := Rendered{}
	for _, s := range sources {
		src, dst := s.src, s.dst
		target := filepath.Join(work, "out", filepath.FromSlash(dst))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, err
		}
		if err := renderer.Render(src, target, ctx); err != nil {
			return nil, templateError(j.Spec.Name, dst, err)
		}
		content, err := os.ReadFile(target)
		if err != nil {
			return nil, err
		}
		out[dst] = string(content)
	}
	return out, nil
}

func (j *Job) checkDeclared(props map[string]any) error {
	var unknown []string
	var walk func(prefix string, value map[string]any)
	walk = func(prefix string, value map[string]any) {
		for key, v := range value {
			name := prefix + key
			if _, ok := j.Spec.Properties[name]; ok {
				continue
			}
			if nested, ok := v.(map[string]any); ok {
				walk(name+".", nested)
				continue
			}
			unknown = append(unknown, name)
		}
	}
	walk("", props)
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("job %s does not declare propert%s %s in its spec", j.Spec.Name, plural(len(unknown), "y", "ies"), strings.Join(unknown, ", "))
	}
	return nil
}

func (j *Job) checkLinks(links map[string]Link) error {
	for name := range links {
		found := false
		for _, c := range j.Spec.Consumes {
			found = found || c.Name == name
		}
		if !found {
			return fmt.Errorf("job %s does not consume a link named %q", j.Spec.Name, name)
		}
	}
	return nil
}

// templateFailure finds, in the renderer's report, the line and message of
// the exception a template raised (the message is what an operator sees).
var templateFailure = regexp.MustCompile(`\(line (\w+): #<\w+: (.*?)>\) \(\w+\)\n`)

func templateError(job, dst string, err error) error {
	if m := templateFailure.FindStringSubmatch(err.Error()); m != nil {
		// Ruby's report of an uncaught exception doubles every backslash;
		// undo that so Windows paths read as the director would show them.
		message := strings.ReplaceAll(m[2], `\\`, `\`)
		return fmt.Errorf("rendering %s of job %s failed at line %s: %s", dst, job, m[1], message)
	}
	return fmt.Errorf("rendering %s of job %s: %w", dst, job, err)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// preludeRunner loads links.rb before bosh-cli's renderer script.
type preludeRunner struct {
	boshsys.CmdRunner
	prelude string
}

func (r preludeRunner) RunComplexCommand(cmd boshsys.Command) (string, string, int, error) {
	if cmd.Name == "ruby" {
		cmd.Args = append([]string{"-r", r.prelude}, cmd.Args...)
	}
	return r.CmdRunner.RunComplexCommand(cmd)
}
