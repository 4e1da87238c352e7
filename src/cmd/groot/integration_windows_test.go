package main_test

// The Windows integration suite of groot: the real groot.exe with the
// hcsshim layer adapter and FSRM quotas, run by the pipeline in ci/ on a
// Windows worker with the Containers and FS-Resource-Manager features
// (never under Wine: scripts/wine/skip-packages lists this package).
//
// GROOT_TEST_IMAGE_URI names a Windows base image the worker can reach, for
// example oci:///C:/var/vcap/packages/windows2019fs or
// docker:///mcr.microsoft.com/windows/nanoserver:ltsc2019. The suite uses a
// driver store of its own under the temp directory and removes it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var grootBin string

func TestGrootWindows(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "groot (Windows)")
}

var _ = BeforeSuite(func() {
	var err error
	grootBin, err = gexec.Build("github.com/garden-windows/garden-windows-release/cmd/groot")
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() { gexec.CleanupBuildArtifacts() })

var _ = Describe("groot.exe on Windows", func() {
	var (
		imageURI string
		store    string
	)

	BeforeEach(func() {
		imageURI = os.Getenv("GROOT_TEST_IMAGE_URI")
		Expect(imageURI).NotTo(BeEmpty(), "set GROOT_TEST_IMAGE_URI to a Windows base image (ci/README.md)")
		store = filepath.Join(os.TempDir(), fmt.Sprintf("groot-it-%d", GinkgoParallelProcess()))
		DeferCleanup(func() {
			// Volumes first: their sandboxes are on the layers.
			entries, _ := os.ReadDir(filepath.Join(store, "volumes"))
			for _, e := range entries {
				if e.IsDir() {
					_ = exec.Command(grootBin, "--driver-store", store, "delete", e.Name()).Run()
				}
			}
		})
	})

	groot := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(grootBin, append([]string{"--driver-store", store}, args...)...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil {
			return stdout.String(), fmt.Errorf("%w: %s %s", err, stdout.String(), stderr.String())
		}
		return stdout.String(), nil
	}

	create := func(handle string, args ...string) specs.Spec {
		out, err := groot(append(append([]string{"create"}, args...), imageURI, handle)...)
		Expect(err).NotTo(HaveOccurred())
		var spec specs.Spec
		Expect(json.Unmarshal([]byte(out), &spec)).To(Succeed())
		return spec
	}

	It("pulls the image into layers with Windows files", func() {
		_, err := groot("pull", imageURI)
		Expect(err).NotTo(HaveOccurred())
		layers, err := filepath.Glob(filepath.Join(store, "layers", "*", "Files", "Windows"))
		Expect(err).NotTo(HaveOccurred())
		Expect(layers).NotTo(BeEmpty())
	})

	It("creates a mounted sandbox, enforces its quota, reports its use and deletes it", func() {
		spec := create("groot-it-1", "--disk-limit-size-bytes", "104857600", "--exclude-image-from-quota")
		volume := spec.Root.Path
		Expect(volume).To(HavePrefix(`\\?\Volume{`))
		Expect(filepath.Join(volume, "Windows", "System32")).To(BeADirectory(), "the image is visible in the volume")

		Expect(os.WriteFile(filepath.Join(volume, "ten-mib.bin"), make([]byte, 10<<20), 0o644)).To(Succeed())
		err := os.WriteFile(filepath.Join(volume, "too-much.bin"), make([]byte, 200<<20), 0o644)
		Expect(err).To(HaveOccurred(), "the FSRM quota of 100 MiB refuses 200 MiB more")

		out, err := groot("stats", "groot-it-1")
		Expect(err).NotTo(HaveOccurred())
		var stats map[string]map[string]uint64
		Expect(json.Unmarshal([]byte(out), &stats)).To(Succeed())
		Expect(stats["disk_usage"]["exclusive_bytes_used"]).To(BeNumerically(">=", 10<<20))
		Expect(stats["disk_usage"]["total_bytes_used"]).To(BeNumerically(">", stats["disk_usage"]["exclusive_bytes_used"]))

		_, err = groot("delete", "groot-it-1")
		Expect(err).NotTo(HaveOccurred())
		_, err = os.Stat(volume)
		Expect(err).To(HaveOccurred(), "the volume is unmounted")
		Expect(filepath.Join(store, "volumes", "groot-it-1")).NotTo(BeADirectory())
		_, err = groot("delete", "groot-it-1")
		Expect(err).NotTo(HaveOccurred())
	})

	It("creates ten sandboxes at once on one import", func() {
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				create(fmt.Sprintf("groot-it-par-%d", i))
			}()
		}
		wg.Wait()
		out, err := groot("capacity")
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(MatchRegexp(`^\{"capacity":[1-9][0-9]*\}`))
	})
})
