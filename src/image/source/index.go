package source

import (
	"fmt"

	"code.cloudfoundry.org/lager/v3"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxIndexDepth bounds how many indexes deep an image may sit (an OCI
// layout's index.json pointing to a manifest list is two), so that a
// malformed or malicious index cannot loop.
const maxIndexDepth = 4

// imageFromIndex descends from candidates (entries of idx) to the image
// for this host, through nested indexes.
func (s *session) imageFromIndex(idx v1.ImageIndex, candidates []v1.Descriptor, what string) (v1.Image, error) {
	for depth := 1; ; depth++ {
		d, err := chooseManifest(candidates, s.opts.HostOSVersion, what)
		if err != nil {
			return nil, err
		}
		data := lager.Data{"digest": d.Digest.String(), "media-type": string(d.MediaType)}
		if d.Platform != nil {
			data["platform"] = d.Platform.String()
		}
		s.log.Debug("chose-manifest", data)

		switch {
		case d.MediaType.IsImage():
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading image manifest %s of %s: %w", d.Digest, s.ref.String(), s.explainErr(err))
			}
			return img, nil
		case d.MediaType.IsIndex():
			if depth >= maxIndexDepth {
				return nil, fmt.Errorf("image %s nests indexes more than %d deep; it is malformed", s.ref.String(), maxIndexDepth)
			}
			if idx, err = idx.ImageIndex(d.Digest); err != nil {
				return nil, fmt.Errorf("reading image index %s of %s: %w", d.Digest, s.ref.String(), s.explainErr(err))
			}
			im, err := idx.IndexManifest()
			if err != nil {
				return nil, fmt.Errorf("reading image index %s of %s: %w", d.Digest, s.ref.String(), s.explainErr(err))
			}
			candidates, what = im.Manifests, fmt.Sprintf("the image index %s of %s", d.Digest, s.ref.String())
		case d.MediaType.IsSchema1():
			return nil, fmt.Errorf("image %s has a Docker schema 1 manifest, which is not supported: push it again with a current Docker or tool", s.ref.String())
		default:
			return nil, fmt.Errorf("image %s: entry %s has media type %q, which is neither an image manifest nor an index", s.ref.String(), d.Digest, d.MediaType)
		}
	}
}
