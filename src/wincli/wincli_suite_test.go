package wincli_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestWincli(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "wincli")
}
