package network

import (
	"errors"
	"fmt"
	"math/bits"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"code.cloudfoundry.org/garden"

	"github.com/garden-windows/garden-windows-release/host"
)

// PolicyInput is what a container's HNS ACLs are computed from.
type PolicyInput struct {
	// NetOut are the container's net-out rules, as gdn sends them.
	NetOut []garden.NetOutRule
	// DNSServers are IPv4 addresses; DNS (53 tcp and udp) to them is
	// always allowed.
	DNSServers []string
	// AllowOutboundByDefault allows egress no rule names; otherwise it
	// is blocked.
	AllowOutboundByDefault bool
	// PortMappings: inbound traffic to these container ports is allowed.
	PortMappings []host.PortMapping
}

// Priorities of the ACLs ACLs writes. HNS matches lower numbers first.
const (
	// FirstAllowPriority is the priority of the first allow ACL; each
	// further one takes the next number.
	FirstAllowPriority uint16 = 1000
	// FinalPriority is the priority of the catch-all rules that end the
	// list (block inbound; block or allow outbound).
	FinalPriority uint16 = 65000
)

// MaxAllowACLs is how many distinct allow ACLs fit between
// FirstAllowPriority and FinalPriority.
const MaxAllowACLs = int(FinalPriority - FirstAllowPriority)

// ErrInvalidRule classes every error ACLs returns: a net-out rule, DNS
// server or port mapping that cannot be turned into HNS ACLs.
var ErrInvalidRule = errors.New("invalid network rule")

func invalidRule(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidRule, field, fmt.Sprintf(format, args...))
}

// ACLs returns the complete, explicit ACL list for an endpoint, or an error
// naming the offending rule (index) and field.
//
// Inbound traffic is blocked except to the mapped container ports; outbound
// traffic is blocked except to the DNS servers and what the net-out rules
// allow, unless in.AllowOutboundByDefault. On newer Windows any ACL flips an
// endpoint to default-deny (and its outbound default to allow), so the list
// always ends with explicit catch-all rules for both directions and never
// relies on HNS defaults.
//
// The list is ordered by priority: the allow ACLs (DNS first, then the
// net-out rules in order, then the inbound allows) take FirstAllowPriority,
// FirstAllowPriority+1, ...; the catch-all rules take FinalPriority.
// Identical ACLs (ignoring priority) are written once, at the first one's
// position.
//
// A net-out rule becomes one Allow Out ACL:
//   - Networks become comma-separated CIDRs in RemoteAddresses, each range
//     decomposed into the fewest CIDRs; no networks means any address.
//     A missing End means the single address Start. Only IPv4 is
//     supported.
//   - Ports become comma-separated "p" or "a-b" in RemotePorts; no ports
//     means any port. A missing (0) End means the single port Start.
//     Ports need TCP or UDP: with protocol all they are an error, with
//     ICMP they are ignored (Garden documents them as ignored for ICMP).
//   - ICMPs restricts the ICMP type (and code when given) and needs
//     protocol ICMP. ICMPv6 is an error: containers have IPv4 networking
//     only.
//   - Log is ignored: HNS ACL policies have no per-rule logging, so there
//     is nothing to switch on (Garden itself treats it as best effort).
func ACLs(in PolicyInput) ([]host.ACL, error) {
	var allows []host.ACL

	for i, s := range in.DNSServers {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return nil, invalidRule(fmt.Sprintf("dns_servers[%d]", i), "%q is not an IPv4 address", s)
		}
		remote := netip.PrefixFrom(a, 32).String()
		for _, p := range []host.Protocol{host.ProtocolTCP, host.ProtocolUDP} {
			allows = append(allows, host.ACL{
				Action:          host.Allow,
				Direction:       host.Out,
				Protocol:        p,
				RemoteAddresses: remote,
				RemotePorts:     "53",
			})
		}
	}

	for i, r := range in.NetOut {
		acl, err := netOutACL(fmt.Sprintf("netout_rules[%d]", i), r)
		if err != nil {
			return nil, err
		}
		allows = append(allows, acl)
	}

	for i, m := range in.PortMappings {
		field := fmt.Sprintf("port_mappings[%d]", i)
		p := m.Protocol
		if p == 0 {
			p = host.ProtocolTCP
		}
		if p != host.ProtocolTCP && p != host.ProtocolUDP {
			return nil, invalidRule(field+".protocol", "%d is not tcp (6) or udp (17)", m.Protocol)
		}
		if m.ContainerPort == 0 {
			return nil, invalidRule(field+".container_port", "is 0 or missing: ports are 1 to 65535")
		}
		allows = append(allows, host.ACL{
			Action:     host.Allow,
			Direction:  host.In,
			Protocol:   p,
			LocalPorts: strconv.Itoa(int(m.ContainerPort)),
		})
	}

	allows = uniqueACLs(allows)
	if len(allows) > MaxAllowACLs {
		return nil, invalidRule("netout_rules", "%d distinct ACLs exceed the %d HNS priorities available", len(allows), MaxAllowACLs)
	}

	acls := make([]host.ACL, 0, len(allows)+2)
	for i, a := range allows {
		a.Priority = FirstAllowPriority + uint16(i)
		acls = append(acls, a)
	}
	outbound := host.Block
	if in.AllowOutboundByDefault {
		outbound = host.Allow
	}
	acls = append(acls,
		host.ACL{Action: host.Block, Direction: host.In, Protocol: host.ProtocolAny, Priority: FinalPriority},
		host.ACL{Action: outbound, Direction: host.Out, Protocol: host.ProtocolAny, Priority: FinalPriority},
	)
	return acls, nil
}

