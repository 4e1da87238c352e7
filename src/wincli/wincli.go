// Package wincli is winc's command line: it parses the invocations gdn
// makes of an OCI runtime (runc's flags and commands, as Guardian's goci
// and execrunner build them), sets up logging the way gdn reads it, and
// maps results to exit codes. The work itself is package container's.
package wincli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/garden-windows/garden-windows-release/container"
	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/internal/ocilog"
)

// Exit codes of winc itself; a foreground process's own exit code is
// passed on instead when it ran.
const (
	ExitFailed = 1
	ExitUsage  = 2
)

// Env is what a winc invocation needs from its surroundings.
type Env struct {
	Host        host.ComputeHost
	DefaultRoot string
	Version     string
	Stdin       io.Reader
	Stdout      io.Writer
	Stderr      io.Writer
	Stat        container.StatFunc
	// LogHandle turns --log-handle's value (a Windows handle gdn lets winc
	// inherit; a file descriptor on Linux) into a writer.
	LogHandle func(h uintptr) io.Writer
}

type globals struct {
	debug     bool
	logPath   string
	logHandle string
	logFormat string
	root      string
}

const usage = `winc: the OCI runtime of garden-windows (Windows Server Containers)

usage: winc [global options] COMMAND [options] CONTAINER-ID

commands:
  run      create a container from a bundle and run its process (--detach to leave it running)
  create   create a container from a bundle without running its process
  start    run the process of a created container, detached
  exec     run a process (-p process.json) in a running container
  state    print a container's OCI state as JSON
  events   --stats: print a container's resource use as JSON
  kill     stop a container: TERM (graceful, then terminated) or KILL
  delete   remove a container (--force: also a running one)

global options:
`

// Main runs one winc invocation and returns its exit code.
func Main(args []string, env Env) int {
	g := globals{}
	fs := flag.NewFlagSet("winc", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&g.debug, "debug", false, "log at debug level")
	fs.StringVar(&g.logPath, "log", "", "append log lines to this file")
	fs.StringVar(&g.logHandle, "log-handle", "", "write log lines to this inherited handle")
	fs.StringVar(&g.logFormat, "log-format", "json", "log line format: json or text")
	fs.StringVar(&g.root, "root", env.DefaultRoot, "directory of winc's container state")
	version := fs.Bool("version", false, "print the version")
	fs.BoolVar(version, "v", false, "print the version")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(env.Stdout, fs)
			return 0
		}
		return usageError(env, fs, err.Error())
	}
	if *version {
		fmt.Fprintf(env.Stdout, "winc version %s\n", env.Version)
		return 0
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return usageError(env, fs, "no command given")
	}
	format, err := ocilog.ParseFormat(g.logFormat)
	if err != nil {
		return usageError(env, fs, "--log-format: "+err.Error())
	}
	logger, closeLog, err := newLogger(g, format, env)
	if err != nil {
		return usageError(env, fs, err.Error())
	}
	defer closeLog()

	rt := &container.Runtime{
		Host:            env.Host,
		States:          container.Store{Root: g.root},
		Stat:            env.Stat,
		Now:             time.Now,
		ShutdownTimeout: 10 * time.Second,
		Log:             logger,
	}
	cmd, cmdArgs := rest[0], rest[1:]
	code, err := dispatch(rt, cmd, cmdArgs, env)
	var u usageErr
	if errors.As(err, &u) {
		return usageError(env, fs, string(u))
	}
	if err != nil {
		// gdn reports the message of the last error line as the cause.
		logger.Error("failed", err, lager.Data{"command": cmd})
		fmt.Fprintf(env.Stderr, "winc %s: %v\n", cmd, err)
		return ExitFailed
	}
	return code
}

type usageErr string

func (u usageErr) Error() string { return string(u) }

