// Package network is the core of winc-network: it turns gdn's network
// requests (a container's net-in and net-out rules) into the host's NAT
// network, a container endpoint and its HNS policies, allocates host ports,
// and undoes everything it did when a step fails. It reaches the Host
// Networking Service only through host.NetworkHost, so all of it runs and
// is tested on Linux.
package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// Config is winc-network's configuration file (--configFile), rendered by
// the winc-network job from its winc_network.* properties.
type Config struct {
	// NetworkName names the host's NAT network.
	NetworkName string `json:"network_name"`
	// SubnetRange is the containers' subnet (CIDR).
	SubnetRange string `json:"subnet_range"`
	// GatewayAddress defaults to the subnet's first usable address.
	GatewayAddress string `json:"gateway_address"`
	// DNSServers default to the gateway.
	DNSServers    []string `json:"dns_servers"`
	SearchDomains []string `json:"search_domains"`
	// MTU of container interfaces; 0 keeps the network's.
	MTU int `json:"mtu"`
	// MaximumOutgoingBandwidth in bytes per second; 0 for no limit.
	MaximumOutgoingBandwidth uint64 `json:"maximum_outgoing_bandwidth"`
	// AllowOutboundTrafficByDefault allows egress no rule names; by
	// default it is denied.
	AllowOutboundTrafficByDefault bool `json:"allow_outbound_traffic_by_default"`
	// WaitTimeoutInSeconds bounds how long an HNS operation is retried.
	WaitTimeoutInSeconds int `json:"wait_timeout_in_seconds"`
	// PortPoolStart and PortPoolSize are the host ports mapped to
	// containers.
	PortPoolStart int `json:"port_pool_start"`
	PortPoolSize  int `json:"port_pool_size"`
	// StateDir keeps the port reservations and the host-wide lock.
	StateDir string `json:"state_dir"`
}

// Defaults used when a field is absent.
const (
	DefaultNetworkName   = "winc-nat"
	DefaultSubnetRange   = "172.30.0.0/22"
	DefaultWaitTimeout   = 2
	DefaultPortPoolStart = 40000
	DefaultPortPoolSize  = 5000
)

// ErrInvalidConfig classes every configuration error.
var ErrInvalidConfig = errors.New("invalid winc-network configuration")

func invalidConfig(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
}

// LoadConfig reads and validates the configuration file at path; missing
// fields take their defaults.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("%w: reading %s: %v", ErrInvalidConfig, path, err)
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return Config{}, fmt.Errorf("%w: %s is not valid JSON: %v", ErrInvalidConfig, path, err)
	}
	return c.WithDefaults()
}

// WithDefaults fills in defaults and validates the result.
func (c Config) WithDefaults() (Config, error) {
	if c.NetworkName == "" {
		c.NetworkName = DefaultNetworkName
	}
	if c.SubnetRange == "" {
		c.SubnetRange = DefaultSubnetRange
	}
	if c.WaitTimeoutInSeconds == 0 {
		c.WaitTimeoutInSeconds = DefaultWaitTimeout
	}
	if c.PortPoolStart == 0 {
		c.PortPoolStart = DefaultPortPoolStart
	}
	if c.PortPoolSize == 0 {
		c.PortPoolSize = DefaultPortPoolSize
	}
	subnet, err := netip.ParsePrefix(c.SubnetRange)
	if err != nil || !subnet.Addr().Is4() {
		return Config{}, invalidConfig("subnet_range", "%q is not an IPv4 CIDR such as 172.30.0.0/22", c.SubnetRange)
	}
	if subnet != subnet.Masked() {
		return Config{}, invalidConfig("subnet_range", "%q has host bits set; did you mean %s?", c.SubnetRange, subnet.Masked())
	}
	if subnet.Bits() > 30 {
		return Config{}, invalidConfig("subnet_range", "%q leaves no room for containers: use a /30 or larger", c.SubnetRange)
	}
	c.SubnetRange = subnet.String()
	if c.GatewayAddress == "" {
		c.GatewayAddress = subnet.Addr().Next().String()
	}
	gw, err := netip.ParseAddr(c.GatewayAddress)
	if err != nil || !gw.Is4() {
		return Config{}, invalidConfig("gateway_address", "%q is not an IPv4 address", c.GatewayAddress)
	}
	if !usable(subnet, gw) {
		return Config{}, invalidConfig("gateway_address", "%s is not a usable address of subnet %s", gw, subnet)
	}
	if len(c.DNSServers) == 0 {
		c.DNSServers = []string{c.GatewayAddress}
	}
	for i, d := range c.DNSServers {
		if a, err := netip.ParseAddr(d); err != nil || !a.Is4() {
			return Config{}, invalidConfig(fmt.Sprintf("dns_servers[%d]", i), "%q is not an IPv4 address", d)
		}
	}
	for i, d := range c.SearchDomains {
		if strings.TrimSpace(d) == "" || strings.ContainsAny(d, " ,") {
			return Config{}, invalidConfig(fmt.Sprintf("search_domains[%d]", i), "%q is not a domain name", d)
		}
	}
	if c.MTU < 0 || (c.MTU != 0 && (c.MTU < 576 || c.MTU > 9000)) {
		return Config{}, invalidConfig("mtu", "%d is out of range: 0 (keep the network's) or 576 to 9000", c.MTU)
	}
	if c.WaitTimeoutInSeconds < 0 {
		return Config{}, invalidConfig("wait_timeout_in_seconds", "%d is negative", c.WaitTimeoutInSeconds)
	}
	if c.PortPoolStart < 1024 || c.PortPoolSize < 1 || c.PortPoolStart+c.PortPoolSize-1 > 65535 {
		return Config{}, invalidConfig("port_pool_start", "ports %d to %d are not within 1024-65535 (winc_network.port_pool.start and .size)", c.PortPoolStart, c.PortPoolStart+c.PortPoolSize-1)
	}
	if c.StateDir == "" {
		return Config{}, invalidConfig("state_dir", "is empty: name the directory for port reservations")
	}
	return c, nil
}

// usable reports whether a is in subnet and is neither its network nor its
// broadcast address.
func usable(subnet netip.Prefix, a netip.Addr) bool {
	if !subnet.Contains(a) || a == subnet.Addr() {
		return false
	}
	return a != lastAddr(subnet)
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	hostBits := 32 - p.Bits()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= uint32(1<<hostBits) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
