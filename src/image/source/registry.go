package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"

	"code.cloudfoundry.org/lager/v3"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/garden-windows/garden-windows-release/image"
)

const userAgent = "garden-windows-groot"

func (s *session) insecure() bool {
	return slices.ContainsFunc(s.opts.InsecureRegistries, func(r string) bool {
		return strings.EqualFold(strings.TrimSpace(r), s.ref.Registry)
	})
}

func (s *session) resolveRegistry() (image.Image, error) {
	r := s.ref
	repo := r.Registry + "/" + r.Repository
	if s.opts.Username == "" && s.opts.Password != "" {
		return image.Image{}, fmt.Errorf("cannot pull %s: a password was given without a username; give both or neither", repo)
	}
	insecure := s.insecure()
	s.explain = func(err error) error { return s.explainRegistryErr(err, repo) }
	s.log.Debug("registry", lager.Data{"registry": r.Registry, "insecure": insecure, "authenticated": s.opts.Username != ""})

	nameOpts := []name.Option{name.StrictValidation}
	if insecure {
		// Lets go-containerregistry fall back to plain HTTP (and accept
		// http foreign-layer URLs); the transport below decides about TLS
		// verification.
		nameOpts = append(nameOpts, name.Insecure)
	}
	var (
		nref name.Reference
		err  error
	)
	if r.Digest != "" {
		nref, err = name.NewDigest(repo+"@"+r.Digest, nameOpts...)
	} else {
		nref, err = name.NewTag(repo+":"+r.Tag, nameOpts...)
	}
	if err != nil {
		return image.Image{}, fmt.Errorf("image %s is not a valid registry reference: %w", r.String(), err)
	}

	var auth authn.Authenticator = authn.Anonymous
	if s.opts.Username != "" {
		auth = &authn.Basic{Username: s.opts.Username, Password: s.opts.Password}
	}
	opts := []remote.Option{
		remote.WithContext(s.ctx),
		remote.WithAuth(auth),
		remote.WithTransport(newGuardTransport(r.Registry, insecure)),
		remote.WithUserAgent(userAgent),
	}

	desc, err := remote.Get(nref, opts...)
	if err != nil {
		return image.Image{}, fmt.Errorf("fetching the manifest of %s: %w", r.String(), s.explain(err))
	}

	var img v1.Image
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return image.Image{}, fmt.Errorf("reading the manifest list of %s: %w", r.String(), s.explain(err))
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return image.Image{}, fmt.Errorf("reading the manifest list of %s: %w", r.String(), s.explain(err))
		}
		if img, err = s.imageFromIndex(idx, im.Manifests, "the manifest list of "+r.String()); err != nil {
			return image.Image{}, err
		}
	case desc.MediaType.IsImage():
		if img, err = desc.Image(); err != nil {
			return image.Image{}, fmt.Errorf("reading the manifest of %s: %w", r.String(), s.explain(err))
		}
	case desc.MediaType.IsSchema1():
		return image.Image{}, fmt.Errorf("image %s has a Docker schema 1 manifest, which is not supported: push it again with a current Docker or tool", r.String())
	default:
		return image.Image{}, fmt.Errorf("%s is not an image: its manifest has media type %q", r.String(), desc.MediaType)
	}
	return s.toImage(img)
}

