package cellprep

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"code.cloudfoundry.org/lager/v3"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/image/volume"
	"github.com/garden-windows/garden-windows-release/internal/hresult"
	"github.com/garden-windows/garden-windows-release/network"
	"github.com/garden-windows/garden-windows-release/network/portpool"
)

// Commands gives the command lines the Windows adapter runs for an
// action, one string each, so that plan can show them (package
// cellprep/wincmd builds them).
type Commands interface {
	EnableFeature(name string) []string
	SetFirewallDefaults(inbound, outbound host.FirewallAction) []string
	AddDefenderExclusions(paths []string) []string
	ScheduleReboot(reason string) []string
}

// versionCheck reports the Windows release and what differs on it.
type versionCheck struct{ sys host.SystemHost }

func (versionCheck) Name() string { return "windows-version" }
func (versionCheck) Drift() bool  { return false }
func (c versionCheck) Inspect() (Finding, error) {
	v, err := c.sys.OSVersion()
	if err != nil {
		return Finding{}, err
	}
	r, err := ReleaseOf(v)
	if err != nil {
		return Finding{}, err
	}
	f := ready(c.Name(), fmt.Sprintf("%s (%s)", r.Name, v))
	f.Desired = "Windows Server 2016 (build 14393) or later"
	f.Notes = r.Notes
	if !r.Supported {
		f.Ready = false
		f.Problem = "this Windows cannot run Windows Server Containers: use a Windows Server 2019 stemcell (windows2019)"
	}
	return f, nil
}
func (versionCheck) Apply(Finding) error { return nil }

// rebootCheck reports a reboot Windows is waiting for.
type rebootCheck struct{ sys host.SystemHost }

func (rebootCheck) Name() string { return "reboot-pending" }
func (rebootCheck) Drift() bool  { return false }
func (c rebootCheck) Inspect() (Finding, error) {
	pending, err := c.sys.RebootPending()
	if err != nil {
		return Finding{}, err
	}
	f := ready(c.Name(), "no reboot pending")
	if pending {
		f.Current = "a reboot is pending"
		f.Notes = []string{"Windows waits for a reboot to finish an installation or update; features enabled before it may not work yet"}
	}
	return f, nil
}
func (rebootCheck) Apply(Finding) error { return nil }

// featureCheck makes sure a Windows feature is installed.
type featureCheck struct {
	sys     host.SystemHost
	cmds    Commands
	feature string
	// mayReboot is cell_prep.reboot_if_required: plan then also shows
	// the reboot command converge runs if the install needs one.
	mayReboot bool
}

func (c featureCheck) Name() string { return "feature " + c.feature }
func (featureCheck) Drift() bool    { return false }
func (c featureCheck) Inspect() (Finding, error) {
	ok, err := c.sys.FeatureInstalled(c.feature)
	if err != nil {
		return Finding{}, err
	}
	if ok {
		return ready(c.Name(), "installed"), nil
	}
	f := Finding{Check: c.Name(), Current: "not installed", Desired: "installed",
		Action: "install the " + c.feature + " feature", Commands: c.cmds.EnableFeature(c.feature)}
	if c.mayReboot {
		reboot := &RebootRequiredError{What: "installing the " + c.feature + " feature"}
		for _, line := range c.cmds.ScheduleReboot(rebootReason(reboot)) {
			f.Notes = append(f.Notes, "if the install needs a reboot, converge then runs: "+line)
		}
	}
	return f, nil
}
func (c featureCheck) Apply(Finding) error {
	restart, err := c.sys.EnableFeature(c.feature)
	if err != nil {
		return err
	}
	if restart {
		return &RebootRequiredError{What: "installing the " + c.feature + " feature"}
	}
	return nil
}

// natNetworkCheck makes sure winc-network's NAT network exists as
// configured.
type natNetworkCheck struct{ networker *network.Networker }

func (natNetworkCheck) Name() string { return "nat-network" }
func (natNetworkCheck) Drift() bool  { return true }
func (c natNetworkCheck) desired() string {
	cfg := c.networker.Config
	return fmt.Sprintf("%s: subnet %s, gateway %s", cfg.NetworkName, cfg.SubnetRange, cfg.GatewayAddress)
}
func (c natNetworkCheck) Inspect() (Finding, error) {
	cfg := c.networker.Config
	n, ok, err := c.networker.Host.NetworkByName(cfg.NetworkName)
	if err != nil {
		return Finding{}, hresult.Explain("looking up network "+cfg.NetworkName, err)
	}
	f := Finding{Check: c.Name(), Desired: c.desired()}
	switch {
	case !ok:
		f.Current = "missing"
		f.Action = "create the NAT network (HNS)"
	case n.Subnet != cfg.SubnetRange || n.Gateway != cfg.GatewayAddress:
		f.Current = fmt.Sprintf("%s: subnet %s, gateway %s", n.Name, n.Subnet, n.Gateway)
		f.Problem = "the network exists with other settings; with no containers on the cell, delete it (winc-network --action delete) and converge again, or set winc_network.subnet_range and gateway_address to match"
	default:
		f.Current, f.Ready = c.desired(), true
	}
	return f, nil
}
func (c natNetworkCheck) Apply(Finding) error {
	_, err := c.networker.CreateNetwork()
	return err
}

