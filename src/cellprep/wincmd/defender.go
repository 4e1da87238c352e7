package wincmd

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// ErrDefenderAbsent is returned when Microsoft Defender Antivirus is not
// installed (its PowerShell cmdlets do not exist, as on a Windows Server
// without the Windows-Defender feature): there is nothing to exclude
// paths from.
var ErrDefenderAbsent = errors.New("Microsoft Defender Antivirus is not installed")

// ErrDefenderNotRunning is returned when the Defender cmdlets exist but
// the antivirus service does not answer (error 0x800106BA), typically
// because another antivirus product has turned Defender off.
var ErrDefenderNotRunning = errors.New("Microsoft Defender Antivirus service is not running")

// powerShell runs one script in Windows PowerShell without the user's
// profile and without ever prompting. $ErrorActionPreference = 'Stop'
// makes any error end the script with exit code 1 instead of carrying on.
func powerShell(script string) Command {
	return Command{Name: "powershell.exe", Args: []string{
		"-NoProfile", "-NonInteractive", "-Command", "$ErrorActionPreference = 'Stop'; " + script,
	}}
}

// DefenderExclusionsCommand lists Defender's path exclusions, one a line.
// It reads the property rather than piping to Select-Object
// -ExpandProperty so that an empty list prints nothing and is no error.
func DefenderExclusionsCommand() Command {
	return powerShell("(Get-MpPreference).ExclusionPath")
}

// AddDefenderExclusionsCommand adds paths to Defender's path exclusions
// (paths already excluded stay as they are). Every path is passed as a
// PowerShell single-quoted string; a path that cannot be quoted safely is
// an error.
func AddDefenderExclusionsCommand(paths []string) (Command, error) {
	if len(paths) == 0 {
		return Command{}, errors.New("no paths given to add to the Defender exclusions")
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		q, err := PowerShellQuote(p)
		if err != nil {
			return Command{}, fmt.Errorf("Defender exclusion %d: %w", i+1, err)
		}
		quoted[i] = q
	}
	return powerShell("Add-MpPreference -ExclusionPath " + strings.Join(quoted, ",")), nil
}

// PowerShellQuote makes s a PowerShell single-quoted string literal.
// Inside one, only a quote is special, and it is written twice;
// PowerShell also takes the typographic single quotes U+2018 to U+201B
// as quotes, so those are doubled too. s must not be empty, and must hold
// no control characters (which have no place in a path and would
// disturb the command line and the logs) and no double quote (which
// Windows forbids in paths and which would have to survive the command
// line's own quoting).
func PowerShellQuote(s string) (string, error) {
	if s == "" {
		return "", errors.New("the path is empty")
	}
	var b strings.Builder
	b.WriteByte('\'')
	for i, r := range s {
		switch {
		case unicode.IsControl(r):
			return "", fmt.Errorf("path %q has a control character (%U) at byte %d; remove it", s, r, i)
		case r == '"':
			return "", fmt.Errorf("path %q has a double quote, which Windows does not allow in paths", s)
		case r == '\'' || (r >= '\u2018' && r <= '\u201B'):
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String(), nil
}

var (
	// Windows PowerShell 5.1 says "the name of a cmdlet", PowerShell 7
	// "a name of a cmdlet".
	mpCmdletMissing = regexp.MustCompile(`The term '(?:Get|Add)-MpPreference' is not recognized as (?:the|a) name of a cmdlet`)
	mpNotRunning    = regexp.MustCompile(`(?i)0x800106ba`)
)

// defenderError classifies a failed Defender cmdlet run. PowerShell may
// wrap its error message over lines at the width of its (absent)
// console, so the patterns are matched against the output with its
// whitespace collapsed.
func defenderError(o Output) error {
	flat := strings.Join(strings.Fields(o.Stderr+"\n"+o.Stdout), " ")
	said := firstLines(o.Stderr+"\n"+o.Stdout, 2)
	switch {
	case mpCmdletMissing.MatchString(flat):
		return fmt.Errorf("%w: PowerShell said %q", ErrDefenderAbsent, said)
	case mpNotRunning.MatchString(flat):
		return fmt.Errorf("%w: PowerShell said %q; start the WinDefend service, or leave the exclusions to the antivirus product that replaced Defender", ErrDefenderNotRunning, said)
	}
	return fmt.Errorf("PowerShell failed with %s: %s", o.exitText(), firstLines(o.Stderr+"\n"+o.Stdout, 3))
}

// ParseDefenderExclusions reads the output of DefenderExclusionsCommand:
// one path a line, nothing when there are none.
func ParseDefenderExclusions(o Output) ([]string, error) {
	if o.ExitCode != 0 {
		return nil, defenderError(o)
	}
	var paths []string
	for _, l := range lines(o.Stdout) {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		// Defender shows a placeholder instead of the list to anyone
		// but an administrator ("N/A: Must be and administrator to view
		// exclusions", sic).
		if strings.HasPrefix(t, "N/A:") {
			return nil, fmt.Errorf("Defender did not show its exclusions: %q; run cell-prep as an administrator", t)
		}
		paths = append(paths, t)
	}
	return paths, nil
}

// ParseAddDefenderExclusions reads the output of
// AddDefenderExclusionsCommand, which prints nothing when it succeeds.
func ParseAddDefenderExclusions(o Output) error {
	if o.ExitCode != 0 {
		return defenderError(o)
	}
	return nil
}
