package releasecheck_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/garden-windows/garden-windows-release/releasecheck"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"
)

// scripts/finalize-release, run for real: on a copy of this work tree (so
// the repository's own .final_builds/ and releases/ are never touched),
// with the BOSH CLI, against a local blobstore in a temporary directory.
// It needs the CLI and takes about half a minute, so it runs only when
// GWR_FINALIZE_TEST_BOSH names the CLI; scripts/test's step "final release:
// finalize twice" does that.
var _ = Describe("scripts/finalize-release", Label("finalize"), Ordered, func() {
	// What BOSH stores for each job, package and license of a release.
	type entry struct {
		Name        string `yaml:"name"`
		Fingerprint string `yaml:"fingerprint"`
		SHA1        string `yaml:"sha1"`
	}
	type releaseManifest struct {
		Name     string  `yaml:"name"`
		Version  string  `yaml:"version"`
		Jobs     []entry `yaml:"jobs"`
		Packages []entry `yaml:"packages"`
		License  entry   `yaml:"license"`
	}

	var (
		bosh      string
		realRepo  string
		scratch   string
		first     string // the copy of the work tree, where 1.0.0 is cut
		second    string // a fresh clone of first, where 1.0.1 is cut
		blobstore string
		baseEnv   []string
		realState map[string]string
		blobsSeen map[string]string
		run1      string
	)

	// git runs git in dir and returns its trimmed output.
	git := func(dir string, args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = baseEnv
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "git %s in %s:\n%s", strings.Join(args, " "), dir, out)
		return strings.TrimSpace(string(out))
	}

	// finalize runs scripts/finalize-release in repo with a BOSH home of
	// its own (an empty ~/.bosh/cache, as on a fresh CI worker) and
	// returns its output and its exit error.
	finalize := func(repo, home string, args ...string) (string, error) {
		Expect(os.MkdirAll(home, 0o755)).To(Succeed())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(repo, "scripts", "finalize-release"), args...)
		cmd.Dir = repo
		cmd.Env = append(append([]string{}, baseEnv...), "HOME="+home)
		out, err := cmd.CombinedOutput()
		GinkgoWriter.Printf("scripts/finalize-release %s in %s:\n%s\n", strings.Join(args, " "), repo, out)
		return string(out), err
	}

	readManifest := func(repo, version string) releaseManifest {
		var m releaseManifest
		raw, err := os.ReadFile(filepath.Join(repo, "releases", "garden-windows", "garden-windows-"+version+".yml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(yaml.Unmarshal(raw, &m)).To(Succeed())
		return m
	}

	// blobs maps each file of the local blobstore to its content's digest.
	blobs := func() map[string]string {
		found := map[string]string{}
		Expect(filepath.WalkDir(blobstore, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(raw)
			rel, _ := filepath.Rel(blobstore, path)
			found[rel] = hex.EncodeToString(sum[:])
			return nil
		})).To(Succeed())
		return found
	}

	// releaseRecords lists the files under .final_builds/ and releases/.
	releaseRecords := func(repo string) map[string]string {
		found := map[string]string{}
		for _, dir := range []string{".final_builds", "releases"} {
			_ = filepath.WalkDir(filepath.Join(repo, dir), func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				raw, _ := os.ReadFile(path)
				rel, _ := filepath.Rel(repo, path)
				found[rel] = string(raw)
				return nil
			})
		}
		return found
	}

	// finalPart is the output of bosh's final release step: what comes
	// after it has recorded the dev release that it finalizes.
	finalPart := func(out string) string {
		_, after, found := strings.Cut(out, "Added dev release 'garden-windows/")
		Expect(found).To(BeTrue(), "bosh's output has no 'Added dev release' line:\n%s", out)
		return after
	}

	// names lists "<name>/<fingerprint>" for every job, package and the
	// license of a release manifest: the names bosh reports blobs by.
	names := func(m releaseManifest) []string {
		var all []string
		for _, e := range append(append(append([]entry{}, m.Jobs...), m.Packages...), m.License) {
			n := e.Name
			if n == "" {
				n = "license"
			}
			all = append(all, n+"/"+e.Fingerprint)
		}
		sort.Strings(all)
		return all
	}

	reported := func(out, verb string) []string {
		re := regexp.MustCompile(`(?m)^-- Finished ` + verb + ` '([^']+)'`)
		var all []string
		for _, m := range re.FindAllStringSubmatch(out, -1) {
			all = append(all, m[1])
		}
		sort.Strings(all)
		return all
	}

	BeforeAll(func() {
		bosh = os.Getenv("GWR_FINALIZE_TEST_BOSH")
		if bosh == "" {
			Skip("GWR_FINALIZE_TEST_BOSH is not set: scripts/test \"final release\" runs this with the BOSH CLI")
		}
		var err error
		realRepo, err = filepath.Abs(filepath.Join("..", ".."))
		Expect(err).NotTo(HaveOccurred())

		scratch, err = os.MkdirTemp("", "finalize-test-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, scratch)
		first = filepath.Join(scratch, "first")
		second = filepath.Join(scratch, "second")
		blobstore = filepath.Join(scratch, "blobstore")
		Expect(os.MkdirAll(blobstore, 0o755)).To(Succeed())

		// The scripts find bosh on PATH; HOME moves per run, so Go's caches
		// are pinned to the ones in use now (warm, and shared with the
		// other checks), and git gets an identity and no user config.
		goEnv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOENV").Output()
		Expect(err).NotTo(HaveOccurred())
		goVars := strings.Split(strings.TrimSpace(string(goEnv)), "\n")
		Expect(goVars).To(HaveLen(4))
		baseEnv = nil
		for _, kv := range os.Environ() {
			name, _, _ := strings.Cut(kv, "=")
			switch name {
			case "HOME", "PATH", "GWR_BOSH_FROM_SOURCE", "FINALIZE_ALLOW_DIRTY", "GWR_BUILD_VERSION",
				"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE":
				continue
			}
			baseEnv = append(baseEnv, kv)
		}
		baseEnv = append(baseEnv,
			"PATH="+filepath.Dir(bosh)+string(os.PathListSeparator)+os.Getenv("PATH"),
			"HOME="+filepath.Join(scratch, "home-git"),
			"GOCACHE="+goVars[0], "GOMODCACHE="+goVars[1], "GOPATH="+goVars[2], "GOENV="+goVars[3],
			"GIT_AUTHOR_NAME=finalize test", "GIT_AUTHOR_EMAIL=finalize@test.invalid",
			"GIT_COMMITTER_NAME=finalize test", "GIT_COMMITTER_EMAIL=finalize@test.invalid",
			"GIT_CONFIG_NOSYSTEM=1",
		)

		realState = releaseRecords(realRepo)

		// The copy: what git would commit from this work tree (tracked and
		// untracked files, none it ignores), without the real release
		// records, and with a local blobstore in config/final.yml.
		list, err := exec.Command("git", "-C", realRepo, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
		Expect(err).NotTo(HaveOccurred(), "listing the work tree's files: is %s a git checkout?", realRepo)
		copied := 0
		for _, rel := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
			if strings.HasPrefix(rel, ".final_builds/") || strings.HasPrefix(rel, "releases/") {
				continue
			}
			src := filepath.Join(realRepo, rel)
			info, err := os.Lstat(src)
			if os.IsNotExist(err) {
				continue // deleted in the work tree, not yet in git
			}
			Expect(err).NotTo(HaveOccurred())
			dst := filepath.Join(first, rel)
			Expect(os.MkdirAll(filepath.Dir(dst), 0o755)).To(Succeed())
			switch {
			case info.Mode()&fs.ModeSymlink != 0:
				target, err := os.Readlink(src)
				Expect(err).NotTo(HaveOccurred())
				Expect(os.Symlink(target, dst)).To(Succeed())
			case info.Mode().IsRegular():
				raw, err := os.ReadFile(src)
				Expect(err).NotTo(HaveOccurred())
				Expect(os.WriteFile(dst, raw, info.Mode().Perm())).To(Succeed())
			default:
				continue
			}
			copied++
		}
		Expect(copied).To(BeNumerically(">", 10))
		Expect(os.WriteFile(filepath.Join(first, "config", "final.yml"), []byte(fmt.Sprintf(
			"---\nname: garden-windows\nblobstore:\n  provider: local\n  options:\n    blobstore_path: %s\n", blobstore)), 0o644)).To(Succeed())
		git(first, "init", "--quiet")
		git(first, "add", "--all")
		git(first, "commit", "--quiet", "-m", "the work tree, with a local blobstore")
	})

	It("cuts 1.0.0 from a clean commit: every job, package and the license uploaded", func() {
		out, err := finalize(first, filepath.Join(scratch, "home-1"), "1.0.0")
		Expect(err).NotTo(HaveOccurred(), out)
		run1 = out

		m := readManifest(first, "1.0.0")
		Expect(m.Name).To(Equal("garden-windows"))
		Expect(m.Version).To(Equal("1.0.0"))
		exp, err := releasecheck.ExpectationFromRepo(first)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Jobs).To(HaveLen(len(exp.Jobs)))
		Expect(m.Packages).To(HaveLen(len(exp.Packages)))
		Expect(m.License.Fingerprint).NotTo(BeEmpty())

		// Every blob went to the blobstore, once, and bosh said so.
		Expect(reported(finalPart(out), "uploading")).To(Equal(names(m)))
		blobsSeen = blobs()
		Expect(blobsSeen).To(HaveLen(len(names(m))))
		for _, e := range m.Packages {
			Expect(filepath.Join(first, ".final_builds", "packages", e.Name, "index.yml")).To(BeAnExistingFile())
		}

		// It says what to commit, and the tarball holds what the repository
		// describes.
		Expect(out).To(ContainSubstring("git add .final_builds releases"))
		Expect(out).To(ContainSubstring("releases/garden-windows/garden-windows-1.0.0.yml"))
		Expect(out).To(ContainSubstring("git tag v1.0.0"))
		rel, err := releasecheck.Read(filepath.Join(first, "out", "garden-windows-1.0.0.tgz"))
		Expect(err).NotTo(HaveOccurred())
		Expect(rel.Version).To(Equal("1.0.0"))
		Expect(rel.Check(exp)).To(BeEmpty())

		// Our executables carry the commit that last changed src/, not the
		// release version (which would make every release's packages new).
		stamp := "git-" + git(first, "log", "-1", "--format=%H", "--", "src")[:12]
		Expect(out).To(ContainSubstring("executables stamped " + stamp))
		// Executables of other modules (gdn, winit) keep their module's
		// version.
		bins, err := releasecheck.ParseBinaries(filepath.Join(first, "config", "binaries"))
		Expect(err).NotTo(HaveOccurred())
		files := map[string][]byte{}
		for _, p := range rel.Packages {
			for name, content := range p.Files {
				files[name] = content
			}
		}
		ours := 0
		for _, b := range bins {
			exe := "build/" + b.Package + "/" + b.File
			Expect(files).To(HaveKey(exe))
			if strings.HasPrefix(b.GoPackage, "github.com/garden-windows/garden-windows-release/") {
				Expect(bytes.Contains(files[exe], []byte(stamp))).To(BeTrue(), "%s does not hold %s", exe, stamp)
				ours++
			} else {
				Expect(bytes.Contains(files[exe], []byte(stamp))).To(BeFalse(), "%s holds %s", exe, stamp)
			}
		}
		Expect(ours).To(BeNumerically(">=", 1))
	})

	It("refuses uncommitted release records, an existing or malformed version, and a blobstore without credentials", func() {
		out, err := finalize(first, filepath.Join(scratch, "home-refused"), "1.0.1")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("uncommitted or untracked changes"))
		Expect(out).To(ContainSubstring(".final_builds/"))
		Expect(out).NotTo(ContainSubstring("built "), "it refused only after building")

		git(first, "add", ".final_builds", "releases")
		git(first, "commit", "--quiet", "-m", "Final release 1.0.0")

		out, err = finalize(first, filepath.Join(scratch, "home-refused"), "1.0.0")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("release garden-windows/1.0.0 already exists"))

		out, err = finalize(first, filepath.Join(scratch, "home-refused"), "1.0.0+dev.1")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("VERSION '1.0.0+dev.1' is not a final release version"))

		// A real blobstore without config/private.yml: refused before the
		// build. FINALIZE_ALLOW_DIRTY=1 lets the changed final.yml through.
		finalYML := filepath.Join(first, "config", "final.yml")
		local, err := os.ReadFile(finalYML)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(finalYML, []byte("---\nname: garden-windows\nblobstore:\n  provider: s3\n  options: {bucket_name: b, region: r}\n"), 0o644)).To(Succeed())
		baseEnv = append(baseEnv, "FINALIZE_ALLOW_DIRTY=1")
		out, err = finalize(first, filepath.Join(scratch, "home-refused"), "1.0.1")
		baseEnv = baseEnv[:len(baseEnv)-1]
		Expect(os.WriteFile(finalYML, local, 0o644)).To(Succeed())
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("FINALIZE_ALLOW_DIRTY=1: finalizing a work tree with uncommitted changes"))
		Expect(out).To(ContainSubstring("config/private.yml is missing"))
		Expect(out).NotTo(ContainSubstring("built "))

		Expect(git(first, "status", "--porcelain")).To(BeEmpty())
		Expect(blobs()).To(Equal(blobsSeen))
	})

	It("cuts 1.0.1 from a fresh clone of the same source, reusing every job, package and the license", func() {
		git(scratch, "clone", "--quiet", first, second)
		out, err := finalize(second, filepath.Join(scratch, "home-2"), "1.0.1")
		Expect(err).NotTo(HaveOccurred(), out)

		v0 := readManifest(second, "1.0.0")
		v1 := readManifest(second, "1.0.1")
		Expect(v1.Version).To(Equal("1.0.1"))
		Expect(v1.Jobs).To(Equal(v0.Jobs))
		Expect(v1.Packages).To(Equal(v0.Packages))
		Expect(v1.License).To(Equal(v0.License))

		// Nothing new reached the blobstore: bosh uploaded nothing and
		// added nothing to .final_builds/, and fetched every blob of the
		// release from the blobstore instead (this run's cache was empty).
		final := finalPart(out)
		Expect(final).NotTo(ContainSubstring("uploading"))
		Expect(final).NotTo(MatchRegexp(`(?m)^Adding (job|package|license) `))
		Expect(reported(out, "downloading")).To(Equal(names(v0)))
		Expect(reported(run1, "downloading")).To(BeEmpty())
		Expect(blobs()).To(Equal(blobsSeen))
		Expect(git(second, "status", "--porcelain", "--", ".final_builds")).To(BeEmpty())
		Expect(git(second, "status", "--porcelain", "--", "releases")).To(ContainSubstring("garden-windows-1.0.1.yml"))
	})

	It("leaves the repository's own release records alone", func() {
		Expect(releaseRecords(realRepo)).To(Equal(realState))
	})
})
