package portpool_test

import (
	"testing"

	"github.com/garden-windows/garden-windows-release/internal/testchild"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the concurrent winc-network processes of
	// the multi-process test and the benchmark.
	testchild.Main(m, childEnv, runChild)
}

func TestPortpool(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "portpool")
}
