// Package volume gives each container its sandbox: a writable layer on top
// of its image's layers, mounted as the container's C:\, with a disk quota.
// A volume's metadata file is written before the sandbox is created and
// removed after it is destroyed, so whatever a crash leaves, Delete of the
// handle finds and removes it.
package volume

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"code.cloudfoundry.org/lager/v3"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/internal/atomicfile"
	"github.com/garden-windows/garden-windows-release/internal/handle"
	"github.com/garden-windows/garden-windows-release/internal/winpath"
)

// ErrExists is returned by Create for a handle that has a volume.
var ErrExists = errors.New("volume already exists")

// ErrNotFound is returned by Stats for a handle without a volume.
var ErrNotFound = errors.New("no volume")

// ErrQuotaTooSmall is returned when the disk limit cannot hold the image.
var ErrQuotaTooSmall = errors.New("disk limit smaller than the image")

// Manager keeps the volumes under one directory.
type Manager struct {
	// Dir is a Windows path (<driver store>\volumes).
	Dir string
	// Local maps a Windows path to where it is on this machine.
	Local func(string) string
	Host  host.VolumeHost
	// HostLock serializes, across processes, the layer calls that Windows
	// cannot run concurrently (preparing and unpreparing layers).
	HostLock func() (unlock func(), err error)
	Log      lager.Logger
}

// Spec is a volume to create.
type Spec struct {
	Handle string
	// Layers are the image's layer directories, topmost first.
	Layers []string
	// ImageSize is the bytes of the image's layers.
	ImageSize uint64
	// DiskLimit is the container's disk limit in bytes, 0 for none.
	DiskLimit uint64
	// ExcludeImage leaves the image out of the limit: all of it is for
	// what the container writes.
	ExcludeImage bool
}

// Volume is a created volume, as recorded in its metadata file.
type Volume struct {
	Handle string `json:"handle"`
	// Dir is the sandbox layer's directory.
	Dir string `json:"dir"`
	// VolumePath is the mounted sandbox, the container's C:\.
	VolumePath string   `json:"volume_path"`
	Layers     []string `json:"layers"`
	ImageSize  uint64   `json:"image_size"`
	// Quota is the hard limit set on the sandbox, 0 for none.
	Quota uint64 `json:"quota"`
	// Created is false while the sandbox is being made.
	Created bool `json:"created"`
}

// Quota is the hard limit to set on a sandbox for spec s: the disk limit,
// less the image unless it is excluded; 0 for no limit.
func Quota(s Spec) (uint64, error) {
	if s.DiskLimit == 0 || s.ExcludeImage {
		return s.DiskLimit, nil
	}
	if s.DiskLimit <= s.ImageSize {
		return 0, fmt.Errorf("%w: the disk limit of %d bytes does not leave room for the image's %d bytes: raise the container's disk limit above the image size, or exclude the image from the quota (--exclude-image-from-quota)",
			ErrQuotaTooSmall, s.DiskLimit, s.ImageSize)
	}
	return s.DiskLimit - s.ImageSize, nil
}

func (m Manager) sandboxDir(h string) string { return winpath.Join(m.Dir, h) }
func (m Manager) metaFile(h string) string   { return winpath.Join(m.Dir, h+".json") }

// lock holds the host-wide lock. Create and Delete hold it throughout:
// the layer calls they make need it anyway, and holding it also over the
// metadata makes a handle's create and delete exclusive without lock files
// per handle, which could not be removed safely.
func (m Manager) lock() (func(), error) {
	if err := os.MkdirAll(m.Local(m.Dir), 0o755); err != nil {
		return nil, fmt.Errorf("creating the volume store %s: %w", m.Dir, err)
	}
	return m.HostLock()
}

