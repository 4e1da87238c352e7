package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/garden"
	"code.cloudfoundry.org/lager/v3"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/internal/handle"
	"github.com/garden-windows/garden-windows-release/internal/hresult"
	"github.com/garden-windows/garden-windows-release/internal/retry"
	"github.com/garden-windows/garden-windows-release/internal/statefile"
)

// The properties gdn reads back from up (Guardian's gardener package).
const (
	ContainerIPKey = "garden.network.container-ip"
	HostIPKey      = "garden.network.host-ip"
	MappedPortsKey = "garden.network.mapped-ports"
)

// UpInputs is what gdn writes to winc-network's stdin for up
// (netplugin.UpInputs at the pinned Guardian).
type UpInputs struct {
	Pid        int
	Properties map[string]string
	NetOut     []garden.NetOutRule `json:"netout_rules,omitempty"`
	NetIn      []garden.NetIn      `json:"netin,omitempty"`
}

// UpOutputs is what gdn reads from up's stdout.
type UpOutputs struct {
	Properties    map[string]string
	DNSServers    []string `json:"dns_servers,omitempty"`
	SearchDomains []string `json:"search_domains,omitempty"`
}

// NetInInputs and NetInOutputs are net-in's stdin and stdout.
type NetInInputs struct {
	HostIP        string
	HostPort      uint32
	ContainerIP   string
	ContainerPort uint32
}

// NetInOutputs is net-in's answer.
type NetInOutputs struct {
	HostPort      uint32 `json:"host_port"`
	ContainerPort uint32 `json:"container_port"`
}

// NetOutInputs is net-out's stdin.
type NetOutInputs struct {
	ContainerIP string            `json:"container_ip"`
	NetOutRule  garden.NetOutRule `json:"netout_rule"`
}

// BulkNetOutInputs is bulk-net-out's stdin.
type BulkNetOutInputs struct {
	ContainerIP string              `json:"container_ip"`
	NetOutRules []garden.NetOutRule `json:"netout_rules"`
}

// PortReserver hands out host ports (portpool.Pool).
type PortReserver interface {
	Reserve(handle string, want []uint16) ([]uint16, error)
	Release(handle string) error
}

// Networker carries out winc-network's actions.
type Networker struct {
	Host host.NetworkHost
	// Interfaces sets the MTU of containers' interfaces, which HNS
	// endpoints have no setting for.
	Interfaces host.InterfaceHost
	Config     Config
	Ports      PortReserver
	// HostLock serializes endpoint changes host-wide: Windows Server 2016
	// to 1803 fail on concurrent endpoint creates and deletes.
	HostLock func() (unlock func(), err error)
	Log      lager.Logger
	// Sleep is time.Sleep outside tests (retry pauses).
	Sleep func(time.Duration)
}

// containerRecord is what winc-network remembers of a container between
// actions: the inputs its policies are computed from.
type containerRecord struct {
	Handle       string              `json:"handle"`
	NetOut       []garden.NetOutRule `json:"netout_rules"`
	PortMappings []host.PortMapping  `json:"port_mappings"`
}

func (n *Networker) recordPath(handle string) string {
	return filepath.Join(n.Config.StateDir, "containers", handle+".json")
}

// transient are the HNS failures seen to pass on retry under load.
func transient(err error) bool {
	c, ok := hresult.CodeOf(err)
	if !ok {
		return false
	}
	switch c {
	case 0x490, 0x80070490, // element not found (endpoint create/attach under parallel load)
		0x5aa, 0x800705aa, // insufficient system resources
		0x5b4, 0x800705b4, // timeout
		0xc0370103,        // operation pending
		0x6ba, 0x800706ba: // RPC server unavailable (HNS restarting)
		return true
	}
	return false
}

func (n *Networker) retry(what string, op func() error) error {
	return retry.Policy{
		Timeout:   time.Duration(n.Config.WaitTimeoutInSeconds) * time.Second,
		First:     100 * time.Millisecond,
		Max:       time.Second,
		Transient: transient,
		Sleep:     n.Sleep,
	}.Do(what, op)
}

