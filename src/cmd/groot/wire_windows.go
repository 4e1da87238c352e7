package main

import (
	"os"

	"github.com/garden-windows/garden-windows-release/grootcli"
	"github.com/garden-windows/garden-windows-release/host/hostinfo"
	"github.com/garden-windows/garden-windows-release/host/wclayer"
)

func wire() (grootcli.Env, error) {
	return grootcli.Env{
		Local:     func(p string) string { return p },
		Layers:    wclayer.Layers{},
		Volumes:   wclayer.Volumes{},
		OSVersion: hostinfo.OSVersion,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
	}, nil
}
