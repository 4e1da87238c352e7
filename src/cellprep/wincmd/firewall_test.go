package wincmd_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/cellprep/wincmd"
	"github.com/garden-windows/garden-windows-release/host"
)

var _ = Describe("the firewall", func() {
	It("shows all profiles with netsh", func() {
		Expect(wincmd.FirewallShowCommand().String()).To(Equal("netsh.exe advfirewall show allprofiles"))
	})

	DescribeTable("sets every profile on with the wanted defaults",
		func(in, out host.FirewallAction, policy string) {
			cmds, err := wincmd.FirewallSetCommands(in, out)
			Expect(err).NotTo(HaveOccurred())
			Expect(cmds).To(HaveLen(2))
			Expect(cmds[0].String()).To(Equal("netsh.exe advfirewall set allprofiles state on"))
			Expect(cmds[1]).To(Equal(wincmd.Command{Name: "netsh.exe", Args: []string{"advfirewall", "set", "allprofiles", "firewallpolicy", policy}}))
		},
		Entry(nil, host.FirewallBlock, host.FirewallAllow, "blockinbound,allowoutbound"),
		Entry(nil, host.FirewallAllow, host.FirewallBlock, "allowinbound,blockoutbound"),
		Entry(nil, host.FirewallBlock, host.FirewallBlock, "blockinbound,blockoutbound"),
		Entry(nil, wincmd.FirewallBlockAlways, host.FirewallAllow, "blockinboundalways,allowoutbound"),
	)

	It("refuses defaults netsh has no word for", func() {
		_, err := wincmd.FirewallSetCommands("Drop", host.FirewallAllow)
		Expect(err).To(MatchError(`firewall inbound default "Drop" is not one cell-prep can set; use "Block" or "Allow"`))
		_, err = wincmd.FirewallSetCommands(host.FirewallBlock, wincmd.FirewallBlockAlways)
		Expect(err).To(MatchError(ContainSubstring(`firewall outbound default "BlockAlways"`)))
	})

	Describe("ParseFirewallProfiles", func() {
		It("reads the three profiles from captured output", func() {
			want := []host.FirewallProfile{
				{Name: "Domain", Enabled: true, Inbound: host.FirewallBlock, Outbound: host.FirewallAllow},
				{Name: "Private", Enabled: true, Inbound: host.FirewallBlock, Outbound: host.FirewallAllow},
				{Name: "Public", Enabled: true, Inbound: host.FirewallBlock, Outbound: host.FirewallAllow},
			}
			Expect(wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: sample("netsh_show_allprofiles.txt")})).To(Equal(want))
			Expect(wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: crlf(sample("netsh_show_allprofiles.txt"))})).To(Equal(want))
		})

		It("reads profiles that differ, keeping BlockInboundAlways apart from Block", func() {
			Expect(wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: crlf(sample("netsh_show_allprofiles_mixed.txt"))})).To(Equal([]host.FirewallProfile{
				{Name: "Domain", Enabled: true, Inbound: host.FirewallAllow, Outbound: host.FirewallAllow},
				{Name: "Private", Enabled: false, Inbound: host.FirewallBlock, Outbound: host.FirewallAllow},
				{Name: "Public", Enabled: true, Inbound: wincmd.FirewallBlockAlways, Outbound: host.FirewallBlock},
			}))
		})

		It("refuses output missing a profile", func() {
			_, err := wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: sample("netsh_show_allprofiles_no_public.txt")})
			Expect(err).To(MatchError(ContainSubstring(`did not show the Public firewall profile (no "Public Profile Settings:" line)`)))
		})

		It("refuses a policy it does not know, quoting the line", func() {
			_, err := wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: crlf(sample("netsh_show_allprofiles_bad_policy.txt"))})
			Expect(err).To(MatchError(ContainSubstring(`unknown firewall policy for the Private profile in "Firewall Policy                       BlockInbound,AllowOutboundSometimes"`)))
		})

		It("refuses a state other than ON or OFF", func() {
			out := "Domain Profile Settings:\nState                                 NotConfigured\n"
			_, err := wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: out})
			Expect(err).To(MatchError(ContainSubstring(`unknown state for the Domain profile in "State                                 NotConfigured"; expected ON or OFF`)))
		})

		It("refuses a profile without its policy or state", func() {
			base := sample("netsh_show_allprofiles.txt")
			_, err := wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: "Domain Profile Settings:\nState ON\n" + base[len("\nDomain Profile Settings:\n"):]})
			Expect(err).To(MatchError(ContainSubstring(`two State lines for the Domain profile, the second "State                                 ON"`)))

			noState := strings.Replace(base, "State                                 ON\n", "", 2)
			_, err = wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: noState})
			Expect(err).To(MatchError(`netsh showed no State line under "Domain Profile Settings:"`))

			noPolicy := "Domain Profile Settings:\nState ON\nPrivate Profile Settings:\nState ON\nFirewall Policy BlockInbound,AllowOutbound\nPublic Profile Settings:\nState ON\nFirewall Policy BlockInbound,AllowOutbound\n"
			_, err = wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: noPolicy})
			Expect(err).To(MatchError(`netsh showed no Firewall Policy line under "Domain Profile Settings:"`))
		})

		It("refuses a profile shown twice or one it does not know", func() {
			twice := sample("netsh_show_allprofiles.txt") + "Domain Profile Settings:\nState ON\n"
			_, err := wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: twice})
			Expect(err).To(MatchError(ContainSubstring("showed the Domain profile twice")))

			_, err = wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: "Work Profile Settings:\nState ON\n"})
			Expect(err).To(MatchError(ContainSubstring(`unknown firewall profile in "Work Profile Settings:"`)))
		})

		It("quotes netsh when the firewall service is not running", func() {
			_, err := wincmd.ParseFirewallProfiles(wincmd.Output{Stdout: crlf(sample("netsh_service_stopped.txt")), ExitCode: 1})
			Expect(err).To(MatchError("netsh failed with exit code 1: An error occurred while attempting to contact the Windows Defender Firewall service. Make sure that the service is running and try your request again."))
		})
	})

	Describe("ParseFirewallSet", func() {
		It("accepts netsh's Ok.", func() {
			Expect(wincmd.ParseFirewallSet(wincmd.Output{Stdout: crlf(sample("netsh_set_ok.txt"))})).To(Succeed())
		})

		It("quotes netsh's refusal", func() {
			err := wincmd.ParseFirewallSet(wincmd.Output{Stdout: sample("netsh_set_not_elevated.txt"), ExitCode: 1})
			Expect(err).To(MatchError("netsh failed with exit code 1: The requested operation requires elevation (Run as administrator)."))
		})

		It("refuses exit code 0 without Ok.", func() {
			err := wincmd.ParseFirewallSet(wincmd.Output{Stdout: "The following command was not found: advfirewall set allprofiles state maybe.\r\n"})
			Expect(err).To(MatchError(ContainSubstring(`did not print "Ok."; it printed: The following command was not found`)))
		})
	})
})