var gardenProtocolNames = map[garden.Protocol]string{
	garden.ProtocolAll:    "all",
	garden.ProtocolTCP:    "tcp",
	garden.ProtocolUDP:    "udp",
	garden.ProtocolICMP:   "icmp",
	garden.ProtocolICMPv6: "icmpv6",
}

// netOutACL turns one net-out rule, named field in errors, into its Allow
// Out ACL.
func netOutACL(field string, r garden.NetOutRule) (host.ACL, error) {
	acl := host.ACL{Action: host.Allow, Direction: host.Out}
	switch r.Protocol {
	case garden.ProtocolAll:
		acl.Protocol = host.ProtocolAny
	case garden.ProtocolTCP:
		acl.Protocol = host.ProtocolTCP
	case garden.ProtocolUDP:
		acl.Protocol = host.ProtocolUDP
	case garden.ProtocolICMP:
		acl.Protocol = host.ProtocolICMP
	case garden.ProtocolICMPv6:
		return host.ACL{}, invalidRule(field+".protocol", "icmpv6 is not supported: containers have IPv4 networking only")
	default:
		return host.ACL{}, invalidRule(field+".protocol", "unknown protocol %d", r.Protocol)
	}

	if r.ICMPs != nil {
		if r.Protocol != garden.ProtocolICMP {
			return host.ACL{}, invalidRule(field+".icmps", "ICMP types and codes need protocol icmp, not %s", gardenProtocolNames[r.Protocol])
		}
		t := uint8(r.ICMPs.Type)
		acl.ICMPType = &t
		if r.ICMPs.Code != nil {
			c := uint8(*r.ICMPs.Code)
			acl.ICMPCode = &c
		}
	}

	remote, err := remoteAddresses(field, r.Networks)
	if err != nil {
		return host.ACL{}, err
	}
	acl.RemoteAddresses = remote

	// Ports are ignored for ICMP, as Garden documents.
	if r.Protocol != garden.ProtocolICMP && len(r.Ports) > 0 {
		if r.Protocol == garden.ProtocolAll {
			return host.ACL{}, invalidRule(field+".ports", "ports need protocol tcp or udp, not all")
		}
		ports, err := remotePorts(field, r.Ports)
		if err != nil {
			return host.ACL{}, err
		}
		acl.RemotePorts = ports
	}

	// r.Log is deliberately ignored: HNS ACLs have no per-rule logging.
	return acl, nil
}

// remoteAddresses turns networks into comma-separated CIDRs, "" for none
// (any address). Repeated CIDRs are listed once.
func remoteAddresses(field string, networks []garden.IPRange) (string, error) {
	var cidrs []string
	seen := map[netip.Prefix]bool{}
	for j, n := range networks {
		nf := fmt.Sprintf("%s.networks[%d]", field, j)
		start, err := ruleIPv4(nf+".start", n.Start)
		if err != nil {
			return "", err
		}
		end := start
		if len(n.End) > 0 {
			if end, err = ruleIPv4(nf+".end", n.End); err != nil {
				return "", err
			}
		}
		if end.Less(start) {
			return "", invalidRule(nf, "start %s is after end %s", start, end)
		}
		prefixes, err := RangeToCIDRs(start, end)
		if err != nil {
			return "", invalidRule(nf, "%v", err)
		}
		for _, p := range prefixes {
			if !seen[p] {
				seen[p] = true
				cidrs = append(cidrs, p.String())
			}
		}
	}
	return strings.Join(cidrs, ","), nil
}

