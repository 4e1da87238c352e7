package jobtest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/jobtest"
	"github.com/garden-windows/garden-windows-release/network"
)

const (
	wincNetworkExe    = `C:\var\vcap\packages\winc-network\winc-network.exe`
	wincNetworkConfig = `C:\var\vcap\jobs\winc-network\config\winc-network.json`
)

var _ = Describe("job winc-network", func() {
	var (
		release string
		job     *jobtest.Job
	)

	BeforeEach(func() {
		var err error
		release, err = jobtest.ReleaseDir()
		Expect(err).NotTo(HaveOccurred())
		job, err = jobtest.Load(release, "winc-network")
		Expect(err).NotTo(HaveOccurred())
	})

	wincNetwork := func(props map[string]any) map[string]any { return map[string]any{"winc_network": props} }
	render := func(props map[string]any) (string, jobtest.Rendered, error) {
		out, err := job.Render(jobtest.Inputs{Properties: props})
		if err != nil {
			return "", nil, err
		}
		return out["config/winc-network.json"], out, nil
	}

	// loadLikeWincNetwork reads a rendered config file as winc-network does
	// (network.LoadConfig: defaults, then its own validation).
	loadLikeWincNetwork := func(config string) (network.Config, error) {
		path := filepath.Join(GinkgoT().TempDir(), "winc-network.json")
		Expect(os.WriteFile(path, []byte(config), 0o644)).To(Succeed())
		return network.LoadConfig(path)
	}

	It("installs winc-network.exe and renders its config file and pre-start", func() {
		Expect(job.Spec.Packages).To(ConsistOf("winc-network"))
		Expect(job.Spec.Templates).To(Equal(map[string]string{
			"config.json.erb": "config/winc-network.json",
			"pre-start.ps1":   "bin/pre-start.ps1",
		}))
		Expect(job.Spec.Provides).To(BeEmpty())
		Expect(job.Spec.Consumes).To(BeEmpty())
	})

	It("describes every property", func() {
		Expect(job.Spec.Properties).To(HaveLen(11))
		for name, prop := range job.Spec.Properties {
			Expect(name).To(HavePrefix("winc_network."))
			Expect(prop.Description).NotTo(BeEmpty(), "property %s has no description", name)
		}
	})

	It("runs no process: gdn runs winc-network", func() {
		_, out, err := render(nil)
		Expect(err).NotTo(HaveOccurred())
		monit, err := out.WindowsMonit()
		Expect(err).NotTo(HaveOccurred())
		Expect(monit.Processes).To(BeEmpty())
	})

	Context("with default properties", func() {
		It("renders winc-network's default configuration", func() {
			config, _, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(config).To(MatchJSON(`{
				"network_name": "winc-nat",
				"subnet_range": "172.30.0.0/22",
				"gateway_address": "",
				"dns_servers": [],
				"search_domains": [],
				"mtu": 0,
				"maximum_outgoing_bandwidth": 0,
				"allow_outbound_traffic_by_default": false,
				"wait_timeout_in_seconds": 2,
				"port_pool_start": 40000,
				"port_pool_size": 5000,
				"state_dir": "C:\\var\\vcap\\data\\winc-network"
			}`))
		})

		It("writes exactly the fields of winc-network's configuration, all of them", func() {
			config, _, err := render(nil)
			Expect(err).NotTo(HaveOccurred())

			dec := json.NewDecoder(strings.NewReader(config))
			dec.DisallowUnknownFields()
			var c network.Config
			Expect(dec.Decode(&c)).To(Succeed())
			Expect(dec.More()).To(BeFalse())

			var rendered map[string]any
			Expect(json.Unmarshal([]byte(config), &rendered)).To(Succeed())
			t := reflect.TypeFor[network.Config]()
			for i := range t.NumField() {
				key, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
				Expect(rendered).To(HaveKey(key), "field %s of network.Config", t.Field(i).Name)
			}
			Expect(rendered).To(HaveLen(t.NumField()))
		})

		// The template leaves the gateway (and so the DNS server) unset, for
		// winc-network to compute from the subnet, so there is one place that
		// knows the rule.
		It("leaves the gateway and DNS server to winc-network, which takes the subnet's first usable address", func() {
			config, _, err := render(nil)
			Expect(err).NotTo(HaveOccurred())
			c, err := loadLikeWincNetwork(config)
			Expect(err).NotTo(HaveOccurred())
			Expect(c.GatewayAddress).To(Equal("172.30.0.1"))
			Expect(c.DNSServers).To(Equal([]string{"172.30.0.1"}))
			Expect(c.StateDir).To(Equal(`C:\var\vcap\data\winc-network`))
		})
	})

	It("renders every property an operator sets", func() {
		config, _, err := render(wincNetwork(map[string]any{
			"network_name":                      "cf-containers",
			"subnet_range":                      "10.255.0.0/16",
			"gateway_address":                   "10.255.0.254",
			"dns_servers":                       []any{"10.0.0.2", "8.8.8.8"},
			"search_domains":                    []any{"service.cf.internal", "example.com"},
			"mtu":                               1400,
			"maximum_outgoing_bandwidth":        12500000,
			"allow_outbound_traffic_by_default": true,
			"wait_timeout_in_seconds":           10,
			"port_pool": map[string]any{
				"start": 61000,
				"size":  4535,
			},
		}))
		Expect(err).NotTo(HaveOccurred())
		Expect(config).To(MatchJSON(`{
			"network_name": "cf-containers",
			"subnet_range": "10.255.0.0/16",
			"gateway_address": "10.255.0.254",
			"dns_servers": ["10.0.0.2", "8.8.8.8"],
			"search_domains": ["service.cf.internal", "example.com"],
			"mtu": 1400,
			"maximum_outgoing_bandwidth": 12500000,
			"allow_outbound_traffic_by_default": true,
			"wait_timeout_in_seconds": 10,
			"port_pool_start": 61000,
			"port_pool_size": 4535,
			"state_dir": "C:\\var\\vcap\\data\\winc-network"
		}`))

		c, err := loadLikeWincNetwork(config)
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(network.Config{
			NetworkName:                   "cf-containers",
			SubnetRange:                   "10.255.0.0/16",
			GatewayAddress:                "10.255.0.254",
			DNSServers:                    []string{"10.0.0.2", "8.8.8.8"},
			SearchDomains:                 []string{"service.cf.internal", "example.com"},
			MTU:                           1400,
			MaximumOutgoingBandwidth:      12500000,
			AllowOutboundTrafficByDefault: true,
			WaitTimeoutInSeconds:          10,
			PortPoolStart:                 61000,
			PortPoolSize:                  4535,
			StateDir:                      `C:\var\vcap\data\winc-network`,
		}))
	})

	It("writes whole numbers given as strings (as variables may give them) as JSON numbers", func() {
		config, _, err := render(wincNetwork(map[string]any{
			"mtu":                        "1500",
			"maximum_outgoing_bandwidth": "18446744073709551615",
			"wait_timeout_in_seconds":    "5",
			"port_pool":                  map[string]any{"start": "50000", "size": "100"},
		}))
		Expect(err).NotTo(HaveOccurred())
		c, err := loadLikeWincNetwork(config)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.MTU).To(Equal(1500))
		Expect(c.MaximumOutgoingBandwidth).To(Equal(uint64(18446744073709551615)))
		Expect(c.WaitTimeoutInSeconds).To(Equal(5))
		Expect(c.PortPoolStart).To(Equal(50000))
		Expect(c.PortPoolSize).To(Equal(100))
	})

	DescribeTable("renders edge values that winc-network accepts",
		func(props map[string]any, check func(network.Config)) {
			config, _, err := render(wincNetwork(props))
			Expect(err).NotTo(HaveOccurred())
			c, err := loadLikeWincNetwork(config)
			Expect(err).NotTo(HaveOccurred())
			check(c)
		},
		Entry("a /30 subnet with its last usable address as gateway",
			map[string]any{"subnet_range": "192.168.7.4/30", "gateway_address": "192.168.7.6"},
			func(c network.Config) { Expect(c.GatewayAddress).To(Equal("192.168.7.6")) }),
		Entry("the smallest MTU", map[string]any{"mtu": 576},
			func(c network.Config) { Expect(c.MTU).To(Equal(576)) }),
		Entry("the largest MTU", map[string]any{"mtu": 9000},
			func(c network.Config) { Expect(c.MTU).To(Equal(9000)) }),
		Entry("a port pool ending at 65535", map[string]any{"port_pool": map[string]any{"start": 1024, "size": 64512}},
			func(c network.Config) { Expect(c.PortPoolStart + c.PortPoolSize - 1).To(Equal(65535)) }),
		Entry("a one-port pool", map[string]any{"port_pool": map[string]any{"start": 65535, "size": 1}},
			func(c network.Config) { Expect(c.PortPoolSize).To(Equal(1)) }),
		// winc-network reads 0 as "unset", so the timeout becomes its default.
		Entry("a wait timeout of 0", map[string]any{"wait_timeout_in_seconds": 0},
			func(c network.Config) { Expect(c.WaitTimeoutInSeconds).To(Equal(network.DefaultWaitTimeout)) }),
	)

	It("creates the host's NAT network in pre-start, and fails with winc-network", func() {
		_, out, err := render(nil)
		Expect(err).NotTo(HaveOccurred())

		// The path winc-network is given is where BOSH puts the rendered file.
		dst := job.Spec.Templates["config.json.erb"]
		Expect(`C:\var\vcap\jobs\winc-network\` + strings.ReplaceAll(dst, "/", `\`)).To(Equal(wincNetworkConfig))

		var code []string
		for _, l := range strings.Split(out["bin/pre-start.ps1"], "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
				code = append(code, t)
			}
		}
		// Stop: a missing executable fails the deploy rather than leaving
		// $LASTEXITCODE empty (exit 0). winc-network creates its state
		// directory itself.
		Expect(code).To(Equal([]string{
			`$ErrorActionPreference = "Stop"`,
			"& " + wincNetworkExe + " --action create --configFile " + wincNetworkConfig + "; exit $LASTEXITCODE",
		}))
	})

	DescribeTable("refuses invalid properties at render time, naming the property",
		func(props map[string]any, message string) {
			_, _, err := render(wincNetwork(props))
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("an empty network name", map[string]any{"network_name": " "},
			`job property winc_network.network_name is " ": expected the name of the NAT network`),
		Entry("a subnet that is not a CIDR", map[string]any{"subnet_range": "172.30.0.0"},
			`job property winc_network.subnet_range is "172.30.0.0": expected an IPv4 CIDR such as 172.30.0.0/22`),
		Entry("a subnet with a bad octet", map[string]any{"subnet_range": "172.300.0.0/22"},
			`job property winc_network.subnet_range is "172.300.0.0/22": expected an IPv4 CIDR`),
		Entry("an IPv6 subnet", map[string]any{"subnet_range": "fd00::/64"},
			`job property winc_network.subnet_range is "fd00::/64": expected an IPv4 CIDR`),
		Entry("a subnet with host bits set", map[string]any{"subnet_range": "172.30.1.0/22"},
			`job property winc_network.subnet_range is "172.30.1.0/22": host bits are set: expected the subnet's network address, 172.30.0.0/22`),
		Entry("a /31 subnet", map[string]any{"subnet_range": "172.30.0.0/31"},
			`job property winc_network.subnet_range is "172.30.0.0/31": leaves no usable address for containers: expected a /30 or larger subnet`),
		Entry("a gateway outside the subnet", map[string]any{"gateway_address": "172.30.4.1"},
			`job property winc_network.gateway_address is "172.30.4.1": expected a usable IPv4 address of subnet 172.30.0.0/22`),
		Entry("the network address as gateway", map[string]any{"gateway_address": "172.30.0.0"},
			`job property winc_network.gateway_address is "172.30.0.0": expected a usable IPv4 address of subnet 172.30.0.0/22`),
		Entry("the broadcast address as gateway", map[string]any{"gateway_address": "172.30.3.255"},
			`job property winc_network.gateway_address is "172.30.3.255": expected a usable IPv4 address`),
		Entry("a gateway that is not an IP", map[string]any{"gateway_address": "gateway"},
			`job property winc_network.gateway_address is "gateway": expected a usable IPv4 address`),
		Entry("a DNS server that is not an IPv4 address", map[string]any{"dns_servers": []any{"8.8.8.8", "dns.example.com"}},
			`job property winc_network.dns_servers is ["8.8.8.8", "dns.example.com"]: expected a list of IPv4 addresses`),
		Entry("DNS servers that are not a list", map[string]any{"dns_servers": "8.8.8.8"},
			`job property winc_network.dns_servers is "8.8.8.8": expected a list of IPv4 addresses`),
		Entry("negative bandwidth", map[string]any{"maximum_outgoing_bandwidth": -1},
			`job property winc_network.maximum_outgoing_bandwidth is -1: expected a whole number of bytes per second, not negative`),
		Entry("fractional bandwidth", map[string]any{"maximum_outgoing_bandwidth": 1.5},
			`job property winc_network.maximum_outgoing_bandwidth is 1.5: expected a whole number`),
		Entry("bandwidth with a unit", map[string]any{"maximum_outgoing_bandwidth": "10MB"},
			`job property winc_network.maximum_outgoing_bandwidth is "10MB": expected a whole number`),
		Entry("an MTU of 100", map[string]any{"mtu": 100},
			`job property winc_network.mtu is 100: expected 0 (keep the network's MTU) or a whole number from 576 to 9000`),
		Entry("an MTU over 9000", map[string]any{"mtu": 9001},
			`job property winc_network.mtu is 9001`),
		Entry("a port pool past 65535", map[string]any{"port_pool": map[string]any{"start": 65000, "size": 1000}},
			`job property winc_network.port_pool.size is 1000: ports 65000 (winc_network.port_pool.start) to 65999 do not fit below 65535: expected at most 536`),
		Entry("a port pool starting below 1024", map[string]any{"port_pool": map[string]any{"start": 80}},
			`job property winc_network.port_pool.start is 80: expected a port from 1024 to 65535`),
		Entry("an empty port pool", map[string]any{"port_pool": map[string]any{"size": 0}},
			`job property winc_network.port_pool.size is 0: expected a whole number of ports, at least 1`),
		Entry("a negative wait timeout", map[string]any{"wait_timeout_in_seconds": -1},
			`job property winc_network.wait_timeout_in_seconds is -1: expected a whole number of seconds, not negative`),
		Entry("a search domain with a space", map[string]any{"search_domains": []any{"example.com", "bad domain"}},
			`job property winc_network.search_domains is ["example.com", "bad domain"]: expected a list of domain names`),
		Entry("an empty search domain", map[string]any{"search_domains": []any{""}},
			`job property winc_network.search_domains is [""]: expected a list of domain names`),
		Entry("a flag that is not a boolean", map[string]any{"allow_outbound_traffic_by_default": "yes"},
			`job property winc_network.allow_outbound_traffic_by_default is "yes": expected true or false`),
	)

	Describe("with garden-windows", func() {
		var garden *jobtest.Job

		BeforeEach(func() {
			var err error
			garden, err = jobtest.Load(release, "garden-windows")
			Expect(err).NotTo(HaveOccurred())
		})

		It("is the network plugin garden-windows runs by default, given this job's config file", func() {
			Expect(garden.Spec.Properties["garden.network_plugin"].Default).To(Equal(wincNetworkExe))
			Expect(garden.Spec.Properties["garden.network_plugin_extra_args"].Default).To(Equal([]any{"--configFile", wincNetworkConfig}))

			out, err := garden.Render(jobtest.Inputs{})
			Expect(err).NotTo(HaveOccurred())
			monit, err := out.WindowsMonit()
			Expect(err).NotTo(HaveOccurred())
			gdn, err := parseLikeGdn(monit.Processes[0], out, defaultFiles...)
			Expect(err).NotTo(HaveOccurred())
			Expect(filepath.Base(gdn.Network.Plugin.Path())).To(Equal(wincNetworkExe))
			Expect(gdn.Network.PluginExtraArgs).To(Equal([]string{"--configFile", wincNetworkConfig}))
		})

		It("gets winc-network.exe from this job's package", func() {
			expectExeInPackage(release, job.Spec.Packages[0], wincNetworkExe, "github.com/garden-windows/garden-windows-release/cmd/winc-network")
		})
	})
})
