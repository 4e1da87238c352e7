package cmdline_test

import (
	"math/rand/v2"

	"golang.org/x/sys/windows"

	"github.com/garden-windows/garden-windows-release/internal/cmdline"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Join on Windows", func() {
	It("gives command lines that CommandLineToArgvW splits back into the arguments", func() {
		r := rand.New(rand.NewPCG(2026, 2))
		// CommandLineToArgvW turns an empty command line into the path of
		// the running program, and its idea of where a bare program name
		// ends may take in control characters, so neither is tried here.
		argPieces := []string{" ", "\t", `"`, `\`, `\\`, `\"`, `""`, "a", "b", "é", "日", "😀", "'", "^", "&"}
		programPieces := withoutQuotes(argPieces)
		for range 2000 {
			args := randomArgs(r, programPieces, argPieces)
			if args[0] == "" {
				args[0] = "prog"
			}
			line, err := cmdline.Join(args)
			Expect(err).NotTo(HaveOccurred())
			Expect(windows.DecomposeCommandLine(line)).To(Equal(args), "command line %q", line)
		}
	})
})
