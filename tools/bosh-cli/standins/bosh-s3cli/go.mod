// Offline stand-in for github.com/cloudfoundry/bosh-s3cli.
//
// The version bosh-cli v7.10.1 requires is not served by the Go module
// proxy, and only the CLI's S3 release-blobstore code imports it. This module
// keeps that code compiling; every entry point returns an "unavailable" error.
// See ../../README.md.
module github.com/cloudfoundry/bosh-s3cli

go 1.21
