// Package releasecheck reads a BOSH release tarball and checks it holds what
// this repository says it should: exactly the jobs in jobs/, exactly the
// packages in packages/, and in each package the Windows executables that
// config/binaries assigns to it, as 64-bit x86 PE (PE32+) files.
package releasecheck

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Release is what a release tarball holds.
type Release struct {
	Name     string
	Version  string
	Jobs     []Job
	Packages []Package
}

// Job is a job of a release tarball.
type Job struct {
	Name        string
	Fingerprint string
	Files       []string
	// Spec is the job's spec as released (job.MF); nil if it has none.
	Spec []byte
}

// Package is a package of a release tarball, with its files' contents.
type Package struct {
	Name        string
	Fingerprint string
	Files       map[string][]byte
}

type manifest struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	Jobs    []struct {
		Name        string `yaml:"name"`
		Fingerprint string `yaml:"fingerprint"`
	} `yaml:"jobs"`
	Packages []struct {
		Name        string `yaml:"name"`
		Fingerprint string `yaml:"fingerprint"`
	} `yaml:"packages"`
}

// Read opens a release tarball (as made by bosh create-release --tarball).
func Read(tarball string) (*Release, error) {
	f, err := os.Open(tarball)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := untgz(f)
	if err != nil {
		return nil, fmt.Errorf("reading release tarball %s: %w", tarball, err)
	}

	raw, ok := entries["release.MF"]
	if !ok {
		return nil, fmt.Errorf("release tarball %s has no release.MF: is it a BOSH release tarball (scripts/create-release)?", tarball)
	}
	var mf manifest
	if err := yaml.Unmarshal(raw, &mf); err != nil {
		return nil, fmt.Errorf("parsing release.MF of %s: %w", tarball, err)
	}

	rel := &Release{Name: mf.Name, Version: mf.Version}
	for _, j := range mf.Jobs {
		files, err := untgzBytes(entries, "jobs/"+j.Name+".tgz")
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(files))
		for name := range files {
			names = append(names, name)
		}
		sort.Strings(names)
		rel.Jobs = append(rel.Jobs, Job{Name: j.Name, Fingerprint: j.Fingerprint, Files: names, Spec: files["job.MF"]})
	}
	for _, p := range mf.Packages {
		files, err := untgzBytes(entries, "packages/"+p.Name+".tgz")
		if err != nil {
			return nil, err
		}
		rel.Packages = append(rel.Packages, Package{Name: p.Name, Fingerprint: p.Fingerprint, Files: files})
	}
	return rel, nil
}

func untgzBytes(entries map[string][]byte, name string) (map[string][]byte, error) {
	raw, ok := entries[name]
	if !ok {
		return nil, fmt.Errorf("release.MF lists %s but the tarball does not hold it", name)
	}
	files, err := untgz(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return files, nil
}

// untgz returns the regular files of a gzipped tar by clean relative name.
func untgz(r io.Reader) (map[string][]byte, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		content, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[strings.TrimPrefix(path.Clean(hdr.Name), "./")] = content
	}
}

// Summary describes the release for a person: one line per job and package.
func (r *Release) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "release %s/%s\n", r.Name, r.Version)
	for _, j := range r.Jobs {
		fmt.Fprintf(&b, "  job      %-16s %s\n", j.Name, j.Fingerprint)
	}
	for _, p := range r.Packages {
		var exes []string
		for name := range p.Files {
			if strings.HasSuffix(name, ".exe") {
				exes = append(exes, fmt.Sprintf("%s (%.1f MiB)", path.Base(name), float64(len(p.Files[name]))/(1<<20)))
			}
		}
		sort.Strings(exes)
		fmt.Fprintf(&b, "  package  %-16s %s  %s\n", p.Name, p.Fingerprint, strings.Join(exes, ", "))
	}
	return b.String()
}
