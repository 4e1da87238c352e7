// Package wincmd knows the Windows command lines cell-prep runs where no
// practical API exists (DISM, netsh, shutdown, the Defender cmdlets) and
// how to read what they print. It runs nothing: the builders return the
// command a Windows adapter (host/system) executes and that cell-prep's
// plan shows, and the parsers turn the captured output into values. So
// both halves are plain Go, tested on any platform against captured
// samples in testdata/.
//
// The parsers are strict on purpose: output they do not recognise is an
// error that quotes the line, never a guess, because a misread firewall or
// feature state would make cell-prep either skip a needed change or make
// an unneeded one.
package wincmd

import (
	"fmt"
	"strings"
)

// Command is one program run with its arguments, exactly as the adapter
// passes them to the operating system.
type Command struct {
	Name string
	Args []string
}

// String is the command line Windows receives for c, quoted as Go's
// os/exec quotes it on Windows (an argument with a space or a tab, or an
// empty one, goes in double quotes; a double quote inside is written \"),
// so the plan shows what will really run. (cmd.exe gives &, | and % their
// own meaning; a line containing them needs care to be pasted there.)
func (c Command) String() string {
	var b strings.Builder
	b.WriteString(quoteArg(c.Name))
	for _, a := range c.Args {
		b.WriteByte(' ')
		b.WriteString(quoteArg(a))
	}
	return b.String()
}

// quoteArg quotes one argument by the rules the Microsoft C runtime (and
// CommandLineToArgvW) use to split a command line: a quote is written \"
// and the run of backslashes right before a quote, or before the closing
// quote, is doubled; other backslashes are literal.
func quoteArg(s string) string {
	if s == "" {
		return `""`
	}
	spaced := strings.ContainsAny(s, " \t")
	if !spaced && !strings.Contains(s, `"`) {
		return s
	}
	var b strings.Builder
	if spaced {
		b.WriteByte('"')
	}
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	if spaced {
		b.WriteString(strings.Repeat(`\`, slashes))
		b.WriteByte('"')
	}
	return b.String()
}

// Output is what a finished command printed and how it ended. ExitCode is
// the process's exit code as the adapter's runner reports it: Windows
// exit codes are 32-bit unsigned, so an HRESULT such as 0x800F080C may
// arrive as 2148468748 or, truncated to 32 bits signed, as -2146498548;
// the parsers accept both.
type Output struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// code is ExitCode as the 32-bit value Windows returned.
func (o Output) code() uint32 { return uint32(int64(o.ExitCode)) }

// exitText names an exit code the way Windows tools document it: small
// codes in decimal, HRESULT-sized ones in hex too.
func (o Output) exitText() string {
	if c := o.code(); c > 0xFFFF {
		return fmt.Sprintf("exit code %d (0x%08X)", c, c)
	}
	return fmt.Sprintf("exit code %d", o.code())
}

// lines splits command output into lines without their line endings.
// A console tool that redraws a progress bar writes carriage returns
// inside a line; only the text after the last one is what a terminal
// would show, so that is what is kept.
func lines(s string) []string {
	raw := strings.Split(s, "\n")
	out := make([]string, 0, len(raw))
	for _, l := range raw {
		l = strings.TrimRight(l, "\r")
		if i := strings.LastIndexByte(l, '\r'); i >= 0 {
			l = l[i+1:]
		}
		out = append(out, l)
	}
	return out
}

// firstLines is the first few non-empty lines of s joined with " / ", to
// quote a command's complaint in an error without its whole output.
func firstLines(s string, n int) string {
	var picked []string
	for _, l := range lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			picked = append(picked, l)
			if len(picked) == n {
				break
			}
		}
	}
	if len(picked) == 0 {
		return "(no output)"
	}
	return strings.Join(picked, " / ")
}
