// Command benchimage is scripts/bench-image's helper. It is a benchmark
// tool, never shipped:
//
//	benchimage gen -layout DIR [-mib N] [-layers N] [-tag T] [-seed S]
//	    writes an OCI image layout of a synthetic Windows image (os windows,
//	    architecture amd64) whose gzip layer blobs add up to at least N MiB,
//	    and prints a summary line of key=value pairs.
//	benchimage floor -layout DIR [-tag T]
//	    reads every layer blob of the image, computing its sha256 and
//	    gunzipping it to nowhere: the least work any import of the layers
//	    must do, and what groot's pull is compared with.
//	benchimage profile [-cpuprofile F] [-trace F] -- GROOT-ARGS...
//	    runs groot's command line in this process, against the simulated
//	    host named by GWR_SIM_ROOT (Linux only), under the CPU profiler
//	    and/or the execution tracer, to see where a pull spends its time
//	    without changing groot.
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  benchimage gen -layout DIR [-mib N] [-layers N] [-tag T] [-seed S]
  benchimage floor -layout DIR [-tag T]
  benchimage profile [-cpuprofile FILE] [-trace FILE] -- GROOT-ARGS...
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "gen":
		err = runGen(args)
	case "floor":
		err = runFloor(args)
	case "profile":
		var code int
		code, err = runProfile(args)
		if err == nil {
			os.Exit(code)
		}
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "benchimage: unknown command %q\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchimage %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
