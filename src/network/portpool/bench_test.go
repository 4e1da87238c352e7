package portpool_test

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/garden-windows/garden-windows-release/internal/statefile"
	"github.com/garden-windows/garden-windows-release/network/portpool"
)

// Residents are the containers already on the cell while the benchmark
// runs, so that each change reads and writes a state file of a realistic
// size: benchResidents handles holding 2 ports each, of a pool of the
// default 5000 ports.
const (
	benchResidents = 250
	benchPoolStart = 40000
	benchPoolSize  = 5000
)

// BenchmarkConcurrentProcesses measures port allocation and release (one op:
// reserve 1 port of the pool for a handle, and release one) by 1, 8 and 64
// processes at once sharing one state file, b.N ops in all, split evenly.
// Each process releases a reservation only after making its next one
// (childSpec.Overlap), so each port's logged holding interval spans another
// reservation: a port given to two handles shows in the event log.
// It reports ops/s over the time from when all processes were told to go
// until the last one finished (process start-up is not counted), and fails
// if the processes' event log shows a port held by two handles at once
// (also reported as the double-allocs metric). scripts/bench-network runs
// it and compares the figures.
func BenchmarkConcurrentProcesses(b *testing.B) {
	for _, procs := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) { benchProcesses(b, procs) })
	}
}

func benchProcesses(b *testing.B, procs int) {
	b.StopTimer()
	dir := b.TempDir()
	pool := portpool.Pool{StateFile: filepath.Join(dir, "ports.json"), Start: benchPoolStart, Size: benchPoolSize}
	events := filepath.Join(dir, "events.log")
	// One write of the residents' reservations, in portpool's format,
	// rather than one Reserve each: checked below through All.
	residents := map[string][]uint16{}
	for i := 0; i < benchResidents; i++ {
		port := uint16(benchPoolStart + 2*i)
		residents[fmt.Sprintf("resident-%03d", i)] = []uint16{port, port + 1}
	}
	err := statefile.Update(pool.StateFile, func(s *struct {
		Reservations map[string][]uint16 `json:"reservations"`
	}) error {
		s.Reservations = residents
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if all, err := pool.All(); err != nil || !maps.EqualFunc(all, residents, slices.Equal) {
		b.Fatalf("the residents' reservations did not take (has the state format changed?): %v", err)
	}

	var specs []childSpec
	for i := 0; i < procs; i++ {
		ops := b.N / procs
		if i < b.N%procs {
			ops++
		}
		specs = append(specs, childSpec{StateFile: pool.StateFile, EventLog: events, Handle: fmt.Sprint("bench-", i),
			Start: pool.Start, Size: pool.Size, Ops: ops, Ports: 1, Overlap: true, Sync: true})
	}
	kids, err := startChildren(specs)
	defer kids.kill()
	if err != nil {
		b.Fatal(err)
	}
	kids.ready.Wait()
	b.StartTimer()
	start := kids.begin()
	end := kids.finished()
	b.StopTimer()
	if err := kids.wait(); err != nil {
		b.Fatal(err)
	}

	r, err := replay(events)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(r.DoubleAllocations)), "double-allocs")
	b.ReportMetric(float64(b.N)/end.Sub(start).Seconds(), "ops/s")
	if len(r.DoubleAllocations) > 0 {
		b.Errorf("double allocation: %d times a port was reserved while another handle held it:\n%s",
			len(r.DoubleAllocations), strings.Join(r.DoubleAllocations[:min(10, len(r.DoubleAllocations))], "\n"))
	}
	if len(r.Other) > 0 || len(r.StillHeld) > 0 || r.Reserves != b.N || r.Releases != b.N {
		b.Errorf("inconsistent event log: %d reserves and %d releases for %d ops; %d ports still held; %d other problems:\n%s",
			r.Reserves, r.Releases, b.N, len(r.StillHeld), len(r.Other), strings.Join(r.Other[:min(10, len(r.Other))], "\n"))
	}
	all, err := pool.All()
	if err != nil {
		b.Fatal(err)
	}
	if !maps.EqualFunc(all, residents, slices.Equal) {
		b.Errorf("after the run the state holds %d handles, want only the %d residents as they were", len(all), len(residents))
	}
}
