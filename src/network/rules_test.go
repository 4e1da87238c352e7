package network_test

import (
	"math/rand/v2"
	"net"
	"net/netip"

	"code.cloudfoundry.org/garden"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/network"
)

func ipRange(start, end string) garden.IPRange {
	return garden.IPRange{Start: net.ParseIP(start), End: net.ParseIP(end)}
}

func u8(v uint8) *uint8 { return &v }

func allowOut(p host.Protocol, remote, ports string) host.ACL {
	return host.ACL{Action: host.Allow, Direction: host.Out, Protocol: p, RemoteAddresses: remote, RemotePorts: ports}
}

func allowIn(p host.Protocol, localPorts string) host.ACL {
	return host.ACL{Action: host.Allow, Direction: host.In, Protocol: p, LocalPorts: localPorts}
}

func withPriority(a host.ACL, p uint16) host.ACL {
	a.Priority = p
	return a
}

var (
	blockIn     = host.ACL{Action: host.Block, Direction: host.In, Protocol: host.ProtocolAny, Priority: network.FinalPriority}
	blockOut    = host.ACL{Action: host.Block, Direction: host.Out, Protocol: host.ProtocolAny, Priority: network.FinalPriority}
	allowOutAny = host.ACL{Action: host.Allow, Direction: host.Out, Protocol: host.ProtocolAny, Priority: network.FinalPriority}
)

// prioritized numbers allows from FirstAllowPriority and appends finals.
func prioritized(allows []host.ACL, finals ...host.ACL) []host.ACL {
	var out []host.ACL
	for i, a := range allows {
		out = append(out, withPriority(a, network.FirstAllowPriority+uint16(i)))
	}
	return append(out, finals...)
}

