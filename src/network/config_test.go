package network_test

import (
	"errors"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/network"
)

var _ = Describe("Config", func() {
	It("fills in today's defaults: gateway is the first usable address, DNS the gateway", func() {
		c, err := network.Config{StateDir: `C:\state`}.WithDefaults()
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(network.Config{
			NetworkName: "winc-nat", SubnetRange: "172.30.0.0/22", GatewayAddress: "172.30.0.1",
			DNSServers: []string{"172.30.0.1"}, WaitTimeoutInSeconds: 2,
			PortPoolStart: 40000, PortPoolSize: 5000, StateDir: `C:\state`,
		}))
	})

	It("loads a file, keeping what it sets", func() {
		path := filepath.Join(GinkgoT().TempDir(), "c.json")
		Expect(os.WriteFile(path, []byte(`{"subnet_range":"10.9.0.0/24","gateway_address":"10.9.0.254","dns_servers":["8.8.8.8"],
			"search_domains":["corp.example"],"mtu":1400,"maximum_outgoing_bandwidth":1000000,
			"allow_outbound_traffic_by_default":true,"state_dir":"/s"}`), 0o644)).To(Succeed())
		c, err := network.LoadConfig(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.GatewayAddress).To(Equal("10.9.0.254"))
		Expect(c.DNSServers).To(Equal([]string{"8.8.8.8"}))
		Expect(c.MTU).To(Equal(1400))
		Expect(c.AllowOutboundTrafficByDefault).To(BeTrue())
	})

	It("says which file is missing or malformed", func() {
		_, err := network.LoadConfig("/nope/c.json")
		Expect(err).To(MatchError(ContainSubstring("/nope/c.json")))
		path := filepath.Join(GinkgoT().TempDir(), "c.json")
		Expect(os.WriteFile(path, []byte(`{"mtu":`), 0o644)).To(Succeed())
		_, err = network.LoadConfig(path)
		Expect(err).To(MatchError(ContainSubstring("is not valid JSON")))
	})

	DescribeTable("refuses invalid settings, naming the field",
		func(c network.Config, field string) {
			if field != "state_dir" {
				c.StateDir = "/s"
			}
			_, err := c.WithDefaults()
			Expect(errors.Is(err, network.ErrInvalidConfig)).To(BeTrue())
			Expect(err).To(MatchError(ContainSubstring(field)))
		},
		Entry("not a CIDR", network.Config{SubnetRange: "172.30.0.0"}, "subnet_range"),
		Entry("IPv6", network.Config{SubnetRange: "fd00::/64"}, "subnet_range"),
		Entry("host bits", network.Config{SubnetRange: "172.30.0.5/22"}, "has host bits set; did you mean 172.30.0.0/22"),
		Entry("too small", network.Config{SubnetRange: "172.30.0.0/31"}, "subnet_range"),
		Entry("gateway outside", network.Config{GatewayAddress: "10.0.0.1"}, "gateway_address: 10.0.0.1 is not a usable address of subnet 172.30.0.0/22"),
		Entry("gateway is the network address", network.Config{GatewayAddress: "172.30.0.0"}, "gateway_address"),
		Entry("gateway is the broadcast address", network.Config{GatewayAddress: "172.30.3.255"}, "gateway_address"),
		Entry("bad DNS", network.Config{DNSServers: []string{"8.8.8.8", "dns.example"}}, "dns_servers[1]"),
		Entry("bad search domain", network.Config{SearchDomains: []string{"a b"}}, "search_domains[0]"),
		Entry("MTU too small", network.Config{MTU: 100}, "mtu"),
		Entry("negative wait", network.Config{WaitTimeoutInSeconds: -1}, "wait_timeout_in_seconds"),
		Entry("port pool past 65535", network.Config{PortPoolStart: 65000, PortPoolSize: 1000}, "port_pool_start"),
		Entry("no state dir", network.Config{StateDir: ""}, "state_dir"),
	)
})
