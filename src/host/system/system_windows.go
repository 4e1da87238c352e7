//go:build windows

// Package system is the Windows adapter behind host.SystemHost: it runs
// the commands package cellprep/wincmd builds (DISM, netsh, shutdown.exe,
// the Defender cmdlets) through bosh-utils' command runner and reads their
// output with wincmd's parsers, and it calls Windows APIs directly where
// they are practical (the registry, the service control manager, volume
// information). It makes no decisions; cell-prep's core does.
package system

import (
	"errors"
	"fmt"
	"time"

	boshlog "github.com/cloudfoundry/bosh-utils/logger"
	boshsys "github.com/cloudfoundry/bosh-utils/system"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/garden-windows/garden-windows-release/cellprep/wincmd"
	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/host/hostinfo"
)

// Host is host.SystemHost on the local Windows machine. Runner runs the
// command-line tools; tests may replace it.
type Host struct {
	Runner boshsys.CmdRunner
}

var _ host.SystemHost = (*Host)(nil)

// New is a Host whose commands run as child processes, logged (command
// line, output, exit code) at debug level through logger.
func New(logger boshlog.Logger) *Host {
	return &Host{Runner: boshsys.NewExecCmdRunner(logger)}
}

// run runs cmd and returns what it printed and its exit code. A non-zero
// exit is not an error here: what it means is for wincmd's parsers to
// say (DISM's 3010 is a success). Only a command that could not run at
// all is.
func (h *Host) run(cmd wincmd.Command) (wincmd.Output, error) {
	stdout, stderr, code, err := h.Runner.RunComplexCommand(boshsys.Command{Name: cmd.Name, Args: cmd.Args})
	if err != nil && code < 0 {
		return wincmd.Output{}, fmt.Errorf("could not run %s: %w", cmd, err)
	}
	return wincmd.Output{Stdout: stdout, Stderr: stderr, ExitCode: code}, nil
}

// OSVersion is major.minor.build.revision, from RtlGetVersion and the
// update build revision in the registry.
func (h *Host) OSVersion() (string, error) {
	return hostinfo.OSVersion()
}

// FeatureInstalled asks DISM about every DISM feature behind name; it is
// installed when all of them are enabled or pending enable (the restart
// that finishes them shows in RebootPending).
func (h *Host) FeatureInstalled(name string) (bool, error) {
	cmds, err := wincmd.FeatureInfoCommands(name)
	if err != nil {
		return false, err
	}
	for _, cmd := range cmds {
		out, err := h.run(cmd)
		if err != nil {
			return false, err
		}
		info, err := wincmd.ParseFeatureInfo(out)
		if err != nil {
			return false, fmt.Errorf("%s: %w", cmd, err)
		}
		if !info.State.Installed() {
			return false, nil
		}
	}
	return true, nil
}

// EnableFeature enables the DISM features behind name without
// restarting; restartNeeded is DISM's exit code 3010.
func (h *Host) EnableFeature(name string) (restartNeeded bool, err error) {
	cmd, err := wincmd.EnableFeatureCommand(name)
	if err != nil {
		return false, err
	}
	out, err := h.run(cmd)
	if err != nil {
		return false, err
	}
	restartNeeded, err = wincmd.ParseEnableFeature(out)
	if err != nil {
		return false, fmt.Errorf("%s: %w", cmd, err)
	}
	return restartNeeded, nil
}

// Registry places where Windows records that it waits for a restart.
const (
	cbsRebootPendingKey = `SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending`
	wuRebootRequiredKey = `SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired`
	sessionManagerKey   = `SYSTEM\CurrentControlSet\Control\Session Manager`
	pendingRenamesValue = "PendingFileRenameOperations"
	// The 64-bit view, which is where these live, whatever this
	// program's bitness.
	registryReadAccess = registry.QUERY_VALUE | registry.WOW64_64KEY
)

// How long StartService waits for a service to run, and how often it
// looks.
const (
	serviceStartTimeout  = 30 * time.Second
	serviceStartPollTime = 250 * time.Millisecond
)

