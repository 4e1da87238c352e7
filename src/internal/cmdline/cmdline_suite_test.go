package cmdline_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestCmdline(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "cmdline")
}
