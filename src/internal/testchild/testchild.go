// Package testchild lets a test binary play the other processes of its own
// tests (a second writer, a lock holder, a process that crashes), so that
// cross-process behaviour is tested with real processes on every platform,
// including as Windows programs under Wine.
//
//	func TestMain(m *testing.M) { testchild.Main(m, "MYPKG_CHILD", runChild) }
//	cmd := testchild.Command("MYPKG_CHILD", "hold|"+path)
package testchild

import (
	"os"
	"os/exec"
	"testing"
)

// Main runs the tests, unless this process was started by Command: then it
// runs child with the spec it was given and exits with child's status.
func Main(m *testing.M, envVar string, child func(spec string) int) {
	if spec := os.Getenv(envVar); spec != "" {
		os.Exit(child(spec))
	}
	os.Exit(m.Run())
}

// Command returns a command that runs this test binary as a child with spec.
// Separate a spec's fields with "|": Windows paths contain ":".
func Command(envVar, spec string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envVar+"="+spec)
	return cmd
}
