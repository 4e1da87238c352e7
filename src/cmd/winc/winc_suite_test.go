//go:build !windows

package main_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

var wincBin string

func TestWinc(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "winc")
}

var _ = BeforeSuite(func() {
	var err error
	wincBin, err = gexec.Build("github.com/garden-windows/garden-windows-release/cmd/winc")
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	gexec.CleanupBuildArtifacts()
})
