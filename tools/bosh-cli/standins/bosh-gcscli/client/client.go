// Package client is an offline stand-in for bosh-gcscli's client package.
// It provides only what bosh-cli's releasedir/gcs_blobstore.go uses.
package client

import (
	"context"
	"io"

	"github.com/cloudfoundry/bosh-gcscli/config"
)

// GCSBlobstore is the blob client bosh-cli talks to; every method fails.
type GCSBlobstore struct{}

// New always fails: there is no GCS support in this build.
func New(context.Context, *config.GCSCli) (*GCSBlobstore, error) {
	return nil, config.ErrUnavailable
}

// Get always fails.
func (*GCSBlobstore) Get(string, io.Writer) error { return config.ErrUnavailable }

// Put always fails.
func (*GCSBlobstore) Put(io.ReadSeeker, string) error { return config.ErrUnavailable }
