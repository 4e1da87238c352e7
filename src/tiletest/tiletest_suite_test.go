package tiletest_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/garden-windows/garden-windows-release/tiletest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The tile and the jobs it is checked against are outside the Go module
// (tile/, jobs/, scripts/): after changing them, run with -count=1, as
// scripts/test does.
func TestTile(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Ops Manager tile")
}

// tileVersion is the product version the suite builds. 1.10.0 rather than
// 1.0.0: unquoted, its prefix 1.10 would be a YAML number.
const tileVersion = "1.10.0"

var (
	repoDir string
	// releaseTarball is what the tile is built from: GWR_TILE_RELEASE
	// when set (scripts/test passes the tarball its release step built),
	// otherwise a release made from jobs/ by buildFixtureRelease.
	releaseTarball string
	release        *tiletest.Release
	diffs          []tiletest.Difference
	tilePath       string
	tile           *tiletest.Tile
	metadataFile   string
	metadata       *tiletest.ProductTemplate
)

var _ = BeforeSuite(func() {
	var err error
	repoDir, err = findRepo()
	Expect(err).NotTo(HaveOccurred())

	releaseTarball = os.Getenv("GWR_TILE_RELEASE")
	if releaseTarball == "" {
		// Not out/garden-windows-dev.tgz: it may be from an older tree, and
		// building a real one takes minutes. A release of jobs/ as they are
		// is what the checks need: the specs, as bosh packs them.
		releaseTarball = filepath.Join(GinkgoT().TempDir(), "garden-windows.tgz")
		Expect(buildFixtureRelease(filepath.Join(repoDir, "jobs"), "0+dev.tiletest", releaseTarball)).To(Succeed())
		AddReportEntry("release tarball", "a fixture release made from jobs/ (set GWR_TILE_RELEASE to check a real tarball)")
	} else {
		AddReportEntry("release tarball", releaseTarball)
	}
	release, err = tiletest.ReadRelease(releaseTarball)
	Expect(err).NotTo(HaveOccurred())
	diffs, err = tiletest.ReadDifferences(filepath.Join(repoDir, "tile", "spec-differences.yml"))
	Expect(err).NotTo(HaveOccurred())

	tilePath = filepath.Join(GinkgoT().TempDir(), "garden-windows-"+tileVersion+".pivotal")
	if runtime.GOOS == "windows" {
		// No bash to run scripts/build-tile: build with what it runs.
		_, err = tiletest.Build(tiletest.BuildOptions{RepoDir: repoDir, Release: releaseTarball, Version: tileVersion, Output: tilePath})
		Expect(err).NotTo(HaveOccurred())
	} else {
		out, err := buildTile("--release", releaseTarball, "--output", tilePath, tileVersion)
		Expect(err).NotTo(HaveOccurred(), "scripts/build-tile failed:\n%s", out)
	}
	tile, err = tiletest.ReadTile(tilePath)
	Expect(err).NotTo(HaveOccurred())
	metadataFile, err = tile.MetadataFile()
	Expect(err).NotTo(HaveOccurred())
	metadata, err = tiletest.ParseMetadata(tile.Files[metadataFile])
	Expect(err).NotTo(HaveOccurred())
})

// findRepo finds the repository above the working directory (go test
// runs in the package's directory).
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "tile", "metadata.yml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no repository with tile/metadata.yml above the working directory")
		}
		dir = parent
	}
}

// buildTile runs scripts/build-tile, from a directory of its own, and
// returns its output.
func buildTile(args ...string) (string, error) {
	return buildTileIn(GinkgoT().TempDir(), args...)
}

func buildTileIn(dir string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(repoDir, "scripts", "build-tile"), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func skipWithoutBash() {
	if runtime.GOOS == "windows" {
		Skip("scripts/build-tile is a bash script")
	}
}
