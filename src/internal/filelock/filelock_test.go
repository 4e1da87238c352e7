package filelock_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/garden-windows/garden-windows-release/internal/filelock"
	"github.com/garden-windows/garden-windows-release/internal/testchild"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const holderEnv = "FILELOCK_TEST_HOLDER"

// holdLock takes the lock, says so, and then waits until it is killed: the
// test checks that the operating system releases the lock of a dead process.
// It waits by reading stdin, which the test never closes: a bare select{}
// would be reported as a deadlock by Go's runtime on Windows, ending the
// process (and the lock) at once.
func holdLock(path string) int {
	if _, err := filelock.Acquire(path); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

var _ = Describe("filelock", func() {
	var path string

	BeforeEach(func() {
		path = filepath.Join(GinkgoT().TempDir(), "state.lock")
	})

	acquireInBackground := func(acquire ...func(string) (*filelock.Lock, error)) chan *filelock.Lock {
		how := filelock.Acquire
		if len(acquire) > 0 {
			how = acquire[0]
		}
		got := make(chan *filelock.Lock, 1)
		go func() {
			defer GinkgoRecover()
			l, err := how(path)
			Expect(err).NotTo(HaveOccurred())
			got <- l
		}()
		return got
	}

	// startHolder starts another process that takes the lock on path and
	// keeps it until it is killed.
	startHolder := func(path string) *exec.Cmd {
		cmd := testchild.Command(holderEnv, path)
		stdin, err := cmd.StdinPipe()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { stdin.Close() })
		stdout, err := cmd.StdoutPipe()
		Expect(err).NotTo(HaveOccurred())
		Expect(cmd.Start()).To(Succeed())
		DeferCleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		Expect(bufio.NewReader(stdout).ReadString('\n')).To(Equal("locked\n"))
		return cmd
	}

	It("excludes a second holder in the same process until the first unlocks", func() {
		first, err := filelock.Acquire(path)
		Expect(err).NotTo(HaveOccurred())

		second := acquireInBackground()
		Consistently(second, 200*time.Millisecond).ShouldNot(Receive())
		Expect(first.Unlock()).To(Succeed())

		var l *filelock.Lock
		Eventually(second, 5*time.Second).Should(Receive(&l))
		Expect(l.Unlock()).To(Succeed())
	})

	It("Holder creates the lock's directory, holds the lock, and its unlock releases it", func() {
		nested := filepath.Join(GinkgoT().TempDir(), "a", "b", "host.lock")
		unlock, err := filelock.Holder(nested)()
		Expect(err).NotTo(HaveOccurred())
		_, ok, err := filelock.TryAcquire(nested)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse(), "held")
		unlock()
		l, ok, err := filelock.TryAcquire(nested)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue(), "released")
		Expect(l.Unlock()).To(Succeed())
	})

	It("excludes another process, and is released when that process dies", func() {
		cmd := startHolder(path)

		ours := acquireInBackground()
		Consistently(ours, 300*time.Millisecond).ShouldNot(Receive())

		Expect(cmd.Process.Kill()).To(Succeed())
		var l *filelock.Lock
		Eventually(ours, 10*time.Second).Should(Receive(&l))
		Expect(l.Unlock()).To(Succeed())
	})

	It("TryAcquire tells a held lock (another process alive) from a free one (it died)", func() {
		cmd := startHolder(path)

		l, ok, err := filelock.TryAcquire(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		Expect(l).To(BeNil())

		Expect(cmd.Process.Kill()).To(Succeed())
		_ = cmd.Wait()
		Eventually(func() bool {
			l, ok, err := filelock.TryAcquire(path)
			Expect(err).NotTo(HaveOccurred())
			if ok {
				Expect(l.Unlock()).To(Succeed())
			}
			return ok
		}, 10*time.Second).Should(BeTrue())
	})

	It("lets shared holders in together, and an exclusive one only after all have left", func() {
		r1, err := filelock.AcquireShared(path)
		Expect(err).NotTo(HaveOccurred())
		var r2 *filelock.Lock
		Eventually(acquireInBackground(filelock.AcquireShared), 5*time.Second).Should(Receive(&r2))

		writer := acquireInBackground()
		Consistently(writer, 200*time.Millisecond).ShouldNot(Receive())
		Expect(r1.Unlock()).To(Succeed())
		Consistently(writer, 200*time.Millisecond).ShouldNot(Receive())
		Expect(r2.Unlock()).To(Succeed())

		var w *filelock.Lock
		Eventually(writer, 5*time.Second).Should(Receive(&w))
		reader := acquireInBackground(filelock.AcquireShared)
		Consistently(reader, 200*time.Millisecond).ShouldNot(Receive())
		Expect(w.Unlock()).To(Succeed())
		var r3 *filelock.Lock
		Eventually(reader, 5*time.Second).Should(Receive(&r3))
		Expect(r3.Unlock()).To(Succeed())
	})

	It("says which file it could not open", func() {
		_, err := filelock.Acquire(filepath.Join(path, "no", "such", "dir"))
		Expect(err).To(MatchError(ContainSubstring("opening lock file")))
	})
})
