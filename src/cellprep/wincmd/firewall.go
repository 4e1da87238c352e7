package wincmd

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/garden-windows/garden-windows-release/host"
)

// Firewall default actions netsh can report beyond host.FirewallBlock and
// host.FirewallAllow. ParseFirewallProfiles returns them as they are
// rather than rounding them to Block or Allow, so that a profile in one
// of these states never looks like the wanted Block or Allow and
// cell-prep sets it.
const (
	// FirewallBlockAlways is netsh's BlockInboundAlways: inbound traffic
	// is blocked even where a rule allows it.
	FirewallBlockAlways host.FirewallAction = "BlockAlways"
	// FirewallNotConfigured is netsh's NotConfigured (the policy comes
	// from nowhere in the store netsh reads).
	FirewallNotConfigured host.FirewallAction = "NotConfigured"
)

// firewallProfiles are the profiles netsh shows, in its order.
var firewallProfiles = []string{"Domain", "Private", "Public"}

// FirewallShowCommand shows the state and default policy of every
// firewall profile.
func FirewallShowCommand() Command {
	return Command{Name: "netsh.exe", Args: []string{"advfirewall", "show", "allprofiles"}}
}

// FirewallSetCommands turn the firewall on in every profile and set the
// default inbound and outbound actions, in that order.
func FirewallSetCommands(inbound, outbound host.FirewallAction) ([]Command, error) {
	var in, out string
	switch inbound {
	case host.FirewallBlock:
		in = "blockinbound"
	case host.FirewallAllow:
		in = "allowinbound"
	case FirewallBlockAlways:
		in = "blockinboundalways"
	default:
		return nil, fmt.Errorf("firewall inbound default %q is not one cell-prep can set; use %q or %q", inbound, host.FirewallBlock, host.FirewallAllow)
	}
	switch outbound {
	case host.FirewallBlock:
		out = "blockoutbound"
	case host.FirewallAllow:
		out = "allowoutbound"
	default:
		return nil, fmt.Errorf("firewall outbound default %q is not one cell-prep can set; use %q or %q", outbound, host.FirewallBlock, host.FirewallAllow)
	}
	return []Command{
		{Name: "netsh.exe", Args: []string{"advfirewall", "set", "allprofiles", "state", "on"}},
		{Name: "netsh.exe", Args: []string{"advfirewall", "set", "allprofiles", "firewallpolicy", in + "," + out}},
	}, nil
}

var (
	netshProfileHeader = regexp.MustCompile(`^(\S+) Profile Settings:\s*$`)
	netshState         = regexp.MustCompile(`^State\s+(\S.*?)\s*$`)
	netshPolicy        = regexp.MustCompile(`^Firewall Policy\s+(\S.*?)\s*$`)
)

var (
	netshInbound = map[string]host.FirewallAction{
		"blockinbound":       host.FirewallBlock,
		"allowinbound":       host.FirewallAllow,
		"blockinboundalways": FirewallBlockAlways,
		"notconfigured":      FirewallNotConfigured,
	}
	netshOutbound = map[string]host.FirewallAction{
		"blockoutbound": host.FirewallBlock,
		"allowoutbound": host.FirewallAllow,
		"notconfigured": FirewallNotConfigured,
	}
)

// ParseFirewallProfiles reads the output of FirewallShowCommand: for each
// of the Domain, Private and Public profiles its "State ON|OFF" and
// "Firewall Policy <inbound>,<outbound>" lines. All three profiles must
// be there, each once with both lines.
func ParseFirewallProfiles(o Output) ([]host.FirewallProfile, error) {
	if o.ExitCode != 0 {
		return nil, netshError(o)
	}
	type seen struct {
		p             host.FirewallProfile
		state, policy bool
		header        string
	}
	found := map[string]*seen{}
	var cur *seen
	for _, l := range lines(o.Stdout) {
		t := strings.TrimSpace(l)
		if m := netshProfileHeader.FindStringSubmatch(t); m != nil {
			name := canonicalProfile(m[1])
			if name == "" {
				return nil, fmt.Errorf("netsh showed an unknown firewall profile in %q; cell-prep knows %s", t, strings.Join(firewallProfiles, ", "))
			}
			if found[name] != nil {
				return nil, fmt.Errorf("netsh showed the %s profile twice (%q)", name, t)
			}
			cur = &seen{p: host.FirewallProfile{Name: name}, header: t}
			found[name] = cur
			continue
		}
		if cur == nil {
			continue
		}
		if m := netshState.FindStringSubmatch(t); m != nil {
			if cur.state {
				return nil, fmt.Errorf("netsh showed two State lines for the %s profile, the second %q", cur.p.Name, t)
			}
			switch strings.ToUpper(m[1]) {
			case "ON":
				cur.p.Enabled = true
			case "OFF":
				cur.p.Enabled = false
			default:
				return nil, fmt.Errorf("netsh showed an unknown state for the %s profile in %q; expected ON or OFF", cur.p.Name, t)
			}
			cur.state = true
			continue
		}
		if m := netshPolicy.FindStringSubmatch(t); m != nil {
			if cur.policy {
				return nil, fmt.Errorf("netsh showed two Firewall Policy lines for the %s profile, the second %q", cur.p.Name, t)
			}
			in, out, ok := strings.Cut(m[1], ",")
			inAction, inOK := netshInbound[strings.ToLower(strings.TrimSpace(in))]
			outAction, outOK := netshOutbound[strings.ToLower(strings.TrimSpace(out))]
			if !ok || !inOK || !outOK {
				return nil, fmt.Errorf("netsh showed an unknown firewall policy for the %s profile in %q; expected <BlockInbound|AllowInbound|BlockInboundAlways>,<BlockOutbound|AllowOutbound>", cur.p.Name, t)
			}
			cur.p.Inbound, cur.p.Outbound = inAction, outAction
			cur.policy = true
		}
	}
	profiles := make([]host.FirewallProfile, 0, len(firewallProfiles))
	for _, name := range firewallProfiles {
		s := found[name]
		switch {
		case s == nil:
			return nil, fmt.Errorf("netsh did not show the %s firewall profile (no %q line); its output begins: %s", name, name+" Profile Settings:", firstLines(o.Stdout, 3))
		case !s.state:
			return nil, fmt.Errorf("netsh showed no State line under %q", s.header)
		case !s.policy:
			return nil, fmt.Errorf("netsh showed no Firewall Policy line under %q", s.header)
		}
		profiles = append(profiles, s.p)
	}
	return profiles, nil
}

func canonicalProfile(name string) string {
	for _, p := range firewallProfiles {
		if strings.EqualFold(p, name) {
			return p
		}
	}
	return ""
}

// ParseFirewallSet reads the output of one of FirewallSetCommands: netsh
// prints "Ok." when it made the change.
func ParseFirewallSet(o Output) error {
	if o.ExitCode != 0 {
		return netshError(o)
	}
	for _, l := range lines(o.Stdout) {
		if strings.TrimSpace(l) == "Ok." {
			return nil
		}
	}
	return fmt.Errorf("netsh exited 0 but did not print \"Ok.\"; it printed: %s", firstLines(o.Stdout+"\n"+o.Stderr, 3))
}

// netshError quotes what netsh printed when it failed; it writes its
// complaints to stdout.
func netshError(o Output) error {
	return fmt.Errorf("netsh failed with %s: %s", o.exitText(), firstLines(o.Stdout+"\n"+o.Stderr, 3))
}
