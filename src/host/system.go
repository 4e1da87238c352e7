package host

import "errors"

// ErrDefenderAbsent is returned (wrapped) by SystemHost's Defender calls
// when Windows Defender is not installed: there is nothing to exclude from.
var ErrDefenderAbsent = errors.New("windows defender is not installed")

// FirewallAction is a Windows Firewall default action.
type FirewallAction string

// Firewall default actions.
const (
	FirewallBlock FirewallAction = "Block"
	FirewallAllow FirewallAction = "Allow"
)

// FirewallProfile is one Windows Firewall profile (Domain, Private,
// Public) as cell-prep sees it.
type FirewallProfile struct {
	Name     string
	Enabled  bool
	Inbound  FirewallAction
	Outbound FirewallAction
}

// ServiceState is a Windows service's state.
type ServiceState struct {
	Installed bool
	Running   bool
	// Automatic is true when the service starts with Windows.
	Automatic bool
}

// SystemHost is what cell-prep needs from Windows beyond HCS and HNS:
// features, reboots, the firewall, services, Defender and volumes.
// Adapters run the commands that package cellprep/wincmd builds, or call
// Windows APIs; they make no decisions.
//
//counterfeiter:generate . SystemHost
type SystemHost interface {
	// OSVersion is major.minor.build.revision, e.g. 10.0.17763.5576.
	OSVersion() (string, error)
	// FeatureInstalled reports whether a Windows feature (by its
	// DISM/Server Manager name, e.g. Containers, FS-Resource-Manager) is
	// installed and enabled.
	FeatureInstalled(name string) (bool, error)
	// EnableFeature installs a feature; restartNeeded is true when it
	// takes effect only after a reboot.
	EnableFeature(name string) (restartNeeded bool, err error)
	// RebootPending reports whether Windows waits for a reboot to finish
	// an installation or update.
	RebootPending() (bool, error)
	// ScheduleReboot restarts the machine shortly (a minute), giving
	// reason as the shutdown comment.
	ScheduleReboot(reason string) error

	FirewallProfiles() ([]FirewallProfile, error)
	// SetFirewallDefaults enables the firewall on every profile with
	// these default actions.
	SetFirewallDefaults(inbound, outbound FirewallAction) error

	Service(name string) (ServiceState, error)
	// StartService sets a service to start automatically and starts it.
	StartService(name string) error

	DefenderExclusions() ([]string, error)
	AddDefenderExclusions(paths []string) error

	// FileSystem is the file system of the volume holding path (NTFS,
	// ReFS, ...).
	FileSystem(path string) (string, error)
}