// RebootPending is true when component servicing (feature installs) or
// Windows Update waits for a restart, or files are queued to be replaced
// at the next boot.
func (h *Host) RebootPending() (bool, error) {
	for _, path := range []string{cbsRebootPendingKey, wuRebootRequiredKey} {
		k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registryReadAccess)
		if err == nil {
			k.Close()
			return true, nil
		}
		if !errors.Is(err, registry.ErrNotExist) {
			return false, fmt.Errorf(`reading HKLM\%s: %w`, path, err)
		}
	}
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, sessionManagerKey, registryReadAccess)
	if err != nil {
		return false, fmt.Errorf(`reading HKLM\%s: %w`, sessionManagerKey, err)
	}
	defer k.Close()
	renames, _, err := k.GetStringsValue(pendingRenamesValue)
	switch {
	case errors.Is(err, registry.ErrNotExist):
		return false, nil
	case errors.Is(err, registry.ErrUnexpectedType):
		// Not the documented REG_MULTI_SZ; data beyond the terminating
		// nulls of an empty list still means something is queued.
		n, _, err := k.GetValue(pendingRenamesValue, nil)
		if err != nil {
			return false, fmt.Errorf(`reading HKLM\%s\%s: %w`, sessionManagerKey, pendingRenamesValue, err)
		}
		return n > 4, nil
	case err != nil:
		return false, fmt.Errorf(`reading HKLM\%s\%s: %w`, sessionManagerKey, pendingRenamesValue, err)
	}
	for _, r := range renames {
		if r != "" {
			return true, nil
		}
	}
	return false, nil
}

