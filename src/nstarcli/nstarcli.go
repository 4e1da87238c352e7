// Package nstarcli is nstar's command line: gdn's contract for streaming
// files into and out of a container (rundmc/nstar.go at the pinned
// Guardian):
//
//	nstar <tar-bin> <pid> <user> <path>                   stream in: tar on stdin
//	nstar <tar-bin> <pid> <user> <source> <compress-path> stream out: tar on stdout
//
// The container is the one whose init process is <pid>. The tar work is
// done in-process by package stream, so the tar-bin argument is accepted
// and ignored: behaviour does not depend on a tar.exe. <user> is logged
// only: files written are made usable by every container user (see
// host/acl).
package nstarcli

import (
	"fmt"
	"io"
	"strconv"

	"code.cloudfoundry.org/lager/v3"

	"github.com/garden-windows/garden-windows-release/stream"
)

// Exit codes.
const (
	ExitFailed = 1
	ExitUsage  = 2
)

// RootFinder finds the host directory that is the container's C:\, for the
// container whose init process is pid.
type RootFinder interface {
	ContainerRoot(pid int) (string, error)
}

// Env is what an invocation needs.
type Env struct {
	Roots   RootFinder
	Grant   func(path string) error
	Version string
	Stdin   io.Reader
	Stdout  io.Writer
	// Stderr carries JSON log lines and the error; gdn reports it.
	Stderr io.Writer
	// MaxBytes caps a stream-in (0: none).
	MaxBytes int64
}

const usage = `nstar: streams files into and out of a garden-windows container

usage:
  nstar <tar-bin> <pid> <user> <path>                    extract the tar on stdin into <path>
  nstar <tar-bin> <pid> <user> <source> <compress-path>  write a tar of <compress-path> (relative to <source>) to stdout

<pid> is the container's init process; <tar-bin> is ignored (nstar has its own tar).
`

// Main runs one invocation and returns its exit code.
func Main(args []string, env Env) int {
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-h") {
		fmt.Fprint(env.Stdout, usage)
		return 0
	}
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-v") {
		fmt.Fprintf(env.Stdout, "nstar version %s\n", env.Version)
		return 0
	}
	if len(args) != 4 && len(args) != 5 {
		fmt.Fprintf(env.Stderr, "nstar: expected 4 or 5 arguments, got %d\n%s", len(args), usage)
		return ExitUsage
	}
	pid, err := strconv.Atoi(args[1])
	if err != nil || pid <= 0 {
		fmt.Fprintf(env.Stderr, "nstar: pid %q is not a process id\n", args[1])
		return ExitUsage
	}
	logger := lager.NewLogger("nstar")
	logger.RegisterSink(lager.NewWriterSink(env.Stderr, lager.INFO))
	user := args[2]

	if err := run(env, pid, user, args[3:], logger); err != nil {
		logger.Error("failed", err, lager.Data{"pid": pid, "user": user, "args": args[3:]})
		// One plain line too: gdn puts nstar's output into its error.
		fmt.Fprintf(env.Stderr, "nstar: %v\n", err)
		return ExitFailed
	}
	return 0
}

func run(env Env, pid int, user string, paths []string, logger lager.Logger) error {
	root, err := env.Roots.ContainerRoot(pid)
	if err != nil {
		return err
	}
	if len(paths) == 1 {
		dest, err := stream.Resolve(root, paths[0])
		if err != nil {
			return fmt.Errorf("stream in to %s: %w", paths[0], err)
		}
		if err := stream.In(env.Stdin, dest, stream.InOptions{MaxBytes: env.MaxBytes, Grant: env.Grant}); err != nil {
			return fmt.Errorf("stream in to %s: %w", paths[0], err)
		}
		logger.Info("streamed-in", lager.Data{"path": paths[0], "user": user})
		return nil
	}
	source, err := stream.Resolve(root, paths[0])
	if err != nil {
		return fmt.Errorf("stream out of %s: %w", paths[0], err)
	}
	if err := stream.Out(env.Stdout, source, paths[1]); err != nil {
		return fmt.Errorf("stream out of %s: %w", paths[0], err)
	}
	return nil
}
