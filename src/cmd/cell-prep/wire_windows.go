package main

import (
	"os"

	boshlog "github.com/cloudfoundry/bosh-utils/logger"

	"github.com/garden-windows/garden-windows-release/cellprepcli"
	"github.com/garden-windows/garden-windows-release/host/hcs"
	"github.com/garden-windows/garden-windows-release/host/hns"
	"github.com/garden-windows/garden-windows-release/host/system"
	"github.com/garden-windows/garden-windows-release/host/wclayer"
)

func wire() (cellprepcli.Env, error) {
	// bosh-utils' command runner logs through its own logger; errors only,
	// on stderr beside cell-prep's JSON lines.
	runnerLog := boshlog.NewWriterLogger(boshlog.LevelError, os.Stderr)
	return cellprepcli.Env{
		System:   system.New(runnerLog),
		Compute:  hcs.Compute{},
		Network:  hns.Network{},
		Volumes:  wclayer.Volumes{},
		Commands: cellprepcli.CommandLines{},
		Local:    func(p string) string { return p },
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
	}, nil
}
