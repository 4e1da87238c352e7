package stream_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/garden-windows/garden-windows-release/stream"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Out", func() {
	var base, src, outside string

	BeforeEach(func() {
		base = GinkgoT().TempDir()
		src = filepath.Join(base, "src")
		outside = filepath.Join(base, "outside")
		Expect(os.MkdirAll(filepath.Join(src, "sub", "empty"), 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(src, "sub", "f.txt"), []byte("f"), 0o644)).To(Succeed())
		Expect(os.MkdirAll(outside, 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("host secret"), 0o644)).To(Succeed())
	})

	names := func(data []byte) []string {
		var out []string
		for name := range tarTree(data) {
			out = append(out, name)
		}
		return out
	}

	It("names entries as tar -c -C source . does", func() {
		var out bytes.Buffer
		Expect(stream.Out(&out, src, ".")).To(Succeed())
		Expect(names(out.Bytes())).To(ConsistOf(".", "sub", "sub/empty", "sub/f.txt"))
		Expect(out.String()).To(ContainSubstring("./sub/empty/"))
	})

	It("treats ./sub/ and sub\\ as sub", func() {
		for _, p := range []string{"./sub/", `sub\`} {
			var out bytes.Buffer
			Expect(stream.Out(&out, src, p)).To(Succeed())
			Expect(names(out.Bytes())).To(ConsistOf("sub", "sub/empty", "sub/f.txt"), p)
		}
	})

	DescribeTable("refuses a compress path that leaves source",
		func(compressPath string) {
			var out bytes.Buffer
			err := stream.Out(&out, src, compressPath)
			Expect(err).To(MatchError(stream.ErrUnsafePath))
			Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("%q", compressPath)))
			Expect(out.Len()).To(BeZero())
		},
		Entry("dot-dot", "../outside"),
		Entry("dot-dot inside", `sub\..\..\outside`),
		Entry("absolute", "/etc"),
		Entry("drive", `C:\Windows`),
		Entry("UNC", `\\server\share`),
		Entry("device path", `\\?\C:\`),
		Entry("empty", ""),
	)

	It("reports a compress path that does not exist", func() {
		var out bytes.Buffer
		Expect(stream.Out(&out, src, "nope")).To(MatchError(ContainSubstring("nope")))
	})

	Context("with symlinks in source", func() {
		BeforeEach(func() {
			requireSymlinks()
			symlink(outside, filepath.Join(src, "to-outside"))
			symlink(filepath.Join("..", "..", "outside", "secret.txt"), filepath.Join(src, "sub", "to-secret"))
		})

		It("stores them as symlinks and never follows them", func() {
			var out bytes.Buffer
			Expect(stream.Out(&out, src, ".")).To(Succeed())
			tree := tarTree(out.Bytes())
			Expect(tree).To(HaveKeyWithValue("to-outside", node{Kind: "symlink", Target: filepath.ToSlash(outside)}))
			Expect(tree).To(HaveKeyWithValue("sub/to-secret", node{Kind: "symlink", Target: "../../outside/secret.txt"}))
			Expect(names(out.Bytes())).To(ConsistOf(".", "sub", "sub/empty", "sub/f.txt", "sub/to-secret", "to-outside"))
			Expect(out.String()).NotTo(ContainSubstring("host secret"))
		})

		It("stores a compress path that is a symlink as a symlink", func() {
			var out bytes.Buffer
			Expect(stream.Out(&out, src, "sub/to-secret")).To(Succeed())
			Expect(names(out.Bytes())).To(ConsistOf("sub/to-secret"))
			Expect(out.String()).NotTo(ContainSubstring("host secret"))
		})

		It("refuses a compress path through a symlink", func() {
			var out bytes.Buffer
			err := stream.Out(&out, src, "to-outside/secret.txt")
			Expect(err).To(MatchError(stream.ErrUnsafePath))
			Expect(out.String()).NotTo(ContainSubstring("host secret"))
		})
	})
})
