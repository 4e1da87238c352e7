package cellprep_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestCellprep(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "cellprep")
}
