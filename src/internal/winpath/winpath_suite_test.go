package winpath_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestWinpath(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "winpath")
}
