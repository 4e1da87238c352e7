//go:build !windows

package main_test

// Contract tests: the Linux build of groot, on the simulated Windows host,
// driven through Guardian's own image plugin client (imageplugin.ImagePlugin
// with the DefaultCommandCreator gdn wires from garden.image_plugin and
// image_plugin_extra_args), the way gdn drives it.

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	stdlog "log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"code.cloudfoundry.org/commandrunner/linux_command_runner"
	"code.cloudfoundry.org/garden"
	"code.cloudfoundry.org/guardian/gardener"
	"code.cloudfoundry.org/guardian/imageplugin"
	"code.cloudfoundry.org/lager/v3/lagertest"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/host/sim"
)

// entry is one file of a test layer.
type entry struct {
	name, body string
	typ        byte
	link       string
}

// layerTar writes a Windows-style layer tar (Files/ and Hives/).
func layerTar(entries ...entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, dir := range []string{"Files/", "Hives/"} {
		Expect(tw.WriteHeader(&tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755})).To(Succeed())
	}
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		Expect(tw.WriteHeader(hdr)).To(Succeed())
		if typ == tar.TypeReg {
			_, err := tw.Write([]byte(e.body))
			Expect(err).NotTo(HaveOccurred())
		}
	}
	Expect(tw.Close()).To(Succeed())
	return buf.Bytes()
}

func layerOf(data []byte) v1.Layer {
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	Expect(err).NotTo(HaveOccurred())
	return l
}

// windowsImage is an image of the given layer tars, base first.
func windowsImage(env []string, layers ...[]byte) v1.Image {
	img := empty.Image
	for _, data := range layers {
		var err error
		img, err = mutate.AppendLayers(img, layerOf(data))
		Expect(err).NotTo(HaveOccurred())
	}
	cf, err := img.ConfigFile()
	Expect(err).NotTo(HaveOccurred())
	cf.OS, cf.Architecture, cf.OSVersion = "windows", "amd64", "10.0.17763.1"
	cf.Config.Env = env
	img, err = mutate.ConfigFile(img, cf)
	Expect(err).NotTo(HaveOccurred())
	return img
}

