// Package client is an offline stand-in for bosh-s3cli's client package.
// It provides only what bosh-cli's releasedir/s3_blobstore.go uses.
package client

import (
	"io"

	"github.com/cloudfoundry/bosh-s3cli/config"
)

// S3CompatibleClient is the blob client bosh-cli talks to.
type S3CompatibleClient interface {
	Get(src string, dest io.Writer) error
	Put(src io.ReadSeeker, dest string) error
}

// SDKClient stands in for the AWS SDK client. It is never constructed.
type SDKClient struct{}

// NewAwsS3Client always fails: there is no S3 support in this build.
func NewAwsS3Client(*config.S3Cli) (*SDKClient, error) {
	return nil, config.ErrUnavailable
}

// New returns a client whose every method fails.
func New(*SDKClient, *config.S3Cli) S3CompatibleClient {
	return unavailable{}
}

type unavailable struct{}

func (unavailable) Get(string, io.Writer) error     { return config.ErrUnavailable }
func (unavailable) Put(io.ReadSeeker, string) error { return config.ErrUnavailable }
