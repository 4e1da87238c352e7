package cellprep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/image/volume"
	"github.com/garden-windows/garden-windows-release/internal/atomicfile"
	"github.com/garden-windows/garden-windows-release/network"
	"github.com/garden-windows/garden-windows-release/network/portpool"
)

// Agent runs the checks of one cell.
type Agent struct {
	Config   Config
	System   host.SystemHost
	Compute  host.ComputeHost
	Commands Commands
	// Networker is winc-network's, for the NAT network and leaked
	// endpoints; nil when cell-prep does not manage the network.
	Networker *network.Networker
	// Ports is winc-network's port pool; nil with Networker.
	Ports *portpool.Pool
	// Volumes is groot's volume store; nil when not checked.
	Volumes *volume.Manager
	// Local maps a Windows path to where it is on this machine.
	Local func(string) string
	Log   lager.Logger
	Now   func() time.Time
}

// Checks lists the checks in the order they run: what later ones need
// comes first (the features before the network and quotas).
func (a *Agent) Checks() []Check {
	checks := []Check{versionCheck{a.System}, rebootCheck{a.System}}
	for _, f := range a.Config.Features {
		checks = append(checks, featureCheck{sys: a.System, cmds: a.Commands, feature: f, mayReboot: a.Config.RebootIfRequired})
	}
	checks = append(checks, quotaCheck{sys: a.System, volume: a.Config.QuotaVolume})
	if a.Networker != nil {
		checks = append(checks, natNetworkCheck{a.Networker})
	}
	checks = append(checks, firewallCheck{sys: a.System, cmds: a.Commands,
		inbound: action(a.Config.FirewallInbound), outbound: action(a.Config.FirewallOutbound)})
	if len(a.Config.DefenderExclusions) > 0 {
		checks = append(checks, defenderCheck{sys: a.System, cmds: a.Commands, paths: a.Config.DefenderExclusions})
	}
	if a.Networker != nil {
		checks = append(checks, leakedEndpoints(a.Networker, a.Compute, a.Log))
		if a.Ports != nil {
			checks = append(checks, leakedPorts(*a.Ports, a.Networker, a.Log))
		}
	}
	if a.Volumes != nil {
		checks = append(checks, leakedVolumes(*a.Volumes, a.Compute, a.Log))
	}
	return checks
}

func action(s string) host.FirewallAction {
	if s == "allow" {
		return host.FirewallAllow
	}
	return host.FirewallBlock
}

// Report is the result of plan, converge, check or one round of watch.
type Report struct {
	Ready    bool      `json:"ready"`
	Findings []Finding `json:"checks"`
	// Changed lists the actions converge or watch carried out.
	Changed []string `json:"changed,omitempty"`
	// Reboot is set when a reboot was scheduled, or is needed.
	Reboot string    `json:"reboot,omitempty"`
	Time   time.Time `json:"time"`
}

// inspect runs Inspect of the checks picked; an error of one check is
// reported as that check not being ready.
func (a *Agent) inspect(pick func(Check) bool) Report {
	r := Report{Ready: true, Time: a.Now().UTC()}
	for _, c := range a.Checks() {
		if !pick(c) {
			continue
		}
		f, err := c.Inspect()
		if err != nil {
			f = Finding{Check: c.Name(), Current: "unknown", Problem: "inspecting failed: " + err.Error()}
		}
		r.Ready = r.Ready && f.Ready
		r.Findings = append(r.Findings, f)
	}
	return r
}

func all(Check) bool { return true }

// Plan inspects every check and says what converge would do.
func (a *Agent) Plan() Report { return a.inspect(all) }

// Check verifies readiness (post-start); it changes nothing. The clean-up
// checks are left out: once gdn runs, a volume or port reservation whose
// container is being created looks leaked.
func (a *Agent) Check() Report {
	return a.inspect(func(c Check) bool { _, cleanup := c.(leakCheck); return !cleanup })
}

