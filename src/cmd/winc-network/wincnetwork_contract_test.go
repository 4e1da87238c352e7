//go:build !windows

package main_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"code.cloudfoundry.org/commandrunner/linux_command_runner"
	"code.cloudfoundry.org/garden"
	"code.cloudfoundry.org/guardian/gardener"
	"code.cloudfoundry.org/guardian/kawasaki"
	"code.cloudfoundry.org/guardian/netplugin"
	"code.cloudfoundry.org/guardian/properties"
	"code.cloudfoundry.org/lager/v3"
	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/host/sim"
	"github.com/garden-windows/garden-windows-release/internal/hresult"
	"github.com/garden-windows/garden-windows-release/network/portpool"
)

type noResolv struct{}

func (noResolv) Configure(lager.Logger, kawasaki.NetworkConfig, int) error { return nil }

type noDepot struct{}

func (noDepot) SetupBindMounts(lager.Logger, string, bool, string) ([]garden.BindMount, error) {
	return nil, nil
}
func (noDepot) Destroy(lager.Logger, string) error { return nil }

// These tests drive the Linux build of winc-network, against the simulated
// host, through Guardian's own external networker (netplugin), which builds
// the command lines, writes stdin and reads stdout exactly as gdn does.
var _ = Describe("winc-network, driven by gdn's networker", func() {
	var (
		simHost    sim.Host
		hns        sim.Network
		compute    sim.Compute
		configFile string
		stateDir   string
		store      *properties.Manager
		networker  netplugin.ExternalNetworker
		log        *lagertest.TestLogger
	)

	writeConfig := func(cfg map[string]any) {
		cfg["state_dir"] = stateDir
		data, err := json.Marshal(cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(configFile, data, 0o644)).To(Succeed())
	}

	wincNetwork := func(args ...string) *exec.Cmd {
		return exec.Command(wincNetworkBin, append([]string{"--configFile", configFile}, args...)...)
	}

	BeforeEach(func() {
		simHost = sim.Host{Root: GinkgoT().TempDir()}
		GinkgoT().Setenv(sim.RootEnv, simHost.Root)
		hns, compute = sim.Network{Host: simHost}, sim.Compute{Host: simHost}
		stateDir = GinkgoT().TempDir()
		configFile = filepath.Join(GinkgoT().TempDir(), "winc-network.json")
		writeConfig(map[string]any{"port_pool_start": 40000, "port_pool_size": 5000})
		Expect(os.MkdirAll(simHost.Path(`C:\layers\base`), 0o755)).To(Succeed())

		out, err := wincNetwork("--action", "create").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))

		store = properties.NewManager()
		log = lagertest.NewTestLogger("gdn")
		networker = netplugin.New(linux_command_runner.New(), store, net.ParseIP("10.0.0.5"), nil, nil,
			noResolv{}, wincNetworkBin, []string{"--configFile", configFile}, noDepot{})
	})

	// container makes a running compute system for handle, as winc would.
	container := func(handle string) {
		scratch := `C:\layers\` + handle
		Expect(os.MkdirAll(simHost.Path(scratch), 0o755)).To(Succeed())
		Expect(compute.CreateContainer(host.ContainerSpec{ID: handle, VolumePath: `\\?\Volume{1}\`, ScratchLayer: scratch, ParentLayers: []string{`C:\layers\base`}})).To(Succeed())
		Expect(compute.StartContainer(handle)).To(Succeed())
	}

	spec := func(handle string) garden.ContainerSpec {
		return garden.ContainerSpec{
			Handle: handle,
			NetIn:  []garden.NetIn{{ContainerPort: 8080}, {ContainerPort: 2222}},
			NetOut: []garden.NetOutRule{{
				Protocol: garden.ProtocolTCP,
				Networks: []garden.IPRange{{Start: net.ParseIP("10.10.0.0"), End: net.ParseIP("10.10.0.255")}},
				Ports:    []garden.PortRange{{Start: 443, End: 443}},
			}},
		}
	}

	mappedPorts := func(handle string) []garden.PortMapping {
		raw, ok := store.Get(handle, gardener.MappedPortsKey)
		Expect(ok).To(BeTrue())
		var ms []garden.PortMapping
		Expect(json.Unmarshal([]byte(raw), &ms)).To(Succeed())
		return ms
	}

	reservations := func() map[string][]uint16 {
		all, err := portpool.Pool{StateFile: filepath.Join(stateDir, "ports.json"), Start: 40000, Size: 5000}.All()
		Expect(err).NotTo(HaveOccurred())
		return all
	}

	endpoints := func() []sim.SimEndpoint {
		eps, err := hns.AllEndpoints()
		Expect(err).NotTo(HaveOccurred())
		return eps
	}

	It("creates the NAT network once, and again is a no-op", func() {
		out, err := wincNetwork("--action", "create").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		n, ok, err := hns.NetworkByName("winc-nat")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		Expect(n.Subnet).To(Equal("172.30.0.0/22"))
		Expect(n.Gateway).To(Equal("172.30.0.1"))
	})

	It("creates the network once when several creates run at once (two jobs' pre-starts)", func() {
		Expect(wincNetwork("--action", "delete").Run()).To(Succeed())
		cmds := make([]*exec.Cmd, 5)
		for i := range cmds {
			cmds[i] = wincNetwork("--action", "create")
			Expect(cmds[i].Start()).To(Succeed())
		}
		for _, c := range cmds {
			Expect(c.Wait()).To(Succeed())
		}
		_, ok, err := hns.NetworkByName("winc-nat")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
	})

	It("refuses to change an existing network, saying what differs", func() {
		writeConfig(map[string]any{"subnet_range": "172.31.0.0/22"})
		out, err := wincNetwork("--action", "create").CombinedOutput()
		Expect(err).To(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("network winc-nat exists with subnet 172.30.0.0/22"))
	})

	It("refuses a subnet that collides with a host address", func() {
		Expect(wincNetwork("--action", "delete").Run()).To(Succeed())
		Expect(hns.SetHostAddresses([]string{"172.30.1.7/24"})).To(Succeed())
		out, err := wincNetwork("--action", "create").CombinedOutput()
		Expect(err).To(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("overlaps the host's address 172.30.1.7/24"))
		_, ok, _ := hns.NetworkByName("winc-nat")
		Expect(ok).To(BeFalse())
	})

	It("up gives the container an endpoint with its ports and rules; down removes it all", func() {
		container("app-1")
		Expect(networker.Network(log, spec("app-1"), 0)).To(Succeed())

		ip, ok := store.Get("app-1", gardener.ContainerIPKey)
		Expect(ok).To(BeTrue())
		Expect(ip).To(Equal("172.30.0.2"))
		ms := mappedPorts("app-1")
		Expect(ms).To(HaveLen(2))
		Expect(ms[0].ContainerPort).To(Equal(uint32(8080)))
		Expect(ms[0].HostPort).To(BeNumerically(">=", 40000))

		eps := endpoints()
		Expect(eps).To(HaveLen(1))
		Expect(eps[0].AttachedTo).To(Equal("app-1"))
		Expect(eps[0].Spec.DNSServers).To(Equal([]string{"172.30.0.1"}))
		Expect(eps[0].Spec.ACLs).To(ContainElement(And(
			HaveField("Action", host.Allow), HaveField("Direction", host.Out),
			HaveField("RemoteAddresses", "10.10.0.0/24"), HaveField("RemotePorts", "443"))))
		last := eps[0].Spec.ACLs[len(eps[0].Spec.ACLs)-1]
		Expect(last.Action).To(Equal(host.Block), "everything else is denied")

		Expect(networker.Destroy(log, "app-1")).To(Succeed())
		Expect(endpoints()).To(BeEmpty())
		Expect(reservations()).To(BeEmpty())
		Expect(networker.Destroy(log, "app-1")).To(Succeed(), "down again is fine")
	})

	It("net-in and net-out add to a running container's policies", func() {
		container("app-1")
		Expect(networker.Network(log, garden.ContainerSpec{Handle: "app-1"}, 0)).To(Succeed())
		hostPort, containerPort, err := networker.NetIn(log, "app-1", 0, 9090)
		Expect(err).NotTo(HaveOccurred())
		Expect(containerPort).To(Equal(uint32(9090)))
		Expect(hostPort).To(BeNumerically(">=", 40000))
		Expect(networker.NetOut(log, "app-1", garden.NetOutRule{Protocol: garden.ProtocolUDP, Ports: []garden.PortRange{{Start: 53, End: 53}}})).To(Succeed())
		Expect(networker.BulkNetOut(log, "app-1", []garden.NetOutRule{{Protocol: garden.ProtocolICMP}})).To(Succeed())

		ep := endpoints()[0]
		Expect(ep.Spec.PortMappings).To(ContainElement(host.PortMapping{Protocol: host.ProtocolTCP, HostPort: uint16(hostPort), ContainerPort: 9090}))
		Expect(ep.Spec.ACLs).To(ContainElement(And(HaveField("Protocol", host.ProtocolUDP), HaveField("RemotePorts", "53"), HaveField("RemoteAddresses", ""))))
		Expect(ep.Spec.ACLs).To(ContainElement(HaveField("Protocol", host.ProtocolICMP)))
		Expect(networker.Destroy(log, "app-1")).To(Succeed())
		Expect(reservations()).To(BeEmpty())
	})

	It("maps a fixed host port, and refuses it to a second container", func() {
		container("app-1")
		container("app-2")
		s := garden.ContainerSpec{Handle: "app-1", NetIn: []garden.NetIn{{HostPort: 41234, ContainerPort: 8080}}}
		Expect(networker.Network(log, s, 0)).To(Succeed())
		s.Handle = "app-2"
		err := networker.Network(log, s, 0)
		Expect(err).To(HaveOccurred())
		// The first up logged 41234 too: look for the refusal itself.
		Expect(log.Buffer()).To(gbytes.Say("port 41234 is already in use by container app-1"))
		Expect(endpoints()).To(HaveLen(1))
		Expect(reservations()).To(HaveKey("app-1"))
		Expect(reservations()).NotTo(HaveKey("app-2"))
	})

	It("refuses bad rules before doing anything", func() {
		container("app-1")
		s := garden.ContainerSpec{Handle: "app-1", NetOut: []garden.NetOutRule{{
			Protocol: garden.ProtocolTCP,
			Networks: []garden.IPRange{{Start: net.ParseIP("10.0.0.9"), End: net.ParseIP("10.0.0.1")}},
		}}}
		Expect(networker.Network(log, s, 0)).NotTo(Succeed())
		Expect(log.Buffer()).To(gbytes.Say(`netout_rules\[0\]\.networks\[0\]: start 10\.0\.0\.9 is after end 10\.0\.0\.1`))
		Expect(endpoints()).To(BeEmpty())
		Expect(reservations()).To(BeEmpty())
	})

	Describe("a failure at each step of up leaves no endpoint and no reserved port", func() {
		DescribeTable("injected",
			func(op string, fault sim.Fault) {
				container("app-1")
				Expect(simHost.SetFault(op, fault)).To(Succeed())
				Expect(networker.Network(log, spec("app-1"), 0)).NotTo(Succeed())
				if fault == "crash-after" || fault == "crash" {
					// winc-network died: nothing could undo; gdn's destroy
					// (down) converges.
					Expect(networker.Destroy(log, "app-1")).To(Succeed())
				}
				Expect(endpoints()).To(BeEmpty())
				Expect(reservations()).To(BeEmpty())
				// and the container can be networked again
				Expect(networker.Network(log, spec("app-1"), 0)).To(Succeed())
				Expect(endpoints()).To(HaveLen(1))
			},
			Entry("looking up the network", "NetworkByName", sim.Fault("hresult:0x800706ba")),
			Entry("looking up an old endpoint", "EndpointByName", sim.Fault("hresult:0x80004005")),
			Entry("creating the endpoint", "CreateEndpoint", sim.Fault("hresult:0x803b000d")),
			Entry("attaching the endpoint", "AttachEndpoint", sim.Fault("hresult:0xc037010e")),
			Entry("dying after creating the endpoint", "CreateEndpoint", sim.Fault("crash-after")),
			Entry("dying after attaching the endpoint", "AttachEndpoint", sim.Fault("crash-after")),
			Entry("reading the network's MTU", "InterfaceMTU", sim.Fault("hresult:0x80004005")),
			Entry("setting the container's MTU", "SetInterfaceMTU", sim.Fault("hresult:0x80070057")),
			Entry("dying after setting the container's MTU", "SetInterfaceMTU", sim.Fault("crash-after")),
		)

		It("when the port pool is exhausted", func() {
			writeConfig(map[string]any{"port_pool_start": 40000, "port_pool_size": 1})
			container("app-1")
			Expect(networker.Network(log, spec("app-1"), 0)).NotTo(Succeed())
			Expect(log.Buffer()).To(gbytes.Say(`winc_network\.port_pool\.size`))
			Expect(endpoints()).To(BeEmpty())
			Expect(reservations()).To(BeEmpty())
		})

		It("when the container does not exist", func() {
			Expect(networker.Network(log, spec("ghost"), 0)).NotTo(Succeed())
			Expect(endpoints()).To(BeEmpty())
			Expect(reservations()).To(BeEmpty())
		})
	})

	Describe("the MTU of the container's interface", func() {
		var ifaces sim.Interfaces
		BeforeEach(func() { ifaces = sim.Interfaces{Host: simHost} })

		mtuOf := func(alias string) int {
			mtu, err := ifaces.InterfaceMTU(alias)
			Expect(err).NotTo(HaveOccurred())
			return mtu
		}

		It("is the NAT network's when winc_network.mtu is 0", func() {
			Expect(ifaces.SetInterfaceMTU("vEthernet (winc-nat)", 1450)).To(Succeed())
			container("app-1")
			Expect(networker.Network(log, spec("app-1"), 0)).To(Succeed())
			Expect(mtuOf("vEthernet (app-1)")).To(Equal(1450))
		})

		It("is winc_network.mtu when set, and goes with the endpoint at down", func() {
			writeConfig(map[string]any{"mtu": 1400})
			container("app-1")
			Expect(networker.Network(log, spec("app-1"), 0)).To(Succeed())
			Expect(mtuOf("vEthernet (app-1)")).To(Equal(1400))
			Expect(mtuOf("vEthernet (winc-nat)")).To(Equal(1500), "the network's own interface is left alone")

			Expect(networker.Destroy(log, "app-1")).To(Succeed())
			_, err := ifaces.InterfaceMTU("vEthernet (app-1)")
			Expect(hresult.IsNotFound(err)).To(BeTrue(), "%v", err)
		})

		It("is set once the interface appears (retrying 'not found')", func() {
			writeConfig(map[string]any{"mtu": 1400})
			container("app-1")
			Expect(simHost.SetFault("SetInterfaceMTU", "hresult:0x80070490")).To(Succeed())
			Expect(networker.Network(log, spec("app-1"), 0)).To(Succeed())
			Expect(mtuOf("vEthernet (app-1)")).To(Equal(1400))
		})

		It("names the interface, the value and the property when Windows refuses it", func() {
			writeConfig(map[string]any{"mtu": 1400})
			container("app-1")
			Expect(simHost.SetFault("SetInterfaceMTU", "hresult:0x80070057")).To(Succeed())
			Expect(networker.Network(log, spec("app-1"), 0)).NotTo(Succeed())
			Expect(log.Buffer()).To(gbytes.Say(`setting the MTU of vEthernet \(app-1\) to 1400 \(winc_network.mtu\)`))
			Expect(endpoints()).To(BeEmpty())
			Expect(reservations()).To(BeEmpty())
		})
	})

	It("retries HNS's transient 'Element not found' on attach", func() {
		container("app-1")
		Expect(simHost.SetFault("AttachEndpoint", "hresult:0x80070490")).To(Succeed())
		Expect(networker.Network(log, spec("app-1"), 0)).To(Succeed())
		Expect(endpoints()[0].AttachedTo).To(Equal("app-1"))
	})

	It("fails with a one-line usage error for a bad invocation", func() {
		out, err := exec.Command(wincNetworkBin, "--action", "up").CombinedOutput()
		Expect(err).To(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("no --configFile given"))
		out, err = wincNetwork("--action", "frobnicate", "--handle", "x").CombinedOutput()
		Expect(err).To(HaveOccurred())
		Expect(string(out)).To(ContainSubstring(`unknown --action "frobnicate"`))
	})

	It("runs 250 containers' up at once with no host port handed out twice, and leaves nothing after their downs", func() {
		const n = 250
		handles := make([]string, n)
		for i := range handles {
			handles[i] = fmt.Sprintf("c-%03d", i)
			container(handles[i])
		}
		parallel := func(f func(h string) error) {
			var wg sync.WaitGroup
			errs := make(chan error, n)
			sem := make(chan struct{}, 64)
			for _, h := range handles {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sem <- struct{}{}
					defer func() { <-sem }()
					if err := f(h); err != nil {
						errs <- fmt.Errorf("%s: %w", h, err)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				Expect(err).NotTo(HaveOccurred())
			}
		}
		parallel(func(h string) error { return networker.Network(log, spec(h), 0) })

		seen := map[uint32]string{}
		ips := map[string]string{}
		for _, h := range handles {
			for _, m := range mappedPorts(h) {
				Expect(seen).NotTo(HaveKey(m.HostPort), "host port %d given to %s and %s", m.HostPort, seen[m.HostPort], h)
				seen[m.HostPort] = h
			}
			ip, _ := store.Get(h, gardener.ContainerIPKey)
			Expect(ips).NotTo(HaveKey(ip))
			ips[ip] = h
		}
		Expect(seen).To(HaveLen(2 * n))
		Expect(endpoints()).To(HaveLen(n))

		parallel(func(h string) error { return networker.Destroy(log, h) })
		Expect(endpoints()).To(BeEmpty())
		Expect(reservations()).To(BeEmpty())
	})
})
