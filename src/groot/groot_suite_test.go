package groot_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestGroot(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "groot core")
}
