//go:build !windows

package sim

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/internal/statefile"
)

// Network simulates the Host Networking Service: NAT networks with their
// address management, and endpoints with their policies, attached to the
// simulated compute systems of Compute.
type Network struct {
	Host Host
}

var _ host.NetworkHost = Network{}

// networkDoc is the simulated HNS's state.
type networkDoc struct {
	Networks  map[string]host.NATNetwork `json:"networks"`  // by ID
	Endpoints map[string]*SimEndpoint    `json:"endpoints"` // by ID
	NextID    int                        `json:"next_id"`
	// HostAddresses are the simulated host's interface addresses.
	HostAddresses []string `json:"host_addresses"`
	// MTUs are interface MTUs set by alias; an interface not listed has
	// Windows's default of 1500.
	MTUs map[string]int `json:"mtus,omitempty"`
}

// SimEndpoint is a simulated endpoint and what it is attached to.
type SimEndpoint struct {
	host.Endpoint
	AttachedTo string `json:"attached_to"`
}

// defaultHostAddress is the simulated host's own address unless a test
// sets others.
const defaultHostAddress = "10.0.0.5/24"

// The codes the simulation returns, as HNS does.
const (
	codeElementNotFound = 0x80070490
	codeNetworkExists   = 0x803b0010
	codeInvalidPolicy   = 0x803b000d
)

func (n Network) file() string { return filepath.Join(n.Host.Root, "hns.json") }

func (n Network) read() (networkDoc, error) {
	d, err := statefile.Read[networkDoc](n.file())
	if d.HostAddresses == nil {
		d.HostAddresses = []string{defaultHostAddress}
	}
	return d, err
}

func (n Network) update(change func(*networkDoc) error) error {
	return statefile.Update(n.file(), func(d *networkDoc) error {
		if d.Networks == nil {
			d.Networks = map[string]host.NATNetwork{}
		}
		if d.Endpoints == nil {
			d.Endpoints = map[string]*SimEndpoint{}
		}
		if d.HostAddresses == nil {
			d.HostAddresses = []string{defaultHostAddress}
		}
		return change(d)
	})
}

// SetHostAddresses sets the simulated host's interface addresses (tests).
func (n Network) SetHostAddresses(addrs []string) error {
	return n.update(func(d *networkDoc) error { d.HostAddresses = addrs; return nil })
}

