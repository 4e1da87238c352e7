package layertar_test

import (
	"bytes"
	"io"
	"io/fs"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/garden-windows/garden-windows-release/image/layertar"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// countingReader counts the reads of its source.
type countingReader struct {
	r     io.Reader
	reads atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.r.Read(p)
}

// blockingReader blocks its first Read until release is closed.
type blockingReader struct {
	r       io.Reader
	entered chan struct{}
	release chan struct{}
	once    atomic.Bool
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if b.once.CompareAndSwap(false, true) {
		close(b.entered)
		<-b.release
	}
	return b.r.Read(p)
}

// filterGoroutines returns the stacks of goroutines running this
// package's code (not its tests').
func filterGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "/image/layertar.") {
			found = append(found, g)
		}
	}
	return found
}

var _ = Describe("Filter's Close", func() {
	var in []byte

	BeforeEach(func() {
		big := file("Files/big.bin", "")
		big.body = randomBytes(4<<20, 7)
		big.hdr.Size = int64(len(big.body))
		in = tarOf(dir("Files"), big, file("Files/after.txt", "after"))
	})

	It("leaves nothing running and nothing reading the source when the consumer stops early", func() {
		src := &countingReader{r: bytes.NewReader(in)}
		f := layertar.Filter(src)
		head := make([]byte, 100_000)
		_, err := io.ReadFull(f, head)
		Expect(err).NotTo(HaveOccurred())
		Expect(head).To(Equal(in[:len(head)]))

		Expect(f.Close()).To(Succeed())
		readsAtClose := src.reads.Load()
		Expect(filterGoroutines()).To(BeEmpty())

		n, err := f.Read(make([]byte, 100))
		Expect(n).To(BeZero())
		Expect(err).To(MatchError(fs.ErrClosed))
		Expect(src.reads.Load()).To(Equal(readsAtClose), "no read of the source after Close")
		Expect(f.Close()).To(Succeed(), "Close twice")
	})

	It("returns from Close while a Read waits for the source, and fails the Reads after", func() {
		src := &blockingReader{r: bytes.NewReader(in), entered: make(chan struct{}), release: make(chan struct{})}
		f := layertar.Filter(src)
		type result struct {
			n   int
			err error
		}
		done := make(chan result, 1)
		go func() {
			defer GinkgoRecover()
			n, err := f.Read(make([]byte, 4096))
			done <- result{n, err}
		}()
		Eventually(src.entered).Should(BeClosed())
		Expect(f.Close()).To(Succeed())

		close(src.release)
		var r result
		Eventually(done).Should(Receive(&r))
		Expect(r.err).NotTo(HaveOccurred(), "the Read under way when Close came finishes")
		Expect(filterGoroutines()).To(BeEmpty())

		_, err := f.Read(make([]byte, 4096))
		Expect(err).To(MatchError(fs.ErrClosed))
	})

	It("reads nothing of the source past the tar's end marker", func() {
		src := bytes.NewReader(append(bytes.Clone(in), "GZIP-TRAILER"...))
		out, err := io.ReadAll(layertar.Filter(src))
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(in))
		rest, err := io.ReadAll(src)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(rest)).To(Equal("GZIP-TRAILER"))
	})
})
