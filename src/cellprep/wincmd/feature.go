package wincmd

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// featureDISM maps the names operators configure, Server Manager's
// (Install-WindowsFeature) names, to the DISM optional features that make
// them up. Server Manager and DISM name some features differently: Server
// Manager's FS-Resource-Manager is installed as the DISM feature
// FSRM-Infrastructure (its AdditionalInfo.InstallName), and DISM lists
// FSRM-Infrastructure-Services beside it (both appear in Microsoft's list
// of optional features removed from the Server Core container image,
// "Roles, Role Services, and Features not in Server Core containers",
// Windows Server 1803). cell-prep needs the FSRM service (srmsvc), so it
// asks for both: a feature counts as installed only when every one of its
// DISM features is, and enabling it enables all of them in one DISM call
// with /All, which also brings in any parent features. Containers has the
// same name in both tools.
//
// Keys are lower case: Windows matches feature names case-insensitively.
var featureDISM = map[string]struct {
	name string
	dism []string
}{
	"containers":          {"Containers", []string{"Containers"}},
	"fs-resource-manager": {"FS-Resource-Manager", []string{"FSRM-Infrastructure-Services", "FSRM-Infrastructure"}},
}

// ErrUnknownFeature is returned for a feature name cell-prep has no DISM
// mapping for.
var ErrUnknownFeature = errors.New("unknown Windows feature")

// ErrFeatureNotAvailable is returned when DISM does not know a feature on
// this Windows (DISM error 0x800F080C), e.g. Containers on an edition
// without it.
var ErrFeatureNotAvailable = errors.New("Windows feature not available on this system")

// KnownFeatures lists the feature names FeatureDISMNames accepts, sorted.
func KnownFeatures() []string {
	names := make([]string, 0, len(featureDISM))
	for _, f := range featureDISM {
		names = append(names, f.name)
	}
	sort.Strings(names)
	return names
}

// FeatureDISMNames is the DISM optional features behind a feature name
// operators configure (its Server Manager name, e.g. FS-Resource-Manager;
// matched case-insensitively).
func FeatureDISMNames(name string) ([]string, error) {
	f, ok := featureDISM[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return nil, fmt.Errorf("%w %q: cell-prep knows %s; use one of those names (the Install-WindowsFeature name)",
			ErrUnknownFeature, name, strings.Join(KnownFeatures(), ", "))
	}
	return append([]string(nil), f.dism...), nil
}

// FeatureInfoCommand asks DISM for the state of one DISM optional feature
// (a name FeatureDISMNames returns). /English keeps the output parseable
// on a localised Windows.
func FeatureInfoCommand(dismFeature string) Command {
	return Command{Name: "dism.exe", Args: []string{"/Online", "/Get-FeatureInfo", "/FeatureName:" + dismFeature, "/English"}}
}

// FeatureInfoCommands are the queries that together tell whether a
// configured feature is installed: one FeatureInfoCommand per DISM
// feature behind it, in order.
func FeatureInfoCommands(name string) ([]Command, error) {
	dism, err := FeatureDISMNames(name)
	if err != nil {
		return nil, err
	}
	cmds := make([]Command, len(dism))
	for i, d := range dism {
		cmds[i] = FeatureInfoCommand(d)
	}
	return cmds, nil
}

// EnableFeatureCommand enables every DISM feature behind a configured
// feature in one DISM run. /All also enables parent features; /NoRestart
// leaves the reboot to cell-prep, which schedules it itself.
func EnableFeatureCommand(name string) (Command, error) {
	dism, err := FeatureDISMNames(name)
	if err != nil {
		return Command{}, err
	}
	args := []string{"/Online", "/Enable-Feature"}
	for _, d := range dism {
		args = append(args, "/FeatureName:"+d)
	}
	args = append(args, "/All", "/NoRestart", "/English")
	return Command{Name: "dism.exe", Args: args}, nil
}

// FeatureState is a DISM feature state as DISM prints it in English.
type FeatureState string

// The feature states DISM prints.
const (
	FeatureEnabled                    FeatureState = "Enabled"
	FeatureDisabled                   FeatureState = "Disabled"
	FeatureEnablePending              FeatureState = "Enable Pending"
	FeatureDisablePending             FeatureState = "Disable Pending"
	FeatureDisabledWithPayloadRemoved FeatureState = "Disabled with Payload Removed"
)

var featureStates = []FeatureState{
	FeatureEnabled, FeatureDisabled, FeatureEnablePending, FeatureDisablePending, FeatureDisabledWithPayloadRemoved,
}

// Installed is true when the feature is enabled or will be after the
// next restart: enabling it again would change nothing, a reboot is what
// is missing.
func (s FeatureState) Installed() bool {
	return s == FeatureEnabled || s == FeatureEnablePending
}

