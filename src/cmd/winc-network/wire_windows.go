package main

import (
	"os"
	"time"

	"github.com/garden-windows/garden-windows-release/host/hns"
	"github.com/garden-windows/garden-windows-release/host/netif"
	"github.com/garden-windows/garden-windows-release/wincnetcli"
)

func wire() (wincnetcli.Env, error) {
	return wincnetcli.Env{Host: hns.Network{}, Interfaces: netif.Interfaces{}, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Sleep: time.Sleep}, nil
}
