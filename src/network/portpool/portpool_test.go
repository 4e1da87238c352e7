package portpool_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/garden-windows/garden-windows-release/network/portpool"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Pool", func() {
	var dir, stateFile string
	var pool portpool.Pool

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		stateFile = filepath.Join(dir, "ports.json")
		pool = portpool.Pool{StateFile: stateFile, Start: 40000, Size: 10}
	})

	reserve := func(p portpool.Pool, handle string, want ...uint16) []uint16 {
		GinkgoHelper()
		got, err := p.Reserve(handle, want)
		Expect(err).NotTo(HaveOccurred())
		return got
	}

	Describe("Reserve", func() {
		It("gives the lowest free ports of the pool for 0", func() {
			Expect(reserve(pool, "a", 0, 0)).To(Equal([]uint16{40000, 40001}))
			Expect(reserve(pool, "b", 0)).To(Equal([]uint16{40002}))
			Expect(pool.Reserved("a")).To(Equal([]uint16{40000, 40001}))
			Expect(pool.Reserved("b")).To(Equal([]uint16{40002}))
		})

		It("gives exactly the ports asked for, in the pool or outside it", func() {
			Expect(reserve(pool, "a", 40003, 8080)).To(Equal([]uint16{40003, 8080}))
			Expect(reserve(pool, "b", 0, 0, 0, 0)).To(Equal([]uint16{40000, 40001, 40002, 40004}))
			Expect(pool.Reserved("a")).To(Equal([]uint16{8080, 40003}))
		})

		It("serves specific ports before any, in the order asked", func() {
			Expect(reserve(pool, "a", 0, 40000, 0, 61000)).To(Equal([]uint16{40001, 40000, 40002, 61000}))
			Expect(pool.Reserved("a")).To(Equal([]uint16{40000, 40001, 40002, 61000}))
		})

		It("adds to a handle's reservations when called again", func() {
			reserve(pool, "a", 0)
			reserve(pool, "b", 0)
			Expect(reserve(pool, "a", 0, 9000)).To(Equal([]uint16{40002, 9000}))
			Expect(pool.Reserved("a")).To(Equal([]uint16{9000, 40000, 40002}))
		})

		It("gives a port the handle already holds again, without holding it twice", func() {
			reserve(pool, "a", 8080)
			Expect(reserve(pool, "a", 8080)).To(Equal([]uint16{8080}))
			Expect(pool.Reserved("a")).To(Equal([]uint16{8080}))
		})

		It("reserves nothing for an empty request", func() {
			Expect(reserve(pool, "a")).To(BeEmpty())
			Expect(pool.All()).To(BeEmpty())
		})

		It("refuses a port another handle holds, naming it, and reserves nothing", func() {
			reserve(pool, "a", 0, 8080)
			before, err := pool.All()
			Expect(err).NotTo(HaveOccurred())

			_, err = pool.Reserve("b", []uint16{0, 0, 8080})
			Expect(err).To(MatchError(portpool.ErrPortTaken))
			Expect(err).To(MatchError(ContainSubstring("host port taken: port 8080 is already in use by container a")))
			// The pool ports b would have had are still free.
			Expect(reserve(pool, "a", 0)).To(Equal([]uint16{40001}))
			Expect(pool.Reserved("b")).To(BeEmpty())
			after, err := pool.All()
			Expect(err).NotTo(HaveOccurred())
			Expect(after).To(HaveLen(len(before)))
			Expect(after["a"]).To(Equal([]uint16{8080, 40000, 40001}))
		})

		It("says when the pool is exhausted, how many are in use and what to raise, and reserves nothing", func() {
			pool.Size = 3
			reserve(pool, "a", 0, 0)

			_, err := pool.Reserve("b", []uint16{7000, 0, 0})
			Expect(err).To(MatchError(portpool.ErrExhausted))
			Expect(err).To(MatchError(ContainSubstring("container b needs 2 ports but only 1 of the pool's 3 ports (40000-40002) are free, 2 in use")))
			Expect(err).To(MatchError(ContainSubstring("raise winc_network.port_pool.size")))
			Expect(pool.All()).To(Equal(map[string][]uint16{"a": {40000, 40001}}))

			Expect(pool.Release("a")).To(Succeed())
			Expect(reserve(pool, "b", 7000, 0, 0)).To(Equal([]uint16{7000, 40000, 40001}))
		})

		It("counts only the pool's ports as in use, and uses the last port of the range", func() {
			pool = portpool.Pool{StateFile: stateFile, Start: 65530, Size: 6}
			reserve(pool, "outside", 8080, 9090)
			Expect(reserve(pool, "a", 0, 0, 0, 0, 0, 0)).To(Equal([]uint16{65530, 65531, 65532, 65533, 65534, 65535}))
			_, err := pool.Reserve("b", []uint16{0})
			Expect(err).To(MatchError(ContainSubstring("only 0 of the pool's 6 ports (65530-65535) are free, 6 in use")))
		})

		It("fills a 5000-port pool exactly, with no port given twice", func() {
			pool.Size = 5000
			want := make([]uint16, 100)
			seen := map[uint16]string{}
			for h := 0; h < 50; h++ {
				handle := fmt.Sprint("c", h)
				for _, p := range reserve(pool, handle, want...) {
					if other, dup := seen[p]; dup || p < 40000 || p >= 45000 {
						Fail(fmt.Sprintf("%s got port %d (held by %q)", handle, p, other))
					}
					seen[p] = handle
				}
			}
			Expect(seen).To(HaveLen(5000))
			_, err := pool.Reserve("one-more", []uint16{0})
			Expect(err).To(MatchError(portpool.ErrExhausted))
			Expect(err).To(MatchError(ContainSubstring("5000 in use")))

			Expect(pool.Release("c17")).To(Succeed())
			Expect(reserve(pool, "one-more", 0, 0)).To(Equal([]uint16{41700, 41701}))
		})

		It("refuses a pool outside 1-65535, saying which properties to check", func() {
			for _, bad := range []portpool.Pool{
				{Start: 0, Size: 10},
				{Start: 40000, Size: 0},
				{Start: 40000, Size: -1},
				{Start: 65535, Size: 2},
				{Start: 70000, Size: 1},
			} {
				bad.StateFile = stateFile
				_, err := bad.Reserve("a", []uint16{0})
				Expect(err).To(MatchError(portpool.ErrInvalidPool), "%+v", bad)
				Expect(err).To(MatchError(ContainSubstring("winc_network.port_pool.size")))
			}
			_, err := portpool.Pool{StateFile: stateFile, Start: 65535, Size: 1}.Reserve("a", []uint16{0})
			Expect(err).NotTo(HaveOccurred())
		})

		It("refuses an empty handle", func() {
			_, err := pool.Reserve("", []uint16{0})
			Expect(err).To(MatchError(portpool.ErrEmptyHandle))
			Expect(pool.Release("")).To(MatchError(portpool.ErrEmptyHandle))
			_, err = pool.Reserved("")
			Expect(err).To(MatchError(portpool.ErrEmptyHandle))
		})

		It("refuses a corrupt state file, naming it", func() {
			Expect(os.WriteFile(stateFile, []byte("{nope"), 0o644)).To(Succeed())
			_, err := pool.Reserve("a", []uint16{0})
			Expect(err).To(MatchError(ContainSubstring(stateFile)))
			Expect(err).To(MatchError(ContainSubstring("corrupt")))
		})
	})

	Describe("Release", func() {
		It("frees all of a handle's ports for others", func() {
			reserve(pool, "a", 0, 0, 8080)
			reserve(pool, "b", 0)
			Expect(pool.Release("a")).To(Succeed())
			Expect(pool.Reserved("a")).To(BeEmpty())
			Expect(pool.All()).To(Equal(map[string][]uint16{"b": {40002}}))
			Expect(reserve(pool, "c", 8080, 0, 0, 0)).To(Equal([]uint16{8080, 40000, 40001, 40003}))
		})

		It("is idempotent, and succeeds for a handle it never saw", func() {
			Expect(pool.Release("nobody")).To(Succeed())
			reserve(pool, "a", 0)
			Expect(pool.Release("a")).To(Succeed())
			Expect(pool.Release("a")).To(Succeed())
			Expect(pool.All()).To(BeEmpty())
		})
	})

	It("keeps reservations on disk, for every Pool value on that state file", func() {
		reserve(pool, "a", 0, 8080)
		other := portpool.Pool{StateFile: stateFile, Start: 40000, Size: 10}
		Expect(other.Reserved("a")).To(Equal([]uint16{8080, 40000}))
		Expect(reserve(other, "b", 0)).To(Equal([]uint16{40001}))
		_, err := other.Reserve("c", []uint16{8080})
		Expect(err).To(MatchError(portpool.ErrPortTaken))

		grown := portpool.Pool{StateFile: stateFile, Start: 40000, Size: 5000}
		Expect(grown.All()).To(Equal(map[string][]uint16{"a": {8080, 40000}, "b": {40001}}))
		Expect(grown.Release("a")).To(Succeed())
		Expect(pool.All()).To(Equal(map[string][]uint16{"b": {40001}}))
	})

	It("never gives a port to two handles at once across concurrent processes", func() {
		const processes, cycles = 16, 30
		events := filepath.Join(dir, "events.log")
		pool.Size = 64 // 16 handles × 2 ports: half the pool in use at the worst moment
		var specs []childSpec
		for i := 0; i < processes; i++ {
			specs = append(specs, childSpec{StateFile: stateFile, EventLog: events, Handle: fmt.Sprint("proc-", i),
				Start: pool.Start, Size: pool.Size, Ops: cycles, Ports: 2, Check: true})
		}
		kids, err := startChildren(specs)
		DeferCleanup(kids.kill)
		Expect(err).NotTo(HaveOccurred())
		Expect(kids.wait()).To(Succeed())

		r, err := replay(events)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.DoubleAllocations).To(BeEmpty())
		Expect(r.Other).To(BeEmpty())
		Expect(r.StillHeld).To(BeEmpty())
		Expect(r.Reserves).To(Equal(processes * cycles * 2))
		Expect(r.Releases).To(Equal(processes * cycles * 2))
		Expect(pool.All()).To(BeEmpty())
	})

	Describe("the event-log replay", func() {
		It("catches a port held by two handles at once", func() {
			events := filepath.Join(dir, "events.log")
			Expect(os.WriteFile(events, []byte("reserve 40000 a\nreserve 40000 b\nrelease 40000 a\nrelease 40000 b\n"), 0o644)).To(Succeed())
			r, err := replay(events)
			Expect(err).NotTo(HaveOccurred())
			Expect(r.DoubleAllocations).To(ConsistOf(ContainSubstring("port 40000 reserved by b while a held it")))
		})
	})
})