// ruleIPv4 converts a rule's address, named field in errors, to an IPv4
// netip.Addr.
func ruleIPv4(field string, ip net.IP) (netip.Addr, error) {
	if len(ip) == 0 {
		return netip.Addr{}, invalidRule(field, "is missing")
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}, invalidRule(field, "%q is not an IP address", ip.String())
	}
	// net.IP keeps IPv4 addresses in their 16-byte (IPv4-mapped) form.
	a = a.Unmap()
	if !a.Is4() {
		return netip.Addr{}, invalidRule(field, "%s is an IPv6 address: containers have IPv4 networking only", a)
	}
	return a, nil
}

// remotePorts turns port ranges into comma-separated "p" and "a-b".
// Repeated entries are listed once.
func remotePorts(field string, ports []garden.PortRange) (string, error) {
	var out []string
	seen := map[string]bool{}
	for j, p := range ports {
		pf := fmt.Sprintf("%s.ports[%d]", field, j)
		if p.Start == 0 {
			return "", invalidRule(pf+".start", "is 0 or missing: ports are 1 to 65535")
		}
		end := p.End
		if end == 0 {
			end = p.Start
		}
		if p.Start > end {
			return "", invalidRule(pf, "start %d is after end %d", p.Start, end)
		}
		s := strconv.Itoa(int(p.Start))
		if end != p.Start {
			s += "-" + strconv.Itoa(int(end))
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return strings.Join(out, ","), nil
}

// aclIdentity is an ACL without its priority, comparable by value.
type aclIdentity struct {
	action          host.ACLAction
	direction       host.Direction
	protocol        host.Protocol
	remoteAddresses string
	localPorts      string
	remotePorts     string
	icmpType        int // -1 when unset
	icmpCode        int // -1 when unset
}

func identityOf(a host.ACL) aclIdentity {
	id := aclIdentity{
		action:          a.Action,
		direction:       a.Direction,
		protocol:        a.Protocol,
		remoteAddresses: a.RemoteAddresses,
		localPorts:      a.LocalPorts,
		remotePorts:     a.RemotePorts,
		icmpType:        -1,
		icmpCode:        -1,
	}
	if a.ICMPType != nil {
		id.icmpType = int(*a.ICMPType)
	}
	if a.ICMPCode != nil {
		id.icmpCode = int(*a.ICMPCode)
	}
	return id
}

// uniqueACLs keeps the first of identical ACLs (ignoring priority), in
// order.
func uniqueACLs(acls []host.ACL) []host.ACL {
	seen := make(map[aclIdentity]bool, len(acls))
	out := make([]host.ACL, 0, len(acls))
	for _, a := range acls {
		id := identityOf(a)
		if !seen[id] {
			seen[id] = true
			out = append(out, a)
		}
	}
	return out
}

// RangeToCIDRs returns the fewest CIDRs that together cover exactly the
// IPv4 addresses start to end (inclusive), in ascending order and without
// overlap. It fails when either address is not IPv4 (IPv4-mapped IPv6
// addresses included) or start is after end.
func RangeToCIDRs(start, end netip.Addr) ([]netip.Prefix, error) {
	if !start.Is4() || !end.Is4() {
		return nil, fmt.Errorf("range %s-%s is not an IPv4 range", start, end)
	}
	if end.Less(start) {
		return nil, fmt.Errorf("start %s is after end %s", start, end)
	}
	lo, hi := uint64(ipv4Uint32(start)), uint64(ipv4Uint32(end))
	var out []netip.Prefix
	for lo <= hi {
		// The largest block aligned at lo that does not pass hi.
		hostBits := 32
		if lo != 0 {
			hostBits = bits.TrailingZeros32(uint32(lo))
		}
		for lo+(uint64(1)<<hostBits)-1 > hi {
			hostBits--
		}
		out = append(out, netip.PrefixFrom(uint32IPv4(uint32(lo)), 32-hostBits))
		lo += uint64(1) << hostBits
	}
	return out, nil
}

func ipv4Uint32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func uint32IPv4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
