package tiletest_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"
)

// buildFixtureRelease makes a release tarball of the jobs in jobsDir the
// way bosh create-release lays one out: release.MF, and jobs/NAME.tgz
// holding the spec as job.MF, the monit file and the templates. It has no
// packages: the tile's checks read only the jobs, and copy the tarball as
// it is.
func buildFixtureRelease(jobsDir, version, out string) error {
	dirs, err := os.ReadDir(jobsDir)
	if err != nil {
		return err
	}
	type jobEntry struct {
		Name        string   `yaml:"name"`
		Version     string   `yaml:"version"`
		Fingerprint string   `yaml:"fingerprint"`
		SHA1        string   `yaml:"sha1"`
		Packages    []string `yaml:"packages"`
	}
	mf := struct {
		Name               string     `yaml:"name"`
		Version            string     `yaml:"version"`
		CommitHash         string     `yaml:"commit_hash"`
		UncommittedChanges bool       `yaml:"uncommitted_changes"`
		Jobs               []jobEntry `yaml:"jobs"`
		Packages           []any      `yaml:"packages"`
	}{Name: "garden-windows", Version: version, CommitHash: "fixture", UncommittedChanges: true, Packages: []any{}}
	files := map[string][]byte{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(jobsDir, d.Name())
		specRaw, err := os.ReadFile(filepath.Join(dir, "spec"))
		if err != nil {
			return err
		}
		var spec struct {
			Name      string            `yaml:"name"`
			Templates map[string]string `yaml:"templates"`
			Packages  []string          `yaml:"packages"`
		}
		if err := yaml.Unmarshal(specRaw, &spec); err != nil {
			return fmt.Errorf("%s/spec: %w", dir, err)
		}
		job := map[string][]byte{"./job.MF": specRaw}
		if monit, err := os.ReadFile(filepath.Join(dir, "monit")); err == nil {
			job["./monit"] = monit
		}
		for src := range spec.Templates {
			content, err := os.ReadFile(filepath.Join(dir, "templates", src))
			if err != nil {
				return fmt.Errorf("job %s's template %s: %w", spec.Name, src, err)
			}
			job["./templates/"+src] = content
		}
		archive, err := tgz(job)
		if err != nil {
			return err
		}
		sum := fmt.Sprintf("%x", sha256.Sum256(archive))
		files["jobs/"+spec.Name+".tgz"] = archive
		mf.Jobs = append(mf.Jobs, jobEntry{Name: spec.Name, Version: sum, Fingerprint: sum, SHA1: "sha256:" + sum, Packages: spec.Packages})
	}
	sort.Slice(mf.Jobs, func(i, j int) bool { return mf.Jobs[i].Name < mf.Jobs[j].Name })
	raw, err := yaml.Marshal(mf)
	if err != nil {
		return err
	}
	files["release.MF"] = raw
	archive, err := tgz(files)
	if err != nil {
		return err
	}
	return os.WriteFile(out, archive, 0o644)
}

// tgz makes a gzipped tar of files, in name order.
func tgz(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range names {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[name]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// copyJobs copies jobs/ to a temporary directory, applying edit to each
// spec (by job name), so a test can release a changed job.
func copyJobs(from, to string, edit func(job, spec string) string) error {
	return filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		dest := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dest, 0o755)
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if filepath.Base(p) == "spec" {
			content = []byte(edit(filepath.Base(filepath.Dir(p)), string(content)))
		}
		return os.WriteFile(dest, content, 0o644)
	})
}

// mustReplace replaces old by new in s, failing when old is not there
// exactly once, so that a fixture cannot silently stop changing anything.
func mustReplace(s, old, new string) string {
	GinkgoHelper()
	Expect(strings.Count(s, old)).To(Equal(1), "fixture: %q must be in the text exactly once: update the fixture", old)
	return strings.Replace(s, old, new, 1)
}
