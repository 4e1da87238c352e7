// Package ref parses the image URIs gdn hands to groot: OCI image layouts
// on the cell's disk (the rootfs BOSH packages) and images in Docker/OCI
// registries. Parsing is strict and errors say which forms are accepted,
// because a typo in a rootfs URI otherwise only shows up as a failed
// container create much later.
package ref

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Scheme says where an image comes from.
type Scheme string

const (
	// OCI is an OCI image layout directory on this machine.
	OCI Scheme = "oci"
	// Docker is an image in a registry speaking the Docker/OCI
	// distribution API.
	Docker Scheme = "docker"
)

// DockerHub is the registry an empty registry in a docker URI means, as
// Docker itself resolves it.
const DockerHub = "index.docker.io"

// DefaultTag is the tag of a docker URI that names neither a tag nor a
// digest.
const DefaultTag = "latest"

// AcceptedForms lists the URI forms Parse accepts, for error messages.
const AcceptedForms = "oci:///C:/path/to/layout, oci:///C:/path/to/layout:tag (or #tag), " +
	"docker:///repository[:tag], docker://registry[:port]/repository[:tag], " +
	"docker://registry[:port]/repository@sha256:<64 hex digits>"

// Ref is a parsed image URI. It never holds credentials: those reach
// groot as separate arguments.
type Ref struct {
	Scheme Scheme
	// Path is, for OCI, the layout directory as a Windows path with
	// backslashes (C:\var\vcap\packages\windows2019fs).
	Path string
	// Registry is, for Docker, host[:port] of the registry, DockerHub if
	// the URI named none.
	Registry string
	// Repository is, for Docker, the repository within the registry, with
	// Docker Hub's "library/" prefix already added to one-part names.
	Repository string
	// Tag is, for OCI, the org.opencontainers.image.ref.name annotation
	// selecting a manifest in the layout's index (empty: none given). For
	// Docker it is the tag; DefaultTag when the URI gave neither a tag nor
	// a digest, empty when it gave only a digest.
	Tag string
	// Digest is, for Docker, the manifest digest ("sha256:<hex>") the URI
	// pins; it takes precedence over Tag.
	Digest string
}

// ErrInvalidURI is what every Parse error matches with errors.Is.
var ErrInvalidURI = errors.New("invalid image URI")

var (
	// The distribution spec's grammar for repository path components.
	repoComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	dockerTag     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	sha256Digest  = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
	hostName      = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$`)
	ipv6Literal   = regexp.MustCompile(`^\[[0-9a-f:.]+\]$`)
	// The image spec's grammar for org.opencontainers.image.ref.name.
	ociRefName = regexp.MustCompile(`^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$`)
	driveRoot  = regexp.MustCompile(`^[A-Za-z]:/`)
	// Any algorithm:hex to the end, as the distribution spec's digest
	// grammar has it; Parse accepts only sha256 but must still tell a
	// digest from credentials.
	digestShape = regexp.MustCompile(`^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
)

// Parse parses an image URI (see AcceptedForms).
func Parse(uri string) (Ref, error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok || scheme == "" {
		return Ref{}, invalid(uri, "it has no scheme (expected oci:// or docker://)")
	}
	switch Scheme(strings.ToLower(scheme)) {
	case OCI:
		return parseOCI(uri, rest)
	case Docker:
		return parseDocker(uri, rest)
	default:
		return Ref{}, invalid(uri, fmt.Sprintf("unsupported scheme %q", scheme))
	}
}

