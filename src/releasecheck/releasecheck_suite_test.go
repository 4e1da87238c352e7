package releasecheck_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestReleasecheck(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Release check")
}
