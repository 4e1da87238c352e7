package wincmd_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/cellprep/wincmd"
)

// unquotePS reads a PowerShell single-quoted string literal the way
// PowerShell's tokenizer does: any of the single-quote characters
// (' and U+2018..U+201B) ends it unless the next character is also one.
// The test uses it to check that PowerShellQuote round-trips.
func unquotePS(lit string) (string, bool) {
	isQuote := func(r rune) bool { return r == '\'' || (r >= '\u2018' && r <= '\u201B') }
	rs := []rune(lit)
	if len(rs) < 2 || !isQuote(rs[0]) {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(rs); i++ {
		if isQuote(rs[i]) {
			if i+1 < len(rs) && isQuote(rs[i+1]) {
				b.WriteRune(rs[i+1])
				i++
				continue
			}
			return b.String(), i == len(rs)-1
		}
		b.WriteRune(rs[i])
	}
	return "", false
}

var _ = Describe("Defender", func() {
	It("lists exclusions with Get-MpPreference, stopping on any error", func() {
		Expect(wincmd.DefenderExclusionsCommand().String()).To(Equal(
			`powershell.exe -NoProfile -NonInteractive -Command "$ErrorActionPreference = 'Stop'; (Get-MpPreference).ExclusionPath"`))
	})

	It("adds exclusions as single-quoted literals", func() {
		cmd, err := wincmd.AddDefenderExclusionsCommand([]string{`C:\var\vcap\data`, `C:\Program Files\o'brien`})
		Expect(err).NotTo(HaveOccurred())
		Expect(cmd.Name).To(Equal("powershell.exe"))
		Expect(cmd.Args).To(Equal([]string{"-NoProfile", "-NonInteractive", "-Command",
			`$ErrorActionPreference = 'Stop'; Add-MpPreference -ExclusionPath 'C:\var\vcap\data','C:\Program Files\o''brien'`}))
	})

	It("refuses no paths, empty paths, control characters and double quotes", func() {
		_, err := wincmd.AddDefenderExclusionsCommand(nil)
		Expect(err).To(MatchError(ContainSubstring("no paths")))
		_, err = wincmd.AddDefenderExclusionsCommand([]string{`C:\a`, ""})
		Expect(err).To(MatchError("Defender exclusion 2: the path is empty"))
		_, err = wincmd.AddDefenderExclusionsCommand([]string{"C:\\a\nb"})
		Expect(err).To(MatchError(`Defender exclusion 1: path "C:\\a\nb" has a control character (U+000A) at byte 4; remove it`))
		_, err = wincmd.AddDefenderExclusionsCommand([]string{"C:\\a\x00"})
		Expect(err).To(MatchError(ContainSubstring("U+0000")))
		_, err = wincmd.AddDefenderExclusionsCommand([]string{`C:\a"b`})
		Expect(err).To(MatchError(ContainSubstring("double quote")))
	})

	DescribeTable("PowerShellQuote round-trips through PowerShell's single-quote rules",
		func(s string) {
			q, err := wincmd.PowerShellQuote(s)
			Expect(err).NotTo(HaveOccurred())
			got, ok := unquotePS(q)
			Expect(ok).To(BeTrue(), "%s is not one complete literal", q)
			Expect(got).To(Equal(s))
		},
		Entry(nil, `C:\var\vcap\data`),
		Entry(nil, `C:\it's`),
		Entry(nil, `''`),
		Entry(nil, `C:\a'; Remove-Item C:\ -Recurse; '`),
		Entry(nil, "C:\\typographic\u2018quote\u2019s\u201a\u201b"),
		Entry(nil, `C:\$env:TEMP\$(whoami)\`+"`n"),
		Entry(nil, `C:\trailing\`),
	)

	Describe("ParseDefenderExclusions", func() {
		It("reads one path a line", func() {
			want := []string{`C:\var\vcap\data\winc-image`, `C:\var\vcap\data\garden\containers`, `C:\Program Files\Cloud Foundry`, `C:\var\vcap\data\o'brien`}
			Expect(wincmd.ParseDefenderExclusions(wincmd.Output{Stdout: sample("mp_exclusions.txt")})).To(Equal(want))
			Expect(wincmd.ParseDefenderExclusions(wincmd.Output{Stdout: crlf(sample("mp_exclusions.txt"))})).To(Equal(want))
		})

		It("reads an empty list", func() {
			Expect(wincmd.ParseDefenderExclusions(wincmd.Output{Stdout: crlf(sample("mp_exclusions_empty.txt"))})).To(BeEmpty())
			Expect(wincmd.ParseDefenderExclusions(wincmd.Output{})).To(BeEmpty())
		})

		It("refuses the placeholder Defender shows non-administrators", func() {
			_, err := wincmd.ParseDefenderExclusions(wincmd.Output{Stdout: crlf(sample("mp_not_admin.txt"))})
			Expect(err).To(MatchError(`Defender did not show its exclusions: "N/A: Must be and administrator to view exclusions"; run cell-prep as an administrator`))
		})

		It("reports Defender absent when its cmdlets do not exist, even with the message wrapped", func() {
			_, err := wincmd.ParseDefenderExclusions(wincmd.Output{Stderr: crlf(sample("mp_cmdlet_missing.stderr.txt")), ExitCode: 1})
			Expect(err).To(MatchError(wincmd.ErrDefenderAbsent))
			Expect(err).To(MatchError(ContainSubstring("The term 'Get-MpPreference' is not recognized")))
		})

		It("reports Defender not running on 0x800106ba", func() {
			_, err := wincmd.ParseDefenderExclusions(wincmd.Output{Stderr: crlf(sample("mp_not_running.stderr.txt")), ExitCode: 1})
			Expect(err).To(MatchError(wincmd.ErrDefenderNotRunning))
			Expect(err).NotTo(MatchError(wincmd.ErrDefenderAbsent))
			Expect(err).To(MatchError(ContainSubstring("Operation failed with the following error: 0x800106ba")))
		})
	})

	Describe("ParseAddDefenderExclusions", func() {
		It("accepts a silent success", func() {
			Expect(wincmd.ParseAddDefenderExclusions(wincmd.Output{})).To(Succeed())
		})

		It("reports Defender absent in PowerShell 7's wording too", func() {
			err := wincmd.ParseAddDefenderExclusions(wincmd.Output{Stderr: sample("mp_add_cmdlet_missing_pwsh7.stderr.txt"), ExitCode: 1})
			Expect(err).To(MatchError(wincmd.ErrDefenderAbsent))
		})

		It("quotes any other failure with its exit code", func() {
			err := wincmd.ParseAddDefenderExclusions(wincmd.Output{Stderr: crlf(sample("mp_add_access_denied.stderr.txt")), ExitCode: 1})
			Expect(err).NotTo(MatchError(wincmd.ErrDefenderAbsent))
			Expect(err).NotTo(MatchError(wincmd.ErrDefenderNotRunning))
			Expect(err).To(MatchError(ContainSubstring("PowerShell failed with exit code 1: Add-MpPreference : You don't have enough permissions to perform the requested operation.")))
		})
	})
})
