package ref_test

import (
	"strings"

	"github.com/garden-windows/garden-windows-release/image/ref"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

var _ = Describe("Parse", func() {
	DescribeTable("OCI layouts",
		func(uri, wantPath, wantTag string) {
			r, err := ref.Parse(uri)
			Expect(err).NotTo(HaveOccurred())
			Expect(r).To(Equal(ref.Ref{Scheme: ref.OCI, Path: wantPath, Tag: wantTag}))
		},
		Entry("the form operators use", "oci:///C:/var/vcap/packages/windows2019fs", `C:\var\vcap\packages\windows2019fs`, ""),
		Entry("a tag after a colon, as gdn passes it", "oci:///C:/x/layout:2019", `C:\x\layout`, "2019"),
		Entry("a tag as a fragment", "oci:///C:/x/layout#2019", `C:\x\layout`, "2019"),
		Entry("a tag with OCI ref name separators", "oci:///C:/x/layout:v1.2_3-rc@x+y", `C:\x\layout`, "v1.2_3-rc@x+y"),
		Entry("a fragment tag with a slash and a colon", "oci:///C:/x/layout#cloudfoundry/windows2016fs:2019", `C:\x\layout`, "cloudfoundry/windows2016fs:2019"),
		Entry("another drive, lower case", "oci:///d:/images/fs", `d:\images\fs`, ""),
		Entry("a trailing slash", "oci:///C:/x/layout/", `C:\x\layout`, ""),
		Entry("a trailing slash before nothing else with a tag is still the path", "oci:///C:/x/layout/#t", `C:\x\layout`, "t"),
		Entry("dot elements", "oci:///C:/x/./y/../layout", `C:\x\layout`, ""),
		Entry("dot-dot cannot climb above the drive", "oci:///C:/../../layout", `C:\layout`, ""),
		Entry("backslashes", `oci:///C:\x\layout`, `C:\x\layout`, ""),
		Entry("percent-escapes, as url.URL prints spaces", "oci:///C:/Program%20Files/fs%23x", `C:\Program Files\fs#x`, ""),
		Entry("an @ in the path", "oci:///C:/x@y/layout", `C:\x@y\layout`, ""),
		Entry("an upper-case scheme", "OCI:///C:/x", `C:\x`, ""),
	)

	DescribeTable("docker registries",
		func(uri string, want ref.Ref) {
			want.Scheme = ref.Docker
			r, err := ref.Parse(uri)
			Expect(err).NotTo(HaveOccurred())
			Expect(r).To(Equal(want))
		},
		Entry("Docker Hub with an org and a tag, the form operators use", "docker:///cloudfoundry/windows2016fs:2019",
			ref.Ref{Registry: "index.docker.io", Repository: "cloudfoundry/windows2016fs", Tag: "2019"}),
		Entry("Docker Hub official image gets library/", "docker:///ubuntu:22.04",
			ref.Ref{Registry: "index.docker.io", Repository: "library/ubuntu", Tag: "22.04"}),
		Entry("no tag means latest", "docker:///cloudfoundry/windows2016fs",
			ref.Ref{Registry: "index.docker.io", Repository: "cloudfoundry/windows2016fs", Tag: "latest"}),
		Entry("a fragment tag", "docker:///cloudfoundry/windows2016fs#1803",
			ref.Ref{Registry: "index.docker.io", Repository: "cloudfoundry/windows2016fs", Tag: "1803"}),
		Entry("a registry with a port", "docker://registry.example.com:5000/team/app/fs:v1",
			ref.Ref{Registry: "registry.example.com:5000", Repository: "team/app/fs", Tag: "v1"}),
		Entry("a registry without a port keeps one-part names as they are", "docker://mcr.microsoft.com/windows:ltsc2019",
			ref.Ref{Registry: "mcr.microsoft.com", Repository: "windows", Tag: "ltsc2019"}),
		Entry("an IP registry", "docker://10.0.0.5:5000/fs",
			ref.Ref{Registry: "10.0.0.5:5000", Repository: "fs", Tag: "latest"}),
		Entry("an IPv6 registry", "docker://[::1]:5000/fs:t",
			ref.Ref{Registry: "[::1]:5000", Repository: "fs", Tag: "t"}),
		Entry("docker.io is Docker Hub", "docker://docker.io/busybox",
			ref.Ref{Registry: "index.docker.io", Repository: "library/busybox", Tag: "latest"}),
		Entry("an upper-case host is lower-cased", "docker://Registry.Example.com/fs:T",
			ref.Ref{Registry: "registry.example.com", Repository: "fs", Tag: "T"}),
		Entry("a digest", "docker:///cloudfoundry/windows2016fs@"+digest,
			ref.Ref{Registry: "index.docker.io", Repository: "cloudfoundry/windows2016fs", Digest: digest}),
		Entry("a tag and a digest", "docker://r.example/fs:2019@"+digest,
			ref.Ref{Registry: "r.example", Repository: "fs", Tag: "2019", Digest: digest}),
		Entry("separators in repository components", "docker://r.example/a.b/c__d/e--f_g:t",
			ref.Ref{Registry: "r.example", Repository: "a.b/c__d/e--f_g", Tag: "t"}),
	)

	DescribeTable("refuses, naming the URI, the reason and the accepted forms",
		func(uri, reason string) {
			_, err := ref.Parse(uri)
			Expect(err).To(MatchError(ref.ErrInvalidURI))
			Expect(err.Error()).To(ContainSubstring(reason))
			Expect(err.Error()).To(ContainSubstring("accepted forms: " + ref.AcceptedForms))
			if !strings.Contains(uri, "@") {
				Expect(err.Error()).To(ContainSubstring("%q", uri))
			}
		},
		Entry("empty", "", "no scheme"),
		Entry("no scheme", "C:/x/layout", "no scheme"),
		Entry("an unknown scheme", "https://example.com/x", `unsupported scheme "https"`),
		Entry("a file URI", "file:///C:/x", `unsupported scheme "file"`),
		Entry("oci with two slashes", "oci://C:/x", "three slashes"),
		Entry("oci without a path", "oci:///", "path is missing"),
		Entry("oci without a drive letter", "oci:///var/vcap/packages/windows2019fs", "drive letter"),
		Entry("oci with a drive but no slash", "oci:///C:x", "drive letter"),
		Entry("oci with only a drive", "oci:///C:", "drive letter"),
		Entry("oci at a drive root", "oci:///C:/", "root of a drive"),
		Entry("oci with a colon inside the path", "oci:///C:/a:b/c", `contains ":"`),
		Entry("oci with a wildcard", "oci:///C:/a*/c", `contains "*"`),
		Entry("oci with an empty tag", "oci:///C:/x/layout:", "tag"),
		Entry("oci with an invalid tag", "oci:///C:/x/layout:-bad", `tag "-bad"`),
		Entry("oci with a bad escape", "oci:///C:/x%zz/layout", "%-escape"),
		Entry("docker without a repository", "docker:///", "repository is missing"),
		Entry("docker with a host and no path", "docker://ubuntu", "repository is missing"),
		Entry("docker with an empty component", "docker:////x", "repository"),
		Entry("docker with an upper-case repository", "docker:///Cloudfoundry/fs", "repository"),
		Entry("docker with an invalid tag", "docker:///x/y:-t", `tag "-t"`),
		Entry("docker with an empty tag", "docker:///x/y:", `tag ""`),
		Entry("docker with a bad digest", "docker:///x/y@sha256:abc", `digest "sha256:abc"`),
		Entry("docker with an unsupported digest algorithm", "docker:///x/y@md5:"+strings.Repeat("a", 32), "digest"),
		Entry("docker with a bad port", "docker://r.example:99999/x", `port "99999"`),
		Entry("docker with a non-numeric port", "docker://r.example:http/x", `port "http"`),
		Entry("docker with a bad host", "docker://bad_host/x", `host "bad_host"`),
		Entry("docker with a query", "docker:///x/y?tag=1", "not valid"),
		Entry("docker with credentials", "docker://user:hunter2@r.example/x", "credentials"),
		Entry("oci with credentials", "oci://user:hunter2@/C:/x", "credentials"),
	)

	Describe("credentials in a URI", func() {
		DescribeTable("never reach the error text",
			func(uri, password, shown string) {
				_, err := ref.Parse(uri)
				Expect(err).To(HaveOccurred())
				Expect(err.Error()).NotTo(ContainSubstring(password))
				Expect(err.Error()).To(ContainSubstring(shown))
			},
			Entry("user and password", "docker://alice:Pa55-w0rd-x@r.example:5000/x/y:t", "Pa55-w0rd-x", `"docker://alice:***@r.example:5000/x/y:t"`),
			Entry("a token alone", "docker://tok3n-abcdef@r.example/x", "tok3n-abcdef", `"docker://***@r.example/x"`),
			Entry("an @ in the password", "docker://alice:p@ss-w0rd@r.example/x", "ss-w0rd", `"docker://alice:***@r.example/x"`),
			Entry("a / in the password", "docker://alice:pa/ss-w0rd@r.example/x", "ss-w0rd", `"docker://alice:***@r.example/x"`),
			Entry("and a digest", "docker://alice:Pa55-w0rd-x@r.example/x@"+digest, "Pa55-w0rd-x", `"docker://alice:***@r.example/x@`+digest),
			Entry("an unknown scheme", "https://alice:Pa55-w0rd-x@example.com/x", "Pa55-w0rd-x", `"https://alice:***@example.com/x"`),
			Entry("no scheme", "alice:Pa55-w0rd-x@example.com/x", "Pa55-w0rd-x", `"alice:***@example.com/x"`),
		)

		It("leaves URIs without credentials alone", func() {
			for _, u := range []string{
				"docker:///x/y@" + digest,
				"oci:///C:/a@b/layout",
				"docker://r.example:5000/x:t",
			} {
				Expect(ref.Redact(u)).To(Equal(u))
			}
		})
	})
})

var _ = Describe("String", func() {
	DescribeTable("is canonical and Parse reads it back to the same Ref",
		func(uri, want string) {
			r, err := ref.Parse(uri)
			Expect(err).NotTo(HaveOccurred())
			Expect(r.String()).To(Equal(want))
			back, err := ref.Parse(r.String())
			Expect(err).NotTo(HaveOccurred())
			Expect(back).To(Equal(r))
		},
		Entry("an OCI layout", "oci:///C:/var/vcap/packages/windows2019fs", "oci:///C:/var/vcap/packages/windows2019fs"),
		Entry("an OCI layout with a fragment tag", "oci:///C:/x/layout#2019", "oci:///C:/x/layout:2019"),
		Entry("an OCI layout with a fragment tag holding a slash", "oci:///C:/x/layout#a/b:c", "oci:///C:/x/layout#a/b:c"),
		Entry("an OCI path with characters to escape", "oci:///C:/Program%20Files/a%23b/100%25", "oci:///C:/Program%20Files/a%23b/100%25"),
		Entry("Docker Hub", "docker:///ubuntu", "docker://index.docker.io/library/ubuntu:latest"),
		Entry("a registry, tag and digest", "docker://r.example:5000/x/y:t@"+digest, "docker://r.example:5000/x/y:t@"+digest),
		Entry("a digest alone", "docker://r.example/x@"+digest, "docker://r.example/x@"+digest),
	)

	It("says so for a Ref with no scheme rather than inventing a URI", func() {
		Expect(ref.Ref{Path: `C:\x`}.String()).To(ContainSubstring("unknown scheme"))
	})
})