// quotaCheck makes sure sandboxes' volume can take FSRM quotas.
type quotaCheck struct {
	sys    host.SystemHost
	volume string
}

// fsrmService is File Server Resource Manager's service.
const fsrmService = "srmsvc"

func (quotaCheck) Name() string { return "quota-support" }
func (quotaCheck) Drift() bool  { return true }
func (c quotaCheck) Inspect() (Finding, error) {
	fs, err := c.sys.FileSystem(c.volume)
	if err != nil {
		return Finding{}, err
	}
	svc, err := c.sys.Service(fsrmService)
	if err != nil {
		return Finding{}, err
	}
	f := Finding{Check: c.Name(), Desired: fmt.Sprintf("%s on NTFS, FSRM service running and automatic", c.volume)}
	state := "not installed"
	switch {
	case svc.Installed && svc.Running && svc.Automatic:
		state = "running"
	case svc.Installed && svc.Running:
		state = "running, manual start"
	case svc.Installed:
		state = "stopped"
	}
	f.Current = fmt.Sprintf("%s on %s, FSRM service %s", c.volume, fs, state)
	switch {
	case !strings.EqualFold(fs, "NTFS"):
		f.Problem = "disk quotas need NTFS: put the data disk (and groot.driver_store) on an NTFS volume"
	case !svc.Installed:
		f.Problem = "the FSRM service is missing: require the FS-Resource-Manager feature (cell_prep.features)"
	case !svc.Running || !svc.Automatic:
		f.Action = "start the FSRM service (srmsvc) and make it automatic"
	default:
		f.Ready = true
	}
	return f, nil
}
func (c quotaCheck) Apply(Finding) error { return c.sys.StartService(fsrmService) }

// firewallCheck makes sure every profile is on with the defaults.
type firewallCheck struct {
	sys               host.SystemHost
	cmds              Commands
	inbound, outbound host.FirewallAction
}

func (firewallCheck) Name() string { return "firewall" }
func (firewallCheck) Drift() bool  { return true }
func (c firewallCheck) Inspect() (Finding, error) {
	profiles, err := c.sys.FirewallProfiles()
	if err != nil {
		return Finding{}, err
	}
	var current []string
	ok := len(profiles) > 0
	for _, p := range profiles {
		state := "off"
		if p.Enabled {
			state = "on"
		}
		current = append(current, fmt.Sprintf("%s %s %s inbound %s outbound", p.Name, state, p.Inbound, p.Outbound))
		ok = ok && p.Enabled && p.Inbound == c.inbound && p.Outbound == c.outbound
	}
	f := Finding{Check: c.Name(), Ready: ok, Current: strings.Join(current, "; "),
		Desired: fmt.Sprintf("every profile on, %s inbound, %s outbound", c.inbound, c.outbound)}
	if !ok {
		f.Action = "set every profile's defaults"
		f.Commands = c.cmds.SetFirewallDefaults(c.inbound, c.outbound)
	}
	return f, nil
}
func (c firewallCheck) Apply(Finding) error { return c.sys.SetFirewallDefaults(c.inbound, c.outbound) }

// defenderCheck makes sure Defender skips the given paths.
type defenderCheck struct {
	sys   host.SystemHost
	cmds  Commands
	paths []string
}