func usageError(env Env, fs *flag.FlagSet, msg string) int {
	fmt.Fprintf(env.Stderr, "winc: %s (winc --help lists the commands and options)\n", msg)
	return ExitUsage
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func newLogger(g globals, format ocilog.Format, env Env) (lager.Logger, func(), error) {
	logger := lager.NewLogger("winc")
	min := lager.INFO
	if g.debug {
		min = lager.DEBUG
	}
	closeLog := func() {}
	switch {
	case g.logPath != "" && g.logHandle != "":
		return nil, nil, errors.New("--log and --log-handle exclude each other: give one")
	case g.logPath != "":
		f, err := os.OpenFile(g.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("--log %s: %v", g.logPath, err)
		}
		logger.RegisterSink(ocilog.NewSink(f, format, min))
		closeLog = func() { _ = f.Close() }
	case g.logHandle != "":
		h, err := strconv.ParseUint(g.logHandle, 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("--log-handle %q is not a handle number", g.logHandle)
		}
		logger.RegisterSink(ocilog.NewSink(env.LogHandle(uintptr(h)), format, min))
	}
	// Without a log destination winc logs nothing: its stderr may be a
	// container process's stderr, which must carry only that process's
	// output. Errors are still printed there, once.
	return logger, closeLog, nil
}

// command flags, parsed after the command name as runc does.
func commandFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func oneID(fs *flag.FlagSet) (string, error) {
	if fs.NArg() != 1 {
		return "", usageErr(fmt.Sprintf("%s: give exactly one container id (got %d arguments: %s)", fs.Name(), fs.NArg(), strings.Join(fs.Args(), " ")))
	}
	return fs.Arg(0), nil
}

// parse parses a command's flags wherever they are among its arguments:
// goci's exec command puts the container id before the flags.
func parse(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return usageErr(fmt.Sprintf("%s: %v", fs.Name(), err))
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	// Parse once more with only the positional arguments left, so that
	// fs.Args returns them.
	return fs.Parse(append([]string{"--"}, positional...))
}

func dispatch(rt *container.Runtime, cmd string, args []string, env Env) (int, error) {
	stdio := container.Stdio{In: env.Stdin, Out: env.Stdout, Err: env.Stderr}
	switch cmd {
	case "run":
		fs := commandFlags("run")
		bundle := fs.String("bundle", ".", "bundle directory")
		fs.StringVar(bundle, "b", ".", "bundle directory")
		pidFile := fs.String("pid-file", "", "write the process id here")
		detach := fs.Bool("detach", false, "leave the container running")
		fs.BoolVar(detach, "d", false, "leave the container running")
		fs.Bool("no-new-keyring", false, "accepted for runc compatibility (Windows has no keyrings)")
		if err := parse(fs, args); err != nil {
			return 0, err
		}
		id, err := oneID(fs)
		if err != nil {
			return 0, err
		}
		return rt.Run(id, *bundle, *pidFile, *detach, stdio)
	case "create":
		fs := commandFlags("create")
		bundle := fs.String("bundle", ".", "bundle directory")
		fs.StringVar(bundle, "b", ".", "bundle directory")
		fs.String("pid-file", "", "accepted for runc compatibility")
		fs.Bool("no-new-keyring", false, "accepted for runc compatibility")
		if err := parse(fs, args); err != nil {
			return 0, err
		}
		id, err := oneID(fs)
		if err != nil {
			return 0, err
		}
		return 0, rt.Create(id, *bundle)
	case "start":
		fs := commandFlags("start")
		pidFile := fs.String("pid-file", "", "write the process id here")
		if err := parse(fs, args); err != nil {
			return 0, err
		}
		id, err := oneID(fs)
		if err != nil {
			return 0, err
		}
		return 0, rt.Start(id, *pidFile)
	case "exec":
		fs := commandFlags("exec")
		pidFile := fs.String("pid-file", "", "write the process id here")
		procPath := fs.String("process", "", "process.json: the OCI process spec to run")
		fs.StringVar(procPath, "p", "", "process.json: the OCI process spec to run")
		if err := parse(fs, args); err != nil {
			return 0, err
		}
		id, err := oneID(fs)
		if err != nil {
			return 0, err
		}
		if *procPath == "" {
			return 0, usageErr("exec: give the process spec with -p process.json")
		}
		p, err := container.LoadProcess(*procPath)
		if err != nil {
			return 0, err
		}
		return rt.Exec(id, p, *pidFile, stdio)
	case "delete":
		fs := commandFlags("delete")
		force := fs.Bool("force", false, "also delete a running container")
		fs.BoolVar(force, "f", false, "also delete a running container")
		if err := parse(fs, args); err != nil {
			return 0, err
		}
		id, err := oneID(fs)
		if err != nil {
			return 0, err
		}
		return 0, rt.Delete(id, *force)
	case "state":
		fs := commandFlags("state")
		if err := parse(fs, args); err != nil {
			return 0, err
		}
		id, err := oneID(fs)
		if err != nil {
			return 0, err
		}
		st, err := rt.State(id)
		if err != nil {
			return 0, err
		}
		return 0, printJSON(env.Stdout, st)
	case "events":
		fs := commandFlags("events")
		stats := fs.Bool("stats", false, "print resource use once and exit")
		fs.Duration("interval", 5*time.Second, "accepted for runc compatibility")
		if err := parse(fs, args); err != nil {
			return 0, err
		}
		id, err := oneID(fs)
		if err != nil {
			return 0, err
		}
		if !*stats {
			// gdn starts `events` for every container to watch for OOM
			// events. Windows kills nothing for exceeding a limit (an
			// allocation beyond the commit limit fails instead), so there
			// are none to report: check the container exists and end the
			// stream.
			_, err := rt.State(id)
			return 0, err
		}
		ev, err := rt.Stats(id)
		if err != nil {
			return 0, err
		}
		return 0, printJSON(env.Stdout, ev)
	case "kill":
		fs := commandFlags("kill")
		if err := parse(fs, args); err != nil {
			return 0, err
		}
		if fs.NArg() < 1 || fs.NArg() > 2 {
			return 0, usageErr("kill: give a container id and optionally a signal (TERM or KILL)")
		}
		return 0, rt.Kill(fs.Arg(0), fs.Arg(1))
	case "help":
		fmt.Fprint(env.Stdout, usage)
		return 0, nil
	}
	return 0, usageErr(fmt.Sprintf("unknown command %q", cmd))
}

func printJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// OSStat is the production StatFunc.
func OSStat(p string) (fs.FileInfo, error) { return os.Stat(p) }