// CreateNetwork makes the host's NAT network, or checks that the one there
// matches the configuration.
func (n *Networker) CreateNetwork() (host.NATNetwork, error) {
	// winc-network's and cell-prep's pre-starts may both get here at
	// once: one creates, the other then finds it.
	unlock, err := n.HostLock()
	if err != nil {
		return host.NATNetwork{}, err
	}
	defer unlock()
	c := n.Config
	existing, ok, err := n.Host.NetworkByName(c.NetworkName)
	if err != nil {
		return host.NATNetwork{}, hresult.Explain("looking up network "+c.NetworkName, err)
	}
	if ok {
		if existing.Subnet != c.SubnetRange || existing.Gateway != c.GatewayAddress {
			return host.NATNetwork{}, fmt.Errorf("network %s exists with subnet %s and gateway %s, but the configuration asks for %s and %s: "+
				"delete it (winc-network --action delete, with no containers on the cell) or set winc_network.subnet_range and gateway_address to match",
				c.NetworkName, existing.Subnet, existing.Gateway, c.SubnetRange, c.GatewayAddress)
		}
		n.Log.Info("network-exists", lager.Data{"name": c.NetworkName, "id": existing.ID})
		return existing, nil
	}
	if err := n.checkCollision(); err != nil {
		return host.NATNetwork{}, err
	}
	var created host.NATNetwork
	err = n.retry("creating network "+c.NetworkName, func() error {
		var err error
		created, err = n.Host.CreateNATNetwork(host.NATNetwork{Name: c.NetworkName, Subnet: c.SubnetRange, Gateway: c.GatewayAddress})
		return err
	})
	if err != nil {
		return host.NATNetwork{}, hresult.Explain("creating network "+c.NetworkName, err)
	}
	n.Log.Info("network-created", lager.Data{"name": c.NetworkName, "id": created.ID, "subnet": c.SubnetRange})
	return created, nil
}

// checkCollision refuses a subnet that overlaps a host address: HNS breaks
// when the gateway collides with a host IP, and containers could not reach
// the overlapped host network.
func (n *Networker) checkCollision() error {
	addrs, err := n.Host.HostAddresses()
	if err != nil {
		return hresult.Explain("listing host addresses", err)
	}
	subnet := netip.MustParsePrefix(n.Config.SubnetRange)
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a)
		if err != nil || !p.Addr().Is4() {
			continue
		}
		if p.Overlaps(subnet) {
			return fmt.Errorf("%w: subnet_range: %s overlaps the host's address %s: choose another winc_network.subnet_range", ErrInvalidConfig, subnet, a)
		}
	}
	return nil
}

// DeleteNetwork removes the NAT network; a missing one is fine.
func (n *Networker) DeleteNetwork() error {
	existing, ok, err := n.Host.NetworkByName(n.Config.NetworkName)
	if err != nil {
		return hresult.Explain("looking up network "+n.Config.NetworkName, err)
	}
	if !ok {
		return nil
	}
	if err := n.Host.DeleteNetwork(existing.ID); err != nil && !hresult.IsNotFound(err) {
		return hresult.Explain("deleting network "+n.Config.NetworkName, err)
	}
	return nil
}

// Up gives container handle its endpoint with every policy. On any failure
// everything it did is undone: no endpoint, no port reservation, no record.
func (n *Networker) Up(handle string, in UpInputs) (out UpOutputs, err error) {
	log := n.Log.Session("up", lager.Data{"handle": handle})
	if err := validateHandle(handle); err != nil {
		return UpOutputs{}, err
	}
	// Everything that can be refused is refused before anything is done.
	containerPorts, wants, err := netInWants(in.NetIn)
	if err != nil {
		return UpOutputs{}, err
	}
	if _, err := ACLs(PolicyInput{NetOut: in.NetOut, DNSServers: n.Config.DNSServers, AllowOutboundByDefault: n.Config.AllowOutboundTrafficByDefault}); err != nil {
		return UpOutputs{}, err
	}
	network, ok, err := n.Host.NetworkByName(n.Config.NetworkName)
	if err != nil {
		return UpOutputs{}, hresult.Explain("looking up network "+n.Config.NetworkName, err)
	}
	if !ok {
		return UpOutputs{}, fmt.Errorf("network %s does not exist: the winc-network job's pre-start creates it (winc-network --action create)", n.Config.NetworkName)
	}
	// A previous up for this handle that died half-way is cleaned first,
	// so that up converges.
	if err := n.Down(handle); err != nil {
		return UpOutputs{}, fmt.Errorf("cleaning up an earlier network of %s: %w", handle, err)
	}

	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()

	hostPorts, err := n.Ports.Reserve(handle, wants)
	if err != nil {
		return UpOutputs{}, fmt.Errorf("reserving host ports for %s: %w", handle, err)
	}
	undo = append(undo, func() {
		if err := n.Ports.Release(handle); err != nil {
			log.Error("undo-release-ports", err)
		}
	})
	rec := containerRecord{Handle: handle, NetOut: in.NetOut}
	for i, p := range hostPorts {
		rec.PortMappings = append(rec.PortMappings, host.PortMapping{Protocol: host.ProtocolTCP, HostPort: p, ContainerPort: containerPorts[i]})
	}
	acls, err := n.acls(rec)
	if err != nil {
		return UpOutputs{}, err
	}
	spec := host.EndpointSpec{
		Name: handle, NetworkID: network.ID,
		DNSServers: n.Config.DNSServers, DNSSearch: n.Config.SearchDomains,
		PortMappings: rec.PortMappings, ACLs: acls,
		MaxOutgoingBandwidth: n.Config.MaximumOutgoingBandwidth,
	}

	unlock, err := n.HostLock()
	if err != nil {
		return UpOutputs{}, err
	}
	var ep host.Endpoint
	err = n.retry("creating endpoint "+handle, func() error {
		var err error
		ep, err = n.Host.CreateEndpoint(spec)
		return err
	})
	if err != nil {
		unlock()
		return UpOutputs{}, hresult.Explain("creating endpoint "+handle, err)
	}
	undo = append(undo, func() {
		if err := n.deleteEndpoint(handle, ep.ID); err != nil {
			log.Error("undo-delete-endpoint", err)
		}
	})
	err = n.retry("attaching endpoint "+handle, func() error { return n.Host.AttachEndpoint(ep.ID, handle) })
	unlock()
	if err != nil {
		return UpOutputs{}, hresult.Explain("attaching endpoint "+handle+" to its container", err)
	}
	undo = append(undo, func() {
		if err := n.Host.DetachEndpoint(ep.ID, handle); err != nil && !hresult.IsNotFound(err) {
			log.Error("undo-detach", err)
		}
	})
	if err := n.saveRecord(rec); err != nil {
		return UpOutputs{}, err
	}
	if err := n.applyMTU(log, handle); err != nil {
		return UpOutputs{}, err
	}
	log.Info("up", lager.Data{"ip": ep.IP, "ports": rec.PortMappings})
	return UpOutputs{
		Properties: map[string]string{
			ContainerIPKey: ep.IP,
			HostIPKey:      n.Config.GatewayAddress,
			MappedPortsKey: mappedPortsJSON(rec.PortMappings),
		},
		DNSServers:    n.Config.DNSServers,
		SearchDomains: n.Config.SearchDomains,
	}, nil
}

