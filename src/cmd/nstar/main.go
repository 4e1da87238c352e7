// Command nstar streams files into and out of garden-windows containers for
// gdn (garden.nstar_bin).
package main

import (
	"os"

	"github.com/garden-windows/garden-windows-release/nstarcli"
)

// version is set at build time (scripts/build-binaries).
var version = "dev"

func main() {
	env, err := wire()
	if err != nil {
		os.Stderr.WriteString("nstar: " + err.Error() + "\n")
		os.Exit(nstarcli.ExitFailed)
	}
	env.Version = version
	os.Exit(nstarcli.Main(os.Args[1:], env))
}