// explainRegistryErr turns what go-containerregistry reports into an
// error that says what to do. repo is registry/repository.
func (s *session) explainRegistryErr(err error, repo string) error {
	if err == nil {
		return nil
	}
	registry := s.ref.Registry
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}

	var terr *transport.Error
	if errors.As(err, &terr) {
		switch {
		case terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden ||
			hasCode(terr, transport.UnauthorizedErrorCode, transport.DeniedErrorCode):
			if s.opts.Username == "" {
				return newError(ErrAuth, err,
					"authentication failed for %s: the registry refused anonymous access; the repository may be private (give a username and password) or may not exist (%v)",
					repo, err)
			}
			return newError(ErrAuth, err, "authentication failed for %s: check the username and password (%v)", repo, err)
		case hasCode(terr, transport.NameUnknownErrorCode):
			return newError(ErrNotFound, err, "repository %s not found in registry %s (%v)", s.ref.Repository, registry, err)
		case terr.StatusCode == http.StatusNotFound || hasCode(terr, transport.ManifestUnknownErrorCode):
			return newError(ErrNotFound, err, "manifest %s not found in %s: check the tag or digest (%v)", s.wanted(), repo, err)
		case terr.StatusCode == http.StatusTooManyRequests || hasCode(terr, transport.TooManyRequestsErrorCode):
			return fmt.Errorf("registry %s is limiting pulls (too many requests); give credentials with a higher limit or retry later: %w", registry, err)
		}
		return fmt.Errorf("registry %s refused the request: %w", registry, err)
	}

	var (
		unknownAuthority x509.UnknownAuthorityError
		hostnameErr      x509.HostnameError
		invalidCert      x509.CertificateInvalidError
		verifyErr        *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownAuthority) || errors.As(err, &hostnameErr) || errors.As(err, &invalidCert) || errors.As(err, &verifyErr) {
		return newError(ErrTransportSecurity, err,
			"the TLS certificate of registry %s cannot be verified (%v): trust its CA on this host or, to connect without verifying it, list %q in the insecure registries",
			registry, err, registry)
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return newError(ErrTransportSecurity, err,
			"registry %s speaks plain HTTP, not HTTPS: list %q in the insecure registries if that is intended", registry, registry)
	}

	var (
		opErr    *net.OpError
		dnsErr   *net.DNSError
		plainErr *plainHTTPRefused
	)
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &plainErr) {
		return newError(ErrUnreachable, err,
			"cannot reach registry %s (%v): check its host name and port, DNS, firewalls and proxy settings", registry, err)
	}
	return err
}

func (s *session) wanted() string {
	if s.ref.Digest != "" {
		return s.ref.Digest
	}
	return fmt.Sprintf("for tag %q", s.ref.Tag)
}

func hasCode(terr *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range terr.Errors {
		if slices.Contains(codes, d.Code) {
			return true
		}
	}
	return false
}

// guardTransport is the HTTP transport for one registry. go-containerregistry
// falls back to plain HTTP on its own for loopback and private addresses;
// this refuses plain HTTP unless the operator listed the registry as
// insecure, so credentials and images never travel unprotected by
// surprise. For an insecure registry, and only for its own host, it skips
// TLS verification; redirects to blob storage and foreign-layer hosts are
// still verified.
type guardTransport struct {
	registry   string
	insecure   bool
	verified   http.RoundTripper
	unverified http.RoundTripper
}

func newGuardTransport(registry string, insecure bool) *guardTransport {
	g := &guardTransport{registry: registry, insecure: insecure, verified: baseTransport()}
	if insecure {
		t := baseTransport()
		t.TLSClientConfig = &tls.Config{
			// The operator listed this registry as insecure: its
			// certificate may be self-signed. Digests still protect the
			// content.
			InsecureSkipVerify: true, //nolint:gosec
		}
		g.unverified = t
	}
	return g
}

// baseTransport is a fresh copy of Go's default transport (proxy from the
// environment, keep-alives, HTTP/2), or an equivalent if a program has
// replaced http.DefaultTransport with something else.
func baseTransport() *http.Transport {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
}

func (g *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case req.URL.Scheme == "http" && !g.insecure:
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &plainHTTPRefused{host: req.URL.Host, registry: g.registry}
	case g.insecure && req.URL.Scheme == "https" && strings.EqualFold(req.URL.Host, g.registry):
		return g.unverified.RoundTrip(req)
	default:
		return g.verified.RoundTrip(req)
	}
}

// plainHTTPRefused is the error for a plain-HTTP request to (or on behalf
// of) a registry that is not insecure.
type plainHTTPRefused struct {
	host, registry string
}

func (e *plainHTTPRefused) Error() string {
	return fmt.Sprintf("refusing plain HTTP to %s because registry %s is not in the insecure registries", e.host, e.registry)
}
