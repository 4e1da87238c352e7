package jobtest_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestJobtest(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Job templates")
}