// ScheduleReboot has Windows restart in a minute with reason as the
// shutdown comment (cut to shutdown.exe's 512 characters; the plan shows
// the command with the comment it will really carry).
func (h *Host) ScheduleReboot(reason string) error {
	cmd, _ := wincmd.RebootCommand(reason)
	out, err := h.run(cmd)
	if err != nil {
		return err
	}
	if err := wincmd.ParseReboot(out); err != nil {
		if errors.Is(err, wincmd.ErrRebootAlreadyScheduled) {
			return nil // the machine restarts either way
		}
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return nil
}

// defenderError makes "Defender absent" and "Defender not running" the
// port's ErrDefenderAbsent: either way there is no Defender to configure.
func defenderError(err error) error {
	if errors.Is(err, wincmd.ErrDefenderAbsent) || errors.Is(err, wincmd.ErrDefenderNotRunning) {
		return fmt.Errorf("%w: %v", host.ErrDefenderAbsent, err)
	}
	return err
}

// FirewallProfiles is the Domain, Private and Public profiles as netsh
// shows them.
func (h *Host) FirewallProfiles() ([]host.FirewallProfile, error) {
	cmd := wincmd.FirewallShowCommand()
	out, err := h.run(cmd)
	if err != nil {
		return nil, err
	}
	profiles, err := wincmd.ParseFirewallProfiles(out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return profiles, nil
}

// SetFirewallDefaults turns the firewall on in every profile and sets
// the default actions, with netsh.
func (h *Host) SetFirewallDefaults(inbound, outbound host.FirewallAction) error {
	cmds, err := wincmd.FirewallSetCommands(inbound, outbound)
	if err != nil {
		return err
	}
	for _, cmd := range cmds {
		out, err := h.run(cmd)
		if err != nil {
			return err
		}
		if err := wincmd.ParseFirewallSet(out); err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
	}
	return nil
}

// openService opens a service with only the access asked for, so that
// reading a service's state needs no more rights than that. A missing
// service is (nil, nil).
func openService(name string, access uint32) (*mgr.Service, func(), error) {
	scm, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to the service control manager: %w", err)
	}
	namep, err := windows.UTF16PtrFromString(name)
	if err != nil {
		windows.CloseServiceHandle(scm)
		return nil, nil, fmt.Errorf("service name %q: %w", name, err)
	}
	h, err := windows.OpenService(scm, namep, access)
	if err != nil {
		windows.CloseServiceHandle(scm)
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("opening service %s: %w", name, err)
	}
	s := &mgr.Service{Name: name, Handle: h}
	return s, func() { s.Close(); windows.CloseServiceHandle(scm) }, nil
}

// Service reads a service's state and start type from the service
// control manager; a service that does not exist is not Installed.
func (h *Host) Service(name string) (host.ServiceState, error) {
	s, done, err := openService(name, windows.SERVICE_QUERY_STATUS|windows.SERVICE_QUERY_CONFIG)
	if err != nil || s == nil {
		return host.ServiceState{}, err
	}
	defer done()
	return serviceState(s)
}

func serviceState(s *mgr.Service) (host.ServiceState, error) {
	status, err := s.Query()
	if err != nil {
		return host.ServiceState{}, fmt.Errorf("querying the status of service %s: %w", s.Name, err)
	}
	cfg, err := s.Config()
	if err != nil {
		return host.ServiceState{}, fmt.Errorf("reading the configuration of service %s: %w", s.Name, err)
	}
	return host.ServiceState{
		Installed: true,
		Running:   status.State == svc.Running,
		Automatic: cfg.StartType == mgr.StartAutomatic,
	}, nil
}

// StartService sets a service to start automatically (changing nothing
// else in its configuration), starts it unless it runs, and waits up to
// 30 seconds for it to report Running.
func (h *Host) StartService(name string) error {
	s, done, err := openService(name, windows.SERVICE_QUERY_STATUS|windows.SERVICE_QUERY_CONFIG|windows.SERVICE_CHANGE_CONFIG|windows.SERVICE_START)
	if err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("service %s is not installed; install the Windows feature that provides it first", name)
	}
	defer done()

	cfg, err := s.Config()
	if err != nil {
		return fmt.Errorf("reading the configuration of service %s: %w", name, err)
	}
	if cfg.StartType != mgr.StartAutomatic {
		// Only the start type: mgr.Service.UpdateConfig would rewrite
		// every other setting (description, SID type, ...) too.
		err := windows.ChangeServiceConfig(s.Handle, windows.SERVICE_NO_CHANGE, windows.SERVICE_AUTO_START, windows.SERVICE_NO_CHANGE,
			nil, nil, nil, nil, nil, nil, nil)
		if err != nil {
			return fmt.Errorf("setting service %s to start automatically: %w", name, err)
		}
	}

	status, err := s.Query()
	if err != nil {
		return fmt.Errorf("querying the status of service %s: %w", name, err)
	}
	if status.State == svc.Running {
		return nil
	}
	if status.State != svc.StartPending {
		if err := s.Start(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
			return fmt.Errorf("starting service %s: %w", name, err)
		}
	}
	deadline := time.Now().Add(serviceStartTimeout)
	for {
		status, err = s.Query()
		if err != nil {
			return fmt.Errorf("querying the status of service %s: %w", name, err)
		}
		switch status.State {
		case svc.Running:
			return nil
		case svc.Stopped:
			return fmt.Errorf("service %s stopped right after starting (exit code %d, service-specific code %d); see the System event log",
				name, status.Win32ExitCode, status.ServiceSpecificExitCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("service %s did not reach Running within %s (it is %s); see the System event log", name, serviceStartTimeout, stateName(status.State))
		}
		time.Sleep(serviceStartPollTime)
	}
}

// DefenderExclusions is Defender's path exclusions; wincmd.ErrDefenderAbsent
// when Defender is not installed.
func (h *Host) DefenderExclusions() ([]string, error) {
	cmd := wincmd.DefenderExclusionsCommand()
	out, err := h.run(cmd)
	if err != nil {
		return nil, err
	}
	paths, err := wincmd.ParseDefenderExclusions(out)
	if err != nil {
		return nil, defenderError(fmt.Errorf("%s: %w", cmd, err))
	}
	return paths, nil
}

// AddDefenderExclusions adds paths to Defender's path exclusions.
func (h *Host) AddDefenderExclusions(paths []string) error {
	cmd, err := wincmd.AddDefenderExclusionsCommand(paths)
	if err != nil {
		return err
	}
	out, err := h.run(cmd)
	if err != nil {
		return err
	}
	if err := wincmd.ParseAddDefenderExclusions(out); err != nil {
		return defenderError(fmt.Errorf("%s: %w", cmd, err))
	}
	return nil
}

// FileSystem is the file system name (NTFS, ReFS, ...) of the volume
// that holds path, which need not exist yet below its volume.
func (h *Host) FileSystem(path string) (string, error) {
	p, err := windows.UTF16FromString(path)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", path, err)
	}
	// The volume path is never longer than the path itself (plus a
	// trailing backslash), but no shorter buffer than MAX_PATH is asked for.
	root := make([]uint16, max(len(p)+1, windows.MAX_PATH+1))
	if err := windows.GetVolumePathName(&p[0], &root[0], uint32(len(root))); err != nil {
		return "", fmt.Errorf("finding the volume of %s: %w", path, err)
	}
	fs := make([]uint16, windows.MAX_PATH+1)
	if err := windows.GetVolumeInformation(&root[0], nil, 0, nil, nil, nil, &fs[0], uint32(len(fs))); err != nil {
		return "", fmt.Errorf("reading the file system of volume %s (holding %s): %w", windows.UTF16ToString(root), path, err)
	}
	return windows.UTF16ToString(fs), nil
}

// stateName names a service state as sc.exe and services.msc do.
func stateName(s svc.State) string {
	switch s {
	case svc.Stopped:
		return "STOPPED"
	case svc.StartPending:
		return "START_PENDING"
	case svc.StopPending:
		return "STOP_PENDING"
	case svc.Running:
		return "RUNNING"
	case svc.ContinuePending:
		return "CONTINUE_PENDING"
	case svc.PausePending:
		return "PAUSE_PENDING"
	case svc.Paused:
		return "PAUSED"
	}
	return fmt.Sprintf("in state %d", s)
}
