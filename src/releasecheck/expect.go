package releasecheck

import (
	"bufio"
	"bytes"
	"debug/pe"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Expectation is what a release built from a repository must hold.
type Expectation struct {
	Name     string
	Jobs     []string
	Packages map[string][]string // package name -> executables it ships
}

// ExpectationFromRepo derives the expectation from the repository itself:
// the directories under jobs/ and packages/, and config/binaries.
func ExpectationFromRepo(repo string) (Expectation, error) {
	exp := Expectation{Name: "garden-windows", Packages: map[string][]string{}}
	jobs, err := subdirs(filepath.Join(repo, "jobs"))
	if err != nil {
		return exp, err
	}
	exp.Jobs = jobs
	pkgs, err := subdirs(filepath.Join(repo, "packages"))
	if err != nil {
		return exp, err
	}
	for _, p := range pkgs {
		exp.Packages[p] = nil
	}
	bins, err := ParseBinaries(filepath.Join(repo, "config", "binaries"))
	if err != nil {
		return exp, err
	}
	for _, b := range bins {
		if _, ok := exp.Packages[b.Package]; !ok {
			return exp, fmt.Errorf("config/binaries puts %s in package %q, which has no directory under packages/", b.File, b.Package)
		}
		exp.Packages[b.Package] = append(exp.Packages[b.Package], b.File)
	}
	return exp, nil
}

// Binary is one line of config/binaries.
type Binary struct {
	Package   string
	File      string
	GoPackage string
}

// ParseBinaries reads config/binaries (see the comments in that file).
func ParseBinaries(file string) ([]Binary, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var bins []Binary
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasSuffix(f[1], ".exe") {
			return nil, fmt.Errorf("%s:%d: expected '<package> <file>.exe <go package>', got %q", file, n, line)
		}
		bins = append(bins, Binary{Package: f[0], File: f[1], GoPackage: f[2]})
	}
	return bins, sc.Err()
}

func subdirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Check lists every way the release differs from the expectation; none
// means the release is as the repository describes it.
func (r *Release) Check(exp Expectation) []error {
	var problems []error
	if r.Name != exp.Name {
		problems = append(problems, fmt.Errorf("release is named %q, expected %q (config/final.yml)", r.Name, exp.Name))
	}

	var jobs []string
	for _, j := range r.Jobs {
		jobs = append(jobs, j.Name)
	}
	problems = append(problems, sameSet("job", jobs, exp.Jobs)...)

	var pkgs, want []string
	for name := range exp.Packages {
		want = append(want, name)
	}
	for _, p := range r.Packages {
		pkgs = append(pkgs, p.Name)
		exes, ok := exp.Packages[p.Name]
		if !ok {
			continue
		}
		problems = append(problems, p.checkExecutables(exes)...)
	}
	problems = append(problems, sameSet("package", pkgs, want)...)
	return problems
}

func (p Package) checkExecutables(want []string) []error {
	var problems []error
	var found []string
	for name, content := range p.Files {
		if !strings.HasSuffix(strings.ToLower(name), ".exe") {
			continue
		}
		found = append(found, path.Base(name))
		if err := CheckWindowsAMD64(content); err != nil {
			problems = append(problems, fmt.Errorf("package %s: %s: %w", p.Name, name, err))
		}
	}
	for _, err := range sameSet("executable", found, want) {
		problems = append(problems, fmt.Errorf("package %s: %w", p.Name, err))
	}
	return problems
}

// CheckWindowsAMD64 fails unless content is a PE32+ executable for x86-64,
// the only kind a Windows cell runs.
func CheckWindowsAMD64(content []byte) error {
	f, err := pe.NewFile(bytes.NewReader(content))
	if err != nil {
		return fmt.Errorf("not a Windows PE file: %w", err)
	}
	defer f.Close()
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		return fmt.Errorf("PE file for machine 0x%x, expected x86-64 (0x%x)", f.Machine, pe.IMAGE_FILE_MACHINE_AMD64)
	}
	if _, ok := f.OptionalHeader.(*pe.OptionalHeader64); !ok {
		return fmt.Errorf("PE32 file, expected PE32+ (64-bit)")
	}
	if f.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE == 0 {
		return fmt.Errorf("PE file is not marked executable")
	}
	return nil
}

func sameSet(kind string, got, want []string) []error {
	var problems []error
	has := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	for _, w := range want {
		if !has(got, w) {
			problems = append(problems, fmt.Errorf("%s %s is missing", kind, w))
		}
	}
	for _, g := range got {
		if !has(want, g) {
			problems = append(problems, fmt.Errorf("unexpected %s %s", kind, g))
		}
	}
	return problems
}
