// Command groot is garden-windows' image plugin for gdn: Windows image
// layers from OCI layouts and registries, and each container's sandbox
// volume with its disk quota.
package main

import (
	"os"

	"github.com/garden-windows/garden-windows-release/grootcli"
)

// version is set at build time (scripts/build-binaries).
var version = "dev"

func main() {
	env, err := wire()
	if err != nil {
		os.Stderr.WriteString("groot: " + err.Error() + "\n")
		os.Exit(grootcli.ExitFailed)
	}
	env.Version = version
	os.Exit(grootcli.Main(os.Args[1:], env))
}
