//go:build !windows

package main_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

var cellPrepBin string

func TestCellPrep(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "cell-prep")
}

var _ = BeforeSuite(func() {
	var err error
	cellPrepBin, err = gexec.Build("github.com/garden-windows/garden-windows-release/cmd/cell-prep")
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() { gexec.CleanupBuildArtifacts() })
