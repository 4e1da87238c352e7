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
	"github.com/garden-windows/garden-windows-release/internal/testchild"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const holderEnv = "ATOMICFILE_TEST_HOLDER"

// runHolder is the other process: it opens the file with os.Open, as any
// Go program would, says "open", and closes it after DURATION
// ("DURATION|PATH"), or when its stdin closes if DURATION is "stdin".
func runHolder(spec string) int {
	hold, path, _ := strings.Cut(spec, "|")
	f, err := os.Open(path)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("open")
	if hold == "stdin" {
		io.Copy(io.Discard, os.Stdin)
	} else {
		d, _ := time.ParseDuration(hold)
		time.Sleep(d)
	}
	f.Close()
	return 0
}

// holdOpen starts a process that holds path open for hold ("stdin": until
// the test ends) and returns once the file is open.
func holdOpen(path, hold string) *exec.Cmd {
	cmd := testchild.Command(holderEnv, hold+"|"+path)
	stdin, err := cmd.StdinPipe()
	Expect(err).NotTo(HaveOccurred())
	stdout, err := cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	Expect(cmd.Start()).To(Succeed())
	DeferCleanup(func() { stdin.Close(); cmd.Wait() })
	Expect(bufio.NewReader(stdout).ReadString('\n')).To(Equal("open\n"))
	return cmd
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
		Expect(os.ReadFile(path)).To(Equal([]byte("two")))
		Expect(entries()).To(ConsistOf("state.json"))
	})

	It("fails without side effects when the directory does not exist", func() {
		err := atomicfile.Write(filepath.Join(dir, "missing", "state.json"), []byte("x"), 0o644)
		Expect(err).To(MatchError(ContainSubstring("creating temporary file")))
		Expect(entries()).To(BeEmpty())
	})

	It("leaves no temporary file when the replacement fails", func() {
		// A non-empty directory in the way of the target makes the final
		// rename fail on every platform, after the temporary file was written.
		target := filepath.Join(dir, "blocked")
		Expect(os.MkdirAll(filepath.Join(target, "child"), 0o755)).To(Succeed())
		Expect(atomicfile.Write(target, []byte("new"), 0o644)).To(MatchError(ContainSubstring("replacing it")))
		Expect(entries()).To(ConsistOf("blocked"))
	})

	// The state file is open in another process (a reader, an operator's
	// editor, an antivirus scanner) at the moment it is replaced.
	Describe("replacing a file another process holds open for a moment", func() {
		BeforeEach(func() {
			Expect(atomicfile.Write(path, []byte("old"), 0o644)).To(Succeed())
		})

		It("fails on Windows with the Linux pattern: write a temporary file, rename it over", func() {
			holdOpen(path, "300ms")
			tmp := filepath.Join(dir, "next")
			Expect(os.WriteFile(tmp, []byte("new"), 0o644)).To(Succeed())
			err := os.Rename(tmp, path)
			if runtime.GOOS == "windows" {
				Expect(err).To(MatchError(fs.ErrPermission), // "Access is denied"
					"this is the failure atomicfile.Write exists to avoid")
			} else {
				Expect(err).NotTo(HaveOccurred())
			}
		})

		It("succeeds everywhere with atomicfile.Write, which waits for the holder", func() {
			holdOpen(path, "300ms")
			Expect(atomicfile.Write(path, []byte("new"), 0o644)).To(Succeed())
			Expect(os.ReadFile(path)).To(Equal([]byte("new")))
			Expect(entries()).To(ConsistOf("state.json"))
		})
	})

	It("gives up on Windows, saying why and leaving the old file, when the holder never lets go", func() {
		Expect(atomicfile.Write(path, []byte("old"), 0o644)).To(Succeed())
		holdOpen(path, "stdin")
		err := atomicfile.Write(path, []byte("new"), 0o644)
		if runtime.GOOS == "windows" {
			Expect(err).To(MatchError(ContainSubstring("Windows still refused to replace it after 5s, usually because another process holds it open")))
			Expect(os.ReadFile(path)).To(Equal([]byte("old")))
		} else {
			Expect(err).NotTo(HaveOccurred())
			Expect(os.ReadFile(path)).To(Equal([]byte("new")))
		}
		Expect(entries()).To(ConsistOf("state.json"))
	})
})
