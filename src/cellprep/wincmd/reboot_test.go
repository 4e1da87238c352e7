package wincmd_test

import (
	"strings"
	"unicode/utf16"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/cellprep/wincmd"
)

var _ = Describe("RebootCommand", func() {
	It("restarts in a minute as a planned application installation, with the reason as comment", func() {
		cmd, truncated := wincmd.RebootCommand("cell-prep enabled Containers")
		Expect(truncated).To(BeFalse())
		Expect(cmd.String()).To(Equal(`shutdown.exe /r /t 60 /d p:4:2 /c "cell-prep enabled Containers"`))
	})

	It("leaves out the comment when there is no reason", func() {
		cmd, _ := wincmd.RebootCommand("  ")
		Expect(cmd.Args).To(Equal([]string{"/r", "/t", "60", "/d", "p:4:2"}))
	})

	It("replaces control characters and double quotes, which the command line cannot carry", func() {
		cmd, _ := wincmd.RebootCommand("enabled \"Containers\"\r\nand\tFSRM")
		Expect(cmd.Args[len(cmd.Args)-1]).To(Equal("enabled 'Containers'  and FSRM"))
	})

	It("keeps a reason of exactly the maximum length", func() {
		reason := strings.Repeat("x", wincmd.MaxRebootReasonLength)
		cmd, truncated := wincmd.RebootCommand(reason)
		Expect(truncated).To(BeFalse())
		Expect(cmd.Args[len(cmd.Args)-1]).To(Equal(reason))
	})

	It("truncates a longer reason and says so", func() {
		cmd, truncated := wincmd.RebootCommand(strings.Repeat("y", 600))
		Expect(truncated).To(BeTrue())
		Expect(cmd.Args[len(cmd.Args)-1]).To(Equal(strings.Repeat("y", wincmd.MaxRebootReasonLength)))
	})

	It("counts UTF-16 units and never splits a surrogate pair", func() {
		// 511 units, then a character that takes two.
		reason := strings.Repeat("é", wincmd.MaxRebootReasonLength-1) + "😀" + "tail"
		cmd, truncated := wincmd.RebootCommand(reason)
		Expect(truncated).To(BeTrue())
		comment := cmd.Args[len(cmd.Args)-1]
		Expect(comment).To(Equal(strings.Repeat("é", wincmd.MaxRebootReasonLength-1)))
		Expect(len(utf16.Encode([]rune(comment)))).To(BeNumerically("<=", wincmd.MaxRebootReasonLength))

		reason = strings.Repeat("é", wincmd.MaxRebootReasonLength-2) + "😀" + "tail"
		cmd, _ = wincmd.RebootCommand(reason)
		Expect(cmd.Args[len(cmd.Args)-1]).To(HaveSuffix("😀"))
	})
})

var _ = Describe("ParseReboot", func() {
	It("accepts a silent exit 0", func() {
		Expect(wincmd.ParseReboot(wincmd.Output{})).To(Succeed())
	})

	It("reports a shutdown already scheduled", func() {
		err := wincmd.ParseReboot(wincmd.Output{Stdout: crlf(sample("shutdown_already_scheduled.txt")), ExitCode: 1190})
		Expect(err).To(MatchError(wincmd.ErrRebootAlreadyScheduled))
		Expect(err).To(MatchError(ContainSubstring("exit code 1190: A system shutdown has already been scheduled.(1190)")))
		Expect(err).To(MatchError(ContainSubstring("shutdown.exe /a")))
	})

	It("quotes any other failure", func() {
		err := wincmd.ParseReboot(wincmd.Output{Stdout: sample("shutdown_access_denied.txt"), ExitCode: 5})
		Expect(err).To(MatchError("shutdown.exe failed with exit code 5: Access is denied.(5)"))
	})
})
