package manifesttest_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/garden-windows/garden-windows-release/jobtest"
	"github.com/garden-windows/garden-windows-release/manifesttest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The manifests, ops files and job templates these tests check are outside
// the Go module, and go test's cache only notices changes to files inside
// it: after changing them, run with -count=1 (as scripts/test does).
func TestManifests(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Manifests and ops files")
}

// The release whose jobs the manifests deploy, as the manifests name it.
const release = "garden-windows"

var (
	releaseDir string
	bosh       manifesttest.Bosh
	specs      map[string]manifesttest.JobSpec
)

var _ = BeforeSuite(func() {
	var err error
	releaseDir, err = jobtest.ReleaseDir()
	Expect(err).NotTo(HaveOccurred())
	// No BOSH CLI is a failure, not a skip: these tests are how the
	// manifests are known to interpolate at all.
	bosh, err = manifesttest.FindBosh(releaseDir)
	Expect(err).NotTo(HaveOccurred())
	specs, err = manifesttest.LoadJobSpecs(releaseDir)
	Expect(err).NotTo(HaveOccurred())
})

// inRelease resolves a path relative to the release's root.
func inRelease(rel string) string {
	return filepath.Join(releaseDir, filepath.FromSlash(rel))
}

func opsFile(name string) string {
	return inRelease("manifests/operations/" + name)
}

// standalone is manifests/garden-windows.yml with the example variables
// and the given ops files (see resolveOps).
func standalone(ops ...string) manifesttest.Interpolation {
	in := manifesttest.Interpolation{
		Manifest:  inRelease("manifests/garden-windows.yml"),
		VarsFiles: []string{inRelease("manifests/vars-example.yml")},
		VarErrs:   true,
	}
	in.OpsFiles = resolveOps(ops)
	return in
}

// resolveOps resolves ops file names: those with a slash are relative to
// the release, the others are in manifests/operations/.
func resolveOps(ops []string) []string {
	var paths []string
	for _, o := range ops {
		if strings.Contains(o, "/") {
			paths = append(paths, inRelease(o))
		} else {
			paths = append(paths, opsFile(o))
		}
	}
	return paths
}

// cf is the cf-deployment-shaped fixture with its credentials, the example
// variables (for the small ops files) and the given ops files.
func cf(ops ...string) manifesttest.Interpolation {
	in := manifesttest.Interpolation{
		Manifest: inRelease("src/manifesttest/testdata/cf-deployment.yml"),
		VarsFiles: []string{
			inRelease("src/manifesttest/testdata/cf-credentials.yml"),
			inRelease("manifests/vars-example.yml"),
		},
		VarErrs: true,
	}
	in.OpsFiles = resolveOps(ops)
	return in
}

const removeWindowsCell = "src/manifesttest/testdata/remove-windows-cell.yml"

// interpolate runs bosh interpolate and parses the result; the run must
// succeed.
func interpolate(in manifesttest.Interpolation) *manifesttest.Manifest {
	GinkgoHelper()
	raw, err := bosh.Interpolate(in)
	if err != nil {
		// The CLI's message says what failed; the error's fields add nothing.
		Fail(err.Error())
	}
	m, err := manifesttest.ParseManifest(raw)
	Expect(err).NotTo(HaveOccurred())
	return m
}

func with(in manifesttest.Interpolation, vars map[string]string) manifesttest.Interpolation {
	in.Vars = vars
	return in
}

// fixture is the cf-deployment fixture as interpolated, without ops files.
func fixture() *manifesttest.Manifest {
	GinkgoHelper()
	return interpolate(cf())
}

// mustGroup returns an instance group that must exist.
func mustGroup(m *manifesttest.Manifest, name string) *manifesttest.InstanceGroup {
	GinkgoHelper()
	g := m.InstanceGroup(name)
	Expect(g).NotTo(BeNil(), "instance group %s is not in the manifest", name)
	return g
}

// mustJob returns a job that must exist.
func mustJob(g *manifesttest.InstanceGroup, name string) *manifesttest.Job {
	GinkgoHelper()
	j := g.Job(name)
	Expect(j).NotTo(BeNil(), "job %s is not in instance group %s (it has %v)", name, g.Name, g.JobNames())
	return j
}

// ourJobs lists the release's jobs: the directories under jobs/.
func ourJobs() []string {
	names := make([]string, 0, len(specs))
	for name := range specs {
		names = append(names, name)
	}
	return names
}

// flatten turns nested properties into dotted names; lists and scalars are
// leaves.
func flatten(props map[string]any) map[string]any {
	out := map[string]any{}
	var walk func(prefix string, v map[string]any)
	walk = func(prefix string, v map[string]any) {
		for k, val := range v {
			if nested, ok := val.(map[string]any); ok && len(nested) > 0 {
				walk(prefix+k+".", nested)
				continue
			}
			out[prefix+k] = val
		}
	}
	walk("", props)
	return out
}

// rendered remembers the outcome of rendering a job with given properties:
// most manifests give a job the same properties, and each render runs Ruby.
var rendered = map[string]error{}

// renderOurJobs renders, with bosh-cli's template renderer, every job of
// this release in the manifest with the properties the manifest gives it,
// so that values the job's templates reject fail here rather than in bosh
// deploy.
func renderOurJobs(m *manifesttest.Manifest) []string {
	var failures []string
	for _, g := range m.InstanceGroups {
		for _, j := range g.Jobs {
			if j.Release != release {
				continue
			}
			props := j.Properties
			if props == nil {
				props = map[string]any{}
			}
			key, err := json.Marshal([]any{j.Name, props})
			Expect(err).NotTo(HaveOccurred())
			err, done := rendered[string(key)]
			if !done {
				var job *jobtest.Job
				job, err = jobtest.Load(releaseDir, j.Name)
				if err == nil {
					_, err = job.Render(jobtest.Inputs{Properties: props})
				}
				rendered[string(key)] = err
			}
			if err != nil {
				failures = append(failures, fmt.Sprintf("instance group %s, job %s: %v", g.Name, j.Name, err))
			}
		}
	}
	return failures
}
