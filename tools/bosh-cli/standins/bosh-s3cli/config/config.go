// Package config is an offline stand-in for bosh-s3cli's config package.
// It provides only what bosh-cli's releasedir/s3_blobstore.go uses.
package config

import (
	"errors"
	"io"
)

// ErrUnavailable is returned by every function of this stand-in module.
var ErrUnavailable = errors.New("s3 blobstore client is not available in this offline build of the BOSH CLI")

// S3Cli stands in for the real S3 client configuration. It carries no data.
type S3Cli struct{}

// NewFromReader always fails: there is no S3 support in this build.
func NewFromReader(io.Reader) (S3Cli, error) {
	return S3Cli{}, ErrUnavailable
}
