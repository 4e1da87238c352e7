package main

import (
	"io"
	"os"

	"github.com/garden-windows/garden-windows-release/host/hcs"
	"github.com/garden-windows/garden-windows-release/wincli"
)

// defaultRoot is where winc keeps container state when gdn passes no
// --root (it never does on Windows): the job's data directory.
const defaultRoot = `C:\var\vcap\data\winc`

func wire() (wincli.Env, error) {
	return wincli.Env{
		Host:        hcs.Compute{},
		DefaultRoot: defaultRoot,
		Stdin:       os.Stdin,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		Stat:        wincli.OSStat,
		LogHandle:   func(h uintptr) io.Writer { return os.NewFile(h, "log-handle") },
	}, nil
}
