package releasecheck_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"
)

// The pipeline in ci/ cannot run here (no Concourse, no Windows worker), so
// this keeps it from rotting: every task file it names exists and parses,
// and every package whose Windows integration suite it runs has one.
var _ = Describe("the pipeline in ci/", func() {
	type task struct {
		Task   string         `yaml:"task"`
		File   string         `yaml:"file"`
		Params map[string]any `yaml:"params"`
	}
	type pipeline struct {
		Jobs []struct {
			Name string `yaml:"name"`
			Plan []task `yaml:"plan"`
		} `yaml:"jobs"`
	}

	repo := filepath.Join("..", "..")

	load := func(path string, into any) {
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(yaml.Unmarshal(data, into)).To(Succeed(), path)
	}

	It("names task files that exist, and Windows suites that exist", func() {
		var p pipeline
		load(filepath.Join(repo, "ci", "pipeline.yml"), &p)
		Expect(p.Jobs).NotTo(BeEmpty())
		windowsSuites := 0
		for _, job := range p.Jobs {
			for _, step := range job.Plan {
				if step.File == "" {
					continue
				}
				// Task files are named from the "release" input's root.
				path := filepath.Join(repo, strings.TrimPrefix(step.File, "release/"))
				var t struct {
					Platform string `yaml:"platform"`
					Run      struct {
						Path string   `yaml:"path"`
						Args []string `yaml:"args"`
					} `yaml:"run"`
				}
				load(path, &t)
				Expect(t.Platform).To(BeElementOf("linux", "windows"), path)
				for _, a := range t.Run.Args {
					if strings.HasPrefix(a, "release/") {
						Expect(filepath.Join(repo, strings.TrimPrefix(a, "release/"))).To(BeAnExistingFile(), "%s runs it", path)
					}
				}
				if t.Platform != "windows" {
					continue
				}
				pkgs, _ := step.Params["PACKAGES"].(string)
				Expect(pkgs).NotTo(BeEmpty(), "job %s names no packages", job.Name)
				for _, pkg := range strings.Fields(pkgs) {
					// A pattern ending in /... names a tree; otherwise the
					// package must have Windows test files, or tests that
					// are meant to run on Windows too.
					dir := strings.TrimSuffix(pkg, "/...")
					pattern := "*_windows_test.go"
					if dir != pkg || job.Name == "windows-unit-tests" {
						pattern = "*_test.go"
					}
					suites, err := filepath.Glob(filepath.Join(repo, "src", dir, pattern))
					Expect(err).NotTo(HaveOccurred())
					if dir != pkg {
						Expect(filepath.Join(repo, "src", dir)).To(BeADirectory(), "job %s runs %s", job.Name, pkg)
						continue
					}
					Expect(suites).NotTo(BeEmpty(), "job %s runs %s, which has no %s files", job.Name, pkg, pattern)
					windowsSuites++
				}
			}
		}
		Expect(windowsSuites).To(BeNumerically(">=", 1))
	})

	// Concourse finds these mistakes only when the job runs: a param the
	// task does not declare (a typo) never reaches the script, an input no
	// step provides fails the build, a task file or script nobody runs rots.
	It("wires every job: declared resources, params the task knows, inputs some step provides", func() {
		type step struct {
			Get          string            `yaml:"get"`
			Put          string            `yaml:"put"`
			Resource     string            `yaml:"resource"`
			Task         string            `yaml:"task"`
			File         string            `yaml:"file"`
			Params       map[string]any    `yaml:"params"`
			InputMapping map[string]string `yaml:"input_mapping"`
			InParallel   []yaml.Node       `yaml:"in_parallel"`
		}
		type taskFile struct {
			Inputs []struct {
				Name     string `yaml:"name"`
				Optional bool   `yaml:"optional"`
			} `yaml:"inputs"`
			Outputs []struct {
				Name string `yaml:"name"`
			} `yaml:"outputs"`
			Params map[string]any `yaml:"params"`
			Run    struct {
				Args []string `yaml:"args"`
			} `yaml:"run"`
		}
		var p struct {
			Resources []struct {
				Name string `yaml:"name"`
				Type string `yaml:"type"`
			} `yaml:"resources"`
			Jobs []struct {
				Name string      `yaml:"name"`
				Plan []yaml.Node `yaml:"plan"`
			} `yaml:"jobs"`
		}
		load(filepath.Join(repo, "ci", "pipeline.yml"), &p)

		resources := map[string]bool{}
		for _, r := range p.Resources {
			Expect(r.Type).NotTo(BeEmpty(), "resource %s has no type", r.Name)
			resources[r.Name] = true
		}
		usedTasks := map[string]bool{}
		usedScripts := map[string]bool{}

		for _, job := range p.Jobs {
			artifacts := map[string]bool{}
			var visit func(nodes []yaml.Node)
			visit = func(nodes []yaml.Node) {
				for i := range nodes {
					var st step
					Expect(nodes[i].Decode(&st)).To(Succeed(), "job %s", job.Name)
					switch {
					case len(st.InParallel) > 0:
						visit(st.InParallel)
					case st.Get != "":
						name := st.Get
						if st.Resource != "" {
							name = st.Resource
						}
						Expect(resources).To(HaveKey(name), "job %s gets %s, which is not a resource", job.Name, name)
						artifacts[st.Get] = true
					case st.Put != "":
						name := st.Put
						if st.Resource != "" {
							name = st.Resource
						}
						Expect(resources).To(HaveKey(name), "job %s puts %s, which is not a resource", job.Name, name)
						for _, key := range []string{"repository", "tag"} {
							if v, ok := st.Params[key].(string); ok {
								dir, _, _ := strings.Cut(v, "/")
								Expect(artifacts).To(HaveKey(dir), "job %s puts %s with %s: %s, which no earlier step provides", job.Name, st.Put, key, v)
							}
						}
					case st.File != "":
						path := filepath.Join(repo, strings.TrimPrefix(st.File, "release/"))
						rel, err := filepath.Rel(repo, path)
						Expect(err).NotTo(HaveOccurred())
						usedTasks[filepath.ToSlash(rel)] = true
						var t taskFile
						load(path, &t)
						for name := range st.Params {
							Expect(t.Params).To(HaveKey(name), "job %s passes %s to task %s, whose file %s does not declare it", job.Name, name, st.Task, st.File)
						}
						for _, in := range t.Inputs {
							source := in.Name
							if mapped, ok := st.InputMapping[in.Name]; ok {
								source = mapped
							}
							if !in.Optional {
								Expect(artifacts).To(HaveKey(source), "task %s of job %s needs input %s, which no earlier step provides", st.Task, job.Name, source)
							}
						}
						for _, out := range t.Outputs {
							artifacts[out.Name] = true
						}
						for _, a := range t.Run.Args {
							if strings.HasPrefix(a, "release/") {
								usedScripts[strings.TrimPrefix(a, "release/")] = true
							}
						}
					}
				}
			}
			visit(job.Plan)
		}

		taskFiles, err := filepath.Glob(filepath.Join(repo, "ci", "tasks", "*.yml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(taskFiles).NotTo(BeEmpty())
		for _, f := range taskFiles {
			Expect(usedTasks).To(HaveKey("ci/tasks/"+filepath.Base(f)), "no job runs %s", f)
		}
		for _, pattern := range []string{"*.sh", "*.ps1"} {
			scripts, err := filepath.Glob(filepath.Join(repo, "ci", "tasks", pattern))
			Expect(err).NotTo(HaveOccurred())
			for _, f := range scripts {
				Expect(usedScripts).To(HaveKey("ci/tasks/"+filepath.Base(f)), "no task file runs %s", f)
			}
		}
	})
})
