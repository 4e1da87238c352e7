package source

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/garden-windows/garden-windows-release/image"
)

func (s *session) localPath(p string) string {
	if s.opts.LocalPath == nil {
		return p
	}
	return s.opts.LocalPath(p)
}

// where names the layout for errors: the Windows path operators know,
// and the local one too when a test maps it elsewhere.
func (s *session) where(local string) string {
	if local == s.ref.Path {
		return s.ref.Path
	}
	return fmt.Sprintf("%s (at %s)", s.ref.Path, local)
}

func (s *session) resolveLayout() (image.Image, error) {
	local := s.localPath(s.ref.Path)
	s.explain = func(err error) error { return s.explainLayoutErr(local, err) }

	fi, err := os.Stat(local)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return image.Image{}, newError(ErrLayoutMissing, err,
			"OCI image layout directory %s does not exist: the BOSH package that provides this rootfs may be missing from the deployment, or the image URI %s names the wrong path",
			s.where(local), s.ref.String())
	case err != nil:
		return image.Image{}, newError(ErrLayoutMissing, err, "cannot read OCI image layout directory %s: %v", s.where(local), err)
	case !fi.IsDir():
		return image.Image{}, newError(ErrLayoutMissing, nil, "OCI image layout %s is not a directory: the image URI %s must name the layout's directory", s.where(local), s.ref.String())
	}

	p, err := layout.FromPath(local)
	if err != nil {
		return image.Image{}, newError(ErrLayoutMissing, err,
			"%s is not an OCI image layout (it has no readable index.json: %v): the BOSH package with the rootfs may be incomplete or the path may be wrong",
			s.where(local), err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return image.Image{}, newError(ErrLayoutMissing, err, "reading index.json of OCI image layout %s: %v", s.where(local), err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return image.Image{}, newError(ErrLayoutMissing, err, "reading index.json of OCI image layout %s: %v", s.where(local), err)
	}

	what := fmt.Sprintf("OCI image layout %s", s.where(local))
	candidates := im.Manifests
	if s.ref.Tag != "" {
		candidates = withTag(im.Manifests, s.ref.Tag)
		if len(candidates) == 0 {
			return image.Image{}, newError(ErrNotFound, nil,
				"OCI image layout %s has no image tagged %q (annotation %s); tags it has: %s",
				s.where(local), s.ref.Tag, specs.AnnotationRefName, tagList(im.Manifests))
		}
		what = fmt.Sprintf("%s, tag %q,", what, s.ref.Tag)
	}

	img, err := s.imageFromIndex(idx, candidates, what)
	if err != nil {
		if s.ref.Tag == "" && len(im.Manifests) > 1 && errors.Is(err, ErrPlatform) {
			// Several images and none chosen: naming one is the way out.
			err = fmt.Errorf("%w; to choose one, add its tag to the URI (oci:///C:/path/to/layout:tag); tags: %s", err, tagList(im.Manifests))
		}
		return image.Image{}, err
	}
	if err := checkBlobs(local, img, s.where(local)); err != nil {
		return image.Image{}, err
	}
	return s.toImage(img)
}

// withTag returns the entries whose ref name is tag. Tools that save
// whole image names there (docker.io/x/y:tag) are matched by the part
// after the last colon, but only when no entry matches exactly.
func withTag(descs []v1.Descriptor, tag string) []v1.Descriptor {
	var exact, suffix []v1.Descriptor
	for _, d := range descs {
		name := d.Annotations[specs.AnnotationRefName]
		switch {
		case name == tag:
			exact = append(exact, d)
		case !strings.ContainsAny(tag, ":/") && strings.HasSuffix(name, ":"+tag) && strings.Contains(name, "/"):
			suffix = append(suffix, d)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return suffix
}

func tagList(descs []v1.Descriptor) string {
	var tags []string
	for _, d := range descs {
		if t := d.Annotations[specs.AnnotationRefName]; t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return "none"
	}
	slices.Sort(tags)
	return strings.Join(tags, ", ")
}

// checkBlobs makes sure every blob the image needs is in the layout with
// its recorded size, so that an incomplete or damaged rootfs package is
// reported now, by name, and not halfway through an import.
func checkBlobs(local string, img v1.Image, where string) error {
	m, err := img.Manifest()
	if err != nil {
		return newError(ErrLayoutMissing, err, "reading an image manifest in OCI image layout %s: %v", where, err)
	}
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		fi, err := os.Stat(blobPath(local, d.Digest))
		switch {
		case errors.Is(err, fs.ErrNotExist) && len(d.URLs) > 0:
			return newError(ErrLayoutMissing, err,
				"OCI image layout %s lacks the blob of foreign layer %s (from %s): the layout was saved without foreign layers; save it again including them",
				where, d.Digest, strings.Join(d.URLs, ", "))
		case errors.Is(err, fs.ErrNotExist):
			return newError(ErrLayoutMissing, err,
				"OCI image layout %s lacks blob %s: the layout is incomplete; reinstall the BOSH package with the rootfs", where, d.Digest)
		case err != nil:
			return newError(ErrLayoutMissing, err, "cannot read blob %s in OCI image layout %s: %v", d.Digest, where, err)
		case fi.Size() != d.Size:
			return newError(ErrLayoutMissing, nil,
				"blob %s in OCI image layout %s is %d bytes but the manifest says %d: the layout is damaged; reinstall the BOSH package with the rootfs",
				d.Digest, where, fi.Size(), d.Size)
		}
	}
	return nil
}

func blobPath(local string, h v1.Hash) string {
	return filepath.Join(local, "blobs", h.Algorithm, h.Hex)
}

func (s *session) explainLayoutErr(local string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return newError(ErrLayoutMissing, err, "%v: OCI image layout %s is incomplete; reinstall the BOSH package with the rootfs", err, s.where(local))
	}
	return err
}
