//go:build !windows

package sim

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/internal/statefile"
	"github.com/garden-windows/garden-windows-release/stream"
)

// Layers simulates Windows layer import: a layer is its tar unpacked into
// its directory (with the Linux extractor's rules, which refuse any link
// target outside the layer, including the C:\ targets of Windows junctions
// that real imports keep). Like hcsshim, an import needs its parent layers
// to exist.
type Layers struct {
	Host Host
}

var _ host.LayerHost = Layers{}

// ImportLayer unpacks the layer tar r into dir.
func (l Layers) ImportLayer(dir string, parents []string, r io.Reader) error {
	after, err := l.Host.before("ImportLayer")
	if err != nil {
		return err
	}
	for _, p := range parents {
		if info, err := os.Stat(l.Host.Path(p)); err != nil || !info.IsDir() {
			return &Error{Op: "ImportLayer", Code: codePathNotFound, Text: "the system cannot find the parent layer " + p}
		}
	}
	if _, err := os.Lstat(l.Host.Path(dir)); err == nil {
		return &Error{Op: "ImportLayer", Code: codeAlreadyExists, Text: "the layer directory " + dir + " already exists"}
	}
	if err := stream.In(r, l.Host.Path(dir), stream.InOptions{}); err != nil {
		return &Error{Op: "ImportLayer", Code: codeInvalidData, Text: err.Error()}
	}
	afterOp(after)
	return nil
}

// DestroyLayer removes a layer directory.
func (l Layers) DestroyLayer(dir string) error {
	if _, err := l.Host.before("DestroyLayer"); err != nil {
		return err
	}
	return os.RemoveAll(l.Host.Path(dir))
}

// Volumes simulates sandboxes: a sandbox directory, and a volume
// directory standing for the mounted volume (\\?\Volume{sim-N}\), which is
// what a container wrote. Quotas are recorded, not enforced.
type Volumes struct {
	Host Host
	// CapacityBytes, when not 0, is what Capacity reports; otherwise it is
	// the size of the file system holding the simulation.
	CapacityBytes uint64
}

var _ host.VolumeHost = Volumes{}

// SimVolume is a simulated sandbox volume.
type SimVolume struct {
	Dir     string   `json:"dir"`
	Parents []string `json:"parents"`
	Quota   uint64   `json:"quota"`
}

type volumeDoc struct {
	Volumes map[string]*SimVolume `json:"volumes"` // by volume path
	NextID  int                   `json:"next_id"`
}

// The codes the simulated layer calls return.
const (
	codeAlreadyExists = 0x800700b7
	codeInvalidData   = 0x8007000d
)

func (v Volumes) file() string { return filepath.Join(v.Host.Root, "volumes.json") }

func (v Volumes) update(change func(*volumeDoc) error) error {
	return statefile.Update(v.file(), func(d *volumeDoc) error {
		if d.Volumes == nil {
			d.Volumes = map[string]*SimVolume{}
		}
		return change(d)
	})
}

// All returns the simulated volumes by volume path (tests).
func (v Volumes) All() (map[string]SimVolume, error) {
	d, err := statefile.Read[volumeDoc](v.file())
	out := map[string]SimVolume{}
	for p, vol := range d.Volumes {
		out[p] = *vol
	}
	return out, err
}

// CreateSandbox creates and "mounts" a sandbox.
func (v Volumes) CreateSandbox(dir string, parents []string) (string, error) {
	after, err := v.Host.before("CreateSandbox")
	if err != nil {
		return "", err
	}
	for _, p := range parents {
		if info, err := os.Stat(v.Host.Path(p)); err != nil || !info.IsDir() {
			return "", &Error{Op: "CreateSandbox", Code: codePathNotFound, Text: "the system cannot find the layer " + p}
		}
	}
	var volumePath string
	err = v.update(func(d *volumeDoc) error {
		if err := os.Mkdir(v.Host.Path(dir), 0o755); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return &Error{Op: "CreateSandbox", Code: codeAlreadyExists, Text: "the sandbox " + dir + " already exists"}
			}
			return err
		}
		d.NextID++
		volumePath = fmt.Sprintf(`\\?\Volume{sim-%04d}\`, d.NextID)
		if err := os.MkdirAll(v.Host.Path(volumePath), 0o755); err != nil {
			return err
		}
		d.Volumes[volumePath] = &SimVolume{Dir: dir, Parents: parents}
		return nil
	})
	if err != nil {
		return "", err
	}
	afterOp(after)
	return volumePath, nil
}

// SetQuota records a volume's quota.
func (v Volumes) SetQuota(volumePath string, bytes uint64) error {
	after, err := v.Host.before("SetQuota")
	if err != nil {
		return err
	}
	err = v.update(func(d *volumeDoc) error {
		vol, ok := d.Volumes[volumePath]
		if !ok {
			return &Error{Op: "SetQuota", Code: codePathNotFound, Text: "no volume " + volumePath}
		}
		vol.Quota = bytes
		return nil
	})
	if err == nil {
		afterOp(after)
	}
	return err
}

// SandboxUsage adds up the sizes of the files in the volume.
func (v Volumes) SandboxUsage(dir, volumePath string) (uint64, error) {
	if _, err := v.Host.before("SandboxUsage"); err != nil {
		return 0, err
	}
	var total uint64
	err := filepath.WalkDir(v.Host.Path(volumePath), func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			info, err := e.Info()
			if err != nil {
				return err
			}
			total += uint64(info.Size())
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return 0, &Error{Op: "SandboxUsage", Code: codePathNotFound, Text: "no volume " + volumePath}
	}
	return total, err
}

// DestroySandbox removes a sandbox and its volume; a missing one is fine.
func (v Volumes) DestroySandbox(dir string) error {
	after, err := v.Host.before("DestroySandbox")
	if err != nil {
		return err
	}
	err = v.update(func(d *volumeDoc) error {
		for p, vol := range d.Volumes {
			if vol.Dir == dir {
				if err := os.RemoveAll(v.Host.Path(p)); err != nil {
					return err
				}
				delete(d.Volumes, p)
			}
		}
		return os.RemoveAll(v.Host.Path(dir))
	})
	if err == nil {
		afterOp(after)
	}
	return err
}

// Capacity is the simulated disk's size.
func (v Volumes) Capacity(path string) (uint64, error) {
	if v.CapacityBytes != 0 {
		return v.CapacityBytes, nil
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(v.Host.Root, &st); err != nil {
		return 0, err
	}
	return st.Blocks * uint64(st.Bsize), nil
}

// OSVersion is the simulated host's Windows version: the contents of
// os-version under the root, or Windows Server 2019's.
func (h Host) OSVersion() (string, error) {
	data, err := os.ReadFile(filepath.Join(h.Root, "os-version"))
	if errors.Is(err, fs.ErrNotExist) {
		return "10.0.17763.1", nil
	}
	return string(data), err
}