// ErrNotReady is returned when the cell is not ready after converging.
var ErrNotReady = errors.New("the cell is not ready")

// Converge applies every action the plan has, then verifies. A change
// that needs a reboot stops it: with reboot_if_required the reboot is
// scheduled, otherwise the error says what the operator must do.
func (a *Agent) Converge() (Report, error) {
	return a.apply(all)
}

func (a *Agent) apply(pick func(Check) bool) (Report, error) {
	var changed []string
	for _, c := range a.Checks() {
		if !pick(c) {
			continue
		}
		f, err := c.Inspect()
		if err != nil {
			return a.finish(pick, changed, ""), wrapCheck(c.Name(), err)
		}
		if f.Ready || f.Action == "" {
			continue
		}
		log := a.Log.Session("apply", lager.Data{"check": c.Name(), "action": f.Action, "current": f.Current})
		err = c.Apply(f)
		if IsRebootRequired(err) {
			changed = append(changed, c.Name()+": "+f.Action)
			return a.reboot(pick, changed, err)
		}
		if err != nil {
			log.Error("failed", err)
			return a.finish(pick, changed, ""), wrapCheck(c.Name(), err)
		}
		log.Info("done")
		changed = append(changed, c.Name()+": "+f.Action)
	}
	r := a.finish(pick, changed, "")
	if !r.Ready {
		return r, ErrNotReady
	}
	return r, nil
}

// finish verifies the checks picked after changes.
func (a *Agent) finish(pick func(Check) bool, changed []string, reboot string) Report {
	r := a.inspect(pick)
	r.Changed, r.Reboot = changed, reboot
	return r
}

// ErrRebootScheduled is returned when converge scheduled a reboot.
var ErrRebootScheduled = errors.New("a reboot was scheduled")

// rebootReason is the shutdown comment of a reboot cell-prep schedules.
func rebootReason(cause error) string { return "cell-prep: " + cause.Error() }

func (a *Agent) reboot(pick func(Check) bool, changed []string, cause error) (Report, error) {
	if !a.Config.RebootIfRequired {
		r := a.finish(pick, changed, cause.Error())
		return r, fmt.Errorf("%w; cell-prep does not reboot unless cell_prep.reboot_if_required is true: reboot the VM (Restart-Computer over bosh ssh, or from the IaaS; not bosh recreate, whose new VM lacks the feature again) and deploy again, or set the property and deploy again", cause)
	}
	reason := rebootReason(cause)
	if err := a.System.ScheduleReboot(reason); err != nil {
		return a.finish(pick, changed, cause.Error()), fmt.Errorf("%v, and scheduling the reboot failed: %w", cause, err)
	}
	a.Log.Info("reboot-scheduled", lager.Data{"reason": reason})
	r := a.finish(pick, append(changed, "reboot scheduled"), cause.Error())
	return r, fmt.Errorf("%w: %v; the VM restarts in a minute and BOSH starts the jobs again, converging then", ErrRebootScheduled, cause)
}

// WatchOnce checks the drift checks and repairs what drifted, logging
// each repair, and writes the status file.
func (a *Agent) WatchOnce() Report {
	r, err := a.apply(func(c Check) bool { return c.Drift() })
	for _, ch := range r.Changed {
		a.Log.Info("repaired", lager.Data{"change": ch})
	}
	if err != nil && !errors.Is(err, ErrNotReady) {
		a.Log.Error("repair-failed", err)
	}
	if werr := a.writeStatus(r); werr != nil {
		a.Log.Error("writing-status", werr)
	}
	return r
}

// Watch runs WatchOnce every interval until ctx ends.
func (a *Agent) Watch(ctx context.Context) {
	interval := time.Duration(a.Config.WatchIntervalSeconds) * time.Second
	for {
		a.WatchOnce()
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

func (a *Agent) writeStatus(r Report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	path := a.Local(a.Config.StatusFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}
