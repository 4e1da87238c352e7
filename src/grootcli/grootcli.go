// Package grootcli is groot's command line: gdn's image plugin protocol
// (imageplugin/default_command_creator.go and image_plugin.go at the pinned
// Guardian: the plugin's extra arguments, then create, delete, stats or
// capacity, JSON on stdout), plus pull for the job's pre-start. The work is
// package groot's.
package grootcli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"code.cloudfoundry.org/lager/v3"

	"github.com/garden-windows/garden-windows-release/groot"
	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/image/ref"
)

// Exit codes.
const (
	ExitFailed = 1
	ExitUsage  = 2
)

// Env is what an invocation needs from its surroundings.
type Env struct {
	Local     func(string) string
	Layers    host.LayerHost
	Volumes   host.VolumeHost
	OSVersion func() (string, error)
	Version   string
	Stdout    io.Writer
	// Stderr carries JSON log lines, which gdn relogs.
	Stderr io.Writer
}

const usage = `groot: the image plugin of garden-windows (Windows image layers and container volumes)

usage: groot [--config FILE] [--driver-store DIR] COMMAND

commands (gdn's):
  create [--disk-limit-size-bytes N] [--exclude-image-from-quota] [--username U --password P] URI HANDLE
  delete HANDLE
  stats HANDLE
  capacity
commands (the groot job's pre-start):
  pull [--username U --password P] URI...

URIs: oci:///C:/path/to/oci-layout[:tag] or docker://[registry[:port]]/repository[:tag|@digest]
`

type usageErr string

func (u usageErr) Error() string { return string(u) }

// Main runs one invocation and returns its exit code. A failure is logged
// to stderr and its message also printed on stdout, which is where gdn
// looks for the text of a plugin's error.
func Main(args []string, env Env) int {
	fs := flag.NewFlagSet("groot", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	configFile := fs.String("config", "", "groot's JSON configuration file (the groot job renders it)")
	driverStore := fs.String("driver-store", "", "the directory of layers and volumes (overrides the configuration's driver_store)")
	version := fs.Bool("version", false, "print the version")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, usage)
			return 0
		}
		return usageError(env, err.Error())
	}
	if *version {
		fmt.Fprintf(env.Stdout, "groot version %s\n", env.Version)
		return 0
	}
	if fs.NArg() == 0 {
		return usageError(env, "no command given")
	}
	cfg, err := loadConfig(*configFile, *driverStore)
	if err != nil {
		fmt.Fprintf(env.Stderr, "groot: %v\n", err)
		fmt.Fprintln(env.Stdout, err)
		return ExitFailed
	}
	logger := newLogger(cfg, env.Stderr)
	g := groot.Groot{Config: cfg, Local: env.Local, Layers: env.Layers, Volumes: env.Volumes, OSVersion: env.OSVersion, Log: logger}

	command, rest := fs.Arg(0), fs.Args()[1:]
	err = run(context.Background(), g, command, rest, env.Stdout)
	var u usageErr
	if errors.As(err, &u) {
		return usageError(env, string(u))
	}
	if err != nil {
		logger.Error("failed", err, lager.Data{"command": command})
		fmt.Fprintln(env.Stdout, err)
		return ExitFailed
	}
	return 0
}

func loadConfig(path, driverStore string) (groot.Config, error) {
	cfg, err := groot.LoadConfig(path)
	if err != nil {
		return groot.Config{}, err
	}
	if driverStore != "" {
		store, err := groot.DriverStorePath(driverStore)
		if err != nil {
			return groot.Config{}, fmt.Errorf("--driver-store: %w", err)
		}
		cfg.DriverStore = store
	}
	return cfg, nil
}

func newLogger(cfg groot.Config, w io.Writer) lager.Logger {
	level, _ := lager.LogLevelFromString(cfg.LogLevel)
	logger := lager.NewLogger("groot")
	if cfg.LogFormat == "unix-epoch" {
		logger.RegisterSink(lager.NewWriterSink(w, level))
	} else {
		logger.RegisterSink(lager.NewPrettySink(w, level))
	}
	return logger
}

func usageError(env Env, msg string) int {
	fmt.Fprintf(env.Stderr, "groot: %s (groot --help lists the commands)\n", msg)
	return ExitUsage
}

func run(ctx context.Context, g groot.Groot, command string, args []string, stdout io.Writer) error {
	switch command {
	case "create":
		return create(ctx, g, args, stdout)
	case "pull":
		fs, creds := flagSet("pull")
		if err := fs.Parse(args); err != nil {
			return usageErr("pull: " + err.Error())
		}
		if fs.NArg() == 0 {
			return usageErr("pull: no image URI given")
		}
		for _, uri := range fs.Args() {
			if err := g.Pull(ctx, uri, *creds); err != nil {
				return fmt.Errorf("pulling %s: %w", ref.Redact(uri), err)
			}
		}
		return nil
	case "delete", "stats":
		fs := flag.NewFlagSet(command, flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if err := fs.Parse(args); err != nil {
			return usageErr(command + ": " + err.Error())
		}
		if fs.NArg() != 1 {
			return usageErr(fmt.Sprintf("%s takes one handle, got %d arguments", command, fs.NArg()))
		}
		if command == "delete" {
			return g.Delete(fs.Arg(0))
		}
		u, err := g.Stats(fs.Arg(0))
		if err != nil {
			return err
		}
		return writeJSON(stdout, map[string]map[string]uint64{"disk_usage": {"total_bytes_used": u.Total, "exclusive_bytes_used": u.Exclusive}})
	case "capacity":
		if len(args) != 0 {
			return usageErr(fmt.Sprintf("capacity takes no arguments, got %q", args))
		}
		c, err := g.Capacity()
		if err != nil {
			return err
		}
		return writeJSON(stdout, map[string]uint64{"capacity": c})
	}
	return usageErr(fmt.Sprintf("unknown command %q", command))
}

func flagSet(name string) (*flag.FlagSet, *groot.Credentials) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	creds := &groot.Credentials{}
	fs.StringVar(&creds.Username, "username", "", "registry user name")
	fs.StringVar(&creds.Password, "password", "", "registry password")
	return fs, creds
}

func create(ctx context.Context, g groot.Groot, args []string, stdout io.Writer) error {
	fs, creds := flagSet("create")
	limit := fs.String("disk-limit-size-bytes", "0", "the container's disk limit in bytes")
	exclude := fs.Bool("exclude-image-from-quota", false, "do not count the image against the disk limit")
	if err := fs.Parse(args); err != nil {
		return usageErr("create: " + err.Error())
	}
	if fs.NArg() != 2 {
		return usageErr(fmt.Sprintf("create takes an image URI and a handle, got %d arguments", fs.NArg()))
	}
	diskLimit, err := strconv.ParseUint(*limit, 10, 64)
	if err != nil {
		return usageErr(fmt.Sprintf("create: --disk-limit-size-bytes %q is not a whole number of bytes", *limit))
	}
	if (creds.Username == "") != (creds.Password == "") {
		return usageErr("create: --username and --password go together")
	}
	spec, err := g.Create(ctx, groot.CreateRequest{
		URI: fs.Arg(0), Handle: fs.Arg(1), Credentials: *creds,
		DiskLimit: diskLimit, ExcludeImage: *exclude,
	})
	if err != nil {
		return err
	}
	return writeJSON(stdout, spec)
}

func writeJSON(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}
