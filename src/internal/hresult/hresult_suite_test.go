package hresult_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestHresult(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "hresult")
}
