package stream_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/garden-windows/garden-windows-release/stream"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Resolve", func() {
	var root string

	BeforeEach(func() {
		root = filepath.Join(GinkgoT().TempDir(), "rootfs")
		Expect(os.MkdirAll(filepath.Join(root, "Users", "vcap"), 0o755)).To(Succeed())
	})

	DescribeTable("maps a container path under root",
		func(containerPath string, names ...string) {
			want := filepath.Join(append([]string{root}, names...)...)
			Expect(stream.Resolve(root, containerPath)).To(Equal(want))
		},
		Entry("a rooted path, on C:", "/tmp/app", "tmp", "app"),
		Entry("a rooted path with backslashes", `\tmp\app`, "tmp", "app"),
		Entry("a drive path", `C:\x`, "x"),
		Entry("lower case drive, slash", `c:/x`, "x"),
		Entry("an existing directory", `C:\Users\vcap\app`, "Users", "vcap", "app"),
		Entry("an existing directory, as a whole", `C:\Users\vcap`, "Users", "vcap"),
		Entry("trailing and repeated separators", `C:\\Users\\vcap\`, "Users", "vcap"),
		Entry("dot-dot that stays inside", `C:\Users\..\tmp\.\app`, "tmp", "app"),
		Entry("the root of C:", `C:\`),
		Entry("the root, rooted", `/`),
		Entry("non-ASCII", `C:\Users\vcap\Résumé`, "Users", "vcap", "Résumé"),
	)

	DescribeTable("refuses",
		func(containerPath, reason string) {
			_, err := stream.Resolve(root, containerPath)
			Expect(err).To(MatchError(stream.ErrUnsafePath))
			Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("%q", containerPath)))
			Expect(err.Error()).To(ContainSubstring(reason))
		},
		Entry("another drive", `D:\x`, "drive D:"),
		Entry("another drive, slash", `d:/x`, "drive d:"),
		Entry("a drive-relative path", `C:x`, "relative to the current directory"),
		Entry("a relative path", `x\y`, "relative"),
		Entry("dot-dot above C:", `C:\..\x`, "climb above"),
		Entry("dot-dot above C: after names", `/tmp/../../x`, "climb above"),
		Entry("dot-dot above C:, backslashes", `\tmp\..\..\Windows`, "climb above"),
		Entry("UNC", `\\server\share\x`, "UNC"),
		Entry("device path", `\\?\C:\x`, "device path"),
		Entry("device path, dot", `\\.\C:\x`, "device path"),
		Entry("an alternate data stream", `C:\x:y`, "alternate data stream"),
		Entry("a reserved name", `C:\tmp\nul`, "reserved device name"),
		Entry("a trailing dot", `C:\tmp.\x`, "ends with a dot"),
		Entry("empty", ``, "empty"),
		Entry("a control character", "C:\\a\x01", "control character"),
	)

	It("refuses a path through an existing file", func() {
		Expect(os.WriteFile(filepath.Join(root, "file"), nil, 0o644)).To(Succeed())
		_, err := stream.Resolve(root, `C:\file\x`)
		Expect(err).To(MatchError(stream.ErrUnsafePath))
		Expect(err.Error()).To(ContainSubstring("not a directory"))
	})

	It("maps a path to an existing file", func() {
		Expect(os.WriteFile(filepath.Join(root, "file"), nil, 0o644)).To(Succeed())
		Expect(stream.Resolve(root, `C:\file`)).To(Equal(filepath.Join(root, "file")))
	})

	Context("with a symlink in the container", func() {
		BeforeEach(func() {
			requireSymlinks()
			symlink(filepath.Dir(root), filepath.Join(root, "Users", "vcap", "link"))
		})

		It("refuses a path through it", func() {
			_, err := stream.Resolve(root, `C:\Users\vcap\link\x`)
			Expect(err).To(MatchError(stream.ErrUnsafePath))
			Expect(err.Error()).To(ContainSubstring(`C:\Users\vcap\link is a symlink`))
		})

		It("refuses a path that ends at it", func() {
			_, err := stream.Resolve(root, `/Users/vcap/link`)
			Expect(err).To(MatchError(stream.ErrUnsafePath))
		})

		It("refuses it when a dot-dot comes back to it", func() {
			_, err := stream.Resolve(root, `C:\Users\vcap\link\..\link\x`)
			Expect(err).To(MatchError(stream.ErrUnsafePath))
		})
	})
})
