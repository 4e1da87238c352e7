package statefile_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/garden-windows/garden-windows-release/internal/statefile"
	"github.com/garden-windows/garden-windows-release/internal/testchild"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const workerEnv = "STATEFILE_TEST_WORKER"

type ledger struct {
	Count   int            `json:"count"`
	ByOwner map[string]int `json:"by_owner"`
}

func (l *ledger) add(owner string) {
	l.Count++
	if l.ByOwner == nil {
		l.ByOwner = map[string]int{}
	}
	l.ByOwner[owner]++
}

// runWorker is one of the concurrent processes: "add|PATH|NAME|N" records N
// additions by NAME; "read|PATH|N" reads the document N times; "crash|PATH"
// dies in the middle of a change. ("|", not
// ":", separates the fields: Windows paths have a colon after the drive.)
func runWorker(spec string) int {
	parts := strings.Split(spec, "|")
	path := parts[1]
	switch parts[0] {
	case "add":
		n, _ := strconv.Atoi(parts[3])
		for i := 0; i < n; i++ {
			if err := statefile.Update(path, func(l *ledger) error { l.add(parts[2]); return nil }); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		return 0
	case "read":
		n, _ := strconv.Atoi(parts[2])
		for i := 0; i < n; i++ {
			if _, err := statefile.Read[ledger](path); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		return 0
	case "crash":
		statefile.Update(path, func(l *ledger) error {
			l.add("crasher")
			os.Exit(3) // dies holding the lock, before saving
			return nil
		})
	}
	return 2
}

func worker(spec string) *exec.Cmd {
	cmd := testchild.Command(workerEnv, spec)
	cmd.Stderr = GinkgoWriter
	return cmd
}

var _ = Describe("statefile", func() {
	var dir, path string

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		path = filepath.Join(dir, "ledger.json")
	})

	It("starts from the zero document and saves each change", func() {
		Expect(statefile.Read[ledger](path)).To(Equal(ledger{}))
		Expect(statefile.Update(path, func(l *ledger) error { l.add("a"); return nil })).To(Succeed())
		Expect(statefile.Update(path, func(l *ledger) error { l.add("b"); return nil })).To(Succeed())
		Expect(statefile.Read[ledger](path)).To(Equal(ledger{Count: 2, ByOwner: map[string]int{"a": 1, "b": 1}}))
	})

	It("saves nothing when the change fails", func() {
		Expect(statefile.Update(path, func(l *ledger) error { l.add("a"); return nil })).To(Succeed())
		boom := errors.New("boom")
		Expect(statefile.Update(path, func(l *ledger) error { l.add("b"); return boom })).To(MatchError(boom))
		Expect(statefile.Read[ledger](path)).To(Equal(ledger{Count: 1, ByOwner: map[string]int{"a": 1}}))
	})

	It("refuses a corrupt file, naming it and saying what to do", func() {
		Expect(os.WriteFile(path, []byte("{not json"), 0o644)).To(Succeed())
		err := statefile.Update(path, func(l *ledger) error { return nil })
		Expect(err).To(MatchError(ContainSubstring("state file " + path + " is corrupt")))
		Expect(err).To(MatchError(ContainSubstring("move it aside")))
	})

	It("loses no change made by concurrent goroutines", func() {
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(name string) {
				defer GinkgoRecover()
				defer wg.Done()
				for i := 0; i < 25; i++ {
					Expect(statefile.Update(path, func(l *ledger) error { l.add(name); return nil })).To(Succeed())
				}
			}(fmt.Sprint("g", g))
		}
		wg.Wait()
		l, err := statefile.Read[ledger](path)
		Expect(err).NotTo(HaveOccurred())
		Expect(l.Count).To(Equal(200))
		Expect(l.ByOwner).To(HaveLen(8))
	})

	It("loses no change made by concurrent processes, while others read", func() {
		const processes, each = 4, 40
		var cmds []*exec.Cmd
		for p := 0; p < processes; p++ {
			cmds = append(cmds, worker(fmt.Sprintf("add|%s|p%d|%d", path, p, each)))
		}
		// Reading processes never see a torn document, and, on Windows, never
		// make a writer's replacement fail.
		cmds = append(cmds, worker(fmt.Sprintf("read|%s|%d", path, 100)), worker(fmt.Sprintf("read|%s|%d", path, 100)))
		for _, cmd := range cmds {
			Expect(cmd.Start()).To(Succeed())
		}
		for _, cmd := range cmds {
			Expect(cmd.Wait()).To(Succeed())
		}

		l, err := statefile.Read[ledger](path)
		Expect(err).NotTo(HaveOccurred())
		Expect(l.Count).To(Equal(processes * each))
		for p := 0; p < processes; p++ {
			Expect(l.ByOwner).To(HaveKeyWithValue(fmt.Sprint("p", p), each))
		}
		leftovers, err := filepath.Glob(filepath.Join(dir, ".ledger.json.tmp-*"))
		Expect(err).NotTo(HaveOccurred())
		Expect(leftovers).To(BeEmpty())
	})

	It("recovers from a process that died in the middle of a change", func() {
		Expect(statefile.Update(path, func(l *ledger) error { l.add("before"); return nil })).To(Succeed())
		err := worker("crash|" + path).Run()
		var exit *exec.ExitError
		Expect(errors.As(err, &exit)).To(BeTrue())
		Expect(exit.ExitCode()).To(Equal(3))

		Expect(statefile.Update(path, func(l *ledger) error { l.add("after"); return nil })).To(Succeed())
		Expect(statefile.Read[ledger](path)).To(Equal(ledger{Count: 2, ByOwner: map[string]int{"before": 1, "after": 1}}))
	})
})