func (defenderCheck) Name() string { return "defender-exclusions" }
func (defenderCheck) Drift() bool  { return true }
func (c defenderCheck) missing() ([]string, bool, error) {
	have, err := c.sys.DefenderExclusions()
	if errors.Is(err, host.ErrDefenderAbsent) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	var missing []string
	for _, p := range c.paths {
		found := false
		for _, h := range have {
			found = found || strings.EqualFold(strings.TrimRight(h, `\`), strings.TrimRight(p, `\`))
		}
		if !found {
			missing = append(missing, p)
		}
	}
	return missing, true, nil
}
func (c defenderCheck) Inspect() (Finding, error) {
	missing, present, err := c.missing()
	if err != nil {
		return Finding{}, err
	}
	f := Finding{Check: c.Name(), Desired: "excluded: " + strings.Join(c.paths, ", ")}
	switch {
	case !present:
		f.Current, f.Ready = "Windows Defender is not installed or not running", true
	case len(missing) == 0:
		f.Current, f.Ready = f.Desired, true
	default:
		f.Current = "not excluded: " + strings.Join(missing, ", ")
		f.Action = "add the exclusions"
		f.Commands = c.cmds.AddDefenderExclusions(missing)
	}
	return f, nil
}
func (c defenderCheck) Apply(Finding) error {
	missing, present, err := c.missing()
	if err != nil || !present || len(missing) == 0 {
		return err
	}
	return c.sys.AddDefenderExclusions(missing)
}

// leakCheck removes what containers that no longer exist left behind.
type leakCheck struct {
	name string
	// find lists the leaked items; remove removes them.
	find   func() ([]string, error)
	remove func(items []string) error
	what   string
}

func (c leakCheck) Name() string { return c.name }
func (leakCheck) Drift() bool    { return false }
func (c leakCheck) Inspect() (Finding, error) {
	items, err := c.find()
	if err != nil {
		return Finding{}, err
	}
	f := Finding{Check: c.name, Desired: "no " + c.what + " without a container"}
	if len(items) == 0 {
		f.Current, f.Ready = f.Desired, true
		return f, nil
	}
	f.Current = fmt.Sprintf("%d %s without a container: %s", len(items), c.what, strings.Join(items, ", "))
	f.Action = "remove them"
	return f, nil
}
func (c leakCheck) Apply(Finding) error {
	items, err := c.find()
	if err != nil || len(items) == 0 {
		return err
	}
	return c.remove(items)
}

// live reports whether a container (compute system) exists and runs.
func live(compute host.ComputeHost, id string) (bool, error) {
	running, err := compute.Running(id)
	if hresult.IsNotFound(err) {
		return false, nil
	}
	return running, err
}

func leakedEndpoints(n *network.Networker, compute host.ComputeHost, log lager.Logger) leakCheck {
	return leakCheck{
		name: "leaked-endpoints", what: "HNS endpoints",
		find: func() ([]string, error) {
			nw, ok, err := n.Host.NetworkByName(n.Config.NetworkName)
			if err != nil || !ok {
				return nil, err
			}
			eps, err := n.Host.Endpoints(nw.ID)
			if err != nil {
				return nil, err
			}
			var leaked []string
			for _, e := range eps {
				alive, err := live(compute, e.Name)
				if err != nil {
					return nil, err
				}
				if !alive {
					leaked = append(leaked, e.Name)
				}
			}
			return leaked, nil
		},
		remove: func(handles []string) error {
			var errs []error
			for _, h := range handles {
				// winc-network's own down: detaches, deletes, releases
				// the handle's ports and record.
				if err := n.Down(h); err != nil {
					errs = append(errs, err)
					continue
				}
				log.Info("removed-leaked-endpoint", lager.Data{"handle": h})
			}
			return errors.Join(errs...)
		},
	}
}

func leakedPorts(pool portpool.Pool, n *network.Networker, log lager.Logger) leakCheck {
	return leakCheck{
		name: "leaked-port-reservations", what: "port reservations",
		find: func() ([]string, error) {
			// No state file yet: winc-network never reserved a port.
			if _, err := os.Stat(pool.StateFile); errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			all, err := pool.All()
			if err != nil {
				return nil, err
			}
			var leaked []string
			for h := range all {
				_, ok, err := n.Host.EndpointByName(h)
				if err != nil {
					return nil, err
				}
				if !ok {
					leaked = append(leaked, h)
				}
			}
			sort.Strings(leaked)
			return leaked, nil
		},
		remove: func(handles []string) error {
			for _, h := range handles {
				if err := pool.Release(h); err != nil {
					return err
				}
				log.Info("released-leaked-ports", lager.Data{"handle": h})
			}
			return nil
		},
	}
}

func leakedVolumes(vols volume.Manager, compute host.ComputeHost, log lager.Logger) leakCheck {
	return leakCheck{
		name: "leaked-volumes", what: "container volumes",
		find: func() ([]string, error) {
			handles, err := vols.Handles()
			if err != nil {
				return nil, err
			}
			var leaked []string
			for _, h := range handles {
				// A volume exists before its container: only at
				// converge (pre-start, gdn stopped) is one without a
				// compute system surely leaked.
				alive, err := live(compute, h)
				if err != nil {
					return nil, err
				}
				if !alive {
					leaked = append(leaked, h)
				}
			}
			return leaked, nil
		},
		remove: func(handles []string) error {
			var errs []error
			for _, h := range handles {
				if err := vols.Delete(h); err != nil {
					errs = append(errs, err)
					continue
				}
				log.Info("removed-leaked-volume", lager.Data{"handle": h})
			}
			return errors.Join(errs...)
		},
	}
}
