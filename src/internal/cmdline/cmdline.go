// Package cmdline turns argument lists into Windows command lines and back.
//
// A Windows process is not started with an argument vector, as on Linux,
// but with one command-line string, and every program splits that string
// into arguments itself. Nearly all programs (anything built with the
// Microsoft C runtime, and CommandLineToArgvW) split it the same way, and a
// process in a Windows container is no different: the argument list of a
// Garden process spec has to be encoded into one string that splits back
// into exactly that list. Join does the encoding, and Split does what the C
// runtime does, for tests and for code that simulates the Windows side.
//
// The rules of the modern (2008 and later) Microsoft C runtime:
//
//   - The first argument, the program name, runs up to the first space or
//     tab outside double quotes. Each double quote toggles quoting and is
//     dropped; backslashes are ordinary characters. A program name can
//     therefore not contain a double quote.
//   - The other arguments are separated by spaces and tabs outside quotes.
//     A double quote toggles quoting and is dropped, except that two
//     double quotes inside quotes give one literal double quote (older
//     runtimes also ended the quoting there).
//   - Backslashes are ordinary characters unless a double quote follows
//     them: then 2n backslashes give n backslashes and the quote acts as
//     above, and 2n+1 backslashes give n backslashes and a literal quote.
//
// Join never writes two double quotes inside quotes, so its output splits
// the same way with old and new runtimes and with CommandLineToArgvW.
package cmdline

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Join returns the command line that Split turns back into args; args[0] is
// the program name. An argument is written as it is unless it is empty or
// contains a space, tab or double quote; then it is quoted.
//
// Join fails when args is empty, when the program name contains a double
// quote (Windows has no way to express one there), and when an argument
// contains a NUL character (it would end the command line) or is not valid
// UTF-8 (Windows command lines are UTF-16, so it would not arrive intact).
// It does not check the 32767-character limit Windows puts on a command
// line.
func Join(args []string) (string, error) {
	if len(args) == 0 {
		return "", errors.New("cmdline: no arguments; a command line needs at least the program name")
	}
	for i, arg := range args {
		if strings.IndexByte(arg, 0) >= 0 {
			return "", fmt.Errorf("cmdline: argument %d (%q) contains a NUL character, which would end the command line", i, arg)
		}
		if !utf8.ValidString(arg) {
			return "", fmt.Errorf("cmdline: argument %d (%q) is not valid UTF-8, so Windows cannot receive it intact", i, arg)
		}
	}
	program := args[0]
	if strings.IndexByte(program, '"') >= 0 {
		return "", fmt.Errorf("cmdline: program name %q contains a double quote, which a Windows command line cannot carry in the program name", program)
	}

	var b strings.Builder
	if program == "" || strings.ContainsAny(program, " \t") {
		// Inside quotes, even a trailing backslash is literal here.
		b.WriteByte('"')
		b.WriteString(program)
		b.WriteByte('"')
	} else {
		b.WriteString(program)
	}
	for _, arg := range args[1:] {
		b.WriteByte(' ')
		writeArg(&b, arg)
	}
	return b.String(), nil
}

// writeArg writes one argument after the program name.
func writeArg(b *strings.Builder, arg string) {
	if arg != "" && !strings.ContainsAny(arg, " \t\"") {
		// Without a double quote, no backslash is an escape.
		b.WriteString(arg)
		return
	}
	b.WriteByte('"')
	backslashes := 0
	for i := 0; i < len(arg); i++ {
		switch c := arg[i]; c {
		case '\\':
			// Held back until it is known what follows them.
			backslashes++
		case '"':
			// Each backslash doubled, then one more to make the quote
			// literal.
			writeBackslashes(b, 2*backslashes+1)
			b.WriteByte('"')
			backslashes = 0
		default:
			writeBackslashes(b, backslashes)
			b.WriteByte(c)
			backslashes = 0
		}
	}
	// The closing quote follows, so the backslashes before it are doubled.
	writeBackslashes(b, 2*backslashes)
	b.WriteByte('"')
}

func writeBackslashes(b *strings.Builder, n int) {
	for range n {
		b.WriteByte('\\')
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// Split splits a command line into arguments the way the Microsoft C
// runtime does (see the package documentation). The result always has at
// least one element, the program name, which is empty when the command line
// is empty or starts with a space or tab. As the C runtime sees a
// NUL-terminated string, Split ignores everything from the first NUL
// character on.
func Split(cmdline string) []string {
	if i := strings.IndexByte(cmdline, 0); i >= 0 {
		cmdline = cmdline[:i]
	}
	var b strings.Builder
	i := 0

	quoted := false
	for ; i < len(cmdline); i++ {
		c := cmdline[i]
		if c == '"' {
			quoted = !quoted
			continue
		}
		if !quoted && isBlank(c) {
			break
		}
		b.WriteByte(c)
	}
	args := []string{b.String()}

	for {
		for i < len(cmdline) && isBlank(cmdline[i]) {
			i++
		}
		if i == len(cmdline) {
			return args
		}
		b.Reset()
		// An argument only ends outside quotes, so each starts outside.
		quoted = false
		for {
			backslashes := 0
			for i < len(cmdline) && cmdline[i] == '\\' {
				backslashes++
				i++
			}
			if i < len(cmdline) && cmdline[i] == '"' {
				writeBackslashes(&b, backslashes/2)
				switch {
				case backslashes%2 == 1:
					b.WriteByte('"')
					i++
				case quoted && i+1 < len(cmdline) && cmdline[i+1] == '"':
					b.WriteByte('"')
					i += 2
				default:
					quoted = !quoted
					i++
				}
				continue
			}
			writeBackslashes(&b, backslashes)
			if i == len(cmdline) || (!quoted && isBlank(cmdline[i])) {
				break
			}
			b.WriteByte(cmdline[i])
			i++
		}
		args = append(args, b.String())
	}
}
