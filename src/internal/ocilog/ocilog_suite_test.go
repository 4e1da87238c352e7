package ocilog_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestOcilog(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "ocilog")
}
