// Package config is an offline stand-in for bosh-gcscli's config package.
// It provides only what bosh-cli's releasedir/gcs_blobstore.go uses.
package config

import (
	"errors"
	"io"
)

// ErrUnavailable is returned by every function of this stand-in module.
var ErrUnavailable = errors.New("gcs blobstore client is not available in this offline build of the BOSH CLI")

// GCSCli stands in for the real GCS client configuration. It carries no data.
type GCSCli struct{}

// NewFromReader always fails: there is no GCS support in this build.
func NewFromReader(io.Reader) (GCSCli, error) {
	return GCSCli{}, ErrUnavailable
}
