//go:build !windows

package sim

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/internal/statefile"
)

// Windows simulates the parts of Windows cell-prep manages: features (the
// Containers feature needs a reboot to finish installing), pending
// reboots, the firewall's profiles, services, Defender's exclusions and
// volumes' file systems. A new simulated host is a freshly installed
// Windows Server: no container features, firewall on with its defaults
// (block inbound, allow outbound), Defender present with no exclusions.
type Windows struct {
	Host Host
}

var _ host.SystemHost = Windows{}

// SystemDoc is the simulated system's state (system.json).
type SystemDoc struct {
	// Features: installed ones true; pending ones (enabled, waiting for a
	// reboot) are in Pending.
	Features        map[string]bool                  `json:"features"`
	Pending         map[string]bool                  `json:"pending"`
	RebootPending   bool                             `json:"reboot_pending"`
	RebootScheduled string                           `json:"reboot_scheduled,omitempty"`
	Firewall        map[string]*host.FirewallProfile `json:"firewall"`
	Services        map[string]*host.ServiceState    `json:"services"`
	Defender        *[]string                        `json:"defender_exclusions"`
	DefenderAbsent  bool                             `json:"defender_absent"`
	// FileSystems maps a drive ("C:") to its file system; NTFS otherwise.
	FileSystems map[string]string `json:"file_systems"`
}

// featureNeedsReboot lists the simulated features that finish installing
// only after a reboot, as Containers does.
var featureNeedsReboot = map[string]bool{"Containers": true}

// featureServices are the services a feature installs.
var featureServices = map[string]string{"FS-Resource-Manager": "srmsvc"}

func (s Windows) file() string { return filepath.Join(s.Host.Root, "system.json") }

func fresh(d *SystemDoc) {
	if d.Features == nil {
		d.Features = map[string]bool{}
	}
	if d.Pending == nil {
		d.Pending = map[string]bool{}
	}
	if d.Firewall == nil {
		d.Firewall = map[string]*host.FirewallProfile{}
		for _, p := range []string{"Domain", "Private", "Public"} {
			d.Firewall[p] = &host.FirewallProfile{Name: p, Enabled: true, Inbound: host.FirewallBlock, Outbound: host.FirewallAllow}
		}
	}
	if d.Services == nil {
		d.Services = map[string]*host.ServiceState{}
	}
	if d.Defender == nil && !d.DefenderAbsent {
		d.Defender = &[]string{}
	}
}

// Update changes the simulated system (tests arrange drift with it).
func (s Windows) Update(change func(*SystemDoc) error) error {
	return statefile.Update(s.file(), func(d *SystemDoc) error {
		fresh(d)
		return change(d)
	})
}

// Read returns the simulated system's state.
func (s Windows) Read() (SystemDoc, error) {
	d, err := statefile.Read[SystemDoc](s.file())
	fresh(&d)
	return d, err
}

// Reboot finishes what waited for a reboot (tests).
func (s Windows) Reboot() error {
	return s.Update(func(d *SystemDoc) error {
		for f := range d.Pending {
			d.Features[f] = true
		}
		d.Pending, d.RebootPending, d.RebootScheduled = map[string]bool{}, false, ""
		return nil
	})
}

// OSVersion is the simulated Windows version.
func (s Windows) OSVersion() (string, error) { return s.Host.OSVersion() }

// FeatureInstalled reports an installed feature.
func (s Windows) FeatureInstalled(name string) (bool, error) {
	if _, err := s.Host.before("FeatureInstalled"); err != nil {
		return false, err
	}
	d, err := s.Read()
	return d.Features[name], err
}

