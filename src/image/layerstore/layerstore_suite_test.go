package layerstore_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestLayerstore(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "layerstore")
}
