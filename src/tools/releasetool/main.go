// Command releasetool answers questions about this repository's release for
// the scripts that build and check it (it is a build tool, never shipped):
//
//	releasetool binaries REPO          print config/binaries, validated, one "<package> <file> <go package>" a line
//	releasetool inspect TARBALL        describe a release tarball
//	releasetool check REPO TARBALL     describe it and fail unless it holds what REPO says it should
//	releasetool render REPO JOB OUTDIR [PROPERTIES.json]
//	                                   render a job's monit and templates into OUTDIR, as BOSH
//	                                   would with those job properties (JSON, nested as in a manifest)
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/garden-windows/garden-windows-release/jobtest"
	"github.com/garden-windows/garden-windows-release/releasecheck"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "releasetool:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return usage()
	}
	switch {
	case args[0] == "binaries" && len(args) == 2:
		if _, err := releasecheck.ExpectationFromRepo(args[1]); err != nil {
			return err
		}
		bins, err := releasecheck.ParseBinaries(args[1] + "/config/binaries")
		if err != nil {
			return err
		}
		for _, b := range bins {
			fmt.Println(b.Package, b.File, b.GoPackage)
		}
		return nil
	case args[0] == "inspect" && len(args) == 2:
		rel, err := releasecheck.Read(args[1])
		if err != nil {
			return err
		}
		fmt.Print(rel.Summary())
		return nil
	case args[0] == "check" && len(args) == 3:
		exp, err := releasecheck.ExpectationFromRepo(args[1])
		if err != nil {
			return err
		}
		rel, err := releasecheck.Read(args[2])
		if err != nil {
			return err
		}
		fmt.Print(rel.Summary())
		problems := rel.Check(exp)
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "  problem:", p)
		}
		if len(problems) > 0 {
			return fmt.Errorf("%s does not hold what %s describes (%d problems)", args[2], args[1], len(problems))
		}
		return nil
	case args[0] == "render" && (len(args) == 4 || len(args) == 5):
		return render(args[1], args[2], args[3], args[4:])
	}
	return usage()
}

func render(repo, name, outDir string, propsFile []string) error {
	job, err := jobtest.Load(repo, name)
	if err != nil {
		return err
	}
	var in jobtest.Inputs
	if len(propsFile) == 1 {
		raw, err := os.ReadFile(propsFile[0])
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &in.Properties); err != nil {
			return fmt.Errorf("properties file %s: %w", propsFile[0], err)
		}
	}
	out, err := job.Render(in)
	if err != nil {
		return err
	}
	for rel, content := range out {
		target := filepath.Join(outDir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, []byte(content), 0o644); err != nil {
			return err
		}
		fmt.Println(target)
	}
	return nil
}

func usage() error {
	return fmt.Errorf("usage: releasetool binaries REPO | inspect TARBALL | check REPO TARBALL | render REPO JOB OUTDIR [PROPERTIES.json]")
}
