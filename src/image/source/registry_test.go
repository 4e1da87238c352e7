package source_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	"code.cloudfoundry.org/lager/v3/lagertest"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/garden-windows/garden-windows-release/image/ref"
	"github.com/garden-windows/garden-windows-release/image/source"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// A password distinctive enough that finding it anywhere means a leak.
const (
	username = "groot-user"
	password = "Zq7-distinctive-Pa55w0rd-xK2"
)

var _ = Describe("Resolve from a registry", func() {
	var (
		logger *lagertest.TestLogger
		opts   source.Options
		ctx    context.Context
	)

	BeforeEach(func() {
		logger = lagertest.NewTestLogger("source")
		opts = source.Options{Log: logger}
		ctx = context.Background()
	})

	parse := func(uri string) ref.Ref {
		r, err := ref.Parse(uri)
		Expect(err).NotTo(HaveOccurred())
		return r
	}

	// expectNoPassword checks every place the password could leak to.
	expectNoPassword := func(err error) {
		if err != nil {
			Expect(err.Error()).NotTo(ContainSubstring(password))
			Expect(fmt.Sprintf("%+v", err)).NotTo(ContainSubstring(password))
			Expect(fmt.Sprintf("%#v", err)).NotTo(ContainSubstring(password))
		}
		Expect(string(logger.Buffer().Contents())).NotTo(ContainSubstring(password))
	}

	Context("over plain HTTP, listed as insecure", func() {
		var reg *testRegistry

		BeforeEach(func() {
			reg = newRegistry(false, nil)
			opts.InsecureRegistries = []string{"other.example:5000", reg.host()}
		})

		It("pulls anonymously: layers, config, env, and blobs that round-trip", func() {
			img := windowsImage("10.0.17763.5576", "A=1", "B=two")
			reg.pushImage("cloudfoundry/windows2016fs:2019", img)

			uri := "docker://" + reg.host() + "/cloudfoundry/windows2016fs:2019"
			got, err := source.Resolve(ctx, parse(uri), opts)
			Expect(err).NotTo(HaveOccurred())
			expectImage(got, img, uri)
			Expect(logger.LogMessages()).To(ContainElement("source.resolve.resolved"))
		})

		It("pulls by digest", func() {
			img := windowsImage("")
			reg.pushImage("x/fs:1", img)
			d, err := img.Digest()
			Expect(err).NotTo(HaveOccurred())

			got, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/x/fs@"+d.String()), opts)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.ConfigDigest).To(Equal(configDigest(img)))
		})

		It("takes the default tag", func() {
			img := windowsImage("")
			reg.pushImage("x/fs:latest", img)
			got, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/x/fs"), opts)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.ConfigDigest).To(Equal(configDigest(img)))
		})

		It("says when the tag does not exist", func() {
			reg.pushImage("x/fs:2019", windowsImage(""))
			_, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/x/fs:nope"), opts)
			Expect(err).To(MatchError(source.ErrNotFound))
			Expect(err.Error()).To(ContainSubstring(`manifest for tag "nope" not found in ` + reg.host() + "/x/fs"))
		})

		It("says when the repository does not exist", func() {
			_, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/no/such:1"), opts)
			Expect(err).To(MatchError(source.ErrNotFound))
			Expect(err.Error()).To(ContainSubstring("repository no/such not found in registry " + reg.host()))
		})

		It("chooses from a manifest list by the host's Windows build", func() {
			want := windowsImage("10.0.17763.5576")
			idx := indexOf(
				entry{platform("linux", "amd64", ""), imageFor("linux", "amd64", "")},
				entry{platform("windows", "amd64", "10.0.14393.6897"), windowsImage("10.0.14393.6897")},
				entry{platform("windows", "amd64", "10.0.17763.6000"), windowsImage("10.0.17763.6000")},
				entry{platform("windows", "amd64", "10.0.17763.5576"), want},
				entry{platform("windows", "amd64", "10.0.20348.2000"), windowsImage("10.0.20348.2000")},
			)
			reg.pushIndex("x/fs:multi", idx)

			opts.HostOSVersion = "10.0.17763.5830"
			uri := "docker://" + reg.host() + "/x/fs:multi"
			got, err := source.Resolve(ctx, parse(uri), opts)
			Expect(err).NotTo(HaveOccurred())
			expectImage(got, want, uri)

			opts.HostOSVersion = "10.0.26100.1"
			_, err = source.Resolve(ctx, parse(uri), opts)
			Expect(err).To(MatchError(source.ErrPlatform))
			Expect(err.Error()).To(ContainSubstring("builds offered: 10.0.14393, 10.0.17763, 10.0.20348"))
			Expect(err.Error()).To(ContainSubstring("10.0.26100.1"))
		})

		It("fetches a foreign layer from its URL when the registry lacks the blob", func() {
			base := windowsImage("10.0.17763.5576")
			foreign, err := random.Layer(4096, types.DockerForeignLayer)
			Expect(err).NotTo(HaveOccurred())
			blob := readAll(foreign.Compressed())
			foreignDigest, err := foreign.Digest()
			Expect(err).NotTo(HaveOccurred())

			var served atomic.Int64
			blobServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/windows/base-layer" {
					http.NotFound(w, r)
					return
				}
				served.Add(1)
				_, _ = w.Write(blob)
			}))
			DeferCleanup(blobServer.Close)
			// go-containerregistry refuses foreign URLs with loopback IP
			// literals; a name resolving to loopback stands in for a CDN.
			port := blobServer.Listener.Addr().(*net.TCPAddr).Port
			url := fmt.Sprintf("http://localhost:%d/windows/base-layer", port)

			img, err := mutate.Append(base, mutate.Addendum{Layer: foreign, URLs: []string{url}, MediaType: types.DockerForeignLayer})
			Expect(err).NotTo(HaveOccurred())
			reg.pushImage("x/fs:foreign", img)
			Expect(reg.hasBlob("x/fs", foreignDigest)).To(BeFalse(), "the registry must lack the foreign blob for this test to mean anything")

			uri := "docker://" + reg.host() + "/x/fs:foreign"
			got, err := source.Resolve(ctx, parse(uri), opts)
			Expect(err).NotTo(HaveOccurred())
			last := got.Layers[len(got.Layers)-1]
			Expect(last.MediaType).To(Equal(string(types.DockerForeignLayer)))
			Expect(last.Digest).To(Equal(foreignDigest.String()))

			Expect(readAll(last.Open())).To(Equal(blob))
			Expect(served.Load()).To(BeNumerically(">=", 1))
			expectImage(got, img, uri)
		})

		It("makes Open explain a blob the registry no longer has", func() {
			img := windowsImage("")
			reg.pushImage("x/fs:1", img)
			got, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/x/fs:1"), opts)
			Expect(err).NotTo(HaveOccurred())

			req, err := http.NewRequest(http.MethodDelete, reg.push.URL+"/v2/x/fs/blobs/"+got.Layers[0].Digest, nil)
			Expect(err).NotTo(HaveOccurred())
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusAccepted))

			_, err = got.Layers[0].Open()
			Expect(err).To(MatchError(source.ErrNotFound))
			Expect(err.Error()).To(ContainSubstring(got.Layers[0].Digest))
		})

		It("refuses a Linux image", func() {
			reg.pushImage("x/linux:1", imageFor("linux", "amd64", ""))
			_, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/x/linux:1"), opts)
			Expect(err).To(MatchError(source.ErrPlatform))
		})
	})

	Context("with basic auth", func() {
		var reg *testRegistry

		BeforeEach(func() {
			reg = newRegistry(false, func(h http.Handler) http.Handler { return basicAuth(username, password, h) })
			opts.InsecureRegistries = []string{reg.host()}
			reg.pushImage("private/fs:2019", windowsImage("10.0.17763.5576"))
		})

		It("pulls with the right credentials, logging no password", func() {
			opts.Username, opts.Password = username, password
			got, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/private/fs:2019"), opts)
			Expect(err).NotTo(HaveOccurred())
			for _, l := range got.Layers {
				Expect(sha256Of(readAll(l.Open()))).To(Equal(l.Digest))
			}
			expectNoPassword(nil)
		})

		It("says authentication failed, and never shows the password", func() {
			opts.Username, opts.Password = username, "wrong-"+password
			_, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/private/fs:2019"), opts)
			Expect(err).To(MatchError(source.ErrAuth))
			Expect(err.Error()).To(ContainSubstring("authentication failed for " + reg.host() + "/private/fs: check the username and password"))
			Expect(err.Error()).NotTo(ContainSubstring("wrong-"))
			expectNoPassword(err)
		})

		It("says the registry refused anonymous access", func() {
			_, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/private/fs:2019"), opts)
			Expect(err).To(MatchError(source.ErrAuth))
			Expect(err.Error()).To(ContainSubstring("authentication failed for " + reg.host() + "/private/fs"))
			Expect(err.Error()).To(ContainSubstring("anonymous"))
		})

		It("keeps the password out of errors and logs even when the registry echoes it back", func() {
			echo := newRegistry(false, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					u, p, ok := r.BasicAuth()
					if !ok {
						w.Header().Set("WWW-Authenticate", `Basic realm="echo"`)
						w.WriteHeader(http.StatusUnauthorized)
						return
					}
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					_, _ = fmt.Fprintf(w, `{"errors":[{"code":"UNSUPPORTED","message":"cannot serve %s with password %s"}]}`, u, p)
				})
			})
			opts.InsecureRegistries = []string{echo.host()}
			opts.Username, opts.Password = username, password
			_, err := source.Resolve(ctx, parse("docker://"+echo.host()+"/private/fs:2019"), opts)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring("cannot serve "+username+" with password ***"), "the registry's message is kept, minus the password")
			expectNoPassword(err)
		})

		It("refuses a password without a username", func() {
			opts.Password = password
			_, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/private/fs:2019"), opts)
			Expect(err).To(MatchError(ContainSubstring("password was given without a username")))
			Expect(reg.requests.Load()).To(BeZero())
			expectNoPassword(err)
		})

		It("never sends credentials over plain HTTP to a registry not listed as insecure", func() {
			opts.InsecureRegistries = nil
			opts.Username, opts.Password = username, password
			_, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/private/fs:2019"), opts)
			Expect(err).To(MatchError(source.ErrTransportSecurity))
			Expect(reg.requests.Load()).To(BeZero(), "no HTTP request reached the registry")
			expectNoPassword(err)
		})
	})

	Context("transport security", func() {
		It("refuses a plain-HTTP registry not listed as insecure, saying how to allow it", func() {
			reg := newRegistry(false, nil)
			reg.pushImage("x/fs:1", windowsImage(""))
			_, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/x/fs:1"), opts)
			Expect(err).To(MatchError(source.ErrTransportSecurity))
			Expect(err.Error()).To(ContainSubstring("registry " + reg.host() + " speaks plain HTTP"))
			Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("list %q in the insecure registries", reg.host())))
		})

		It("refuses a registry whose certificate cannot be verified", func() {
			reg := newRegistry(true, nil)
			reg.pushImage("x/fs:1", windowsImage(""))
			_, err := source.Resolve(ctx, parse("docker://"+reg.host()+"/x/fs:1"), opts)
			Expect(err).To(MatchError(source.ErrTransportSecurity))
			Expect(err.Error()).To(ContainSubstring("TLS certificate of registry " + reg.host() + " cannot be verified"))
		})

		It("pulls over TLS without verification from a registry listed as insecure", func() {
			reg := newRegistry(true, nil)
			img := windowsImage("")
			reg.pushImage("x/fs:1", img)
			opts.InsecureRegistries = []string{strings.ToUpper(reg.host())}
			uri := "docker://" + reg.host() + "/x/fs:1"
			got, err := source.Resolve(ctx, parse(uri), opts)
			Expect(err).NotTo(HaveOccurred())
			expectImage(got, img, uri)
		})
	})

	DescribeTable("says when the registry is unreachable",
		func(insecure bool) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			Expect(err).NotTo(HaveOccurred())
			host := l.Addr().String()
			Expect(l.Close()).To(Succeed())
			if insecure {
				opts.InsecureRegistries = []string{host}
			}
			_, err = source.Resolve(ctx, parse("docker://"+host+"/x/fs:1"), opts)
			Expect(err).To(MatchError(source.ErrUnreachable))
			Expect(err.Error()).To(ContainSubstring("cannot reach registry " + host))
		},
		Entry("listed as insecure", true),
		Entry("not listed", false),
	)

	It("stops when the context is cancelled", func() {
		reg := newRegistry(false, nil)
		reg.pushImage("x/fs:1", windowsImage(""))
		opts.InsecureRegistries = []string{reg.host()}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := source.Resolve(cctx, parse("docker://"+reg.host()+"/x/fs:1"), opts)
		Expect(err).To(MatchError(context.Canceled))
	})

	It("resolves nothing for a Ref without a scheme", func() {
		_, err := source.Resolve(ctx, ref.Ref{}, opts)
		Expect(err).To(MatchError(ContainSubstring("neither")))
	})

})
