//go:build windows

// Package hns is the Host Networking Service adapter: host.NetworkHost over
// hcsshim's HNS (v1) calls. It passes on what winc-network's core computed;
// the decisions, and their tests, are in package network.
package hns

import (
	"encoding/json"
	"errors"
	"net"
	"strings"

	"github.com/Microsoft/hcsshim"

	"github.com/garden-windows/garden-windows-release/host"
)

// Network talks to HNS.
type Network struct{}

var _ host.NetworkHost = Network{}

// NetworkByName finds a network.
func (Network) NetworkByName(name string) (host.NATNetwork, bool, error) {
	n, err := hcsshim.GetHNSNetworkByName(name)
	if err != nil {
		var nf hcsshim.NetworkNotFoundError
		if errors.As(err, &nf) {
			return host.NATNetwork{}, false, nil
		}
		return host.NATNetwork{}, false, err
	}
	return fromHNSNetwork(n), true, nil
}

func fromHNSNetwork(n *hcsshim.HNSNetwork) host.NATNetwork {
	out := host.NATNetwork{ID: n.Id, Name: n.Name}
	if len(n.Subnets) > 0 {
		out.Subnet, out.Gateway = n.Subnets[0].AddressPrefix, n.Subnets[0].GatewayAddress
	}
	return out
}

// CreateNATNetwork creates a NAT network.
func (Network) CreateNATNetwork(n host.NATNetwork) (host.NATNetwork, error) {
	created, err := (&hcsshim.HNSNetwork{
		Name:    n.Name,
		Type:    "nat",
		Subnets: []hcsshim.Subnet{{AddressPrefix: n.Subnet, GatewayAddress: n.Gateway}},
	}).Create()
	if err != nil {
		return host.NATNetwork{}, err
	}
	return fromHNSNetwork(created), nil
}

// DeleteNetwork deletes a network.
func (Network) DeleteNetwork(id string) error {
	_, err := (&hcsshim.HNSNetwork{Id: id}).Delete()
	return err
}

// HostAddresses lists the host's interface addresses.
func (Network) HostAddresses() ([]string, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, a := range addrs {
		out = append(out, a.String())
	}
	return out, nil
}

// CreateEndpoint creates an endpoint with its policies. HNS endpoints have
// no MTU setting: host/netif sets it on the container's interface.
func (Network) CreateEndpoint(s host.EndpointSpec) (host.Endpoint, error) {
	policies, err := policies(s.PortMappings, s.ACLs, s.MaxOutgoingBandwidth)
	if err != nil {
		return host.Endpoint{}, err
	}
	created, err := (&hcsshim.HNSEndpoint{
		Name:           s.Name,
		VirtualNetwork: s.NetworkID,
		DNSServerList:  strings.Join(s.DNSServers, ","),
		DNSSuffix:      strings.Join(s.DNSSearch, ","),
		Policies:       policies,
	}).Create()
	if err != nil {
		return host.Endpoint{}, err
	}
	return host.Endpoint{ID: created.Id, Name: created.Name, NetworkID: created.VirtualNetwork, IP: created.IPAddress.String(), Spec: s}, nil
}

// policies encodes the endpoint's policies as HNS v1 documents. HNS ACLs
// cannot match ICMP types or codes: an ICMP rule allows every type to its
// addresses.
func policies(ms []host.PortMapping, acls []host.ACL, maxBandwidth uint64) ([]json.RawMessage, error) {
	var docs []any
	for _, m := range ms {
		docs = append(docs, hcsshim.NatPolicy{Type: hcsshim.Nat, Protocol: protocolName(m.Protocol), InternalPort: m.ContainerPort, ExternalPort: m.HostPort})
	}
	for _, a := range acls {
		docs = append(docs, hcsshim.ACLPolicy{
			Type: hcsshim.ACL, Protocol: uint16(a.Protocol), Action: hcsshim.ActionType(a.Action),
			Direction: hcsshim.DirectionType(a.Direction), RemoteAddresses: a.RemoteAddresses,
			LocalPorts: a.LocalPorts, RemotePorts: a.RemotePorts, RuleType: hcsshim.Switch, Priority: a.Priority,
		})
	}
	if maxBandwidth > 0 {
		docs = append(docs, hcsshim.QosPolicy{Type: hcsshim.QOS, MaximumOutgoingBandwidthInBytes: maxBandwidth})
	}
	out := make([]json.RawMessage, 0, len(docs))
	for _, d := range docs {
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func protocolName(p host.Protocol) string {
	if p == host.ProtocolUDP {
		return "UDP"
	}
	return "TCP"
}

// EndpointByName finds an endpoint.
// Endpoints lists the endpoints of a network.
func (Network) Endpoints(networkID string) ([]host.Endpoint, error) {
	all, err := hcsshim.HNSListEndpointRequest()
	if err != nil {
		return nil, err
	}
	out := []host.Endpoint{}
	for _, e := range all {
		if strings.EqualFold(e.VirtualNetwork, networkID) {
			out = append(out, host.Endpoint{ID: e.Id, Name: e.Name, NetworkID: e.VirtualNetwork, IP: e.IPAddress.String()})
		}
	}
	return out, nil
}

func (Network) EndpointByName(name string) (host.Endpoint, bool, error) {
	e, err := hcsshim.GetHNSEndpointByName(name)
	if err != nil {
		var nf hcsshim.EndpointNotFoundError
		if errors.As(err, &nf) {
			return host.Endpoint{}, false, nil
		}
		return host.Endpoint{}, false, err
	}
	return host.Endpoint{ID: e.Id, Name: e.Name, NetworkID: e.VirtualNetwork, IP: e.IPAddress.String()}, true, nil
}

// AttachEndpoint hot-attaches the endpoint to the container.
func (Network) AttachEndpoint(endpointID, containerID string) error {
	return hcsshim.HotAttachEndpoint(containerID, endpointID)
}

// DetachEndpoint hot-detaches the endpoint.
func (Network) DetachEndpoint(endpointID, containerID string) error {
	return hcsshim.HotDetachEndpoint(containerID, endpointID)
}

// DeleteEndpoint deletes an endpoint.
func (Network) DeleteEndpoint(endpointID string) error {
	_, err := (&hcsshim.HNSEndpoint{Id: endpointID}).Delete()
	return err
}

// UpdateEndpointPolicies replaces the endpoint's policies.
func (Network) UpdateEndpointPolicies(endpointID string, ms []host.PortMapping, acls []host.ACL) error {
	e, err := hcsshim.GetHNSEndpointByID(endpointID)
	if err != nil {
		return err
	}
	var bandwidth uint64
	for _, raw := range e.Policies {
		var q hcsshim.QosPolicy
		if json.Unmarshal(raw, &q) == nil && q.Type == hcsshim.QOS {
			bandwidth = q.MaximumOutgoingBandwidthInBytes
		}
	}
	if e.Policies, err = policies(ms, acls, bandwidth); err != nil {
		return err
	}
	_, err = e.Update()
	return err
}
