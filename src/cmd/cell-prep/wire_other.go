//go:build !windows

package main

import (
	"os"

	"github.com/garden-windows/garden-windows-release/cellprepcli"
	"github.com/garden-windows/garden-windows-release/host/sim"
)

// The Linux build runs against the simulated Windows host, for tests.
func wire() (cellprepcli.Env, error) {
	h, err := sim.FromEnv()
	if err != nil {
		return cellprepcli.Env{}, err
	}
	return cellprepcli.Env{
		System:   sim.Windows{Host: h},
		Compute:  sim.Compute{Host: h},
		Network:  sim.Network{Host: h},
		Volumes:  sim.Volumes{Host: h},
		Commands: cellprepcli.CommandLines{},
		Local:    h.Path,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
	}, nil
}
