//go:build !windows

package main

import (
	"os"
	"time"

	"github.com/garden-windows/garden-windows-release/host/sim"
	"github.com/garden-windows/garden-windows-release/wincnetcli"
)

// The Linux build runs against the simulated Windows host, for tests.
func wire() (wincnetcli.Env, error) {
	h, err := sim.FromEnv()
	if err != nil {
		return wincnetcli.Env{}, err
	}
	return wincnetcli.Env{Host: sim.Network{Host: h}, Interfaces: sim.Interfaces{Host: h}, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Sleep: time.Sleep}, nil
}
