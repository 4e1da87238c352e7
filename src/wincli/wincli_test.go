package wincli_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"

	"code.cloudfoundry.org/guardian/logging"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/host/hostfakes"
	"github.com/garden-windows/garden-windows-release/wincli"
)

var _ = Describe("Main", func() {
	var (
		fakeHost       *hostfakes.FakeComputeHost
		stdout, stderr *bytes.Buffer
		root           string
	)

	BeforeEach(func() {
		fakeHost = new(hostfakes.FakeComputeHost)
		stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
		root = GinkgoT().TempDir()
	})

	run := func(args ...string) int {
		return wincli.Main(args, wincli.Env{
			Host: fakeHost, DefaultRoot: root, Version: "1.2.3",
			Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr,
			Stat:      wincli.OSStat,
			LogHandle: func(uintptr) io.Writer { return io.Discard },
		})
	}

	It("prints its version", func() {
		Expect(run("--version")).To(Equal(0))
		Expect(stdout.String()).To(Equal("winc version 1.2.3\n"))
	})

	It("prints help listing the commands", func() {
		Expect(run("--help")).To(Equal(0))
		Expect(stdout.String()).To(ContainSubstring("exec     run a process"))
		Expect(stdout.String()).To(ContainSubstring("-log-handle"))
	})

	DescribeTable("refuses bad invocations with exit code 2 and one line saying what is wrong",
		func(args []string, message string) {
			Expect(run(args...)).To(Equal(wincli.ExitUsage))
			Expect(stderr.String()).To(ContainSubstring(message))
			Expect(strings.Count(stderr.String(), "\n")).To(Equal(1))
			Expect(fakeHost.Invocations()).To(BeEmpty())
		},
		Entry("no command", []string{"--debug"}, "no command given"),
		Entry("unknown command", []string{"frobnicate", "x"}, `unknown command "frobnicate"`),
		Entry("unknown global flag", []string{"--frob", "state", "x"}, "flag provided but not defined: -frob"),
		Entry("unknown command flag", []string{"delete", "--frob", "x"}, "delete: flag provided but not defined: -frob"),
		Entry("no id", []string{"state"}, "state: give exactly one container id (got 0"),
		Entry("two ids", []string{"state", "a", "b"}, "give exactly one container id (got 2"),
		Entry("bad log format", []string{"--log-format", "xml", "state", "a"}, `log format "xml" is not supported`),
		Entry("both log destinations", []string{"--log", "x", "--log-handle", "3", "state", "a"}, "--log and --log-handle exclude each other"),
		Entry("bad log handle", []string{"--log-handle", "three", "state", "a"}, `--log-handle "three" is not a handle number`),
		Entry("exec without -p", []string{"exec", "a"}, "exec: give the process spec with -p process.json"),
	)

	It("accepts a command's flags after the container id, as goci's exec command puts them", func() {
		Expect(run("exec", "nope", "--pid-file", "p", "-p", "spec.json")).To(Equal(wincli.ExitFailed))
		Expect(stderr.String()).To(ContainSubstring("reading process spec"))
	})

	It("fails with exit code 1, one line on stderr and an error line in the log", func() {
		logPath := filepath.Join(GinkgoT().TempDir(), "winc.log")
		Expect(run("--debug", "--log", logPath, "--log-format", "json", "state", "nope")).To(Equal(wincli.ExitFailed))
		Expect(stderr.String()).To(Equal("winc state: container does not exist: nope\n"))
		logs, err := os.ReadFile(logPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(logging.MsgFromLastLogLine(logs)).To(Equal("container does not exist: nope"))
	})

	It("keeps state under --root, and in the default root without it", func() {
		bundle := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(bundle, "config.json"), []byte(`{
			"root": {"path": "\\\\?\\Volume{1}\\"},
			"process": {"args": ["cmd.exe"]},
			"windows": {"layerFolders": ["C:\\layers\\base", "C:\\volumes\\a"]}
		}`), 0o644)).To(Succeed())
		other := GinkgoT().TempDir()
		Expect(run("--root", other, "create", "--bundle", bundle, "a")).To(Equal(0), stderr.String())
		Expect(os.ReadDir(other)).To(HaveLen(1))
		Expect(os.ReadDir(root)).To(BeEmpty())

		Expect(run("create", "--bundle", bundle, "b")).To(Equal(0), stderr.String())
		Expect(os.ReadDir(root)).To(HaveLen(1))
		Expect(fakeHost.CreateContainerArgsForCall(1).ParentLayers).To(Equal([]string{`C:\layers\base`}))
	})
})
