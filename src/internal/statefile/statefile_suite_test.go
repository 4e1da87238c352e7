package statefile_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the concurrent processes of the tests.
	if spec := os.Getenv(workerEnv); spec != "" {
		os.Exit(runWorker(spec))
	}
	os.Exit(m.Run())
}

func TestStatefile(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "statefile")
}
