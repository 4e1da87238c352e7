// Package manifesttest checks the release's deployment manifests and
// cf-deployment ops files (manifests/): it interpolates them with the BOSH
// CLI, as bosh deploy would before sending them to the director, and checks
// the properties they set on this release's jobs against the jobs' specs, so
// that a misspelt or renamed property fails a test instead of being silently
// ignored on a cell.
package manifesttest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// BoshEnv names the environment variable that points at a BOSH CLI to use
// instead of the one scripts/install-bosh-cli provides.
const BoshEnv = "BOSH_CLI"

// Bosh runs one BOSH CLI executable.
type Bosh struct {
	Path string
}

// FindBosh returns the BOSH CLI named by $BOSH_CLI, or else the one
// scripts/install-bosh-cli of the release at releaseDir provides (the last
// line it prints; it builds the pinned CLI on first use and reuses it
// after). Either way the CLI must answer --version.
func FindBosh(releaseDir string) (Bosh, error) {
	if path := os.Getenv(BoshEnv); path != "" {
		b := Bosh{Path: path}
		if err := b.check(); err != nil {
			return Bosh{}, fmt.Errorf("$%s is %q, which is not a working BOSH CLI: %w; unset it to use scripts/install-bosh-cli", BoshEnv, path, err)
		}
		return b, nil
	}

	script := filepath.Join(releaseDir, "scripts", "install-bosh-cli")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(script)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Bosh{}, fmt.Errorf("no BOSH CLI: $%s is not set and %s failed (%v): %s", BoshEnv, script, err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	path := strings.TrimSpace(lines[len(lines)-1])
	if path == "" {
		return Bosh{}, fmt.Errorf("%s printed no path of a BOSH CLI: %s", script, strings.TrimSpace(stderr.String()))
	}
	b := Bosh{Path: path}
	if err := b.check(); err != nil {
		return Bosh{}, fmt.Errorf("%s gave %q, which is not a working BOSH CLI: %w", script, path, err)
	}
	return b, nil
}

func (b Bosh) check() error {
	out, err := exec.Command(b.Path, "--version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s --version: %v: %s", b.Path, err, strings.TrimSpace(string(out)))
	}
	if !strings.HasPrefix(string(out), "version ") {
		return fmt.Errorf("%s --version printed %q, not a BOSH CLI version", b.Path, strings.TrimSpace(string(out)))
	}
	return nil
}

// Interpolation is one bosh interpolate run: a manifest, the ops files
// applied to it in order, and the variables given.
type Interpolation struct {
	Manifest  string
	OpsFiles  []string
	VarsFiles []string
	// Vars are given with -v NAME=VALUE; the CLI reads VALUE as YAML, so
	// "[z1, z2]" is a list and "40" a number.
	Vars map[string]string
	// VarErrs fails the run when a variable has no value (--var-errs).
	VarErrs bool
}

func (in Interpolation) args() []string {
	args := []string{"interpolate", in.Manifest}
	for _, ops := range in.OpsFiles {
		args = append(args, "--ops-file", ops)
	}
	for _, vars := range in.VarsFiles {
		args = append(args, "--vars-file", vars)
	}
	names := make([]string, 0, len(in.Vars))
	for name := range in.Vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		args = append(args, "--var", name+"="+in.Vars[name])
	}
	if in.VarErrs {
		args = append(args, "--var-errs")
	}
	return args
}

// Interpolate runs bosh interpolate and returns the resulting manifest. A
// failure carries the CLI's own message (which names the ops file path or
// the variables that failed) and the command line.
func (b Bosh) Interpolate(in Interpolation) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(b.Path, in.args()...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// The CLI's message is on stderr; keep stdout too, in case it is not.
		message := strings.TrimSpace(stdout.String() + "\n" + stderr.String())
		return nil, &InterpolateError{Args: cmd.Args, Output: message, Err: err}
	}
	return stdout.Bytes(), nil
}

// InterpolateError is a failed bosh interpolate.
type InterpolateError struct {
	Args   []string
	Output string
	Err    error
}

func (e *InterpolateError) Error() string {
	return fmt.Sprintf("%s failed (%v):\n%s", strings.Join(e.Args, " "), e.Err, e.Output)
}

func (e *InterpolateError) Unwrap() error { return e.Err }

var (
	missingHeader = regexp.MustCompile(`(?m)^\s*(- )?Expected to find variables:\s*$`)
	missingItem   = regexp.MustCompile(`^\s+- (\S+)\s*$`)
)

// MissingVariables returns, sorted, the variables an interpolation leaves
// without a value: the names bosh interpolate --var-errs reports. None means
// the manifest is complete. Any other failure is returned as an error.
func (b Bosh) MissingVariables(in Interpolation) ([]string, error) {
	in.VarErrs = true
	_, err := b.Interpolate(in)
	if err == nil {
		return nil, nil
	}
	var ie *InterpolateError
	if !errors.As(err, &ie) {
		return nil, err
	}
	loc := missingHeader.FindStringIndex(ie.Output)
	if loc == nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(ie.Output[loc[1]:], "\n") {
		if line == "" {
			continue
		}
		m := missingItem.FindStringSubmatch(line)
		if m == nil {
			break
		}
		names = append(names, m[1])
	}
	if len(names) == 0 {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}
