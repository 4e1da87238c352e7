//go:build !windows

package main

import (
	"os"

	"github.com/garden-windows/garden-windows-release/container"
	"github.com/garden-windows/garden-windows-release/host/sim"
	"github.com/garden-windows/garden-windows-release/nstarcli"
)

// simRoots finds the simulated container's C: from winc's state, as the
// Windows build finds its volume.
type simRoots struct {
	store   container.Store
	compute sim.Compute
}

func (s simRoots) ContainerRoot(pid int) (string, error) {
	st, err := s.store.FindByPid(pid)
	if err != nil {
		return "", err
	}
	return s.compute.Drive(st.ID), nil
}

// The Linux build runs against the simulated Windows host, for tests.
func wire() (nstarcli.Env, error) {
	h, err := sim.FromEnv()
	if err != nil {
		return nstarcli.Env{}, err
	}
	return nstarcli.Env{
		Roots:  simRoots{store: container.Store{Root: h.Path(container.DefaultRoot)}, compute: sim.Compute{Host: h}},
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}, nil
}
