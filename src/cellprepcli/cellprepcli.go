// Package cellprepcli is cell-prep's command line: plan, converge, check
// and watch over package cellprep, with text for people and JSON for
// machines.
package cellprepcli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/garden-windows/garden-windows-release/cellprep"
	"github.com/garden-windows/garden-windows-release/groot"
	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/image/volume"
	"github.com/garden-windows/garden-windows-release/internal/filelock"
	"github.com/garden-windows/garden-windows-release/internal/winpath"
	"github.com/garden-windows/garden-windows-release/network"
	"github.com/garden-windows/garden-windows-release/network/portpool"
)

// Exit codes.
const (
	ExitNotReady = 1
	ExitUsage    = 2
	// ExitRebooting: converge scheduled a reboot.
	ExitRebooting = 3
)

// Env is what an invocation needs from its surroundings.
type Env struct {
	System   host.SystemHost
	Compute  host.ComputeHost
	Network  host.NetworkHost
	Volumes  host.VolumeHost
	Commands cellprep.Commands
	// Local maps a Windows path to where it is on this machine.
	Local   func(string) string
	Version string
	Stdout  io.Writer
	// Stderr carries JSON log lines.
	Stderr io.Writer
}

const usage = `cell-prep: prepares a Windows cell for garden-windows and keeps it ready

usage: cell-prep --config FILE COMMAND

commands:
  plan [--json]   inspect the cell and say what converge would do (changes nothing)
  converge        apply the plan, then verify; exit 0 only if the cell is ready
  check           verify only (post-start); non-zero with a report if anything is off
  watch           re-check on an interval and repair drift (runs under monit)

exit codes: 0 ready, 1 not ready or failed, 2 usage, 3 a reboot was scheduled
`

// Main runs one invocation and returns its exit code.
func Main(args []string, env Env) int {
	fs := flag.NewFlagSet("cell-prep", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	configFile := fs.String("config", "", "cell-prep's JSON configuration (the cell-prep job renders it)")
	version := fs.Bool("version", false, "print the version")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, usage)
			return 0
		}
		return usageError(env, err.Error())
	}
	if *version {
		fmt.Fprintf(env.Stdout, "cell-prep version %s\n", env.Version)
		return 0
	}
	if fs.NArg() == 0 {
		return usageError(env, "no command given")
	}
	if *configFile == "" {
		return usageError(env, "no --config given (the cell-prep job renders it)")
	}
	command, rest := fs.Arg(0), fs.Args()[1:]
	sub := flag.NewFlagSet(command, flag.ContinueOnError)
	sub.SetOutput(io.Discard)
	asJSON := sub.Bool("json", false, "print JSON")
	if err := sub.Parse(rest); err != nil || sub.NArg() > 0 {
		return usageError(env, fmt.Sprintf("%s: unexpected arguments %q", command, rest))
	}
	if *asJSON && command != "plan" && command != "check" {
		return usageError(env, "--json goes with plan and check")
	}

	logger := lager.NewLogger("cell-prep")
	logger.RegisterSink(lager.NewPrettySink(env.Stderr, lager.INFO))
	agent, err := newAgent(*configFile, env, logger)
	if err != nil {
		fmt.Fprintf(env.Stdout, "cell-prep: %v\n", err)
		logger.Error("start", err)
		return ExitNotReady
	}

	switch command {
	case "plan", "check":
		r := agent.Plan()
		if command == "check" {
			r = agent.Check()
		}
		if *asJSON {
			printJSON(env.Stdout, r)
		} else {
			printReport(env.Stdout, command, r)
		}
		if command == "check" && !r.Ready {
			return ExitNotReady
		}
		return 0
	case "converge":
		r, err := agent.Converge()
		printReport(env.Stdout, command, r)
		switch {
		case errors.Is(err, cellprep.ErrRebootScheduled):
			fmt.Fprintf(env.Stdout, "\n%v\n", err)
			return ExitRebooting
		case err != nil:
			fmt.Fprintf(env.Stdout, "\ncell-prep converge failed: %v\n", err)
			logger.Error("converge", err)
			return ExitNotReady
		}
		return 0
	case "watch":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		logger.Info("watching", lager.Data{"interval_seconds": agent.Config.WatchIntervalSeconds, "status_file": agent.Config.StatusFile})
		agent.Watch(ctx)
		return 0
	}
	return usageError(env, fmt.Sprintf("unknown command %q", command))
}

