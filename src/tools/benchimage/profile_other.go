//go:build !windows

package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"

	"github.com/garden-windows/garden-windows-release/grootcli"
	"github.com/garden-windows/garden-windows-release/host/sim"
)

// runProfile runs groot's command line in this process against the
// simulated host, wired as cmd/groot's Linux build wires it, so that the
// profile is of groot's own code, unchanged. It returns groot's exit code.
func runProfile(args []string) (int, error) {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	cpu := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	tr := fs.String("trace", "", "write an execution trace of the run to this file")
	if err := fs.Parse(args); err != nil {
		return 0, err
	}
	if fs.NArg() == 0 {
		return 0, errors.New("give groot's arguments after --, e.g. -- --config groot.json pull oci:///C:/bench/layout")
	}
	h, err := sim.FromEnv()
	if err != nil {
		return 0, err
	}
	env := grootcli.Env{
		Local:     h.Path,
		Layers:    sim.Layers{Host: h},
		Volumes:   sim.Volumes{Host: h},
		OSVersion: h.OSVersion,
		Version:   "benchimage",
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, fmt.Errorf("starting the CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if *tr != "" {
		f, err := os.Create(*tr)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return 0, fmt.Errorf("starting the execution trace: %w", err)
		}
		defer trace.Stop()
	}
	return grootcli.Main(fs.Args(), env), nil
}
