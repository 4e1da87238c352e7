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
})
