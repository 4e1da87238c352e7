package wincmd_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/cellprep/wincmd"
)

var _ = Describe("Command.String", func() {
	DescribeTable("quotes arguments as Go's os/exec does on Windows",
		func(args []string, want string) {
			Expect(wincmd.Command{Name: "tool.exe", Args: args}.String()).To(Equal(want))
		},
		Entry("plain arguments stay bare", []string{"/Online", "/FeatureName:Containers"}, `tool.exe /Online /FeatureName:Containers`),
		Entry("no arguments", nil, `tool.exe`),
		Entry("an argument with a space is quoted", []string{"/c", "cell-prep installed Containers"}, `tool.exe /c "cell-prep installed Containers"`),
		Entry("a tab also needs quotes", []string{"a\tb"}, "tool.exe \"a\tb\""),
		Entry("an empty argument is shown as a pair of quotes", []string{""}, `tool.exe ""`),
		Entry("backslashes not before a quote are literal", []string{`C:\var\vcap`}, `tool.exe C:\var\vcap`),
		Entry("a quote is escaped without quoting when there is no space", []string{`a"b`}, `tool.exe a\"b`),
		Entry("backslashes before a quote are doubled", []string{`a\"b c`}, `tool.exe "a\\\"b c"`),
		Entry("trailing backslashes before the closing quote are doubled", []string{`C:\Program Files\`}, `tool.exe "C:\Program Files\\"`),
	)
})
