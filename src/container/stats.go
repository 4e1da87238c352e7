package container

import (
	"code.cloudfoundry.org/garden"

	"github.com/garden-windows/garden-windows-release/host"

	"github.com/garden-windows/garden-windows-release/internal/hresult"
)

// StatsEvent is one event of `events --stats`, in the shape gdn reads from
// runc (rundmc/runrunc/stats.go at the pinned Guardian).
type StatsEvent struct {
	Type string    `json:"type"`
	ID   string    `json:"id"`
	Data StatsData `json:"data"`
}

// StatsData holds the figures of a StatsEvent.
type StatsData struct {
	CPU    CPUStats    `json:"cpu"`
	Memory MemoryStats `json:"memory"`
	Pids   PidStats    `json:"pids"`
}

// CPUStats are CPU times in nanoseconds.
type CPUStats struct {
	Usage struct {
		Total  uint64 `json:"total"`
		Kernel uint64 `json:"kernel"`
		User   uint64 `json:"user"`
	} `json:"usage"`
}

// MemoryStats carries Garden's memory figures.
type MemoryStats struct {
	Raw garden.ContainerMemoryStat `json:"raw"`
}

// PidStats counts the container's processes.
type PidStats struct {
	Current uint64 `json:"current"`
	Limit   uint64 `json:"limit"`
}

// Stats reports container id's resource use.
func (r *Runtime) Stats(id string) (StatsEvent, error) {
	if err := ValidateID(id); err != nil {
		return StatsEvent{}, err
	}
	st, err := r.States.Get(id)
	if err != nil {
		return StatsEvent{}, err
	}
	s, err := r.Host.Stats(id)
	if err != nil {
		return StatsEvent{}, hresult.Explain("reading statistics of "+id, err)
	}
	return statsEvent(id, st.MemoryLimitBytes, s), nil
}

func statsEvent(id string, limit uint64, s host.Stats) StatsEvent {
	e := StatsEvent{Type: "stats", ID: id}
	// HCS counts CPU time in 100ns units; runc in nanoseconds.
	e.Data.CPU.Usage.Total = s.CPUTotal100ns * 100
	e.Data.CPU.Usage.Kernel = s.CPUKernel100ns * 100
	e.Data.CPU.Usage.User = s.CPUUser100ns * 100
	// Windows enforces a container's memory limit on committed memory, so
	// commit is what counts toward the limit. gdn sums total_rss,
	// total_cache and total_swap (minus total_inactive_file) into
	// "usage toward limit", so commit goes in total_rss alone.
	e.Data.Memory.Raw = garden.ContainerMemoryStat{
		TotalRss:                s.MemoryCommitBytes,
		Rss:                     s.MemoryPrivateWorkingSetBytes,
		HierarchicalMemoryLimit: limit,
	}
	e.Data.Pids.Current = uint64(s.Processes)
	return e
}