func usageError(env Env, msg string) int {
	fmt.Fprintf(env.Stderr, "cell-prep: %s (cell-prep --help lists the commands)\n", msg)
	return ExitUsage
}

// newAgent wires the agent from the configuration, with winc-network's
// and groot's own configuration files for the parts they own.
func newAgent(configFile string, env Env, logger lager.Logger) (*cellprep.Agent, error) {
	cfg, err := cellprep.LoadConfig(configFile)
	if err != nil {
		return nil, err
	}
	a := &cellprep.Agent{
		Config: cfg, System: env.System, Compute: env.Compute, Commands: env.Commands,
		Local: env.Local, Log: logger, Now: time.Now,
	}
	if cfg.WincNetworkConfig != "" {
		netCfg, err := network.LoadConfig(env.Local(cfg.WincNetworkConfig))
		if err != nil {
			return nil, fmt.Errorf("winc_network_config: %w", err)
		}
		stateDir := env.Local(netCfg.StateDir)
		pool := portpool.Pool{StateFile: filepath.Join(stateDir, "ports.json"), Start: netCfg.PortPoolStart, Size: netCfg.PortPoolSize}
		a.Ports = &pool
		a.Networker = &network.Networker{
			Host: env.Network, Config: netCfg, Log: logger, Sleep: time.Sleep, Ports: pool,
			HostLock: filelock.Holder(filepath.Join(stateDir, "endpoints.lock")),
		}
	}
	if cfg.GrootConfig != "" {
		gcfg, err := groot.LoadConfig(env.Local(cfg.GrootConfig))
		if err != nil {
			return nil, fmt.Errorf("groot_config: %w", err)
		}
		lock := env.Local(winpath.Join(gcfg.DriverStore, "volumes.lock"))
		a.Volumes = &volume.Manager{
			Dir: winpath.Join(gcfg.DriverStore, "volumes"), Local: env.Local, Host: env.Volumes, Log: logger,
			HostLock: filelock.Holder(lock),
		}
	}
	return a, nil
}

func printJSON(w io.Writer, r cellprep.Report) {
	data, _ := json.MarshalIndent(r, "", "  ")
	fmt.Fprintf(w, "%s\n", data)
}

// printReport writes a report for people.
func printReport(w io.Writer, command string, r cellprep.Report) {
	need := 0
	for _, f := range r.Findings {
		if !f.Ready {
			need++
		}
	}
	for _, f := range r.Findings {
		mark := "ok"
		switch {
		case f.Ready:
		case f.Action != "":
			mark = "ACTION"
		default:
			mark = "PROBLEM"
		}
		fmt.Fprintf(w, "[%-7s] %-32s %s\n", mark, f.Check, f.Current)
		if !f.Ready {
			fmt.Fprintf(w, "          %-32s wanted: %s\n", "", f.Desired)
		}
		if f.Action != "" && !f.Ready {
			fmt.Fprintf(w, "          %-32s action: %s\n", "", f.Action)
			for _, c := range f.Commands {
				fmt.Fprintf(w, "          %-32s runs: %s\n", "", c)
			}
		}
		if f.Problem != "" {
			fmt.Fprintf(w, "          %-32s %s\n", "", f.Problem)
		}
		for _, n := range f.Notes {
			fmt.Fprintf(w, "          %-32s note: %s\n", "", n)
		}
	}
	for _, c := range r.Changed {
		fmt.Fprintf(w, "changed: %s\n", c)
	}
	switch {
	case command == "converge" && r.Ready && len(r.Changed) == 0:
		fmt.Fprintln(w, "the cell is ready; nothing changed")
	case r.Ready:
		fmt.Fprintln(w, "the cell is ready")
	default:
		fmt.Fprintf(w, "the cell is not ready: %d of %d checks %s\n", need, len(r.Findings), strings.TrimSpace(map[bool]string{true: "need action", false: "are off"}[command == "plan"]))
	}
}