// RestartNeeded is true when a change to the feature waits for a restart.
func (s FeatureState) RestartNeeded() bool {
	return s == FeatureEnablePending || s == FeatureDisablePending
}

// FeatureInfo is what cell-prep reads from DISM's /Get-FeatureInfo.
type FeatureInfo struct {
	// Name is the DISM feature name as DISM spells it.
	Name  string
	State FeatureState
}

// ExitRestartRequired is the exit code (ERROR_SUCCESS_REBOOT_REQUIRED)
// with which DISM reports a change that succeeded but completes only
// after a restart.
const ExitRestartRequired = 3010

// hresultUnknownFeature is DISM's "feature name ... is unknown".
const hresultUnknownFeature = 0x800F080C

var (
	dismErrorLine   = regexp.MustCompile(`^Error:\s*(\S+)\s*$`)
	dismKeyValue    = regexp.MustCompile(`^([A-Za-z][A-Za-z ]*?)\s+:\s?(.*)$`)
	dismSuccessLine = "The operation completed successfully."
	dismRestartLine = "Restart Windows to complete this operation."
)

// dismError turns a failed DISM run into an error: DISM prints
// "Error: <code>" and an explanation on stdout, then where its log is.
func dismError(o Output) error {
	ls := lines(o.Stdout + "\n" + o.Stderr)
	for i, l := range ls {
		m := dismErrorLine.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		var msg []string
		for _, rest := range ls[i+1:] {
			rest = strings.TrimSpace(rest)
			if strings.HasPrefix(rest, "The DISM log file can be found at") {
				break
			}
			if rest != "" {
				msg = append(msg, rest)
			}
		}
		err := fmt.Errorf("DISM failed with %s, Error: %s: %s", o.exitText(), m[1], strings.Join(msg, " "))
		if o.code() == hresultUnknownFeature || strings.EqualFold(m[1], "0x800f080c") {
			return fmt.Errorf("%w: %w", ErrFeatureNotAvailable, err)
		}
		return err
	}
	return fmt.Errorf("DISM failed with %s and printed no \"Error:\" line; its output begins: %s", o.exitText(), firstLines(o.Stdout+"\n"+o.Stderr, 3))
}

// ParseFeatureInfo reads the output of FeatureInfoCommand: the
// "Feature Name" and "State" lines of its "Feature Information" block.
func ParseFeatureInfo(o Output) (FeatureInfo, error) {
	if o.ExitCode != 0 {
		return FeatureInfo{}, dismError(o)
	}
	var info FeatureInfo
	var stateLine string
	inBlock := false
	for _, l := range lines(o.Stdout) {
		t := strings.TrimSpace(l)
		switch {
		case t == "Feature Information:":
			inBlock = true
			continue
		case t == "Custom Properties:":
			// What follows is free text the feature's package defines.
			inBlock = false
			continue
		}
		if !inBlock {
			continue
		}
		m := dismKeyValue.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		switch m[1] {
		case "Feature Name":
			info.Name = strings.TrimSpace(m[2])
		case "State":
			if stateLine != "" {
				return FeatureInfo{}, fmt.Errorf("DISM printed two State lines, %q and %q; cannot tell the feature's state", stateLine, t)
			}
			stateLine = t
			info.State = FeatureState(strings.TrimSpace(m[2]))
		}
	}
	if stateLine == "" {
		return FeatureInfo{}, fmt.Errorf("DISM's feature information has no \"State : ...\" line; its output begins: %s", firstLines(o.Stdout, 4))
	}
	known := false
	for _, s := range featureStates {
		known = known || info.State == s
	}
	if !known {
		return FeatureInfo{}, fmt.Errorf("DISM reported an unknown feature state in %q; cell-prep knows %s", stateLine, quoteStates())
	}
	return info, nil
}

func quoteStates() string {
	q := make([]string, len(featureStates))
	for i, s := range featureStates {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// ParseEnableFeature reads the output of EnableFeatureCommand.
// restartNeeded is true when DISM exits 3010 or asks for a restart.
func ParseEnableFeature(o Output) (restartNeeded bool, err error) {
	switch o.ExitCode {
	case ExitRestartRequired:
		return true, nil
	case 0:
	default:
		return false, dismError(o)
	}
	success := false
	for _, l := range lines(o.Stdout) {
		switch strings.TrimSpace(l) {
		case dismSuccessLine:
			success = true
		case dismRestartLine:
			restartNeeded = true
		}
	}
	if !success {
		return false, fmt.Errorf("DISM exited 0 but did not print %q; its output begins: %s", dismSuccessLine, firstLines(o.Stdout, 4))
	}
	return restartNeeded, nil
}