func parseOCI(uri, rest string) (Ref, error) {
	// The host part of the URI has to be empty: oci://C:/x would put the
	// drive in the host.
	if userinfoEnd(OCI, rest) >= 0 {
		return Ref{}, invalid(uri, "credentials do not belong in the URI")
	}
	if !strings.HasPrefix(rest, "/") {
		return Ref{}, invalid(uri, "an oci URI needs three slashes before the drive (oci:///C:/...)")
	}
	rest = strings.ReplaceAll(rest[1:], `\`, "/")
	if rest == "" {
		return Ref{}, invalid(uri, "the layout path is missing")
	}

	// gdn turns the URL fragment (#tag) into :tag, but callers may still
	// pass the fragment form; a Windows path never holds a colon after its
	// drive, so a colon in the last element can only start a tag.
	p, tag, hasTag := strings.Cut(rest, "#")
	if !hasTag {
		dir, last := "", p
		if i := strings.LastIndex(p, "/"); i >= 0 {
			dir, last = p[:i+1], p[i+1:]
		}
		if name, t, ok := strings.Cut(last, ":"); ok && !(dir == "" && isDriveOnly(last)) {
			p, tag, hasTag = dir+name, t, true
		}
	}
	if hasTag {
		var err error
		if tag, err = url.PathUnescape(tag); err != nil || !ociRefName.MatchString(tag) {
			return Ref{}, invalid(uri, fmt.Sprintf("tag %q is not a valid OCI reference name", tag))
		}
	}

	decoded, err := url.PathUnescape(p)
	if err != nil {
		return Ref{}, invalid(uri, fmt.Sprintf("the layout path has a malformed %%-escape: %v", err))
	}
	if !driveRoot.MatchString(decoded) {
		return Ref{}, invalid(uri, "the layout path must be an absolute Windows path with a drive letter, like oci:///C:/var/vcap/packages/windows2019fs")
	}
	drive, within := decoded[:2], path.Clean(decoded[2:])
	if within == "/" {
		return Ref{}, invalid(uri, "the layout path is the root of a drive; name the layout directory")
	}
	if i := strings.IndexAny(within, `<>:"|?*`); i >= 0 {
		return Ref{}, invalid(uri, fmt.Sprintf("the layout path contains %q, which Windows paths cannot", within[i:i+1]))
	}
	for _, c := range within {
		if c < 0x20 {
			return Ref{}, invalid(uri, "the layout path contains a control character")
		}
	}
	return Ref{Scheme: OCI, Path: drive + strings.ReplaceAll(within, "/", `\`), Tag: tag}, nil
}

func isDriveOnly(s string) bool {
	return len(s) == 2 && s[1] == ':' && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))
}

func parseDocker(uri, rest string) (Ref, error) {
	if userinfoEnd(Docker, rest) >= 0 {
		return Ref{}, invalid(uri, "credentials do not belong in the URI; pass them to groot with --username and --password")
	}
	auth, p, ok := strings.Cut(rest, "/")
	if !ok || p == "" {
		return Ref{}, invalid(uri, "the repository is missing (for Docker Hub use three slashes: docker:///repository:tag)")
	}

	registry, err := parseRegistry(auth)
	if err != nil {
		return Ref{}, invalid(uri, err.Error())
	}

	// gdn turns a fragment into a tag separator; accept the fragment form
	// too, as Garden always has.
	p = strings.Replace(p, "#", ":", 1)

	var digest string
	if i := strings.Index(p, "@"); i >= 0 {
		p, digest = p[:i], p[i+1:]
		if !sha256Digest.MatchString(digest) {
			return Ref{}, invalid(uri, fmt.Sprintf("digest %q is not sha256: followed by 64 lower-case hex digits", digest))
		}
	}

	repo, tag := p, ""
	if i := strings.LastIndex(p, ":"); i > strings.LastIndex(p, "/") {
		repo, tag = p[:i], p[i+1:]
		if !dockerTag.MatchString(tag) {
			return Ref{}, invalid(uri, fmt.Sprintf("tag %q is not valid (letters, digits, _ . - up to 128, not starting with . or -)", tag))
		}
	}
	if tag == "" && digest == "" {
		tag = DefaultTag
	}

	if repo == "" {
		return Ref{}, invalid(uri, "the repository is missing")
	}
	for _, c := range strings.Split(repo, "/") {
		if !repoComponent.MatchString(c) {
			return Ref{}, invalid(uri, fmt.Sprintf("repository %q is not valid (lower-case letters, digits and separators . _ __ -, components separated by /)", repo))
		}
	}
	if registry == DockerHub && !strings.Contains(repo, "/") {
		repo = "library/" + repo
	}
	if len(registry)+1+len(repo) > 255 {
		return Ref{}, invalid(uri, "the repository name is longer than 255 characters")
	}
	return Ref{Scheme: Docker, Registry: registry, Repository: repo, Tag: tag, Digest: digest}, nil
}

func parseRegistry(auth string) (string, error) {
	if auth == "" {
		return DockerHub, nil
	}
	host, port := strings.ToLower(auth), ""
	if i := strings.LastIndex(host, ":"); i >= 0 && !strings.HasSuffix(host, "]") {
		host, port = host[:i], host[i+1:]
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return "", fmt.Errorf("registry port %q is not a number from 1 to 65535", port)
		}
	}
	if !hostName.MatchString(host) && !ipv6Literal.MatchString(host) {
		return "", fmt.Errorf("registry host %q is not a valid host name", host)
	}
	if host == "docker.io" || host == "registry-1.docker.io" {
		// Docker's own aliases for Hub; one name keeps the library/
		// prefix rule and the credentials' registry consistent.
		if port == "" {
			return DockerHub, nil
		}
	}
	if port != "" {
		return host + ":" + port, nil
	}
	return host, nil
}

// String returns the canonical URI of r, which Parse reads back to r. It
// never contains credentials.
func (r Ref) String() string {
	switch r.Scheme {
	case OCI:
		p := strings.ReplaceAll(r.Path, `\`, "/")
		var b strings.Builder
		b.WriteString("oci:///")
		for i, seg := range strings.Split(p, "/") {
			if i > 0 {
				b.WriteByte('/')
			}
			if i == 0 && isDriveOnly(seg) {
				b.WriteString(seg)
				continue
			}
			// Escape so that %, # and spaces survive a round trip, the
			// way gdn's url.URL would print them.
			b.WriteString(strings.ReplaceAll(url.PathEscape(seg), ":", "%3A"))
		}
		switch {
		case strings.Contains(r.Tag, "/"):
			// A colon only starts a tag in the last path element.
			b.WriteString("#" + r.Tag)
		case r.Tag != "":
			b.WriteString(":" + r.Tag)
		}
		return b.String()
	case Docker:
		s := "docker://" + r.Registry + "/" + r.Repository
		if r.Tag != "" {
			s += ":" + r.Tag
		}
		if r.Digest != "" {
			s += "@" + r.Digest
		}
		return s
	default:
		return fmt.Sprintf("<image ref with unknown scheme %q>", string(r.Scheme))
	}
}

func invalid(uri, reason string) error {
	return fmt.Errorf("%w %q: %s; accepted forms: %s", ErrInvalidURI, Redact(uri), reason, AcceptedForms)
}

// userinfoEnd returns the index in rest (the URI after "scheme://") of
// the @ that ends a user[:password] part, or -1 if there is none.
func userinfoEnd(scheme Scheme, rest string) int {
	auth, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(auth, "@"); i >= 0 {
		return i
	}
	if scheme == OCI {
		// Windows paths may hold @; an oci URI has no other use for one.
		return -1
	}
	// A password with an unescaped / ends the authority early. In a
	// registry URI @ otherwise only introduces a digest, so any other @
	// still ends credentials, which must not leak into messages.
	for i := len(rest) - 1; i >= 0; i-- {
		if rest[i] != '@' {
			continue
		}
		if !digestShape.MatchString(rest[i+1:]) {
			return i
		}
	}
	return -1
}

// Redact returns uri with any credentials in it replaced: user:*** for
// user:password, and *** for a lone user part, since that is often a
// token. Errors and logs show URIs only through Redact.
func Redact(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		scheme, rest = "", uri
	}
	at := userinfoEnd(Scheme(strings.ToLower(scheme)), rest)
	if at < 0 {
		return uri
	}
	masked := "***"
	if user, _, hasPassword := strings.Cut(rest[:at], ":"); hasPassword {
		masked = user + ":***"
	}
	if ok {
		return scheme + "://" + masked + rest[at:]
	}
	return masked + rest[at:]
}