// applyMTU sets the MTU of the container's interface: the configured one,
// or else the NAT network's own. A new container NIC starts at 1500
// whatever the network's MTU is, and the mismatch fragments or drops
// large packets, so 0 ("keep the network's") is applied explicitly too.
func (n *Networker) applyMTU(log lager.Logger, handle string) error {
	mtu := n.Config.MTU
	if mtu == 0 {
		networkAlias := host.InterfaceAlias(n.Config.NetworkName)
		var err error
		mtu, err = n.Interfaces.InterfaceMTU(networkAlias)
		if err != nil {
			return hresult.Explain("reading the MTU of the NAT network's interface "+networkAlias+" (winc_network.mtu is 0: use the network's)", err)
		}
	}
	alias := host.InterfaceAlias(handle)
	// The NIC shows up in the container's compartment a moment after the
	// attach: "not found" is among the transient errors retried.
	err := n.retry("setting the MTU of "+alias, func() error { return n.Interfaces.SetInterfaceMTU(alias, mtu) })
	if err != nil {
		return hresult.Explain(fmt.Sprintf("setting the MTU of %s to %d (winc_network.mtu)", alias, mtu), err)
	}
	log.Debug("mtu-set", lager.Data{"interface": alias, "mtu": mtu})
	return nil
}

func (n *Networker) acls(rec containerRecord) ([]host.ACL, error) {
	return ACLs(PolicyInput{
		NetOut: rec.NetOut, DNSServers: n.Config.DNSServers,
		AllowOutboundByDefault: n.Config.AllowOutboundTrafficByDefault,
		PortMappings:           rec.PortMappings,
	})
}

// deleteEndpoint deletes an endpoint under the host-wide lock, retrying
// transient failures; one that is already gone is deleted.
func (n *Networker) deleteEndpoint(handle, id string) error {
	unlock, err := n.HostLock()
	if err != nil {
		return err
	}
	defer unlock()
	err = n.retry("deleting endpoint "+handle, func() error { return n.Host.DeleteEndpoint(id) })
	if err != nil && !hresult.IsNotFound(err) {
		return hresult.Explain("deleting endpoint "+handle, err)
	}
	return nil
}

// netInWants turns gdn's net-in requests into the ports to reserve (0 for
// any) and the container ports they map to.
func netInWants(netIn []garden.NetIn) (containerPorts, wants []uint16, err error) {
	for i, m := range netIn {
		if m.ContainerPort == 0 || m.ContainerPort > 65535 {
			return nil, nil, fmt.Errorf("%w: netin[%d].container_port: %d is not a port", ErrInvalidRule, i, m.ContainerPort)
		}
		if m.HostPort > 65535 {
			return nil, nil, fmt.Errorf("%w: netin[%d].host_port: %d is not a port", ErrInvalidRule, i, m.HostPort)
		}
		containerPorts = append(containerPorts, uint16(m.ContainerPort))
		wants = append(wants, uint16(m.HostPort))
	}
	return containerPorts, wants, nil
}

