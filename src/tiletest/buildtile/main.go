// Package main is build-tile, which scripts/build-tile runs: it builds the
// Ops Manager tile (.pivotal) of this release from a release tarball and
// the product template in tile/, after checking that the template matches
// the jobs in the tarball.
//
//	build-tile -repo DIR [-release TARBALL] [-output FILE] VERSION
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/garden-windows/garden-windows-release/tiletest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "build-tile:", err)
		var usage usageError
		if errors.As(err, &usage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ error }

func run(args []string) error {
	fs := flag.NewFlagSet("build-tile", flag.ContinueOnError)
	repo := fs.String("repo", "", "the repository (tile/ and out/ are in it)")
	release := fs.String("release", "", "the release tarball (default REPO/out/garden-windows-dev.tgz)")
	output := fs.String("output", "", "the .pivotal file to write (default REPO/out/PRODUCT-VERSION.pivotal)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if *repo == "" || fs.NArg() != 1 {
		return usageError{errors.New("usage: build-tile -repo DIR [-release TARBALL] [-output FILE] VERSION")}
	}
	if *release == "" {
		*release = filepath.Join(*repo, "out", "garden-windows-dev.tgz")
	}
	if _, err := os.Stat(*release); err != nil {
		return fmt.Errorf("no release tarball at %s: run scripts/create-release first, or give one with --release (%v)", *release, err)
	}
	built, err := tiletest.Build(tiletest.BuildOptions{
		RepoDir: *repo, Release: *release, Output: *output, Version: fs.Arg(0),
	})
	if err != nil {
		return err
	}
	pt := built.Metadata
	fmt.Printf("tile: %s (%.1f MiB)\n", built.Path, float64(built.Size)/(1<<20))
	fmt.Printf("  product   %s %s (metadata_version %s)\n", pt.Name, pt.ProductVersion, pt.MetadataVersion)
	fmt.Printf("  release   %s %s\n", built.Release.Name, built.Release.Version)
	fmt.Printf("  stemcell  %s %s\n", pt.StemcellCriteria.OS, pt.StemcellCriteria.Version)
	for _, jt := range pt.JobTypes {
		names := ""
		for i, t := range jt.Templates {
			if i > 0 {
				names += ", "
			}
			names += t.Name
		}
		fmt.Printf("  job type  %s: %s\n", jt.Name, names)
	}
	return nil
}
