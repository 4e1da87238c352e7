// Package source resolves an image reference (package ref) to an
// image.Image: the layers to import, base first, each with a way to read
// its blob as stored, plus the image's environment. It reads OCI image
// layouts on this machine (the rootfs BOSH packages) and images in
// registries, choosing from multi-platform indexes the Windows image that
// matches the host's Windows build. It does not import or verify layers:
// the layer store checks every blob against its digest as it reads it.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"code.cloudfoundry.org/lager/v3"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/garden-windows/garden-windows-release/image"
	"github.com/garden-windows/garden-windows-release/image/ref"
)

// Options are what Resolve needs besides the reference.
type Options struct {
	// Username and Password are basic-auth credentials for registries;
	// both empty means anonymous. Password never appears in errors or
	// logs.
	Username, Password string
	// InsecureRegistries lists registries ("host[:port]", exactly as in
	// the image URI) that may be reached over plain HTTP or over TLS
	// without verifying the certificate. Every other registry needs TLS
	// with a trusted certificate, loopback and private addresses
	// included.
	InsecureRegistries []string
	// HostOSVersion is the host's Windows version, e.g.
	// "10.0.17763.5576". From a manifest list (or an OCI index) Resolve
	// picks the windows/amd64 entry whose os.version has the host's
	// major.minor.build, preferring the highest revision not above the
	// host's, else the highest revision of that build; it fails, listing
	// the builds offered, if no entry has the host's build. If empty, the
	// only windows/amd64 entry is taken, and several are an error.
	HostOSVersion string
	// LocalPath maps a Windows path (Ref.Path) to where it is on this
	// machine: identity on Windows, a simulation directory in tests on
	// Linux. nil means identity.
	LocalPath func(string) string
	// Log may be nil.
	Log lager.Logger
}

// Errors from Resolve (and from Layer.Open) match one of these with
// errors.Is when the cause is known, so that callers can react without
// parsing messages.
var (
	// ErrLayoutMissing: the OCI layout directory does not exist or is not
	// a complete OCI image layout.
	ErrLayoutMissing = errors.New("OCI image layout missing or incomplete")
	// ErrNotFound: no manifest for the tag or digest (layout or registry),
	// or no such repository.
	ErrNotFound = errors.New("image not found")
	// ErrAuth: the registry refused the credentials (or anonymous access).
	ErrAuth = errors.New("registry authentication failed")
	// ErrUnreachable: no connection to the registry (or a foreign layer's
	// server) could be made.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrTransportSecurity: the registry's TLS could not be verified, or it
	// offered only plain HTTP, and it is not an insecure registry.
	ErrTransportSecurity = errors.New("registry connection not secure")
	// ErrPlatform: no image for windows/amd64 and the host's Windows build.
	ErrPlatform = errors.New("no image for this host's platform")
)

// Resolve finds the image r refers to. The returned layers' Open functions
// read through ctx, so it must stay live while they are used.
func Resolve(ctx context.Context, r ref.Ref, o Options) (image.Image, error) {
	log := o.Log
	if log == nil {
		log = lager.NewLogger("source")
	}
	log = log.Session("resolve", lager.Data{"image": r.String()})
	s := &session{ctx: ctx, ref: r, opts: o, log: log}

	var (
		img image.Image
		err error
	)
	if err = ctx.Err(); err == nil {
		switch r.Scheme {
		case ref.OCI:
			img, err = s.resolveLayout()
		case ref.Docker:
			img, err = s.resolveRegistry()
		default:
			err = fmt.Errorf("cannot resolve image %s: scheme %q is neither %q nor %q", r.String(), string(r.Scheme), ref.OCI, ref.Docker)
		}
	}
	if err != nil {
		err = s.scrub(err)
		log.Error("failed", err)
		return image.Image{}, err
	}
	log.Info("resolved", lager.Data{"config": img.ConfigDigest, "layers": len(img.Layers)})
	return img, nil
}

