//go:build !windows

// Package sim is a file-backed simulation of the parts of a Windows host
// the project's binaries use: HCS compute systems and their processes (and,
// as the plugins grow, HNS networks, layers and volumes). The Linux builds
// of winc, winc-network, groot and friends run against it, so tests drive
// the real command-line programs end to end, and what one program leaves on
// the "host" the next one sees.
//
// It is a test double, never shipped: it models the documented behaviour
// the project relies on (ids are unique, a stopped system is gone after
// terminate, errors carry the HRESULTs Windows returns) and runs container
// processes as ordinary Linux processes.
//
// All of its state lives under one directory, named by GWR_SIM_ROOT. The
// Windows drive C: is the directory C under it, so a Windows path such as
// C:\var\vcap\data\winc has a place on Linux.
package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/garden-windows/garden-windows-release/internal/winpath"
)

// RootEnv names the environment variable holding the simulation's
// directory.
const RootEnv = "GWR_SIM_ROOT"

// Host is one simulated Windows host.
type Host struct {
	Root string
}

// FromEnv opens the simulated host named by GWR_SIM_ROOT.
func FromEnv() (Host, error) {
	root := os.Getenv(RootEnv)
	if root == "" {
		return Host{}, fmt.Errorf("%s is not set: this Linux build runs only against the simulated Windows host; set %s to a directory (tests do) or use the Windows build", RootEnv, RootEnv)
	}
	if !filepath.IsAbs(root) {
		return Host{}, fmt.Errorf("%s=%q must be an absolute directory", RootEnv, root)
	}
	return Host{Root: root}, nil
}

// Path is where Windows path p lives on Linux: C:\x\y is <root>/C/x/y.
// A path that is already a Linux absolute path (tests pass temporary
// directories as bundle and mount paths) is itself.
func (h Host) Path(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	vol := winpath.VolumeName(p)
	rest := strings.TrimPrefix(winpath.Clean(p), vol)
	drive := strings.TrimSuffix(strings.ToUpper(vol), ":")
	drive = strings.NewReplacer(`\`, "_", "?", "_", "{", "_", "}", "_").Replace(drive)
	return filepath.Join(h.Root, drive, filepath.FromSlash(winpath.ToSlash(rest)))
}

// Fault makes the next call of an operation fail, to test crash safety and
// error handling: "crash" ends the calling process at once as if it were
// killed, "crash-after" does so after the operation took effect, and
// "hresult:0x..." returns that error. Faults are kept in faults.json under
// the root and are consumed when they fire.
type Fault string

// SetFault arms a fault for operation op ("CreateContainer", ...).
func (h Host) SetFault(op string, f Fault) error {
	faults := map[string]Fault{}
	data, err := os.ReadFile(h.faultsFile())
	if err == nil {
		if err := json.Unmarshal(data, &faults); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	faults[op] = f
	data, _ = json.Marshal(faults)
	if err := os.MkdirAll(h.Root, 0o755); err != nil {
		return err
	}
	return os.WriteFile(h.faultsFile(), data, 0o644)
}

func (h Host) faultsFile() string { return filepath.Join(h.Root, "faults.json") }

// takeFault returns and disarms the fault armed for op, if any.
func (h Host) takeFault(op string) Fault {
	data, err := os.ReadFile(h.faultsFile())
	if err != nil {
		return ""
	}
	faults := map[string]Fault{}
	if json.Unmarshal(data, &faults) != nil {
		return ""
	}
	f, ok := faults[op]
	if !ok {
		return ""
	}
	delete(faults, op)
	data, _ = json.Marshal(faults)
	_ = os.WriteFile(h.faultsFile(), data, 0o644)
	return f
}

// crashExitCode is what a shell reports for a process killed by SIGKILL.
const crashExitCode = 137

// before fires a fault armed for op ahead of the operation.
func (h Host) before(op string) (after Fault, err error) {
	f := h.takeFault(op)
	switch {
	case f == "crash":
		os.Exit(crashExitCode)
	case strings.HasPrefix(string(f), "hresult:"):
		var code uint32
		if _, err := fmt.Sscanf(strings.TrimPrefix(string(f), "hresult:"), "0x%x", &code); err != nil {
			return "", fmt.Errorf("simulation: bad fault %q", f)
		}
		return "", &Error{Op: op, Code: code, Text: "injected fault"}
	}
	return f, nil
}

// afterOp fires a "crash-after" fault once the operation took effect.
func afterOp(f Fault) {
	if f == "crash-after" {
		os.Exit(crashExitCode)
	}
}

// Error is a simulated host error carrying the HRESULT Windows returns.
type Error struct {
	Op   string
	Code uint32
	Text string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (HRESULT 0x%08x)", e.Op, e.Text, e.Code)
}

// HRESULT lets internal/hresult find the code.
func (e *Error) HRESULT() uint32 { return e.Code }

// The codes the simulation returns, as HCS does.
const (
	codeSystemNotFound = 0xc037010e
	codeSystemExists   = 0xc037010f
	codeInvalidState   = 0xc0370105
	codePathNotFound   = 0x80070003
	codeFileNotFound   = 0x80070002
)
