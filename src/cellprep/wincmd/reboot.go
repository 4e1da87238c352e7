package wincmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
)

// RebootDelaySeconds is how long Windows waits before the restart
// RebootCommand asks for, time for cell-prep to report and exit.
const RebootDelaySeconds = 60

// MaxRebootReasonLength is the longest comment shutdown.exe accepts
// (/c: "Maximum of 512 characters allowed", counted in UTF-16 units).
const MaxRebootReasonLength = 512

// rebootReasonCode is shutdown.exe's /d reason: p (planned) 4:2, major
// reason 4 Application, minor reason 2 Installation, the reason Windows
// lists as "Application: Installation (Planned)".
const rebootReasonCode = "p:4:2"

// ErrRebootAlreadyScheduled is returned when Windows already has a
// shutdown or restart scheduled (shutdown.exe exit code 1190,
// ERROR_SHUTDOWN_IS_SCHEDULED), which may not be a restart.
var ErrRebootAlreadyScheduled = errors.New("a system shutdown is already scheduled")

const exitShutdownScheduled = 1190

// RebootCommand restarts Windows after RebootDelaySeconds with reason as
// the comment recorded in the System event log. The comment is cleaned
// for the command line: control characters become spaces and double
// quotes single quotes, since shutdown.exe has no way to take a quote
// inside its quoted comment. A comment longer than MaxRebootReasonLength
// is cut to that length, and truncated says so.
func RebootCommand(reason string) (cmd Command, truncated bool) {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, strings.TrimSpace(reason))
	if units := utf16.Encode([]rune(clean)); len(units) > MaxRebootReasonLength {
		cut := units[:MaxRebootReasonLength]
		// Never split a surrogate pair: drop a dangling high surrogate.
		if utf16.IsSurrogate(rune(cut[len(cut)-1])) && cut[len(cut)-1] < 0xDC00 {
			cut = cut[:len(cut)-1]
		}
		clean = string(utf16.Decode(cut))
		truncated = true
	}
	args := []string{"/r", "/t", strconv.Itoa(RebootDelaySeconds), "/d", rebootReasonCode}
	if clean != "" {
		args = append(args, "/c", clean)
	}
	return Command{Name: "shutdown.exe", Args: args}, truncated
}

// ParseReboot reads the output of RebootCommand: shutdown.exe prints
// nothing and exits 0 when the restart is scheduled.
func ParseReboot(o Output) error {
	switch o.code() {
	case 0:
		return nil
	case exitShutdownScheduled:
		return fmt.Errorf("%w (shutdown.exe %s: %s); wait for it, or cancel it with shutdown.exe /a and run cell-prep again",
			ErrRebootAlreadyScheduled, o.exitText(), firstLines(o.Stdout+"\n"+o.Stderr, 2))
	}
	return fmt.Errorf("shutdown.exe failed with %s: %s", o.exitText(), firstLines(o.Stdout+"\n"+o.Stderr, 2))
}