// AllEndpoints returns every simulated endpoint (tests).
func (n Network) AllEndpoints() ([]SimEndpoint, error) {
	d, err := n.read()
	if err != nil {
		return nil, err
	}
	out := []SimEndpoint{}
	for _, e := range d.Endpoints {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// NetworkByName finds a network.
func (n Network) NetworkByName(name string) (host.NATNetwork, bool, error) {
	if _, err := n.Host.before("NetworkByName"); err != nil {
		return host.NATNetwork{}, false, err
	}
	d, err := n.read()
	if err != nil {
		return host.NATNetwork{}, false, err
	}
	for _, nw := range d.Networks {
		if nw.Name == name {
			return nw, true, nil
		}
	}
	return host.NATNetwork{}, false, nil
}

// CreateNATNetwork creates a NAT network; HNS refuses a second network of
// the same name.
func (n Network) CreateNATNetwork(req host.NATNetwork) (host.NATNetwork, error) {
	after, err := n.Host.before("CreateNATNetwork")
	if err != nil {
		return host.NATNetwork{}, err
	}
	if _, err := netip.ParsePrefix(req.Subnet); err != nil {
		return host.NATNetwork{}, &Error{Op: "CreateNATNetwork", Code: codeInvalidPolicy, Text: "invalid subnet " + req.Subnet}
	}
	var created host.NATNetwork
	err = n.update(func(d *networkDoc) error {
		for _, nw := range d.Networks {
			if nw.Name == req.Name {
				return &Error{Op: "CreateNATNetwork", Code: codeNetworkExists, Text: "network " + req.Name + " already exists"}
			}
		}
		d.NextID++
		created = req
		created.ID = fmt.Sprintf("net-%d", d.NextID)
		d.Networks[created.ID] = created
		return nil
	})
	if err == nil {
		afterOp(after)
	}
	return created, err
}

// DeleteNetwork deletes a network.
func (n Network) DeleteNetwork(id string) error {
	return n.update(func(d *networkDoc) error {
		nw, ok := d.Networks[id]
		if !ok {
			return &Error{Op: "DeleteNetwork", Code: codeElementNotFound, Text: "network not found"}
		}
		delete(d.MTUs, host.InterfaceAlias(nw.Name))
		delete(d.Networks, id)
		return nil
	})
}

// HostAddresses lists the simulated host's addresses.
func (n Network) HostAddresses() ([]string, error) {
	d, err := n.read()
	return d.HostAddresses, err
}

// CreateEndpoint creates an endpoint with the next free address of its
// network; like HNS it refuses a host port another endpoint maps.
func (n Network) CreateEndpoint(spec host.EndpointSpec) (host.Endpoint, error) {
	after, err := n.Host.before("CreateEndpoint")
	if err != nil {
		return host.Endpoint{}, err
	}
	var ep host.Endpoint
	err = n.update(func(d *networkDoc) error {
		nw, ok := d.Networks[spec.NetworkID]
		if !ok {
			return &Error{Op: "CreateEndpoint", Code: codeElementNotFound, Text: "network " + spec.NetworkID + " not found"}
		}
		if err := portsFree(d, "", spec.PortMappings); err != nil {
			return err
		}
		ip, err := freeAddress(d, nw)
		if err != nil {
			return err
		}
		d.NextID++
		ep = host.Endpoint{ID: fmt.Sprintf("ep-%d", d.NextID), Name: spec.Name, NetworkID: nw.ID, IP: ip, Spec: spec}
		d.Endpoints[ep.ID] = &SimEndpoint{Endpoint: ep}
		return nil
	})
	if err == nil {
		afterOp(after)
	}
	return ep, err
}

func portsFree(d *networkDoc, except string, ms []host.PortMapping) error {
	for _, e := range d.Endpoints {
		if e.ID == except {
			continue
		}
		for _, theirs := range e.Spec.PortMappings {
			for _, ours := range ms {
				if theirs.HostPort == ours.HostPort {
					return &Error{Op: "CreateEndpoint", Code: 0x80004005, Text: fmt.Sprintf("host port %d is already mapped by endpoint %s", ours.HostPort, e.Name)}
				}
			}
		}
	}
	return nil
}

func freeAddress(d *networkDoc, nw host.NATNetwork) (string, error) {
	subnet := netip.MustParsePrefix(nw.Subnet)
	used := map[string]bool{nw.Gateway: true}
	for _, e := range d.Endpoints {
		used[e.IP] = true
	}
	for a := subnet.Addr().Next(); subnet.Contains(a); a = a.Next() {
		if !subnet.Contains(a.Next()) {
			break // the broadcast address
		}
		if !used[a.String()] {
			return a.String(), nil
		}
	}
	return "", &Error{Op: "CreateEndpoint", Code: 0x5aa, Text: "no free address in " + nw.Subnet}
}

// EndpointByName finds an endpoint.
func (n Network) EndpointByName(name string) (host.Endpoint, bool, error) {
	if _, err := n.Host.before("EndpointByName"); err != nil {
		return host.Endpoint{}, false, err
	}
	d, err := n.read()
	if err != nil {
		return host.Endpoint{}, false, err
	}
	for _, e := range d.Endpoints {
		if e.Name == name {
			return e.Endpoint, true, nil
		}
	}
	return host.Endpoint{}, false, nil
}

// Endpoints lists a network's endpoints.
func (n Network) Endpoints(networkID string) ([]host.Endpoint, error) {
	if _, err := n.Host.before("Endpoints"); err != nil {
		return nil, err
	}
	d, err := n.read()
	if err != nil {
		return nil, err
	}
	out := []host.Endpoint{}
	for _, e := range d.Endpoints {
		if e.NetworkID == networkID {
			out = append(out, e.Endpoint)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// AttachEndpoint attaches an endpoint to a running simulated container.
func (n Network) AttachEndpoint(endpointID, containerID string) error {
	after, err := n.Host.before("AttachEndpoint")
	if err != nil {
		return err
	}
	running, err := Compute{Host: n.Host}.Running(containerID)
	if err != nil {
		return err
	}
	if !running {
		return notFound("AttachEndpoint", containerID)
	}
	err = n.update(func(d *networkDoc) error {
		e, ok := d.Endpoints[endpointID]
		if !ok {
			return &Error{Op: "AttachEndpoint", Code: codeElementNotFound, Text: "Element not found"}
		}
		e.AttachedTo = containerID
		return nil
	})
	if err == nil {
		afterOp(after)
	}
	return err
}

// DetachEndpoint detaches an endpoint.
func (n Network) DetachEndpoint(endpointID, containerID string) error {
	return n.update(func(d *networkDoc) error {
		e, ok := d.Endpoints[endpointID]
		if !ok {
			return &Error{Op: "DetachEndpoint", Code: codeElementNotFound, Text: "Element not found"}
		}
		// The container's interface goes with the attachment.
		delete(d.MTUs, host.InterfaceAlias(e.Name))
		e.AttachedTo = ""
		return nil
	})
}

// DeleteEndpoint deletes an endpoint.
func (n Network) DeleteEndpoint(endpointID string) error {
	after, err := n.Host.before("DeleteEndpoint")
	if err != nil {
		return err
	}
	err = n.update(func(d *networkDoc) error {
		e, ok := d.Endpoints[endpointID]
		if !ok {
			return &Error{Op: "DeleteEndpoint", Code: codeElementNotFound, Text: "Element not found"}
		}
		delete(d.MTUs, host.InterfaceAlias(e.Name))
		delete(d.Endpoints, endpointID)
		return nil
	})
	if err == nil {
		afterOp(after)
	}
	return err
}

// UpdateEndpointPolicies replaces an endpoint's port mappings and ACLs.
func (n Network) UpdateEndpointPolicies(endpointID string, ms []host.PortMapping, acls []host.ACL) error {
	if _, err := n.Host.before("UpdateEndpointPolicies"); err != nil {
		return err
	}
	return n.update(func(d *networkDoc) error {
		e, ok := d.Endpoints[endpointID]
		if !ok {
			return &Error{Op: "UpdateEndpointPolicies", Code: codeElementNotFound, Text: "Element not found"}
		}
		if err := portsFree(d, endpointID, ms); err != nil {
			return err
		}
		e.Spec.PortMappings, e.Spec.ACLs = ms, acls
		return nil
	})
}

// Interfaces simulates the IP interfaces HNS makes: a network's virtual NIC
// on the host, and an attached endpoint's NIC in its container, each named
// by host.InterfaceAlias and starting at an MTU of 1500.
type Interfaces struct {
	Host Host
}

var _ host.InterfaceHost = Interfaces{}

// defaultMTU is Windows's MTU for a new virtual NIC.
const defaultMTU = 1500

func interfaceExists(d *networkDoc, alias string) bool {
	for _, nw := range d.Networks {
		if host.InterfaceAlias(nw.Name) == alias {
			return true
		}
	}
	for _, e := range d.Endpoints {
		if e.AttachedTo != "" && host.InterfaceAlias(e.Name) == alias {
			return true
		}
	}
	return false
}

func interfaceNotFound(op, alias string) error {
	return &Error{Op: op, Code: 0x490, Text: "interface " + alias + " not found"}
}

// InterfaceMTU reads an interface's MTU.
func (i Interfaces) InterfaceMTU(alias string) (int, error) {
	if _, err := i.Host.before("InterfaceMTU"); err != nil {
		return 0, err
	}
	d, err := Network{Host: i.Host}.read()
	if err != nil {
		return 0, err
	}
	if !interfaceExists(&d, alias) {
		return 0, interfaceNotFound("InterfaceMTU", alias)
	}
	if mtu, ok := d.MTUs[alias]; ok {
		return mtu, nil
	}
	return defaultMTU, nil
}

// SetInterfaceMTU sets an interface's MTU; like Windows it refuses an IPv4
// MTU below 576 (ERROR_INVALID_PARAMETER).
func (i Interfaces) SetInterfaceMTU(alias string, mtu int) error {
	after, err := i.Host.before("SetInterfaceMTU")
	if err != nil {
		return err
	}
	err = Network{Host: i.Host}.update(func(d *networkDoc) error {
		if !interfaceExists(d, alias) {
			return interfaceNotFound("SetInterfaceMTU", alias)
		}
		if mtu < 576 {
			return &Error{Op: "SetInterfaceMTU", Code: 0x57, Text: fmt.Sprintf("MTU %d is invalid", mtu)}
		}
		if d.MTUs == nil {
			d.MTUs = map[string]int{}
		}
		d.MTUs[alias] = mtu
		return nil
	})
	if err == nil {
		afterOp(after)
	}
	return err
}