// session is one Resolve call's state, shared by the layers' Open
// functions.
type session struct {
	ctx  context.Context
	ref  ref.Ref
	opts Options
	log  lager.Logger
	// explain turns an error from reading a blob into an actionable one;
	// set by the source kind.
	explain func(error) error
}

// toImage turns the chosen v1.Image into an image.Image. The config must
// be for windows/amd64 (if it says), since a Linux image would only fail
// much later with an obscure error from the container runtime.
func (s *session) toImage(img v1.Image) (image.Image, error) {
	name := s.ref.String()
	m, err := img.Manifest()
	if err != nil {
		return image.Image{}, fmt.Errorf("reading the manifest of %s: %w", name, s.explainErr(err))
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return image.Image{}, fmt.Errorf("reading the config of %s: %w", name, s.explainErr(err))
	}
	if (cf.OS != "" && cf.OS != "windows") || (cf.Architecture != "" && cf.Architecture != "amd64") {
		return image.Image{}, newError(ErrPlatform, nil,
			"image %s is for %s/%s, but this host runs windows/amd64: use a Windows image", name, cf.OS, cf.Architecture)
	}
	if len(cf.RootFS.DiffIDs) != len(m.Layers) {
		return image.Image{}, fmt.Errorf("image %s is malformed: its manifest has %d layers but its config lists %d diff IDs", name, len(m.Layers), len(cf.RootFS.DiffIDs))
	}

	layers := make([]image.Layer, len(m.Layers))
	for i, d := range m.Layers {
		layers[i] = image.Layer{
			Digest:    d.Digest.String(),
			DiffID:    cf.RootFS.DiffIDs[i].String(),
			MediaType: string(d.MediaType),
			Size:      d.Size,
			Open:      s.opener(img, d.Digest),
		}
	}
	return image.Image{
		Name:         name,
		ConfigDigest: m.Config.Digest.String(),
		Layers:       layers,
		Env:          cf.Config.Env,
	}, nil
}

// opener returns a Layer.Open that streams the blob as stored (from the
// layout's blob file, the registry, or a foreign layer's URLs), so that a
// multi-gigabyte base layer is never held in memory.
func (s *session) opener(img v1.Image, digest v1.Hash) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		l, err := img.LayerByDigest(digest)
		if err == nil {
			var rc io.ReadCloser
			if rc, err = l.Compressed(); err == nil {
				return rc, nil
			}
		}
		return nil, s.scrub(fmt.Errorf("opening layer %s of %s: %w", digest, s.ref.String(), s.explainErr(err)))
	}
}

func (s *session) explainErr(err error) error {
	if s.explain == nil {
		return err
	}
	return s.explain(err)
}

// minScrubLength is the shortest password scrub looks for: replacing
// every occurrence of a one- or two-character "password" would garble
// messages while protecting nothing.
const minScrubLength = 3

// scrub makes sure the password appears nowhere in err's text. No known
// path puts it there; this is the backstop for ones nobody knows of.
func (s *session) scrub(err error) error {
	pw := s.opts.Password
	if err == nil || len(pw) < minScrubLength || !strings.Contains(err.Error(), pw) {
		return err
	}
	// The chain is dropped (it would still hold the password); only the
	// sentinels callers test for are kept.
	var kinds []error
	for _, k := range []error{ErrLayoutMissing, ErrNotFound, ErrAuth, ErrUnreachable, ErrTransportSecurity, ErrPlatform, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, k) {
			kinds = append(kinds, k)
		}
	}
	return &sourceError{msg: strings.ReplaceAll(err.Error(), pw, "***"), kinds: kinds}
}

// sourceError is an error with a message of its own that still matches
// its sentinel kinds and its cause with errors.Is and errors.As.
type sourceError struct {
	msg   string
	kinds []error
}

func (e *sourceError) Error() string   { return e.msg }
func (e *sourceError) Unwrap() []error { return e.kinds }

func newError(kind, cause error, format string, args ...any) error {
	kinds := []error{kind}
	if cause != nil {
		kinds = append(kinds, cause)
	}
	return &sourceError{msg: fmt.Sprintf(format, args...), kinds: kinds}
}
