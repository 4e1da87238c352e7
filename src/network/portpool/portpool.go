// Package portpool hands out the host ports of containers' port mappings
// (net-in). gdn runs one winc-network process per request, many at once, so
// the reservations live in one state file that every process changes under
// its lock (package statefile): whatever the interleaving, a host port is
// never handed to two containers, and a process that dies mid-change leaves
// the previous reservations intact.
//
// The state is a map from container handle to that container's sorted
// ports, so the file grows with the reservations, not with the pool. Each
// change reads and writes it once, and finds free ports in a bitmap of the
// reserved ones, 64 ports a word: a pool of 5000 ports or more with
// hundreds of containers costs little more than an empty one.
package portpool

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"github.com/garden-windows/garden-windows-release/internal/statefile"
)

// Sentinel errors, for errors.Is; the errors returned say more.
var (
	// ErrExhausted: the pool has fewer free ports than were asked for.
	ErrExhausted = errors.New("port pool exhausted")
	// ErrPortTaken: a specific port is reserved by another container.
	ErrPortTaken = errors.New("host port taken")
	// ErrInvalidPool: Start and Size do not describe ports within 1-65535.
	ErrInvalidPool = errors.New("invalid port pool")
	// ErrEmptyHandle: the container handle is empty.
	ErrEmptyHandle = errors.New("empty container handle")
)

// Pool is the host-port pool of winc-network: ports Start to Start+Size-1,
// with the reservations kept in StateFile (its lock is StateFile+".lock").
// A Pool is a plain value: any number of them, in any number of processes,
// may share one StateFile.
type Pool struct {
	StateFile   string
	Start, Size int
}

// state is the document in StateFile.
type state struct {
	// Reservations maps a container handle to its ports, sorted. A handle
	// with no ports has no entry.
	Reservations map[string][]uint16 `json:"reservations"`
}

// errUnchanged makes statefile.Update skip the write when a change would
// change nothing.
var errUnchanged = errors.New("unchanged")

// Reserve gives handle one port per entry of want, in want's order: 0 means
// any free port of the pool (the lowest free one), non-zero exactly that
// port, which may be outside the pool (an operator's fixed mapping) but must
// not be reserved by another handle. A port handle already holds is given
// again, not reserved twice. It is all or nothing: on error nothing is
// reserved. Calling it again for a handle adds to its reservations.
func (p Pool) Reserve(handle string, want []uint16) ([]uint16, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	if handle == "" {
		return nil, fmt.Errorf("%w: cannot reserve ports for it", ErrEmptyHandle)
	}
	if len(want) == 0 {
		return []uint16{}, nil
	}
	var got []uint16
	err := statefile.Update(p.StateFile, func(s *state) error {
		var err error
		got, err = p.reserve(s, handle, want)
		return err
	})
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return got, nil
}

func (p Pool) reserve(s *state, handle string, want []uint16) ([]uint16, error) {
	var used bitmap
	for h, ports := range s.Reservations {
		for _, port := range ports {
			used.set(port, h == handle)
		}
	}

	got := make([]uint16, len(want))
	var added []uint16
	// Specific ports first, so that an "any" never takes a port asked for
	// later in the same request.
	anys := 0
	for i, port := range want {
		if port == 0 {
			anys++
			continue
		}
		got[i] = port
		if used.ours(port) {
			continue
		}
		if used.has(port) {
			return nil, fmt.Errorf("%w: port %d is already in use by container %s; choose another port, or 0 for any free port of the pool",
				ErrPortTaken, port, owner(s, port))
		}
		used.set(port, true)
		added = append(added, port)
	}

	if anys > 0 {
		first, last := p.Start, p.Start+p.Size-1
		if free := p.Size - used.count(first, last); free < anys {
			return nil, fmt.Errorf("%w: container %s needs %d ports but only %d of the pool's %d ports (%d-%d) are free, %d in use; raise winc_network.port_pool.size, or remove containers",
				ErrExhausted, handle, anys, free, p.Size, first, last, p.Size-free)
		}
		next := first
		for i, port := range want {
			if port != 0 {
				continue
			}
			free, _ := used.nextFree(next, last) // counted above: there is one
			used.set(free, true)
			got[i] = free
			added = append(added, free)
			next = int(free) + 1
		}
	}

	if len(added) == 0 {
		return got, errUnchanged
	}
	if s.Reservations == nil {
		s.Reservations = map[string][]uint16{}
	}
	ports := append(s.Reservations[handle], added...)
	slices.Sort(ports)
	s.Reservations[handle] = ports
	return got, nil
}