// EnableFeature installs a feature, or marks it pending a reboot.
func (s Windows) EnableFeature(name string) (bool, error) {
	if _, err := s.Host.before("EnableFeature"); err != nil {
		return false, err
	}
	restart := featureNeedsReboot[name]
	err := s.Update(func(d *SystemDoc) error {
		if restart {
			d.Pending[name], d.RebootPending = true, true
			return nil
		}
		d.Features[name] = true
		if svc, ok := featureServices[name]; ok {
			d.Services[svc] = &host.ServiceState{Installed: true, Running: true, Automatic: true}
		}
		return nil
	})
	return restart, err
}

// RebootPending reports a pending reboot.
func (s Windows) RebootPending() (bool, error) {
	d, err := s.Read()
	return d.RebootPending, err
}

// ScheduleReboot records the scheduled reboot.
func (s Windows) ScheduleReboot(reason string) error {
	if _, err := s.Host.before("ScheduleReboot"); err != nil {
		return err
	}
	return s.Update(func(d *SystemDoc) error { d.RebootScheduled = reason; return nil })
}

// FirewallProfiles lists the profiles, in Windows's order.
func (s Windows) FirewallProfiles() ([]host.FirewallProfile, error) {
	d, err := s.Read()
	if err != nil {
		return nil, err
	}
	var out []host.FirewallProfile
	for _, p := range d.Firewall {
		out = append(out, *p)
	}
	order := map[string]int{"Domain": 0, "Private": 1, "Public": 2}
	sort.Slice(out, func(i, j int) bool { return order[out[i].Name] < order[out[j].Name] })
	return out, nil
}

// SetFirewallDefaults enables every profile with the defaults.
func (s Windows) SetFirewallDefaults(inbound, outbound host.FirewallAction) error {
	if _, err := s.Host.before("SetFirewallDefaults"); err != nil {
		return err
	}
	return s.Update(func(d *SystemDoc) error {
		for _, p := range d.Firewall {
			p.Enabled, p.Inbound, p.Outbound = true, inbound, outbound
		}
		return nil
	})
}

// Service reports a service.
func (s Windows) Service(name string) (host.ServiceState, error) {
	d, err := s.Read()
	if err != nil {
		return host.ServiceState{}, err
	}
	if st, ok := d.Services[name]; ok {
		return *st, nil
	}
	return host.ServiceState{}, nil
}

// StartService starts an installed service and makes it automatic.
func (s Windows) StartService(name string) error {
	if _, err := s.Host.before("StartService"); err != nil {
		return err
	}
	return s.Update(func(d *SystemDoc) error {
		st, ok := d.Services[name]
		if !ok || !st.Installed {
			return &Error{Op: "StartService", Code: 0x80070424, Text: "the service " + name + " does not exist"}
		}
		st.Running, st.Automatic = true, true
		return nil
	})
}

// DefenderExclusions lists Defender's path exclusions.
func (s Windows) DefenderExclusions() ([]string, error) {
	d, err := s.Read()
	if err != nil {
		return nil, err
	}
	if d.DefenderAbsent {
		return nil, fmt.Errorf("simulated: %w", host.ErrDefenderAbsent)
	}
	return append([]string{}, (*d.Defender)...), nil
}

// AddDefenderExclusions adds path exclusions.
func (s Windows) AddDefenderExclusions(paths []string) error {
	if _, err := s.Host.before("AddDefenderExclusions"); err != nil {
		return err
	}
	return s.Update(func(d *SystemDoc) error {
		if d.DefenderAbsent {
			return fmt.Errorf("simulated: %w", host.ErrDefenderAbsent)
		}
		*d.Defender = append(*d.Defender, paths...)
		return nil
	})
}

// FileSystem is the file system of path's drive.
func (s Windows) FileSystem(path string) (string, error) {
	d, err := s.Read()
	if err != nil {
		return "", err
	}
	if len(path) < 2 || path[1] != ':' {
		return "", fmt.Errorf("simulated: %q is not on a drive", path)
	}
	if fs, ok := d.FileSystems[strings.ToUpper(path[:2])]; ok {
		return fs, nil
	}
	return "NTFS", nil
}
