package filelock_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the other process of the tests.
	if path := os.Getenv(holderEnv); path != "" {
		os.Exit(holdLock(path))
	}
	os.Exit(m.Run())
}

func TestFilelock(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "filelock")
}
