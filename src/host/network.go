package host

// NATNetwork is the host's NAT network (the containers' virtual switch) as
// HNS knows it.
type NATNetwork struct {
	// ID is HNS's identifier, empty in a request to create one.
	ID   string
	Name string
	// Subnet is a CIDR, for example 172.30.0.0/22.
	Subnet  string
	Gateway string
}

// EndpointSpec is a container's virtual NIC on the NAT network, with every
// policy it needs. winc-network's core computes it; adapters only pass it on.
type EndpointSpec struct {
	// Name is the container's handle: the endpoint is found by it.
	Name      string
	NetworkID string
	// DNSServers and DNSSearch are given to the container.
	DNSServers   []string
	DNSSearch    []string
	PortMappings []PortMapping
	// ACLs are the complete, explicit rule set: HNS on newer Windows
	// flips an endpoint with any ACL to default-deny, so every intended
	// allow and the final deny are listed.
	ACLs []ACL
	// MaxOutgoingBandwidth in bytes per second; 0 for no limit.
	MaxOutgoingBandwidth uint64
}

// Endpoint is an endpoint HNS created.
type Endpoint struct {
	ID        string
	Name      string
	NetworkID string
	IP        string
	Spec      EndpointSpec
}

// PortMapping maps a host port to a container port (NAT).
type PortMapping struct {
	Protocol      Protocol
	HostPort      uint16
	ContainerPort uint16
}

// Protocol numbers as HNS takes them (IANA numbers; 256 is any).
type Protocol uint16

// The protocols winc-network writes.
const (
	ProtocolICMP Protocol = 1
	ProtocolTCP  Protocol = 6
	ProtocolUDP  Protocol = 17
	ProtocolAny  Protocol = 256
)

// ACLAction allows or blocks matching traffic.
type ACLAction string

// ACL actions.
const (
	Allow ACLAction = "Allow"
	Block ACLAction = "Block"
)

// Direction of traffic, seen from the container.
type Direction string

// Directions.
const (
	In  Direction = "In"
	Out Direction = "Out"
)

// ACL is one HNS access control rule. Empty address or port fields match
// everything.
type ACL struct {
	Action    ACLAction
	Direction Direction
	Protocol  Protocol
	// RemoteAddresses: comma-separated addresses and CIDRs.
	RemoteAddresses string
	// LocalPorts and RemotePorts: comma-separated ports and ranges (a-b).
	LocalPorts  string
	RemotePorts string
	// ICMPType and ICMPCode restrict ICMP rules when set.
	ICMPType *uint8
	ICMPCode *uint8
	// Priority: lower numbers are matched first.
	Priority uint16
}

// NetworkHost is what winc-network needs from the Host Networking Service.
// Lookups report absence with ok false; errors for things that do not exist
// (an endpoint already deleted) satisfy hresult.IsNotFound.
//
//counterfeiter:generate . NetworkHost
type NetworkHost interface {
	NetworkByName(name string) (n NATNetwork, ok bool, err error)
	CreateNATNetwork(n NATNetwork) (NATNetwork, error)
	DeleteNetwork(id string) error
	// HostAddresses are the host's own interface addresses (CIDRs), which
	// a NAT network must not collide with.
	HostAddresses() ([]string, error)

	CreateEndpoint(spec EndpointSpec) (Endpoint, error)
	EndpointByName(name string) (e Endpoint, ok bool, err error)
	// Endpoints lists the endpoints of network networkID (cell-prep looks
	// for leaked ones).
	Endpoints(networkID string) ([]Endpoint, error)
	// AttachEndpoint puts the endpoint into container containerID's
	// network compartment (hot attach).
	AttachEndpoint(endpointID, containerID string) error
	DetachEndpoint(endpointID, containerID string) error
	DeleteEndpoint(endpointID string) error
	// UpdateEndpointPolicies replaces the endpoint's port mappings and
	// ACLs (net-in and net-out after up).
	UpdateEndpointPolicies(endpointID string, mappings []PortMapping, acls []ACL) error
}

// InterfaceHost reads and sets the IPv4 settings of network interfaces on
// the host and inside containers' network compartments. Interfaces are
// named by their alias (InterfaceAlias). A missing interface satisfies
// hresult.IsNotFound: a container's interface may appear a moment after
// its endpoint is attached.
//
//counterfeiter:generate . InterfaceHost
type InterfaceHost interface {
	InterfaceMTU(alias string) (int, error)
	SetInterfaceMTU(alias string, mtu int) error
}

// InterfaceAlias is the alias Windows gives the virtual NIC of an HNS
// network on the host, or of an endpoint inside its container:
// "vEthernet (<network or endpoint name>)". winc-network names endpoints
// after their container's handle.
func InterfaceAlias(name string) string { return "vEthernet (" + name + ")" }
