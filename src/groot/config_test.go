package groot_test

import (
	"errors"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/groot"
)

var _ = Describe("LoadConfig", func() {
	load := func(content string) (groot.Config, error) {
		path := filepath.Join(GinkgoT().TempDir(), "groot.json")
		Expect(os.WriteFile(path, []byte(content), 0o644)).To(Succeed())
		return groot.LoadConfig(path)
	}

	It("gives every field its default without a file", func() {
		c, err := groot.LoadConfig("")
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(groot.Config{DriverStore: `C:\var\lib\groot`, LogLevel: "info", LogFormat: "rfc3339"}))
	})

	It("reads every field", func() {
		c, err := load(`{"driver_store":"D:/groot","log_level":"debug","log_format":"unix-epoch","insecure_registries":["reg.local:5000","10.0.0.1"]}`)
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(groot.Config{DriverStore: `D:\groot`, LogLevel: "debug", LogFormat: "unix-epoch", InsecureRegistries: []string{"reg.local:5000", "10.0.0.1"}}))
	})

	It("puts a driver store without a drive on C:, as earlier releases' /var/lib/groot", func() {
		c, err := load(`{"driver_store":"/var/lib/groot"}`)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.DriverStore).To(Equal(`C:\var\lib\groot`))
	})

	DescribeTable("refuses, naming the field",
		func(content, field, detail string) {
			_, err := load(content)
			Expect(err).To(HaveOccurred())
			Expect(errors.Is(err, groot.ErrInvalidConfig)).To(BeTrue())
			Expect(err.Error()).To(ContainSubstring(field))
			Expect(err.Error()).To(ContainSubstring(detail))
		},
		Entry("a relative driver store", `{"driver_store":"groot"}`, "driver_store", "not an absolute path"),
		Entry("a driver store with ..", `{"driver_store":"C:\\data\\..\\Windows"}`, "driver_store", `contains ".."`),
		Entry("a drive root", `{"driver_store":"D:\\"}`, "driver_store", "drive's root"),
		Entry("a UNC driver store", `{"driver_store":"\\\\server\\share\\groot"}`, "driver_store", "not an absolute path on a drive"),
		Entry("a quote", `{"driver_store":"C:\\a\"b"}`, "driver_store", "quote"),
		Entry("a log level", `{"log_level":"verbose"}`, "log_level", `"verbose"`),
		Entry("a log format", `{"log_format":"text"}`, "log_format", `"text"`),
		Entry("a registry with a scheme", `{"insecure_registries":["http://reg.local"]}`, "insecure_registries[0]", "no scheme"),
		Entry("a registry with a path", `{"insecure_registries":["ok.local","reg.local/v2"]}`, "insecure_registries[1]", "reg.local/v2"),
		Entry("a registry with a bad port", `{"insecure_registries":["reg.local:99999"]}`, "insecure_registries[0]", "invalid port"),
		Entry("an unknown field", `{"driver_stor":"C:\\x"}`, "groot.json is not valid", "driver_stor"),
		Entry("not JSON", `driver_store: x`, "groot.json is not valid", "invalid character"),
	)

	It("says which file it could not read", func() {
		_, err := groot.LoadConfig("/nonexistent/groot.json")
		Expect(err).To(MatchError(ContainSubstring("reading /nonexistent/groot.json")))
	})
})
