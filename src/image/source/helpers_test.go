package source_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/garden-windows/garden-windows-release/image"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// windowsImage is a random image whose config says windows/amd64 and
// osVersion, so that every call gives an image with its own config digest.
func windowsImage(osVersion string, env ...string) v1.Image {
	return imageFor("windows", "amd64", osVersion, env...)
}

func imageFor(os, arch, osVersion string, env ...string) v1.Image {
	img, err := random.Image(2048, 3)
	Expect(err).NotTo(HaveOccurred())
	cf, err := img.ConfigFile()
	Expect(err).NotTo(HaveOccurred())
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.OSVersion = os, arch, osVersion
	cf.Config.Env = env
	img, err = mutate.ConfigFile(img, cf)
	Expect(err).NotTo(HaveOccurred())
	return img
}

func platform(os, arch, osVersion string) *v1.Platform {
	return &v1.Platform{OS: os, Architecture: arch, OSVersion: osVersion}
}

type entry struct {
	platform *v1.Platform
	img      v1.Image
}

// indexOf builds a manifest list of the entries, in order.
func indexOf(entries ...entry) v1.ImageIndex {
	var adds []mutate.IndexAddendum
	for _, e := range entries {
		mt, err := e.img.MediaType()
		Expect(err).NotTo(HaveOccurred())
		adds = append(adds, mutate.IndexAddendum{Add: e.img, Descriptor: v1.Descriptor{MediaType: mt, Platform: e.platform}})
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.DockerManifestList), adds...)
}

func configDigest(img v1.Image) string {
	h, err := img.ConfigName()
	Expect(err).NotTo(HaveOccurred())
	return h.String()
}

// expectImage checks that got describes want completely: config, layers
// in order with digests, diff IDs, media types and sizes, and that each
// layer's Open gives exactly the stored blob.
func expectImage(got image.Image, want v1.Image, name string) {
	Expect(got.Name).To(Equal(name))
	Expect(got.ConfigDigest).To(Equal(configDigest(want)))
	cf, err := want.ConfigFile()
	Expect(err).NotTo(HaveOccurred())
	Expect(got.Env).To(Equal(cf.Config.Env))

	m, err := want.Manifest()
	Expect(err).NotTo(HaveOccurred())
	Expect(got.Layers).To(HaveLen(len(m.Layers)))
	for i, d := range m.Layers {
		l := got.Layers[i]
		Expect(l.Digest).To(Equal(d.Digest.String()))
		Expect(l.DiffID).To(Equal(cf.RootFS.DiffIDs[i].String()))
		Expect(l.MediaType).To(Equal(string(d.MediaType)))
		Expect(l.Size).To(Equal(d.Size))

		wantLayer, err := want.LayerByDigest(d.Digest)
		Expect(err).NotTo(HaveOccurred())
		wantBytes := readAll(wantLayer.Compressed())
		gotBytes := readAll(l.Open())
		Expect(gotBytes).To(Equal(wantBytes))
		Expect(sha256Of(gotBytes)).To(Equal(l.Digest), "Open gives bytes whose digest is the layer's")
		Expect(int64(len(gotBytes))).To(Equal(l.Size))
		Expect(readAll(l.Open())).To(Equal(wantBytes), "each Open starts a new read")
	}
}

func readAll(rc io.ReadCloser, err error) []byte {
	GinkgoHelper()
	Expect(err).NotTo(HaveOccurred())
	defer rc.Close()
	b, err := io.ReadAll(rc)
	Expect(err).NotTo(HaveOccurred())
	return b
}

func sha256Of(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// windowsPathIn maps a Windows path C:\a\b to root/C/a/b, the way a test
// simulates the cell's disk.
func windowsPathIn(root string) func(string) string {
	return func(p string) string {
		Expect(p).To(MatchRegexp(`^[A-Za-z]:\\`), "LocalPath gets the Windows path")
		return filepath.Join(root, p[:1], filepath.FromSlash(strings.ReplaceAll(p[3:], `\`, "/")))
	}
}

// testRegistry is go-containerregistry's in-memory registry on loopback.
// Images are pushed through an unguarded server sharing its storage, so
// that the server under test can add authentication or TLS.
type testRegistry struct {
	push     *httptest.Server
	server   *httptest.Server
	requests atomic.Int64
}

func newRegistry(useTLS bool, wrap func(http.Handler) http.Handler) *testRegistry {
	backend := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r := &testRegistry{push: httptest.NewServer(backend)}
	var h http.Handler = backend
	if wrap != nil {
		h = wrap(backend)
	}
	counted := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		h.ServeHTTP(w, req)
	})
	r.server = httptest.NewUnstartedServer(counted)
	// Refused TLS handshakes are what some tests are about; they are not
	// worth a log line.
	r.server.Config.ErrorLog = log.New(io.Discard, "", 0)
	if useTLS {
		r.server.StartTLS()
	} else {
		r.server.Start()
	}
	DeferCleanup(r.server.Close)
	DeferCleanup(r.push.Close)
	return r
}

// host is the registry under test as host:port.
func (r *testRegistry) host() string {
	return strings.TrimPrefix(strings.TrimPrefix(r.server.URL, "http://"), "https://")
}

func (r *testRegistry) pushRef(repoAndTag string) name.Reference {
	ref, err := name.ParseReference(strings.TrimPrefix(r.push.URL, "http://") + "/" + repoAndTag)
	Expect(err).NotTo(HaveOccurred())
	return ref
}

func (r *testRegistry) pushImage(repoAndTag string, img v1.Image) {
	Expect(remote.Write(r.pushRef(repoAndTag), img)).To(Succeed())
}

func (r *testRegistry) pushIndex(repoAndTag string, idx v1.ImageIndex) {
	Expect(remote.WriteIndex(r.pushRef(repoAndTag), idx)).To(Succeed())
}

func (r *testRegistry) hasBlob(repo string, h v1.Hash) bool {
	resp, err := http.Head(r.push.URL + "/v2/" + repo + "/blobs/" + h.String())
	Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// basicAuth makes h demand user and password, as registries with basic
// auth do.
func basicAuth(user, password string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="test registry"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		h.ServeHTTP(w, r)
	})
}
