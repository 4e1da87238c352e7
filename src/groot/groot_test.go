package groot_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/groot"
	"github.com/garden-windows/garden-windows-release/host/hostfakes"
)

var _ = Describe("Groot.Capacity", func() {
	It("measures the driver store's drive at its root, which exists before the store does", func() {
		vols := &hostfakes.FakeVolumeHost{}
		vols.CapacityReturns(1<<40, nil)
		g := groot.Groot{Config: groot.Config{DriverStore: `D:\var\lib\groot`}, Volumes: vols}
		c, err := g.Capacity()
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(uint64(1 << 40)))
		Expect(vols.CapacityArgsForCall(0)).To(Equal(`D:\`))
	})
})