var _ = Describe("groot, driven by gdn's image plugin client", func() {
	var (
		simHost    sim.Host
		volumes    sim.Volumes
		configFile string
		plugin     *imageplugin.ImagePlugin
		log        *lagertest.TestLogger
		baseLayer  []byte
		appLayer   []byte
		imageSize  uint64
	)

	writeConfig := func(cfg map[string]any) {
		data, err := json.Marshal(cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(configFile, data, 0o644)).To(Succeed())
	}

	// writeLayout writes img as an OCI layout at Windows path dir.
	writeLayout := func(dir string, img v1.Image) layout.Path {
		p, err := layout.Write(simHost.Path(dir), empty.Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.AppendImage(img)).To(Succeed())
		return p
	}

	groot := func(args ...string) *exec.Cmd {
		return exec.Command(grootBin, append([]string{"--config", configFile}, args...)...)
	}

	BeforeEach(func() {
		simHost = sim.Host{Root: GinkgoT().TempDir()}
		GinkgoT().Setenv(sim.RootEnv, simHost.Root)
		volumes = sim.Volumes{Host: simHost}
		configFile = filepath.Join(GinkgoT().TempDir(), "groot.json")
		writeConfig(map[string]any{"driver_store": `C:\var\vcap\data\groot`})

		baseLayer = layerTar(entry{name: "Files/Windows/System32/kernel32.dll", body: strings.Repeat("k", 4096)})
		appLayer = layerTar(entry{name: "Files/app/hello.txt", body: "hello"}, entry{name: "Hives/SOFTWARE_BASE", body: "hive"})
		imageSize = uint64(len(baseLayer) + len(appLayer))
		writeLayout(`C:\images\app`, windowsImage([]string{"PATH=C:\\Windows", "APP=1"}, baseLayer, appLayer))

		log = lagertest.NewTestLogger("gdn")
		plugin = &imageplugin.ImagePlugin{
			UnprivilegedCommandCreator: &imageplugin.DefaultCommandCreator{BinPath: grootBin, ExtraArgs: []string{"--config", configFile}},
			PrivilegedCommandCreator:   &imageplugin.NotImplementedCommandCreator{Err: fmt.Errorf("no privileged_image_plugin provided")},
			CommandRunner:              linux_command_runner.New(),
			DefaultRootfs:              "oci:///C:/images/app",
		}
	})

	rootfs := func(uri string) gardener.RootfsSpec {
		u, err := url.Parse(uri)
		Expect(err).NotTo(HaveOccurred())
		return gardener.RootfsSpec{RootFS: u, Namespaced: true}
	}

	layerDirs := func() []string {
		entries, err := os.ReadDir(simHost.Path(`C:\var\vcap\data\groot\layers`))
		Expect(err).NotTo(HaveOccurred())
		var dirs []string
		for _, e := range entries {
			if e.IsDir() {
				dirs = append(dirs, e.Name())
			}
		}
		return dirs
	}

	volumeFiles := func() []string {
		entries, err := os.ReadDir(simHost.Path(`C:\var\vcap\data\groot\volumes`))
		if os.IsNotExist(err) {
			return nil
		}
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range entries {
			if e.Name() != "volumes.lock" {
				names = append(names, e.Name())
			}
		}
		return names
	}

	simVolumes := func() map[string]sim.SimVolume {
		all, err := volumes.All()
		Expect(err).NotTo(HaveOccurred())
		return all
	}

	It("creates a sandbox on the image's layers and returns the runtime spec gdn merges", func() {
		spec, err := plugin.Create(log, "app-1", rootfs(""))
		Expect(err).NotTo(HaveOccurred())

		Expect(spec.Root.Path).To(MatchRegexp(`^\\\\\?\\Volume\{sim-\d+\}\\$`))
		Expect(spec.Process.Env).To(Equal([]string{"PATH=C:\\Windows", "APP=1"}))
		Expect(spec.Windows.LayerFolders).To(HaveLen(3))
		app, base, sandbox := spec.Windows.LayerFolders[0], spec.Windows.LayerFolders[1], spec.Windows.LayerFolders[2]
		Expect(sandbox).To(Equal(`C:\var\vcap\data\groot\volumes\app-1`))
		Expect(os.ReadFile(filepath.Join(simHost.Path(app), "Files", "app", "hello.txt"))).To(Equal([]byte("hello")))
		Expect(filepath.Join(simHost.Path(base), "Files", "Windows", "System32", "kernel32.dll")).To(BeAnExistingFile())
		Expect(simVolumes()).To(HaveKeyWithValue(spec.Root.Path, sim.SimVolume{Dir: sandbox, Parents: []string{app, base}}))

		// What groot leaves, winc uses: the sandbox and layers make a
		// container on the simulated HCS.
		compute := sim.Compute{Host: simHost}
		Expect(compute.CreateContainer(host.ContainerSpec{ID: "app-1", VolumePath: spec.Root.Path, ScratchLayer: sandbox, ParentLayers: []string{app, base}})).To(Succeed())
	})

	It("imports each layer once, however many creates of the image run at once", func() {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				_, err := plugin.Create(log, fmt.Sprintf("app-%d", i), rootfs("oci:///C:/images/app"))
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(layerDirs()).To(HaveLen(2))
		Expect(strings.Count(string(log.Buffer().Contents()), "import-layer.start")).To(Equal(2))
		Expect(simVolumes()).To(HaveLen(8))
	})

	It("reports disk use: what the container wrote, and that plus the image", func() {
		spec, err := plugin.Create(log, "app-1", rootfs(""))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(simHost.Path(spec.Root.Path), "written.bin"), make([]byte, 12345), 0o644)).To(Succeed())

		stats, err := plugin.Metrics(log, "app-1", true)
		Expect(err).NotTo(HaveOccurred())
		Expect(stats.ExclusiveBytesUsed).To(Equal(uint64(12345)))
		Expect(stats.TotalBytesUsed).To(BeNumerically(">", 12345+4096), "the image's bytes are added")
	})

	It("reports the capacity of the driver store's disk", func() {
		capacity, err := plugin.Capacity(log)
		Expect(err).NotTo(HaveOccurred())
		var st syscall.Statfs_t
		Expect(syscall.Statfs(simHost.Root, &st)).To(Succeed())
		Expect(capacity).To(Equal(st.Blocks * uint64(st.Bsize)))
	})

	It("destroys the sandbox and its metadata, and a second destroy is fine", func() {
		_, err := plugin.Create(log, "app-1", rootfs(""))
		Expect(err).NotTo(HaveOccurred())
		Expect(plugin.Destroy(log, "app-1")).To(Succeed())
		Expect(simVolumes()).To(BeEmpty())
		Expect(volumeFiles()).To(BeEmpty())
		Expect(layerDirs()).To(HaveLen(2), "layers stay for the next container")
		Expect(plugin.Destroy(log, "app-1")).To(Succeed())
		Expect(plugin.Destroy(log, "never-created")).To(Succeed())
	})

	Describe("disk quotas", func() {
		quotaOf := func() uint64 {
			all := simVolumes()
			Expect(all).To(HaveLen(1))
			for _, v := range all {
				return v.Quota
			}
			return 0
		}

		It("gives the whole limit to the container when the image is excluded", func() {
			spec := rootfs("")
			spec.QuotaSize, spec.QuotaScope = 50_000_000, garden.DiskLimitScopeExclusive
			_, err := plugin.Create(log, "app-1", spec)
			Expect(err).NotTo(HaveOccurred())
			Expect(quotaOf()).To(Equal(uint64(50_000_000)))
		})

		It("takes the image's size off the limit otherwise", func() {
			spec := rootfs("")
			spec.QuotaSize, spec.QuotaScope = 50_000_000, garden.DiskLimitScopeTotal
			_, err := plugin.Create(log, "app-1", spec)
			Expect(err).NotTo(HaveOccurred())
			q := quotaOf()
			Expect(q).To(BeNumerically("<", 50_000_000))
			Expect(q).To(BeNumerically(">=", 50_000_000-imageSize-4096))
		})

		It("refuses a limit smaller than the image, leaving no volume", func() {
			spec := rootfs("")
			spec.QuotaSize, spec.QuotaScope = 100, garden.DiskLimitScopeTotal
			_, err := plugin.Create(log, "app-1", spec)
			Expect(err).To(MatchError(ContainSubstring("the disk limit of 100 bytes does not leave room for the image")))
			Expect(simVolumes()).To(BeEmpty())
			Expect(volumeFiles()).To(BeEmpty())
		})

		It("leaves nothing when setting the quota fails", func() {
			Expect(simHost.SetFault("SetQuota", "hresult:0x80045313")).To(Succeed())
			spec := rootfs("")
			spec.QuotaSize, spec.QuotaScope = 50_000_000, garden.DiskLimitScopeExclusive
			_, err := plugin.Create(log, "app-1", spec)
			Expect(err).To(MatchError(ContainSubstring("setting the disk quota of app-1 to 50000000 bytes")))
			Expect(simVolumes()).To(BeEmpty())
			Expect(volumeFiles()).To(BeEmpty())
		})
	})

	Describe("registry images", func() {
		var (
			server *httptest.Server
			host   string
		)

		BeforeEach(func() {
			inner := registry.New(registry.Logger(stdlog.New(io.Discard, "", 0)))
			server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/v2/private/") {
					user, pass, ok := r.BasicAuth()
					if !ok || user != "alice" || pass != "s3cret-Passw0rd" {
						w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
						w.WriteHeader(http.StatusUnauthorized)
						return
					}
				}
				inner.ServeHTTP(w, r)
			}))
			DeferCleanup(server.Close)
			host = strings.TrimPrefix(server.URL, "http://")
			img := windowsImage([]string{"FROM=registry"}, baseLayer, appLayer)
			for _, repo := range []string{"public/app:1", "private/app:1"} {
				opts := []remote.Option{}
				if strings.HasPrefix(repo, "private") {
					opts = append(opts, remote.WithAuth(&basicAuth{"alice", "s3cret-Passw0rd"}))
				}
				r, err := name.ParseReference(host+"/"+repo, name.Insecure)
				Expect(err).NotTo(HaveOccurred())
				Expect(remote.Write(r, img, opts...)).To(Succeed())
			}
			writeConfig(map[string]any{"driver_store": `C:\var\vcap\data\groot`, "insecure_registries": []string{host}})
		})

		It("pulls anonymously from an insecure registry", func() {
			spec, err := plugin.Create(log, "app-1", rootfs("docker://"+host+"/public/app:1"))
			Expect(err).NotTo(HaveOccurred())
			Expect(spec.Process.Env).To(Equal([]string{"FROM=registry"}))
			Expect(spec.Windows.LayerFolders).To(HaveLen(3))
		})

		It("pulls with basic auth", func() {
			spec := rootfs("docker://" + host + "/private/app:1")
			spec.Username, spec.Password = "alice", "s3cret-Passw0rd"
			_, err := plugin.Create(log, "app-1", spec)
			Expect(err).NotTo(HaveOccurred())
		})

		It("fails authentication without ever printing the password", func() {
			out := gbytes.NewBuffer()
			cmd := groot("create", "--username", "alice", "--password", "wrong-Passw0rd-xyz", "docker://"+host+"/private/app:1", "app-1")
			cmd.Stdout, cmd.Stderr = out, out
			err := cmd.Run()
			Expect(err).To(HaveOccurred())
			Expect(string(out.Contents())).To(ContainSubstring("authentication failed"))
			Expect(string(out.Contents())).NotTo(ContainSubstring("wrong-Passw0rd-xyz"))
			Expect(simVolumes()).To(BeEmpty())
			Expect(volumeFiles()).To(BeEmpty())
		})
	})

	Describe("pull", func() {
		It("imports the image so that a create needs no import", func() {
			out, err := groot("pull", "oci:///C:/images/app").CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(out))
			Expect(layerDirs()).To(HaveLen(2))
			_, err = plugin.Create(log, "app-1", rootfs(""))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(log.Buffer().Contents())).NotTo(ContainSubstring("import-layer.start"))
		})

		It("names the URI that failed", func() {
			out, err := groot("pull", "oci:///C:/images/app", "oci:///C:/images/missing").CombinedOutput()
			Expect(err).To(HaveOccurred())
			Expect(string(out)).To(ContainSubstring(`C:\images\missing`))
		})
	})

	Describe("bad input leaves nothing behind", func() {
		expectNothingLeft := func() {
			Expect(simVolumes()).To(BeEmpty())
			Expect(volumeFiles()).To(BeEmpty())
			dirs, err := os.ReadDir(simHost.Path(`C:\var\vcap\data\groot\layers`))
			if err == nil {
				for _, d := range dirs {
					Expect(d.IsDir()).To(BeFalse(), "no layer directory %s", d.Name())
				}
			}
		}

		It("refuses an unknown URI scheme", func() {
			_, err := plugin.Create(log, "app-1", rootfs("ftp://example.com/image"))
			Expect(err).To(MatchError(ContainSubstring("ftp://example.com/image")))
			expectNothingLeft()
		})

		It("refuses a missing layout, naming its path", func() {
			_, err := plugin.Create(log, "app-1", rootfs("oci:///C:/images/nothing-here"))
			Expect(err).To(MatchError(ContainSubstring(`C:\images\nothing-here`)))
			expectNothingLeft()
		})

		It("refuses a bad handle", func() {
			_, err := plugin.Create(log, `..\evil`, rootfs(""))
			Expect(err).To(MatchError(ContainSubstring("invalid container handle")))
			expectNothingLeft()
		})

		It("refuses a second create of a handle before pulling anything", func() {
			_, err := plugin.Create(log, "app-1", rootfs(""))
			Expect(err).NotTo(HaveOccurred())
			_, err = plugin.Create(log, "app-1", rootfs("oci:///C:/images/nothing-here"))
			Expect(err).To(MatchError(ContainSubstring("handle app-1 has a volume")))
		})

		// corrupt rewrites the blob of the image's top layer in the layout.
		corrupt := func(change func([]byte) []byte) {
			p, err := layout.FromPath(simHost.Path(`C:\images\app`))
			Expect(err).NotTo(HaveOccurred())
			idx, err := p.ImageIndex()
			Expect(err).NotTo(HaveOccurred())
			m, err := idx.IndexManifest()
			Expect(err).NotTo(HaveOccurred())
			img, err := idx.Image(m.Manifests[0].Digest)
			Expect(err).NotTo(HaveOccurred())
			layers, err := img.Layers()
			Expect(err).NotTo(HaveOccurred())
			d, err := layers[1].Digest()
			Expect(err).NotTo(HaveOccurred())
			blob := filepath.Join(simHost.Path(`C:\images\app`), "blobs", "sha256", d.Hex)
			data, err := os.ReadFile(blob)
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(blob, change(data), 0o644)).To(Succeed())
		}

		It("rejects a layer whose bytes do not match its digest", func() {
			corrupt(func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b })
			_, err := plugin.Create(log, "app-1", rootfs(""))
			Expect(err).To(MatchError(ContainSubstring("corrupt layer")))
			Expect(layerDirs()).To(HaveLen(1), "the base layer is kept, the corrupt one is not")
			Expect(volumeFiles()).To(BeEmpty())
		})

		It("rejects a truncated layer before importing anything", func() {
			corrupt(func(b []byte) []byte { return b[:len(b)/2] })
			_, err := plugin.Create(log, "app-1", rootfs(""))
			Expect(err).To(MatchError(MatchRegexp(`blob sha256:[0-9a-f]{64} in OCI image layout C:\\images\\app .* is \d+ bytes but the manifest says \d+`)))
			expectNothingLeft()
		})

		It("rejects a layer with an entry escaping it, naming the entry", func() {
			evil := layerTar(entry{name: "Files/../../evil.txt", body: "x"})
			writeLayout(`C:\images\evil`, windowsImage(nil, evil))
			_, err := plugin.Create(log, "app-1", rootfs("oci:///C:/images/evil"))
			Expect(err).To(MatchError(ContainSubstring(`"Files/../../evil.txt"`)))
			expectNothingLeft()
			Expect(filepath.Join(simHost.Root, "C", "var", "vcap", "data", "evil.txt")).NotTo(BeAnExistingFile())
		})

		It("cleans up a layer half-imported by a groot that died, and imports it again", func() {
			Expect(simHost.SetFault("ImportLayer", "crash-after")).To(Succeed())
			_, err := plugin.Create(log, "app-1", rootfs(""))
			Expect(err).To(HaveOccurred())
			Expect(layerDirs()).To(HaveLen(1), "the import finished but was never recorded")

			spec, err := plugin.Create(log, "app-1", rootfs(""))
			Expect(err).NotTo(HaveOccurred())
			Expect(log.Buffer()).To(gbytes.Say("removing-half-imported-layer"))
			Expect(spec.Windows.LayerFolders).To(HaveLen(3))
		})
	})

	It("fails with a one-line usage error for a bad invocation", func() {
		out, err := exec.Command(grootBin, "create", "only-one-arg").CombinedOutput()
		Expect(err).To(HaveOccurred())
		Expect(err.(*exec.ExitError).ExitCode()).To(Equal(2))
		Expect(string(out)).To(ContainSubstring("create takes an image URI and a handle"))
	})
})

// basicAuth is an authn.Authenticator for pushing to the test registry.
type basicAuth struct{ user, pass string }

func (b *basicAuth) Authorization() (*authn.AuthConfig, error) {
	return &authn.AuthConfig{Username: b.user, Password: b.pass}, nil
}
