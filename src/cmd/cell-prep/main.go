// Command cell-prep prepares a Windows cell for garden-windows and keeps it
// ready: Windows features, the NAT network, quota support, firewall
// defaults, Defender exclusions and clean-up of leaked container state.
package main

import (
	"os"

	"github.com/garden-windows/garden-windows-release/cellprepcli"
)

// version is set at build time (scripts/build-binaries).
var version = "dev"

func main() {
	env, err := wire()
	if err != nil {
		os.Stderr.WriteString("cell-prep: " + err.Error() + "\n")
		os.Exit(cellprepcli.ExitNotReady)
	}
	env.Version = version
	os.Exit(cellprepcli.Main(os.Args[1:], env))
}
