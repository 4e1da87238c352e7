//go:build !windows

package main_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

var wincNetworkBin string

func TestWincNetwork(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "winc-network")
}

var _ = BeforeSuite(func() {
	var err error
	wincNetworkBin, err = gexec.Build("github.com/garden-windows/garden-windows-release/cmd/winc-network")
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() { gexec.CleanupBuildArtifacts() })
