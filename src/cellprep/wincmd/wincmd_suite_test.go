package wincmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestWincmd(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "cellprep/wincmd")
}

// sample is a captured output from testdata/ without its header: the
// leading lines starting with "#" that say where the sample comes from.
func sample(name string) string {
	GinkgoHelper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	Expect(err).NotTo(HaveOccurred())
	ls := strings.SplitAfter(string(b), "\n")
	i := 0
	for i < len(ls) && strings.HasPrefix(ls[i], "#") {
		i++
	}
	Expect(i).To(BeNumerically(">", 0), "sample %s has no header saying where it comes from", name)
	return strings.Join(ls[i:], "")
}

// crlf is s with Windows line endings, as the tools really print it.
func crlf(s string) string {
	return strings.ReplaceAll(s, "\n", "\r\n")
}
