//go:build !windows

package main

import (
	"io"
	"os"

	"github.com/garden-windows/garden-windows-release/container"
	"github.com/garden-windows/garden-windows-release/host/sim"
	"github.com/garden-windows/garden-windows-release/wincli"
)

// The Linux build runs against the simulated Windows host, for tests.
func wire() (wincli.Env, error) {
	h, err := sim.FromEnv()
	if err != nil {
		return wincli.Env{}, err
	}
	return wincli.Env{
		Host:        sim.Compute{Host: h},
		DefaultRoot: h.Path(container.DefaultRoot),
		Stdin:       os.Stdin,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		Stat:        func(p string) (os.FileInfo, error) { return os.Stat(h.Path(p)) },
		LogHandle:   func(h uintptr) io.Writer { return os.NewFile(h, "log-handle") },
	}, nil
}
