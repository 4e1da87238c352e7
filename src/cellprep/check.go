// Package cellprep is the core of cell-prep, the agent that prepares a
// Windows cell for garden-windows and keeps it ready: Windows features,
// the NAT network containers attach to, quota support, firewall defaults,
// Defender exclusions, and clean-up of what crashed containers leaked. Each
// concern is a Check with Inspect and Apply; plan, converge, check and
// watch run the checks. Windows is reached only through host ports, so all
// of it runs and is tested on Linux.
package cellprep

import (
	"errors"
	"fmt"
)

// Finding is what a check found: the current and desired state, and what
// converge would do about a difference. Its JSON is plan --json's output
// (docs/operations.md documents it).
type Finding struct {
	Check   string `json:"check"`
	Ready   bool   `json:"ready"`
	Current string `json:"current"`
	Desired string `json:"desired"`
	// Action is what converge does when not ready; empty when there is
	// nothing to do, or nothing cell-prep can do (Problem says why).
	Action string `json:"action,omitempty"`
	// Commands are the command lines the action runs (actions through an
	// API have none).
	Commands []string `json:"commands,omitempty"`
	// Problem explains a state cell-prep cannot fix, and what to do.
	Problem string `json:"problem,omitempty"`
	// Notes are facts for the operator that need no action.
	Notes []string `json:"notes,omitempty"`
}

// Check is one concern of a cell's readiness.
type Check interface {
	Name() string
	// Drift reports whether watch repairs this check while gdn runs.
	// Clean-ups are not drift: they would race with containers gdn is
	// creating.
	Drift() bool
	// Inspect looks, and changes nothing.
	Inspect() (Finding, error)
	// Apply carries out f.Action.
	Apply(f Finding) error
}

// RebootRequiredError says that a change takes effect only after a
// reboot.
type RebootRequiredError struct {
	What string
}

func (e *RebootRequiredError) Error() string {
	return e.What + " needs a reboot to take effect"
}

// IsRebootRequired reports whether err is, or wraps, a RebootRequiredError.
func IsRebootRequired(err error) bool {
	var r *RebootRequiredError
	return errors.As(err, &r)
}

// ready and notReady make findings.
func ready(check, current string) Finding {
	return Finding{Check: check, Ready: true, Current: current, Desired: current}
}

func wrapCheck(check string, err error) error {
	return fmt.Errorf("check %s: %w", check, err)
}