// owner names the handle that holds port.
func owner(s *state, port uint16) string {
	for h, ports := range s.Reservations {
		if slices.Contains(ports, port) {
			return h
		}
	}
	return "(unknown)"
}

// Release frees all of handle's ports. Releasing a handle that holds none
// succeeds, and writes nothing.
func (p Pool) Release(handle string) error {
	if handle == "" {
		return fmt.Errorf("%w: cannot release its ports", ErrEmptyHandle)
	}
	err := statefile.Update(p.StateFile, func(s *state) error {
		if _, ok := s.Reservations[handle]; !ok {
			return errUnchanged
		}
		delete(s.Reservations, handle)
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// Reserved returns handle's ports, sorted; none if it holds none.
func (p Pool) Reserved(handle string) ([]uint16, error) {
	if handle == "" {
		return nil, fmt.Errorf("%w: cannot look up its ports", ErrEmptyHandle)
	}
	s, err := statefile.Read[state](p.StateFile)
	if err != nil {
		return nil, err
	}
	return s.Reservations[handle], nil
}

// All returns every reservation: each handle's ports, sorted.
func (p Pool) All() (map[string][]uint16, error) {
	s, err := statefile.Read[state](p.StateFile)
	if err != nil {
		return nil, err
	}
	if s.Reservations == nil {
		s.Reservations = map[string][]uint16{}
	}
	return s.Reservations, nil
}

func (p Pool) validate() error {
	if p.Start < 1 || p.Start > 65535 || p.Size < 1 || p.Start+p.Size-1 > 65535 {
		return fmt.Errorf("%w: start %d and size %d must give ports within 1-65535 (check winc_network.port_pool.start and winc_network.port_pool.size)",
			ErrInvalidPool, p.Start, p.Size)
	}
	return nil
}

// bitmap holds one bit per port: whether it is reserved, and separately
// whether the handle being served holds it.
type bitmap struct {
	used, mine [65536 / 64]uint64
}

func (b *bitmap) set(port uint16, mine bool) {
	b.used[port/64] |= 1 << (port % 64)
	if mine {
		b.mine[port/64] |= 1 << (port % 64)
	}
}

func (b *bitmap) has(port uint16) bool  { return b.used[port/64]&(1<<(port%64)) != 0 }
func (b *bitmap) ours(port uint16) bool { return b.mine[port/64]&(1<<(port%64)) != 0 }

// count returns how many ports from first to last (inclusive) are used.
func (b *bitmap) count(first, last int) int {
	n := 0
	for w := first / 64; w <= last/64; w++ {
		n += bits.OnesCount64(b.used[w] & rangeMask(w, first, last))
	}
	return n
}

// nextFree returns the lowest unused port from first to last.
func (b *bitmap) nextFree(first, last int) (uint16, bool) {
	if first > last {
		return 0, false
	}
	for w := first / 64; w <= last/64; w++ {
		if free := ^b.used[w] & rangeMask(w, first, last); free != 0 {
			return uint16(w*64 + bits.TrailingZeros64(free)), true
		}
	}
	return 0, false
}

// rangeMask selects the bits of word w that are within first..last.
func rangeMask(w, first, last int) uint64 {
	mask := ^uint64(0)
	if lo := w * 64; first > lo {
		mask &^= 1<<(first-lo) - 1
	}
	if hi := w*64 + 63; last < hi {
		mask &= 1<<(last-w*64+1) - 1
	}
	return mask
}
