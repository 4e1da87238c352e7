package cellprepcli

import (
	"github.com/garden-windows/garden-windows-release/cellprep"
	"github.com/garden-windows/garden-windows-release/cellprep/wincmd"
	"github.com/garden-windows/garden-windows-release/host"
)

// CommandLines shows the command lines of package wincmd, which the
// Windows adapter runs: the same lines on every platform, so plan shows
// on Linux what the cell would run.
type CommandLines struct{}

var _ cellprep.Commands = CommandLines{}

func lines(cmds ...wincmd.Command) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = c.String()
	}
	return out
}

// EnableFeature is DISM's enable of the feature.
func (CommandLines) EnableFeature(name string) []string {
	c, err := wincmd.EnableFeatureCommand(name)
	if err != nil {
		return []string{"(none: " + err.Error() + ")"}
	}
	return lines(c)
}

// SetFirewallDefaults are netsh's.
func (CommandLines) SetFirewallDefaults(in, out host.FirewallAction) []string {
	cmds, err := wincmd.FirewallSetCommands(in, out)
	if err != nil {
		return []string{"(none: " + err.Error() + ")"}
	}
	return lines(cmds...)
}

// AddDefenderExclusions is the Defender cmdlet's.
func (CommandLines) AddDefenderExclusions(paths []string) []string {
	c, err := wincmd.AddDefenderExclusionsCommand(paths)
	if err != nil {
		return []string{"(none: " + err.Error() + ")"}
	}
	return lines(c)
}

// ScheduleReboot is shutdown's.
func (CommandLines) ScheduleReboot(reason string) []string {
	c, _ := wincmd.RebootCommand(reason)
	return lines(c)
}
