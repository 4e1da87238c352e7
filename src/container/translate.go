// Package container is the core of winc: it turns an OCI bundle into a
// Windows Server Container, runs processes in it, and keeps each
// container's state under winc's root directory. It decides everything and
// reaches the Host Compute Service only through host.ComputeHost, so all of
// it runs and is tested on Linux.
package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/internal/cmdline"
	"github.com/garden-windows/garden-windows-release/internal/handle"
	"github.com/garden-windows/garden-windows-release/internal/winpath"
)

// ErrInvalidBundle classes every error about a bundle or process spec that
// winc refuses: the caller must fix its input, retrying cannot help.
var ErrInvalidBundle = errors.New("invalid bundle")

// DefaultUser runs processes whose spec names no user. Windows container
// images ship this unprivileged account; ContainerAdministrator is only
// ever used when a spec asks for it by name.
const DefaultUser = "ContainerUser"

// maxCPUWeight is HCS's upper bound for CPU weight. Garden passes shares up
// to 65535, so larger values are capped rather than refused: every Garden
// value keeps its order relative to the others up to the cap.
const maxCPUWeight = 10000

const mib = 1 << 20

// StatFunc reports on a host path (os.Stat in production). Mount sources are
// checked through it so that a missing directory fails before HCS is asked.
type StatFunc func(path string) (fs.FileInfo, error)

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidBundle, field, fmt.Sprintf(format, args...))
}

// TranslateContainer computes the HCS container for bundle spec s and
// container id, or says which field cannot be honoured. Fields only Linux
// runtimes use (s.Linux, which gdn writes into every bundle) are ignored;
// Windows fields winc cannot honour are refused rather than dropped, so no
// isolation an operator asked for is silently missing.
func TranslateContainer(id string, s *specs.Spec, stat StatFunc) (host.ContainerSpec, error) {
	if err := ValidateID(id); err != nil {
		return host.ContainerSpec{}, err
	}
	if s.Root == nil || s.Root.Path == "" {
		return host.ContainerSpec{}, invalid("root.path", "is empty: it must be the container's sandbox volume, as the image plugin returns it")
	}
	if s.Root.Readonly {
		return host.ContainerSpec{}, invalid("root.readonly", "is true: a Windows Server Container's C: cannot be read-only")
	}
	w := s.Windows
	if w == nil {
		return host.ContainerSpec{}, invalid("windows", "is missing: winc runs Windows containers, whose bundles carry windows.layerFolders from the image plugin")
	}
	if len(w.LayerFolders) < 2 {
		return host.ContainerSpec{}, invalid("windows.layerFolders", "has %d entries: it needs the image layers, topmost first, then the container's scratch layer", len(w.LayerFolders))
	}
	for i, l := range w.LayerFolders {
		if strings.TrimSpace(l) == "" {
			return host.ContainerSpec{}, invalid(fmt.Sprintf("windows.layerFolders[%d]", i), "is empty")
		}
	}
	if w.HyperV != nil {
		return host.ContainerSpec{}, invalid("windows.hyperv", "is set: winc runs process-isolated Windows Server Containers only")
	}
	if len(w.Devices) > 0 {
		return host.ContainerSpec{}, invalid("windows.devices", "is set: assigning host devices to containers is not supported")
	}
	if s.Hooks != nil && (len(s.Hooks.Prestart)+len(s.Hooks.CreateRuntime)+len(s.Hooks.CreateContainer)+
		len(s.Hooks.StartContainer)+len(s.Hooks.Poststart)+len(s.Hooks.Poststop)) > 0 {
		return host.ContainerSpec{}, invalid("hooks", "are set: winc runs no OCI hooks")
	}

	c := host.ContainerSpec{
		ID:           id,
		Hostname:     s.Hostname,
		VolumePath:   s.Root.Path,
		ScratchLayer: w.LayerFolders[len(w.LayerFolders)-1],
		ParentLayers: append([]string(nil), w.LayerFolders[:len(w.LayerFolders)-1]...),
	}
	if err := translateResources(w.Resources, &c); err != nil {
		return host.ContainerSpec{}, err
	}
	if err := translateNetwork(w.Network, &c); err != nil {
		return host.ContainerSpec{}, err
	}
	if w.CredentialSpec != nil {
		creds, err := credentials(w.CredentialSpec)
		if err != nil {
			return host.ContainerSpec{}, err
		}
		c.Credentials = creds
	}
	for i, m := range s.Mounts {
		d, err := translateMount(i, m, stat)
		if err != nil {
			return host.ContainerSpec{}, err
		}
		c.MappedDirectories = append(c.MappedDirectories, d)
	}
	return c, nil
}

func translateResources(r *specs.WindowsResources, c *host.ContainerSpec) error {
	if r == nil {
		return nil
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil && *m.Limit > 0 {
			// Round up: a limit below what was asked would kill apps that
			// stay within their quota.
			c.MemoryMaximumMB = int64((*m.Limit + mib - 1) / mib)
		}
	}
	if cpu := r.CPU; cpu != nil {
		set := []string{}
		if cpu.Count != nil && *cpu.Count > 0 {
			set = append(set, "count")
			c.CPUCount = uint32(min(*cpu.Count, 1<<31))
		}
		if cpu.Shares != nil && *cpu.Shares > 0 {
			set = append(set, "shares")
			c.CPUWeight = uint64(min(*cpu.Shares, maxCPUWeight))
		}
		if cpu.Maximum != nil && *cpu.Maximum > 0 {
			if *cpu.Maximum > 10000 {
				return invalid("windows.resources.cpu.maximum", "is %d: it is a percentage times 100, at most 10000", *cpu.Maximum)
			}
			set = append(set, "maximum")
			c.CPUMaximum = int64(*cpu.Maximum)
		}
		if len(set) > 1 {
			return invalid("windows.resources.cpu", "sets %s: Windows accepts only one of count, shares and maximum", strings.Join(set, " and "))
		}
	}
	if st := r.Storage; st != nil {
		if st.SandboxSize != nil && *st.SandboxSize > 0 {
			return invalid("windows.resources.storage.sandboxSize", "is set: the sandbox size and disk quota come from the image plugin (groot --disk-limit-size-bytes)")
		}
		if st.Iops != nil {
			c.StorageIOPSMaximum = *st.Iops
		}
		if st.Bps != nil {
			c.StorageBandwidthMaximum = *st.Bps
		}
	}
	return nil
}