// mappedPortsJSON is the mapped-ports property in the form gdn keeps it.
func mappedPortsJSON(ms []host.PortMapping) string {
	out := []garden.PortMapping{}
	for _, m := range ms {
		out = append(out, garden.PortMapping{HostPort: uint32(m.HostPort), ContainerPort: uint32(m.ContainerPort)})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func (n *Networker) saveRecord(rec containerRecord) error {
	if err := os.MkdirAll(filepath.Dir(n.recordPath(rec.Handle)), 0o755); err != nil {
		return err
	}
	return statefile.Update(n.recordPath(rec.Handle), func(r *containerRecord) error {
		*r = rec
		return nil
	})
}

func (n *Networker) loadRecord(handle string) (containerRecord, bool, error) {
	path := n.recordPath(handle)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return containerRecord{}, false, nil
	}
	rec, err := statefile.Read[containerRecord](path)
	return rec, err == nil && rec.Handle != "", err
}

// Down removes container handle's endpoint, ports and record. It succeeds
// when there is nothing left to remove, so it can be repeated after any
// failure.
func (n *Networker) Down(handle string) error {
	log := n.Log.Session("down", lager.Data{"handle": handle})
	if err := validateHandle(handle); err != nil {
		return err
	}
	ep, ok, err := n.Host.EndpointByName(handle)
	if err != nil {
		return hresult.Explain("looking up endpoint "+handle, err)
	}
	if ok {
		if err := n.Host.DetachEndpoint(ep.ID, handle); err != nil && !hresult.IsNotFound(err) {
			log.Info("detach-failed-deleting-anyway", lager.Data{"error": err.Error()})
		}
		if err := n.deleteEndpoint(handle, ep.ID); err != nil {
			return err
		}
	}
	if err := n.Ports.Release(handle); err != nil {
		return fmt.Errorf("releasing host ports of %s: %w", handle, err)
	}
	for _, p := range []string{n.recordPath(handle), n.recordPath(handle) + ".lock"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing network record of %s: %w", handle, err)
		}
	}
	log.Debug("down")
	return nil
}

// NetIn maps one more host port to the container.
func (n *Networker) NetIn(handle string, in NetInInputs) (NetInOutputs, error) {
	containerPorts, wants, err := netInWants([]garden.NetIn{{HostPort: in.HostPort, ContainerPort: in.ContainerPort}})
	if err != nil {
		return NetInOutputs{}, err
	}
	rec, ep, err := n.existing(handle)
	if err != nil {
		return NetInOutputs{}, err
	}
	ports, err := n.Ports.Reserve(handle, wants)
	if err != nil {
		return NetInOutputs{}, fmt.Errorf("reserving a host port for %s: %w", handle, err)
	}
	rec.PortMappings = append(rec.PortMappings, host.PortMapping{Protocol: host.ProtocolTCP, HostPort: ports[0], ContainerPort: containerPorts[0]})
	if err := n.apply(rec, ep); err != nil {
		// The reservation stays with the handle (down releases it); the
		// endpoint keeps its previous policies.
		return NetInOutputs{}, err
	}
	return NetInOutputs{HostPort: uint32(ports[0]), ContainerPort: uint32(containerPorts[0])}, nil
}

// NetOut adds egress rules to the container.
func (n *Networker) NetOut(handle string, rules []garden.NetOutRule) error {
	rec, ep, err := n.existing(handle)
	if err != nil {
		return err
	}
	rec.NetOut = append(rec.NetOut, rules...)
	return n.apply(rec, ep)
}

func (n *Networker) existing(handle string) (containerRecord, host.Endpoint, error) {
	if err := validateHandle(handle); err != nil {
		return containerRecord{}, host.Endpoint{}, err
	}
	rec, ok, err := n.loadRecord(handle)
	if err != nil {
		return containerRecord{}, host.Endpoint{}, err
	}
	ep, epOK, err := n.Host.EndpointByName(handle)
	if err != nil {
		return containerRecord{}, host.Endpoint{}, hresult.Explain("looking up endpoint "+handle, err)
	}
	if !ok || !epOK {
		return containerRecord{}, host.Endpoint{}, fmt.Errorf("container %s has no network: up it first", handle)
	}
	return rec, ep, nil
}

func (n *Networker) apply(rec containerRecord, ep host.Endpoint) error {
	acls, err := n.acls(rec)
	if err != nil {
		return err
	}
	err = n.retry("updating endpoint "+rec.Handle, func() error {
		return n.Host.UpdateEndpointPolicies(ep.ID, rec.PortMappings, acls)
	})
	if err != nil {
		return hresult.Explain("updating the policies of endpoint "+rec.Handle, err)
	}
	return n.saveRecord(rec)
}

func validateHandle(h string) error {
	if h == "" {
		return errors.New("no container handle given (--handle)")
	}
	return handle.Validate(h)
}
