// Command winc-network is garden-windows' network plugin for gdn: NAT
// networking for Windows Server Containers through the Host Networking
// Service.
package main

import (
	"os"

	"github.com/garden-windows/garden-windows-release/wincnetcli"
)

// version is set at build time (scripts/build-binaries).
var version = "dev"

func main() {
	env, err := wire()
	if err != nil {
		os.Stderr.WriteString("winc-network: " + err.Error() + "\n")
		os.Exit(wincnetcli.ExitFailed)
	}
	env.Version = version
	os.Exit(wincnetcli.Main(os.Args[1:], env))
}