func translateNetwork(n *specs.WindowsNetwork, c *host.ContainerSpec) error {
	if n == nil {
		return nil
	}
	if n.NetworkNamespace != "" {
		return invalid("windows.network.networkNamespace", "is set: Windows Server Containers share networks with networkSharedContainerName")
	}
	if n.AllowUnqualifiedDNSQuery || len(n.DNSSearchList) > 0 {
		return invalid("windows.network", "sets DNS options: DNS servers and search domains are the network plugin's (winc-network) job")
	}
	c.EndpointIDs = append([]string(nil), n.EndpointList...)
	c.NetworkSharedContainer = n.NetworkSharedContainerName
	if c.NetworkSharedContainer != "" {
		if err := ValidateID(c.NetworkSharedContainer); err != nil {
			return invalid("windows.network.networkSharedContainerName", "%v", err)
		}
	}
	return nil
}

func credentials(spec any) (string, error) {
	if s, ok := spec.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return "", invalid("windows.credentialSpec", "cannot be encoded as JSON: %v", err)
	}
	return string(b), nil
}

func translateMount(i int, m specs.Mount, stat StatFunc) (host.MappedDirectory, error) {
	field := fmt.Sprintf("mounts[%d]", i)
	switch m.Type {
	case "", "bind":
	default:
		return host.MappedDirectory{}, invalid(field+".type", "is %q: Windows Server Containers support only bind mounts of host directories", m.Type)
	}
	if err := winpath.ValidateContainerPath(m.Destination); err != nil {
		return host.MappedDirectory{}, invalid(field+".destination", "%v", err)
	}
	if m.Source == "" {
		return host.MappedDirectory{}, invalid(field+".source", "is empty (destination %s)", m.Destination)
	}
	info, err := stat(m.Source)
	if err != nil {
		return host.MappedDirectory{}, invalid(field+".source", "%s cannot be mapped: %v", m.Source, err)
	}
	if !info.IsDir() {
		return host.MappedDirectory{}, invalid(field+".source", "%s is a file: Windows can map only directories into a container", m.Source)
	}
	readOnly, ro, rw := true, false, false
	for _, o := range m.Options {
		switch o {
		case "ro":
			ro = true
		case "rw":
			rw, readOnly = true, false
		case "bind", "rbind":
		default:
			return host.MappedDirectory{}, invalid(field+".options", "has %q: only ro, rw and bind are supported", o)
		}
	}
	if ro && rw {
		return host.MappedDirectory{}, invalid(field+".options", "has both ro and rw")
	}
	return host.MappedDirectory{HostPath: m.Source, ContainerPath: m.Destination, ReadOnly: readOnly}, nil
}

// TranslateProcess computes the process to start from an OCI process spec.
// stdio asks for pipes to its standard streams. A process asking for a
// terminal gets pipes too: a Windows Server Container process has no
// pseudo-console through HCS v1, and refusing would break clients that ask
// for a TTY out of habit (cf ssh).
func TranslateProcess(p *specs.Process, stdio bool) (host.ProcessSpec, error) {
	if p == nil {
		return host.ProcessSpec{}, invalid("process", "is missing")
	}
	line := p.CommandLine
	if line == "" {
		if len(p.Args) == 0 {
			return host.ProcessSpec{}, invalid("process.args", "is empty: name the program to run")
		}
		var err error
		if line, err = cmdline.Join(p.Args); err != nil {
			return host.ProcessSpec{}, invalid("process.args", "%v", err)
		}
	}
	cwd := p.Cwd
	switch {
	case cwd == "":
		cwd = `C:\`
	case (cwd[0] == '/' || cwd[0] == '\\') && winpath.VolumeName(cwd) == "":
		// gdn sends "/" when a process names no directory (or one that is
		// not on the host), and Garden clients send rooted paths such as
		// /Users/vcap/app: both are on the container's C:.
		cwd = "C:" + cwd
	}
	if !winpath.IsAbs(cwd) {
		return host.ProcessSpec{}, invalid("process.cwd", "%q is not an absolute Windows path (like C:\\Users\\vcap)", p.Cwd)
	}
	env := map[string]string{}
	for i, kv := range p.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return host.ProcessSpec{}, invalid(fmt.Sprintf("process.env[%d]", i), "%q is not NAME=value", kv)
		}
		// Later entries win, as gdn appends the process's own
		// environment after the container's.
		env[k] = v
	}
	user := p.User.Username
	if user == "" {
		user = DefaultUser
	}
	return host.ProcessSpec{
		CommandLine:      line,
		WorkingDirectory: winpath.Clean(cwd),
		Environment:      env,
		User:             user,
		Stdio:            stdio,
	}, nil
}

// ValidateID checks a container id: HCS and winc's state directory use it
// as a name, so it must be a plain, non-empty file name.
func ValidateID(id string) error {
	if err := handle.Validate(id); err != nil {
		return invalid("container id", "%s", strings.TrimPrefix(err.Error(), handle.ErrInvalid.Error()+": "))
	}
	return nil
}
