// Package wincnetcli is winc-network's command line: gdn's network plugin
// protocol (netplugin/external_networker.go at the pinned Guardian: the
// plugin's extra arguments, then --action and --handle, JSON on stdin and
// stdout), plus create and delete of the host's NAT network. The work is
// package network's.
package wincnetcli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/garden"
	"code.cloudfoundry.org/lager/v3"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/internal/filelock"
	"github.com/garden-windows/garden-windows-release/network"
	"github.com/garden-windows/garden-windows-release/network/portpool"
)

// Exit codes.
const (
	ExitFailed = 1
	ExitUsage  = 2
)

// Env is what an invocation needs from its surroundings.
type Env struct {
	Host host.NetworkHost
	// Interfaces sets container interface MTUs.
	Interfaces host.InterfaceHost
	Version    string
	Stdin      io.Reader
	Stdout     io.Writer
	// Stderr carries JSON log lines; gdn logs them with the action.
	Stderr io.Writer
	Sleep  func(time.Duration)
}

const usage = `winc-network: the network plugin of garden-windows (HNS NAT networking)

usage: winc-network [--configFile FILE] [--debug] --action ACTION [--handle HANDLE]

actions (gdn's): up, down, net-in, net-out, bulk-net-out (JSON on stdin, JSON on stdout)
actions (host preparation): create, delete (the NAT network)

options:
`

// Main runs one invocation and returns its exit code.
func Main(args []string, env Env) int {
	fs := flag.NewFlagSet("winc-network", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	action := fs.String("action", "", "what to do")
	handle := fs.String("handle", "", "the container's handle")
	configFile := fs.String("configFile", "", "winc-network's JSON configuration")
	debug := fs.Bool("debug", false, "log at debug level")
	version := fs.Bool("version", false, "print the version")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, usage)
			fs.SetOutput(env.Stdout)
			fs.PrintDefaults()
			return 0
		}
		return usageError(env, err.Error())
	}
	if *version {
		fmt.Fprintf(env.Stdout, "winc-network version %s\n", env.Version)
		return 0
	}
	if fs.NArg() > 0 {
		return usageError(env, fmt.Sprintf("unexpected arguments: %v", fs.Args()))
	}
	if *action == "" {
		return usageError(env, "no --action given")
	}
	if *configFile == "" {
		return usageError(env, "no --configFile given (the winc-network job renders it)")
	}
	logger := lager.NewLogger("winc-network")
	level := lager.INFO
	if *debug {
		level = lager.DEBUG
	}
	logger.RegisterSink(lager.NewWriterSink(env.Stderr, level))

	err := run(*action, *handle, *configFile, env, logger)
	var u usageErr
	if errors.As(err, &u) {
		return usageError(env, string(u))
	}
	if err != nil {
		logger.Error("failed", err, lager.Data{"action": *action, "handle": *handle})
		return ExitFailed
	}
	return 0
}

type usageErr string

func (u usageErr) Error() string { return string(u) }

func usageError(env Env, msg string) int {
	fmt.Fprintf(env.Stderr, "winc-network: %s (winc-network --help lists the actions)\n", msg)
	return ExitUsage
}

func run(action, handle, configFile string, env Env, logger lager.Logger) error {
	cfg, err := network.LoadConfig(configFile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
		return fmt.Errorf("creating state directory %s: %w", cfg.StateDir, err)
	}
	n := &network.Networker{
		Host:       env.Host,
		Interfaces: env.Interfaces,
		Config:     cfg,
		Ports: portpool.Pool{
			StateFile: filepath.Join(cfg.StateDir, "ports.json"),
			Start:     cfg.PortPoolStart,
			Size:      cfg.PortPoolSize,
		},
		HostLock: filelock.Holder(filepath.Join(cfg.StateDir, "endpoints.lock")),
		Log:      logger,
		Sleep:    env.Sleep,
	}
	needsHandle := func() error {
		if handle == "" {
			return usageErr(fmt.Sprintf("--action %s needs --handle", action))
		}
		return nil
	}
	switch action {
	case "create":
		_, err := n.CreateNetwork()
		return err
	case "delete":
		return n.DeleteNetwork()
	case "up":
		if err := needsHandle(); err != nil {
			return err
		}
		var in network.UpInputs
		if err := decode(env.Stdin, &in, "up"); err != nil {
			return err
		}
		out, err := n.Up(handle, in)
		if err != nil {
			return err
		}
		return json.NewEncoder(env.Stdout).Encode(out)
	case "down":
		if err := needsHandle(); err != nil {
			return err
		}
		return n.Down(handle)
	case "net-in":
		if err := needsHandle(); err != nil {
			return err
		}
		var in network.NetInInputs
		if err := decode(env.Stdin, &in, "net-in"); err != nil {
			return err
		}
		out, err := n.NetIn(handle, in)
		if err != nil {
			return err
		}
		return json.NewEncoder(env.Stdout).Encode(out)
	case "net-out":
		if err := needsHandle(); err != nil {
			return err
		}
		var in network.NetOutInputs
		if err := decode(env.Stdin, &in, "net-out"); err != nil {
			return err
		}
		return n.NetOut(handle, []garden.NetOutRule{in.NetOutRule})
	case "bulk-net-out":
		if err := needsHandle(); err != nil {
			return err
		}
		var in network.BulkNetOutInputs
		if err := decode(env.Stdin, &in, "bulk-net-out"); err != nil {
			return err
		}
		return n.NetOut(handle, in.NetOutRules)
	}
	return usageErr(fmt.Sprintf("unknown --action %q", action))
}

// decode reads the action's JSON input; no input leaves v as it is.
func decode(r io.Reader, v any, action string) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("reading %s input: %w", action, err)
	}
	if len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s input on stdin is not valid JSON: %v", action, err)
	}
	return nil
}
