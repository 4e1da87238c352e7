package filelock_test

import (
	"testing"

	"github.com/garden-windows/garden-windows-release/internal/testchild"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the other processes of the tests.
	testchild.Main(m, holderEnv, holdLock)
}

func TestFilelock(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "filelock")
}