var _ = Describe("ACLs", func() {
	DescribeTable("a net-out rule becomes one Allow Out ACL",
		func(rule garden.NetOutRule, want host.ACL) {
			acls, err := network.ACLs(network.PolicyInput{NetOut: []garden.NetOutRule{rule}})
			Expect(err).NotTo(HaveOccurred())
			Expect(acls).To(Equal(prioritized([]host.ACL{want}, blockIn, blockOut)))
		},
		Entry("a single IP (start and end equal) and a single port",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{ipRange("10.0.0.5", "10.0.0.5")}, Ports: []garden.PortRange{{Start: 443, End: 443}}},
			allowOut(host.ProtocolTCP, "10.0.0.5/32", "443")),
		Entry("a single IP from garden.IPRangeFromIP",
			garden.NetOutRule{Protocol: garden.ProtocolUDP, Networks: []garden.IPRange{garden.IPRangeFromIP(net.ParseIP("8.8.8.8"))}},
			allowOut(host.ProtocolUDP, "8.8.8.8/32", "")),
		Entry("a single IP with End missing",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{{Start: net.ParseIP("10.0.0.5")}}},
			allowOut(host.ProtocolTCP, "10.0.0.5/32", "")),
		Entry("4-byte IPv4 addresses",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{{Start: net.IPv4(10, 0, 0, 0).To4(), End: net.IPv4(10, 0, 0, 3).To4()}}},
			allowOut(host.ProtocolTCP, "10.0.0.0/30", "")),
		Entry("a range that is exactly a CIDR",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{ipRange("10.0.0.0", "10.0.0.255")}},
			allowOut(host.ProtocolTCP, "10.0.0.0/24", "")),
		Entry("a range from garden.IPRangeFromIPNet",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{garden.IPRangeFromIPNet(&net.IPNet{IP: net.IPv4(192, 168, 0, 0).To4(), Mask: net.CIDRMask(16, 32)})}},
			allowOut(host.ProtocolTCP, "192.168.0.0/16", "")),
		Entry("a range that is not a CIDR",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{ipRange("10.0.0.1", "10.0.0.6")}},
			allowOut(host.ProtocolTCP, "10.0.0.1/32,10.0.0.2/31,10.0.0.4/31,10.0.0.6/32", "")),
		Entry("the whole address space with protocol all (Diego's default public ASG style)",
			garden.NetOutRule{Protocol: garden.ProtocolAll, Networks: []garden.IPRange{ipRange("0.0.0.0", "255.255.255.255")}},
			allowOut(host.ProtocolAny, "0.0.0.0/0", "")),
		Entry("Diego's public networks ranges",
			garden.NetOutRule{Protocol: garden.ProtocolAll, Networks: []garden.IPRange{
				ipRange("0.0.0.0", "9.255.255.255"),
				ipRange("11.0.0.0", "169.253.255.255"),
			}},
			allowOut(host.ProtocolAny,
				"0.0.0.0/5,8.0.0.0/7,"+
					"11.0.0.0/8,12.0.0.0/6,16.0.0.0/4,32.0.0.0/3,64.0.0.0/2,128.0.0.0/3,160.0.0.0/5,168.0.0.0/8,"+
					"169.0.0.0/9,169.128.0.0/10,169.192.0.0/11,169.224.0.0/12,169.240.0.0/13,169.248.0.0/14,169.252.0.0/15",
				"")),
		Entry("several networks",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{
				ipRange("10.0.0.1", "10.0.0.1"),
				ipRange("192.168.0.0", "192.168.255.255"),
				ipRange("172.16.0.0", "172.31.255.255"),
			}},
			allowOut(host.ProtocolTCP, "10.0.0.1/32,192.168.0.0/16,172.16.0.0/12", "")),
		Entry("a network repeated within the rule, listed once",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{
				ipRange("10.0.0.1", "10.0.0.1"),
				ipRange("10.0.0.1", "10.0.0.1"),
			}},
			allowOut(host.ProtocolTCP, "10.0.0.1/32", "")),
		Entry("no networks: any address",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Ports: []garden.PortRange{{Start: 80, End: 80}}},
			allowOut(host.ProtocolTCP, "", "80")),
		Entry("a port range and a single port",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Ports: []garden.PortRange{{Start: 80, End: 80}, {Start: 8080, End: 8090}}},
			allowOut(host.ProtocolTCP, "", "80,8080-8090")),
		Entry("a port with End missing",
			garden.NetOutRule{Protocol: garden.ProtocolUDP, Ports: []garden.PortRange{garden.PortRangeFromPort(53), {Start: 123}}},
			allowOut(host.ProtocolUDP, "", "53,123")),
		Entry("every port",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Ports: []garden.PortRange{{Start: 1, End: 65535}}},
			allowOut(host.ProtocolTCP, "", "1-65535")),
		Entry("a port repeated within the rule, listed once",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Ports: []garden.PortRange{{Start: 80, End: 80}, {Start: 80}}},
			allowOut(host.ProtocolTCP, "", "80")),
		Entry("protocol all with no networks: everything",
			garden.NetOutRule{Protocol: garden.ProtocolAll},
			allowOut(host.ProtocolAny, "", "")),
		Entry("ICMP with no ICMPs: every type",
			garden.NetOutRule{Protocol: garden.ProtocolICMP, Networks: []garden.IPRange{ipRange("10.0.0.0", "10.0.0.255")}},
			allowOut(host.ProtocolICMP, "10.0.0.0/24", "")),
		Entry("ICMP with a type only",
			garden.NetOutRule{Protocol: garden.ProtocolICMP, ICMPs: &garden.ICMPControl{Type: 8}},
			host.ACL{Action: host.Allow, Direction: host.Out, Protocol: host.ProtocolICMP, ICMPType: u8(8)}),
		Entry("ICMP with type 0 (echo reply)",
			garden.NetOutRule{Protocol: garden.ProtocolICMP, ICMPs: &garden.ICMPControl{Type: 0}},
			host.ACL{Action: host.Allow, Direction: host.Out, Protocol: host.ProtocolICMP, ICMPType: u8(0)}),
		Entry("ICMP with type and code",
			garden.NetOutRule{Protocol: garden.ProtocolICMP, Networks: []garden.IPRange{ipRange("10.0.0.1", "10.0.0.1")}, ICMPs: &garden.ICMPControl{Type: 3, Code: garden.ICMPControlCode(4)}},
			host.ACL{Action: host.Allow, Direction: host.Out, Protocol: host.ProtocolICMP, RemoteAddresses: "10.0.0.1/32", ICMPType: u8(3), ICMPCode: u8(4)}),
		Entry("ICMP with ports: the ports are ignored",
			garden.NetOutRule{Protocol: garden.ProtocolICMP, Ports: []garden.PortRange{{Start: 80, End: 80}, {Start: 0, End: 0}}},
			allowOut(host.ProtocolICMP, "", "")),
		Entry("Log: ignored",
			garden.NetOutRule{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{ipRange("10.0.0.5", "10.0.0.5")}, Log: true},
			allowOut(host.ProtocolTCP, "10.0.0.5/32", "")),
	)

	It("returns only the final rules, blocking both directions, for empty input", func() {
		acls, err := network.ACLs(network.PolicyInput{})
		Expect(err).NotTo(HaveOccurred())
		Expect(acls).To(Equal([]host.ACL{blockIn, blockOut}))
	})

	It("allows only DNS when there are no rules, and denies other outbound traffic", func() {
		acls, err := network.ACLs(network.PolicyInput{DNSServers: []string{"172.30.0.1", "8.8.8.8"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(acls).To(Equal([]host.ACL{
			withPriority(allowOut(host.ProtocolTCP, "172.30.0.1/32", "53"), 1000),
			withPriority(allowOut(host.ProtocolUDP, "172.30.0.1/32", "53"), 1001),
			withPriority(allowOut(host.ProtocolTCP, "8.8.8.8/32", "53"), 1002),
			withPriority(allowOut(host.ProtocolUDP, "8.8.8.8/32", "53"), 1003),
			blockIn,
			blockOut,
		}))
	})

	It("ends with Allow Out Any when outbound is allowed by default", func() {
		acls, err := network.ACLs(network.PolicyInput{
			DNSServers:             []string{"172.30.0.1"},
			AllowOutboundByDefault: true,
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(acls).To(Equal([]host.ACL{
			withPriority(allowOut(host.ProtocolTCP, "172.30.0.1/32", "53"), 1000),
			withPriority(allowOut(host.ProtocolUDP, "172.30.0.1/32", "53"), 1001),
			blockIn,
			allowOutAny,
		}))
	})

	It("still blocks inbound traffic when outbound is allowed by default", func() {
		acls, err := network.ACLs(network.PolicyInput{AllowOutboundByDefault: true})
		Expect(err).NotTo(HaveOccurred())
		Expect(acls).To(Equal([]host.ACL{blockIn, allowOutAny}))
	})

	It("allows inbound traffic to mapped container ports, TCP when the protocol is unset", func() {
		acls, err := network.ACLs(network.PolicyInput{PortMappings: []host.PortMapping{
			{HostPort: 40000, ContainerPort: 8080},
			{Protocol: host.ProtocolTCP, HostPort: 40001, ContainerPort: 2222},
			{Protocol: host.ProtocolUDP, HostPort: 40002, ContainerPort: 5353},
		}})
		Expect(err).NotTo(HaveOccurred())
		Expect(acls).To(Equal(prioritized([]host.ACL{
			allowIn(host.ProtocolTCP, "8080"),
			allowIn(host.ProtocolTCP, "2222"),
			allowIn(host.ProtocolUDP, "5353"),
		}, blockIn, blockOut)))
	})

	It("orders DNS, then net-out rules in order, then inbound allows, then the final rules", func() {
		acls, err := network.ACLs(network.PolicyInput{
			DNSServers: []string{"10.0.0.2"},
			NetOut: []garden.NetOutRule{
				{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{ipRange("10.1.0.0", "10.1.255.255")}, Ports: []garden.PortRange{{Start: 443, End: 443}}},
				{Protocol: garden.ProtocolICMP, ICMPs: &garden.ICMPControl{Type: 8, Code: garden.ICMPControlCode(0)}},
				{Protocol: garden.ProtocolAll, Networks: []garden.IPRange{ipRange("192.168.1.1", "192.168.1.1")}},
			},
			PortMappings: []host.PortMapping{{HostPort: 40000, ContainerPort: 8080}},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(acls).To(Equal([]host.ACL{
			withPriority(allowOut(host.ProtocolTCP, "10.0.0.2/32", "53"), 1000),
			withPriority(allowOut(host.ProtocolUDP, "10.0.0.2/32", "53"), 1001),
			withPriority(allowOut(host.ProtocolTCP, "10.1.0.0/16", "443"), 1002),
			{Action: host.Allow, Direction: host.Out, Protocol: host.ProtocolICMP, ICMPType: u8(8), ICMPCode: u8(0), Priority: 1003},
			withPriority(allowOut(host.ProtocolAny, "192.168.1.1/32", ""), 1004),
			withPriority(allowIn(host.ProtocolTCP, "8080"), 1005),
			blockIn,
			blockOut,
		}))
	})

	It("is deterministic", func() {
		in := network.PolicyInput{
			DNSServers: []string{"10.0.0.2", "10.0.0.3"},
			NetOut: []garden.NetOutRule{
				{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{ipRange("10.0.0.1", "10.0.0.6")}},
				{Protocol: garden.ProtocolUDP, Ports: []garden.PortRange{{Start: 1000, End: 2000}}},
			},
			PortMappings: []host.PortMapping{{HostPort: 40000, ContainerPort: 8080}},
		}
		first, err := network.ACLs(in)
		Expect(err).NotTo(HaveOccurred())
		for range 20 {
			Expect(network.ACLs(in)).To(Equal(first))
		}
	})

	It("writes identical ACLs once and keeps the priorities consecutive", func() {
		rule := garden.NetOutRule{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{ipRange("10.1.0.0", "10.1.0.255")}, Ports: []garden.PortRange{{Start: 443, End: 443}}}
		ping := func() garden.NetOutRule {
			// Fresh pointers each time: equal by value, not by address.
			return garden.NetOutRule{Protocol: garden.ProtocolICMP, ICMPs: &garden.ICMPControl{Type: 8, Code: garden.ICMPControlCode(0)}}
		}
		acls, err := network.ACLs(network.PolicyInput{
			DNSServers: []string{"10.0.0.2", "10.0.0.2"},
			NetOut: []garden.NetOutRule{
				rule,
				ping(),
				rule,
				// The same as a DNS allow.
				{Protocol: garden.ProtocolUDP, Networks: []garden.IPRange{ipRange("10.0.0.2", "10.0.0.2")}, Ports: []garden.PortRange{{Start: 53, End: 53}}},
				ping(),
				// Differs from ping by its code: kept.
				{Protocol: garden.ProtocolICMP, ICMPs: &garden.ICMPControl{Type: 8}},
				// The same networks written differently: identical ACL.
				{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{{Start: net.ParseIP("10.1.0.0"), End: net.ParseIP("10.1.0.255").To4()}}, Ports: []garden.PortRange{{Start: 443}}},
			},
			PortMappings: []host.PortMapping{
				{HostPort: 40000, ContainerPort: 8080},
				{Protocol: host.ProtocolTCP, HostPort: 40001, ContainerPort: 8080},
			},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(acls).To(Equal([]host.ACL{
			withPriority(allowOut(host.ProtocolTCP, "10.0.0.2/32", "53"), 1000),
			withPriority(allowOut(host.ProtocolUDP, "10.0.0.2/32", "53"), 1001),
			withPriority(allowOut(host.ProtocolTCP, "10.1.0.0/24", "443"), 1002),
			{Action: host.Allow, Direction: host.Out, Protocol: host.ProtocolICMP, ICMPType: u8(8), ICMPCode: u8(0), Priority: 1003},
			{Action: host.Allow, Direction: host.Out, Protocol: host.ProtocolICMP, ICMPType: u8(8), Priority: 1004},
			withPriority(allowIn(host.ProtocolTCP, "8080"), 1005),
			blockIn,
			blockOut,
		}))
	})

	It("does not share ICMP pointers with the rules it was given", func() {
		rule := garden.NetOutRule{Protocol: garden.ProtocolICMP, ICMPs: &garden.ICMPControl{Type: 3, Code: garden.ICMPControlCode(4)}}
		acls, err := network.ACLs(network.PolicyInput{NetOut: []garden.NetOutRule{rule}})
		Expect(err).NotTo(HaveOccurred())
		*rule.ICMPs.Code = 9
		rule.ICMPs.Type = 9
		Expect(*acls[0].ICMPType).To(Equal(uint8(3)))
		Expect(*acls[0].ICMPCode).To(Equal(uint8(4)))
	})

	It("fits as many distinct allows as there are priorities below the final rules", func() {
		rules := make([]garden.NetOutRule, network.MaxAllowACLs)
		for i := range rules {
			rules[i] = garden.NetOutRule{Protocol: garden.ProtocolTCP, Ports: []garden.PortRange{{Start: uint16(i + 1)}}}
		}
		acls, err := network.ACLs(network.PolicyInput{NetOut: rules})
		Expect(err).NotTo(HaveOccurred())
		Expect(acls).To(HaveLen(network.MaxAllowACLs + 2))
		Expect(acls[len(acls)-3].Priority).To(Equal(network.FinalPriority - 1))

		rules = append(rules, garden.NetOutRule{Protocol: garden.ProtocolUDP})
		_, err = network.ACLs(network.PolicyInput{NetOut: rules})
		Expect(err).To(MatchError(network.ErrInvalidRule))
		Expect(err).To(MatchError(ContainSubstring("64001 distinct ACLs exceed the 64000 HNS priorities available")))
	})

	DescribeTable("rejects invalid input, naming the rule and field",
		func(in network.PolicyInput, message string) {
			acls, err := network.ACLs(in)
			Expect(acls).To(BeNil())
			Expect(err).To(MatchError(network.ErrInvalidRule))
			Expect(err.Error()).To(Equal("invalid network rule: " + message))
		},
		Entry("a network's start after its end",
			network.PolicyInput{NetOut: []garden.NetOutRule{
				{Protocol: garden.ProtocolTCP},
				{Protocol: garden.ProtocolUDP},
				{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{ipRange("10.0.0.9", "10.0.0.1")}},
			}},
			"netout_rules[2].networks[0]: start 10.0.0.9 is after end 10.0.0.1"),
		Entry("an IPv6 start",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{ipRange("2001:db8::1", "2001:db8::1")}}}},
			"netout_rules[0].networks[0].start: 2001:db8::1 is an IPv6 address: containers have IPv4 networking only"),
		Entry("an IPv6 end",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{ipRange("10.0.0.1", "10.0.0.2"), ipRange("10.0.0.1", "::1")}}}},
			"netout_rules[0].networks[1].end: ::1 is an IPv6 address: containers have IPv4 networking only"),
		Entry("a missing start",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{ipRange("10.0.0.1", "10.0.0.2"), {End: net.ParseIP("10.0.0.3")}}}}},
			"netout_rules[0].networks[1].start: is missing"),
		Entry("a malformed address",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.ProtocolTCP, Networks: []garden.IPRange{{Start: net.IP{10, 0, 0}}}}}},
			`netout_rules[0].networks[0].start: "?0a0000" is not an IP address`),
		Entry("protocol ICMPv6",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.ProtocolTCP}, {Protocol: garden.ProtocolICMPv6}}},
			"netout_rules[1].protocol: icmpv6 is not supported: containers have IPv4 networking only"),
		Entry("an unknown protocol",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.Protocol(9)}}},
			"netout_rules[0].protocol: unknown protocol 9"),
		Entry("a port range's start after its end",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.ProtocolTCP, Ports: []garden.PortRange{{Start: 22, End: 22}, {Start: 90, End: 80}}}}},
			"netout_rules[0].ports[1]: start 90 is after end 80"),
		Entry("port 0",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.ProtocolUDP, Ports: []garden.PortRange{{Start: 0, End: 0}}}}},
			"netout_rules[0].ports[0].start: is 0 or missing: ports are 1 to 65535"),
		Entry("a missing start port",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.ProtocolTCP, Ports: []garden.PortRange{{End: 80}}}}},
			"netout_rules[0].ports[0].start: is 0 or missing: ports are 1 to 65535"),
		Entry("ports with protocol all",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.ProtocolAll, Ports: []garden.PortRange{{Start: 80, End: 80}}}}},
			"netout_rules[0].ports: ports need protocol tcp or udp, not all"),
		Entry("ICMPs with protocol tcp",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.ProtocolTCP, ICMPs: &garden.ICMPControl{Type: 8}}}},
			"netout_rules[0].icmps: ICMP types and codes need protocol icmp, not tcp"),
		Entry("ICMPs with protocol all",
			network.PolicyInput{NetOut: []garden.NetOutRule{{Protocol: garden.ProtocolAll, ICMPs: &garden.ICMPControl{Type: 8}}}},
			"netout_rules[0].icmps: ICMP types and codes need protocol icmp, not all"),
		Entry("a DNS server that is not an address",
			network.PolicyInput{DNSServers: []string{"10.0.0.2", "not-an-ip"}},
			`dns_servers[1]: "not-an-ip" is not an IPv4 address`),
		Entry("an IPv6 DNS server",
			network.PolicyInput{DNSServers: []string{"2001:db8::53"}},
			`dns_servers[0]: "2001:db8::53" is not an IPv4 address`),
		Entry("a port mapping to container port 0",
			network.PolicyInput{PortMappings: []host.PortMapping{{HostPort: 40000, ContainerPort: 8080}, {HostPort: 40001}}},
			"port_mappings[1].container_port: is 0 or missing: ports are 1 to 65535"),
		Entry("a port mapping with a protocol other than tcp or udp",
			network.PolicyInput{PortMappings: []host.PortMapping{{Protocol: host.ProtocolICMP, HostPort: 40000, ContainerPort: 8080}}},
			"port_mappings[0].protocol: 1 is not tcp (6) or udp (17)"),
	)
})

