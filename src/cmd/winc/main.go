// Command winc is garden-windows' OCI runtime plugin for gdn: it runs
// Windows Server Containers through the Host Compute Service.
package main

import (
	"os"

	"github.com/garden-windows/garden-windows-release/wincli"
)

// version is set at build time (scripts/build-binaries).
var version = "dev"

func main() {
	env, err := wire()
	if err != nil {
		os.Stderr.WriteString("winc: " + err.Error() + "\n")
		os.Exit(wincli.ExitFailed)
	}
	env.Version = version
	os.Exit(wincli.Main(os.Args[1:], env))
}
