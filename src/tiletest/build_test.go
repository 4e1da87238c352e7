package tiletest_test

import (
	"os"
	"path/filepath"

	"github.com/garden-windows/garden-windows-release/tiletest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// tempRepo is a directory with a copy of tile/, for builds that change it
// or write to the default output (REPO/out/).
func tempRepo() string {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	Expect(os.MkdirAll(filepath.Join(dir, "tile"), 0o755)).To(Succeed())
	for _, name := range []string{"metadata.yml", "icon.png", "spec-differences.yml"} {
		content, err := os.ReadFile(filepath.Join(repoDir, "tile", name))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, "tile", name), content, 0o644)).To(Succeed())
	}
	return dir
}

var _ = Describe("scripts/build-tile", func() {
	BeforeEach(skipWithoutBash)

	It("says to run scripts/create-release when there is no release tarball", func() {
		out, err := buildTile("--release", filepath.Join(GinkgoT().TempDir(), "missing.tgz"), "1.0.0")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("no release tarball at"))
		Expect(out).To(ContainSubstring("run scripts/create-release first"))
	})

	It("refuses a version Ops Manager cannot order", func() {
		out, err := buildTile("--release", releaseTarball, "--output", filepath.Join(GinkgoT().TempDir(), "x.pivotal"), "1.0")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring(`product version "1.0" is not one Ops Manager can order`))
	})

	It("needs exactly one version", func() {
		out, err := buildTile()
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("give the tile's VERSION"))
		out, err = buildTile("1.0.0", "2.0.0")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("one VERSION only"))
		out, err = buildTile("--bogus", "1.0.0")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("unknown option --bogus"))
	})

	It("resolves relative paths against the caller's directory", func() {
		dir := GinkgoT().TempDir()
		content, err := os.ReadFile(releaseTarball)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, "r.tgz"), content, 0o644)).To(Succeed())
		cmdOut, err := buildTileIn(dir, "--release=r.tgz", "--output", "sub/t.pivotal", "2.0.0")
		Expect(err).NotTo(HaveOccurred(), cmdOut)
		Expect(filepath.Join(dir, "sub", "t.pivotal")).To(BeAnExistingFile())
		Expect(cmdOut).To(ContainSubstring("product   garden-windows 2.0.0"))
	})
})

var _ = Describe("Build", func() {
	It("writes REPO/out/PRODUCT-VERSION.pivotal by default", func() {
		repo := tempRepo()
		built, err := tiletest.Build(tiletest.BuildOptions{RepoDir: repo, Release: releaseTarball, Version: "3.1.4-rc.1"})
		Expect(err).NotTo(HaveOccurred())
		Expect(built.Path).To(Equal(filepath.Join(repo, "out", "garden-windows-3.1.4-rc.1.pivotal")))
		Expect(built.Path).To(BeAnExistingFile())
	})

	It("ships the migrations in tile/migrations/v1, in order", func() {
		repo := tempRepo()
		v1 := filepath.Join(repo, "tile", "migrations", "v1")
		Expect(os.MkdirAll(v1, 0o755)).To(Succeed())
		for _, name := range []string{"202601020304_second.js", "202601010000_first.js"} {
			Expect(os.WriteFile(filepath.Join(v1, name), []byte("exports.migrate = function(input) { return input; };\n"), 0o644)).To(Succeed())
		}
		built, err := tiletest.Build(tiletest.BuildOptions{RepoDir: repo, Release: releaseTarball, Version: "1.0.0"})
		Expect(err).NotTo(HaveOccurred())
		t, err := tiletest.ReadTile(built.Path)
		Expect(err).NotTo(HaveOccurred())
		Expect(t.Entries).To(ContainElements("migrations/v1/202601010000_first.js", "migrations/v1/202601020304_second.js"))
		Expect(t.Files["migrations/v1/202601010000_first.js"]).To(ContainSubstring("exports.migrate"))
	})

	It("refuses a file in migrations/v1 Ops Manager would misread as a migration", func() {
		repo := tempRepo()
		v1 := filepath.Join(repo, "tile", "migrations", "v1")
		Expect(os.MkdirAll(v1, 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(v1, "README.md"), []byte("notes\n"), 0o644)).To(Succeed())
		_, err := tiletest.Build(tiletest.BuildOptions{RepoDir: repo, Release: releaseTarball, Version: "1.0.0"})
		Expect(err).To(MatchError(ContainSubstring("move or rename README.md")))
	})

	It("refuses an icon that is not a PNG image", func() {
		repo := tempRepo()
		Expect(os.WriteFile(filepath.Join(repo, "tile", "icon.png"), []byte("GIF89a"), 0o644)).To(Succeed())
		_, err := tiletest.Build(tiletest.BuildOptions{RepoDir: repo, Release: releaseTarball, Version: "1.0.0"})
		Expect(err).To(MatchError(ContainSubstring("tile/icon.png is not a PNG image")))
	})

	It("refuses a product template that lists a release it is not built from", func() {
		repo := tempRepo()
		file := filepath.Join(repo, "tile", "metadata.yml")
		content, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(file, []byte(mustReplace(string(content), "releases:\n", "releases:\n- name: windows2019fs\n  file: x.tgz\n  version: \"1\"\n")), 0o644)).To(Succeed())
		_, err = tiletest.Build(tiletest.BuildOptions{RepoDir: repo, Release: releaseTarball, Version: "1.0.0"})
		Expect(err).To(MatchError(ContainSubstring(`lists release "windows2019fs", but the tile is built only from garden-windows's tarball`)))
	})

	It("refuses a tarball that is not a release", func() {
		bogus := filepath.Join(GinkgoT().TempDir(), "bogus.tgz")
		archive, err := tgz(map[string][]byte{"README": []byte("hi")})
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(bogus, archive, 0o644)).To(Succeed())
		_, err = tiletest.Build(tiletest.BuildOptions{RepoDir: repoDir, Release: bogus, Version: "1.0.0", Output: filepath.Join(GinkgoT().TempDir(), "x.pivotal")})
		Expect(err).To(MatchError(ContainSubstring("has no release.MF: is it a BOSH release tarball")))
	})
})
