package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

func runFloor(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	dir := fs.String("layout", "", "the OCI image layout directory")
	tag := fs.String("tag", "", "the image's tag in index.json (default: its only image)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-layout is required: the OCI image layout directory")
	}
	layers, err := imageLayers(*dir, *tag)
	if err != nil {
		return err
	}
	var blobBytes, tarBytes int64
	for i, l := range layers {
		nb, nt, err := floorLayer(*dir, l)
		if err != nil {
			return fmt.Errorf("layer %d (%s): %w", i+1, l.Digest, err)
		}
		blobBytes += nb
		tarBytes += nt
	}
	fmt.Printf("layers=%d blob_bytes=%d tar_bytes=%d\n", len(layers), blobBytes, tarBytes)
	return nil
}

// imageLayers returns the layer descriptors of the layout's image tagged
// tag, or of its only image.
func imageLayers(dir, tag string) ([]v1.Descriptor, error) {
	f, err := os.Open(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, fmt.Errorf("%s is not an OCI image layout: %w", dir, err)
	}
	defer f.Close()
	index, err := v1.ParseIndexManifest(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s/index.json: %w", dir, err)
	}
	var chosen []v1.Descriptor
	for _, d := range index.Manifests {
		if tag == "" || d.Annotations[specs.AnnotationRefName] == tag {
			chosen = append(chosen, d)
		}
	}
	if len(chosen) != 1 {
		return nil, fmt.Errorf("%s/index.json has %d images tagged %q; want exactly one (give -tag)", dir, len(chosen), tag)
	}
	data, err := os.ReadFile(blobPath(dir, chosen[0].Digest))
	if err != nil {
		return nil, fmt.Errorf("reading the image manifest: %w", err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading the image manifest %s: %w", chosen[0].Digest, err)
	}
	return m.Layers, nil
}

func blobPath(dir string, h v1.Hash) string {
	return filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
}

// floorLayer reads one layer blob, hashing it, and gunzips it into
// io.Discard with the gzip reader groot uses; it checks the digest, as
// any import must. One goroutine, large reads: the least an import does.
func floorLayer(dir string, l v1.Descriptor) (blobBytes, tarBytes int64, err error) {
	if l.Digest.Algorithm != "sha256" {
		return 0, 0, fmt.Errorf("digest algorithm %q: only sha256 is handled", l.Digest.Algorithm)
	}
	f, err := os.Open(blobPath(dir, l.Digest))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	h := sha256.New()
	counted := &countingWriter{w: h}
	zr, err := gzip.NewReader(bufio.NewReaderSize(io.TeeReader(f, counted), 1<<20))
	if err != nil {
		return 0, 0, fmt.Errorf("the blob is not gzip: %w", err)
	}
	tarBytes, err = io.Copy(io.Discard, zr)
	if err != nil {
		return 0, 0, fmt.Errorf("gunzipping the blob: %w", err)
	}
	// Whatever follows the gzip stream counts for the digest too.
	if _, err := io.Copy(counted, f); err != nil {
		return 0, 0, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != l.Digest.Hex {
		return 0, 0, fmt.Errorf("the blob's sha256 is %s, not the digest the manifest gives", got)
	}
	return counted.n, tarBytes, nil
}
