package main

import (
	"io"
	"os"

	"github.com/garden-windows/garden-windows-release/container"
	"github.com/garden-windows/garden-windows-release/host/hcs"
	"github.com/garden-windows/garden-windows-release/wincli"
)

func wire() (wincli.Env, error) {
	return wincli.Env{
		Host:        hcs.Compute{},
		DefaultRoot: container.DefaultRoot,
		Stdin:       os.Stdin,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		Stat:        wincli.OSStat,
		LogHandle:   func(h uintptr) io.Writer { return os.NewFile(h, "log-handle") },
	}, nil
}
