//go:build !windows

package main

import (
	"os"

	"github.com/garden-windows/garden-windows-release/grootcli"
	"github.com/garden-windows/garden-windows-release/host/sim"
)

// The Linux build runs against the simulated Windows host, for tests.
func wire() (grootcli.Env, error) {
	h, err := sim.FromEnv()
	if err != nil {
		return grootcli.Env{}, err
	}
	return grootcli.Env{
		Local:     h.Path,
		Layers:    sim.Layers{Host: h},
		Volumes:   sim.Volumes{Host: h},
		OSVersion: h.OSVersion,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
	}, nil
}
