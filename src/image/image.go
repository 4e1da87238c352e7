// Package image holds what groot's parts share about an image: its
// layers as a source delivers them, and the identities the layer store
// keys them by. The parts are image/ref (URIs), image/source (OCI layouts
// and registries), image/layerstore (verified, atomic, shared layer
// imports) and image/volume (per-container sandboxes and quotas); package
// groot puts them together for the CLI.
package image

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
)

// Layer is one layer of an image as its source stores it.
type Layer struct {
	// Digest is the blob's digest as stored ("sha256:<hex>", compressed
	// if the media type says so). The layer store checks the bytes Open
	// returns against it while it imports them.
	Digest string
	// DiffID is the digest of the uncompressed tar, from the image
	// config; chain IDs are computed from DiffIDs.
	DiffID    string
	MediaType string
	// Size is the blob's size in bytes as stored.
	Size int64
	// Open returns the blob as stored. Each call starts a new read.
	Open func() (io.ReadCloser, error)
}

// Image is a resolved image: everything needed to import it and to give a
// container its environment.
type Image struct {
	// Name is the image's URI without any credentials, for logs and
	// errors.
	Name string
	// ConfigDigest identifies the image (its config blob's digest).
	ConfigDigest string
	// Layers, base layer first.
	Layers []Layer
	// Env is the image config's environment (KEY=value).
	Env []string
}

// ChainIDs returns the chain ID of each layer, base first: the identity of
// a layer together with everything below it (OCI image spec), which is
// what an imported Windows layer depends on.
func ChainIDs(diffIDs []string) []string {
	out := make([]string, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		sum := sha256.Sum256([]byte(out[i-1] + " " + d))
		out[i] = "sha256:" + hex.EncodeToString(sum[:])
	}
	return out
}

// DigestHex is the hex part of "sha256:<hex>", for directory and file
// names.
func DigestHex(d string) string { return strings.TrimPrefix(d, "sha256:") }
