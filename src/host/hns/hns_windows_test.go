package hns_test

// The Windows integration suite of the HNS adapter, run by the pipeline in
// ci/ on a Windows worker with the Containers feature (never under Wine:
// scripts/wine/skip-packages lists this package). It creates its own NAT
// network, on a subnet given by HNS_TEST_SUBNET (default 172.31.250.0/24,
// which must not collide with the worker's addresses), and removes it.

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/host/hns"
	"github.com/garden-windows/garden-windows-release/host/netif"
	"github.com/garden-windows/garden-windows-release/internal/hresult"
)

func TestHNS(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "HNS adapter (Windows)")
}

var _ = Describe("hns.Network", func() {
	var (
		n       hns.Network
		network host.NATNetwork
	)

	BeforeEach(func() {
		subnet := os.Getenv("HNS_TEST_SUBNET")
		if subnet == "" {
			subnet = "172.31.250.0/24"
		}
		var err error
		network, err = n.CreateNATNetwork(host.NATNetwork{Name: "gwr-hns-test", Subnet: subnet, Gateway: "172.31.250.1"})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(n.DeleteNetwork(network.ID)).To(Succeed()) })
	})

	It("reads and sets the MTU of the network's interface through host/netif", func() {
		var ifaces netif.Interfaces
		alias := host.InterfaceAlias("gwr-hns-test")
		// The virtual NIC can appear a moment after the network.
		var before int
		Eventually(func() error {
			var err error
			before, err = ifaces.InterfaceMTU(alias)
			return err
		}, "10s", "200ms").Should(Succeed())
		Expect(before).To(BeNumerically(">=", 576))
		Expect(ifaces.SetInterfaceMTU(alias, before-50)).To(Succeed())
		DeferCleanup(func() { Expect(ifaces.SetInterfaceMTU(alias, before)).To(Succeed()) })
		Expect(ifaces.InterfaceMTU(alias)).To(Equal(before - 50))

		_, err := ifaces.InterfaceMTU(host.InterfaceAlias("gwr-no-such-network"))
		Expect(hresult.IsNotFound(err)).To(BeTrue(), "%v", err)
	})

	It("finds the network by name with its subnet and gateway", func() {
		got, ok, err := n.NetworkByName("gwr-hns-test")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		Expect(got).To(Equal(network))
		_, ok, err = n.NetworkByName("gwr-no-such-network")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
	})

	It("creates, finds, updates and deletes an endpoint with port mappings, ACLs and QoS", func() {
		ep, err := n.CreateEndpoint(host.EndpointSpec{
			Name: "gwr-hns-test-ep", NetworkID: network.ID, DNSServers: []string{"172.31.250.1"},
			PortMappings: []host.PortMapping{{Protocol: host.ProtocolTCP, HostPort: 45001, ContainerPort: 8080}},
			ACLs: []host.ACL{
				{Action: host.Allow, Direction: host.Out, Protocol: host.ProtocolTCP, RemoteAddresses: "10.0.0.0/8", RemotePorts: "443", Priority: 1000},
				{Action: host.Allow, Direction: host.In, Protocol: host.ProtocolTCP, LocalPorts: "8080", Priority: 1001},
				{Action: host.Block, Direction: host.In, Protocol: host.ProtocolAny, Priority: 65000},
				{Action: host.Block, Direction: host.Out, Protocol: host.ProtocolAny, Priority: 65000},
			},
			MaxOutgoingBandwidth: 10 << 20,
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(ep.IP).To(HavePrefix("172.31.250."))

		found, ok, err := n.EndpointByName("gwr-hns-test-ep")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		Expect(found.ID).To(Equal(ep.ID))
		listed, err := n.Endpoints(network.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(listed).To(ContainElement(HaveField("Name", "gwr-hns-test-ep")), "cell-prep lists a network's endpoints")

		Expect(n.UpdateEndpointPolicies(ep.ID,
			[]host.PortMapping{{Protocol: host.ProtocolTCP, HostPort: 45002, ContainerPort: 9090}},
			[]host.ACL{{Action: host.Block, Direction: host.Out, Protocol: host.ProtocolAny, Priority: 65000}})).To(Succeed())

		Expect(n.DeleteEndpoint(ep.ID)).To(Succeed())
		_, ok, err = n.EndpointByName("gwr-hns-test-ep")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		Expect(n.DeleteEndpoint(ep.ID)).To(HaveOccurred(), "a deleted endpoint is gone")
	})

	It("lists the host's own addresses", func() {
		addrs, err := n.HostAddresses()
		Expect(err).NotTo(HaveOccurred())
		Expect(addrs).NotTo(BeEmpty())
	})
})