var _ = Describe("RangeToCIDRs", func() {
	DescribeTable("decomposes a range into the fewest CIDRs",
		func(start, end string, want ...string) {
			prefixes, err := network.RangeToCIDRs(netip.MustParseAddr(start), netip.MustParseAddr(end))
			Expect(err).NotTo(HaveOccurred())
			var got []string
			for _, p := range prefixes {
				got = append(got, p.String())
			}
			Expect(got).To(Equal(want))
		},
		Entry("a single address", "10.0.0.7", "10.0.0.7", "10.0.0.7/32"),
		Entry("a CIDR", "10.0.0.0", "10.0.0.255", "10.0.0.0/24"),
		Entry("not a CIDR", "10.0.0.1", "10.0.0.6", "10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"),
		Entry("the whole space", "0.0.0.0", "255.255.255.255", "0.0.0.0/0"),
		Entry("the first address", "0.0.0.0", "0.0.0.0", "0.0.0.0/32"),
		Entry("the last address", "255.255.255.255", "255.255.255.255", "255.255.255.255/32"),
		Entry("all but the first address", "0.0.0.1", "255.255.255.255",
			"0.0.0.1/32", "0.0.0.2/31", "0.0.0.4/30", "0.0.0.8/29", "0.0.0.16/28", "0.0.0.32/27", "0.0.0.64/26", "0.0.0.128/25",
			"0.0.1.0/24", "0.0.2.0/23", "0.0.4.0/22", "0.0.8.0/21", "0.0.16.0/20", "0.0.32.0/19", "0.0.64.0/18", "0.0.128.0/17",
			"0.1.0.0/16", "0.2.0.0/15", "0.4.0.0/14", "0.8.0.0/13", "0.16.0.0/12", "0.32.0.0/11", "0.64.0.0/10", "0.128.0.0/9",
			"1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/5", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"),
		Entry("the upper half", "128.0.0.0", "255.255.255.255", "128.0.0.0/1"),
		Entry("across an octet boundary", "10.0.0.255", "10.0.1.0", "10.0.0.255/32", "10.0.1.0/32"),
	)

	DescribeTable("rejects what is not an IPv4 range",
		func(start, end netip.Addr, message string) {
			_, err := network.RangeToCIDRs(start, end)
			Expect(err).To(MatchError(message))
		},
		Entry("start after end", netip.MustParseAddr("10.0.0.9"), netip.MustParseAddr("10.0.0.1"), "start 10.0.0.9 is after end 10.0.0.1"),
		Entry("IPv6", netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), "range 2001:db8::1-2001:db8::2 is not an IPv4 range"),
		Entry("IPv4-mapped IPv6", netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("10.0.0.2"), "range ::ffff:10.0.0.1-10.0.0.2 is not an IPv4 range"),
		Entry("the zero Addr", netip.Addr{}, netip.MustParseAddr("10.0.0.2"), "range invalid IP-10.0.0.2 is not an IPv4 range"),
	)

	It("covers exactly start to end, without overlaps, with the fewest CIDRs, for random ranges", func() {
		rng := rand.New(rand.NewPCG(20260722, 1))
		for range 5000 {
			// Spans of every magnitude, from single addresses to the whole space.
			width := rng.UintN(33)
			span := rng.Uint64N(uint64(1) << width)
			lo := rng.Uint64N((uint64(1) << 32) - span)
			hi := lo + span
			start, end := addrOf(lo), addrOf(hi)

			prefixes, err := network.RangeToCIDRs(start, end)
			Expect(err).NotTo(HaveOccurred())
			Expect(prefixes).NotTo(BeEmpty())

			// Contiguous, ascending and canonical: the union is exactly
			// lo..hi and no two prefixes overlap.
			next := lo
			for _, p := range prefixes {
				Expect(p.Addr().Is4()).To(BeTrue())
				Expect(p).To(Equal(p.Masked()), "%s has host bits set", p)
				first, last := bounds(p)
				Expect(first).To(Equal(next), "range %s-%s: %s does not continue at %s", start, end, p, addrOf(next))
				Expect(last).To(BeNumerically("<=", hi), "range %s-%s: %s passes the end", start, end, p)
				next = last + 1
			}
			Expect(next).To(Equal(hi+1), "range %s-%s is not covered to its end", start, end)

			// The fewest: the aligned-block decomposition of lo..hi.
			var want []netip.Prefix
			reference(netip.MustParsePrefix("0.0.0.0/0"), lo, hi, &want)
			Expect(prefixes).To(Equal(want), "range %s-%s", start, end)

			// Small ranges: every address in exactly one prefix, and the
			// neighbours in none.
			if span < 512 {
				for a := lo; a <= hi; a++ {
					Expect(containing(prefixes, addrOf(a))).To(Equal(1), "%s", addrOf(a))
				}
				if lo > 0 {
					Expect(containing(prefixes, addrOf(lo-1))).To(BeZero())
				}
				if hi < 1<<32-1 {
					Expect(containing(prefixes, addrOf(hi+1))).To(BeZero())
				}
			}
		}
	})
})

func addrOf(v uint64) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func uintOf(a netip.Addr) uint64 {
	b := a.As4()
	return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
}

func bounds(p netip.Prefix) (first, last uint64) {
	first = uintOf(p.Addr())
	return first, first + uint64(1)<<(32-p.Bits()) - 1
}

func containing(prefixes []netip.Prefix, a netip.Addr) int {
	n := 0
	for _, p := range prefixes {
		if p.Contains(a) {
			n++
		}
	}
	return n
}

// reference collects, in ascending order, the largest aligned blocks under
// p that lie within lo..hi: the minimal CIDR cover, computed top-down.
func reference(p netip.Prefix, lo, hi uint64, out *[]netip.Prefix) {
	first, last := bounds(p)
	if last < lo || first > hi {
		return
	}
	if lo <= first && last <= hi {
		*out = append(*out, p)
		return
	}
	half := uint64(1) << (32 - p.Bits() - 1)
	reference(netip.PrefixFrom(p.Addr(), p.Bits()+1), lo, hi, out)
	reference(netip.PrefixFrom(addrOf(first+half), p.Bits()+1), lo, hi, out)
}
