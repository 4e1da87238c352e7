package atomicfile_test

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/garden-windows/garden-windows-release/internal/atomicfile"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const holderEnv = "ATOMICFILE_TEST_HOLDER"

// runHolder is the other process: it opens a file ("shared" through
// atomicfile.Open, "plain" through os.Open), says "open", waits for a line
// on stdin, then reads the file through the handle it kept open, prints what
// it read, and exits. With "hold=DURATION" it closes the file by itself
// after that long instead.
func runHolder(spec string) int {
	mode, path, _ := strings.Cut(spec, ":")
	var f *os.File
	var err error
	switch {
	case mode == "shared":
		f, err = atomicfile.Open(path)
	default:
		f, err = os.Open(path)
	}
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("open")
	if d, ok := strings.CutPrefix(mode, "plain-for="); ok {
		hold, _ := time.ParseDuration(d)
		time.Sleep(hold)
		f.Close()
		return 0
	}
	bufio.NewReader(os.Stdin).ReadString('\n')
	content, err := io.ReadAll(f)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Printf("read %q\n", content)
	f.Close()
	return 0
}

type holder struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
}

func startHolder(mode, path string) *holder {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), holderEnv+"="+mode+":"+path)
	stdin, err := cmd.StdinPipe()
	Expect(err).NotTo(HaveOccurred())
	stdout, err := cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	Expect(cmd.Start()).To(Succeed())
	h := &holder{cmd: cmd, stdin: stdin, stdout: bufio.NewReader(stdout)}
	DeferCleanup(func() { h.stdin.Close(); h.cmd.Wait() })
	Expect(h.line()).To(Equal("open"))
	return h
}

func (h *holder) line() string {
	l, err := h.stdout.ReadString('\n')
	Expect(err).NotTo(HaveOccurred())
	return strings.TrimSpace(l)
}

// finish lets the holder read through its open handle and returns what it read.
func (h *holder) finish() string {
	_, err := io.WriteString(h.stdin, "go\n")
	Expect(err).NotTo(HaveOccurred())
	l := h.line()
	Expect(h.cmd.Wait()).To(Succeed())
	return l
}

var _ = Describe("atomicfile", func() {
	var dir, path string

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		path = filepath.Join(dir, "state.json")
	})

	entries := func() []string {
		list, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range list {
			names = append(names, e.Name())
		}
		return names
	}

	It("creates and replaces a file, leaving no temporary file", func() {
		Expect(atomicfile.Write(path, []byte("one"), 0o644)).To(Succeed())
		Expect(atomicfile.Write(path, []byte("two"), 0o644)).To(Succeed())
		Expect(atomicfile.ReadFile(path)).To(Equal([]byte("two")))
		Expect(entries()).To(ConsistOf("state.json"))
	})

	It("fails without side effects when the directory does not exist", func() {
		err := atomicfile.Write(filepath.Join(dir, "missing", "state.json"), []byte("x"), 0o644)
		Expect(err).To(MatchError(ContainSubstring("creating temporary file")))
		Expect(entries()).To(BeEmpty())
	})

	It("leaves the old content and no temporary file when the replacement fails", func() {
		Expect(atomicfile.Write(path, []byte("old"), 0o644)).To(Succeed())
		// A directory in the way of the target makes the final rename fail
		// on every platform, after the temporary file was written.
		target := filepath.Join(dir, "blocked")
		Expect(os.MkdirAll(filepath.Join(target, "child"), 0o755)).To(Succeed())
		Expect(atomicfile.Write(target, []byte("new"), 0o644)).To(MatchError(ContainSubstring("replacing it")))
		Expect(entries()).To(ConsistOf("state.json", "blocked"))
		Expect(atomicfile.ReadFile(path)).To(Equal([]byte("old")))
	})

	It("reports a missing file as fs.ErrNotExist", func() {
		_, err := atomicfile.ReadFile(path)
		Expect(err).To(MatchError(fs.ErrNotExist))
	})

	Describe("replacing a file another process holds open", func() {
		BeforeEach(func() {
			Expect(atomicfile.Write(path, []byte("old"), 0o644)).To(Succeed())
		})

		It("works when the reader opened it with atomicfile.Open, and the reader keeps its version", func() {
			h := startHolder("shared", path)
			Expect(atomicfile.Write(path, []byte("new"), 0o644)).To(Succeed())
			Expect(atomicfile.ReadFile(path)).To(Equal([]byte("new")))
			Expect(h.finish()).To(Equal(`read "old"`))
		})

		It("fails on Windows with the Linux-only pattern (plain os.Open reader, plain rename)", func() {
			h := startHolder("plain", path)
			tmp := filepath.Join(dir, "next")
			Expect(os.WriteFile(tmp, []byte("new"), 0o644)).To(Succeed())
			err := os.Rename(tmp, path)
			if runtime.GOOS == "windows" {
				// This is the failure atomicfile exists to avoid.
				Expect(err).To(HaveOccurred())
			} else {
				Expect(err).NotTo(HaveOccurred())
			}
			h.finish()
		})

		It("waits for a plain reader that lets go within the retry window", func() {
			h := startHolder("plain-for=300ms", path)
			Expect(atomicfile.Write(path, []byte("new"), 0o644)).To(Succeed())
			Expect(atomicfile.ReadFile(path)).To(Equal([]byte("new")))
			Expect(h.cmd.Wait()).To(Succeed())
		})
	})
})