// Exists reports whether handle h has a volume (created or half-made).
func (m Manager) Exists(h string) (bool, error) {
	_, err := os.Stat(m.Local(m.metaFile(h)))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Create makes the volume of s.Handle. On failure nothing is left: no
// sandbox, no metadata.
func (m Manager) Create(s Spec) (_ Volume, err error) {
	if err := handle.Validate(s.Handle); err != nil {
		return Volume{}, err
	}
	quota, err := Quota(s)
	if err != nil {
		return Volume{}, err
	}
	unlock, err := m.lock()
	if err != nil {
		return Volume{}, err
	}
	defer unlock()
	if ok, err := m.Exists(s.Handle); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("%w: handle %s has a volume; delete it first (groot delete %s)", ErrExists, s.Handle, s.Handle)
		}
		return Volume{}, err
	}
	log := m.Log.Session("create-volume", lager.Data{"handle": s.Handle, "quota": quota})
	// Not the named result: returning Volume{} must not empty what the
	// undo below removes.
	v := Volume{Handle: s.Handle, Dir: m.sandboxDir(s.Handle), Layers: s.Layers, ImageSize: s.ImageSize, Quota: quota}
	// Recorded before the sandbox exists, so that a crash in between
	// leaves something for Delete to find.
	if err := m.save(v); err != nil {
		return Volume{}, err
	}
	defer func() {
		if err != nil {
			if derr := m.destroy(v); derr != nil {
				log.Error("undo", derr)
			}
		}
	}()
	volumePath, err := m.Host.CreateSandbox(v.Dir, s.Layers)
	if err != nil {
		return Volume{}, fmt.Errorf("creating the sandbox of %s: %w", s.Handle, err)
	}
	v.VolumePath = volumePath
	if quota > 0 {
		if err := m.Host.SetQuota(v.VolumePath, quota); err != nil {
			return Volume{}, fmt.Errorf("setting the disk quota of %s to %d bytes: %w", s.Handle, quota, err)
		}
	}
	v.Created = true
	if err := m.save(v); err != nil {
		return Volume{}, err
	}
	log.Info("created", lager.Data{"volume": v.VolumePath})
	return v, nil
}

func (m Manager) save(v Volume) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(m.Local(m.metaFile(v.Handle)), data, 0o644); err != nil {
		return fmt.Errorf("recording volume %s: %w", v.Handle, err)
	}
	return nil
}

func (m Manager) load(h string) (Volume, bool, error) {
	data, err := os.ReadFile(m.Local(m.metaFile(h)))
	if errors.Is(err, fs.ErrNotExist) {
		return Volume{}, false, nil
	}
	if err != nil {
		return Volume{}, false, err
	}
	var v Volume
	if err := json.Unmarshal(data, &v); err != nil {
		return Volume{}, false, fmt.Errorf("volume metadata %s is unreadable: %w", m.metaFile(h), err)
	}
	return v, true, nil
}

// Delete removes the volume of handle h and its metadata. A handle without
// a volume is fine: gdn deletes handles whose create failed.
func (m Manager) Delete(h string) error {
	if err := handle.Validate(h); err != nil {
		return err
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	v, ok, err := m.load(h)
	if err != nil {
		return err
	}
	if !ok {
		v = Volume{Handle: h, Dir: m.sandboxDir(h)}
	}
	if err := m.destroy(v); err != nil {
		return err
	}
	m.Log.Info("deleted-volume", lager.Data{"handle": h})
	return nil
}

// destroy removes a volume's sandbox, then its metadata; the caller holds
// the lock.
func (m Manager) destroy(v Volume) error {
	if err := m.Host.DestroySandbox(v.Dir); err != nil {
		return fmt.Errorf("destroying the sandbox of %s: %w", v.Handle, err)
	}
	if err := os.Remove(m.Local(m.metaFile(v.Handle))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the metadata of volume %s: %w", v.Handle, err)
	}
	return nil
}

// Handles lists the handles that have a volume, created or half-made.
func (m Manager) Handles() ([]string, error) {
	entries, err := os.ReadDir(m.Local(m.Dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if h, ok := strings.CutSuffix(e.Name(), ".json"); ok && !e.IsDir() && handle.Validate(h) == nil {
			out = append(out, h)
		}
	}
	return out, nil
}

// Usage is a volume's disk use in bytes: Exclusive is what the container
// wrote, Total adds its image.
type Usage struct {
	Total, Exclusive uint64
}

// Stats reports handle h's disk use.
func (m Manager) Stats(h string) (Usage, error) {
	if err := handle.Validate(h); err != nil {
		return Usage{}, err
	}
	v, ok, err := m.load(h)
	if err != nil {
		return Usage{}, err
	}
	if !ok || !v.Created {
		return Usage{}, fmt.Errorf("%w for handle %s", ErrNotFound, h)
	}
	used, err := m.Host.SandboxUsage(v.Dir, v.VolumePath)
	if err != nil {
		return Usage{}, fmt.Errorf("measuring the sandbox of %s: %w", h, err)
	}
	return Usage{Total: used + v.ImageSize, Exclusive: used}, nil
}
