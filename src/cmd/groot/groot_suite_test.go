//go:build !windows

package main_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

var grootBin string

func TestGroot(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "groot")
}

var _ = BeforeSuite(func() {
	var err error
	grootBin, err = gexec.Build("github.com/garden-windows/garden-windows-release/cmd/groot")
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() { gexec.CleanupBuildArtifacts() })
