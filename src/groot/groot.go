// Package groot is the core of groot, the image plugin of garden-windows:
// it turns gdn's image plugin requests (create, delete, stats, capacity)
// and the job's pull into resolved images (image/source), imported layers
// (image/layerstore) and per-container sandbox volumes with disk quotas
// (image/volume). It reaches Windows only through the host ports, so all
// of it runs and is tested on Linux.
package groot

import (
	"context"
	"fmt"

	"code.cloudfoundry.org/lager/v3"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/image"
	"github.com/garden-windows/garden-windows-release/image/layerstore"
	"github.com/garden-windows/garden-windows-release/image/ref"
	"github.com/garden-windows/garden-windows-release/image/source"
	"github.com/garden-windows/garden-windows-release/image/volume"
	"github.com/garden-windows/garden-windows-release/internal/filelock"
	"github.com/garden-windows/garden-windows-release/internal/handle"
	"github.com/garden-windows/garden-windows-release/internal/winpath"
)

// Groot serves one invocation.
type Groot struct {
	Config Config
	// Local maps a Windows path to where it is on this machine: the
	// identity on Windows, the simulation's mapping in Linux builds.
	Local   func(string) string
	Layers  host.LayerHost
	Volumes host.VolumeHost
	// OSVersion reports the host's Windows version, which picks an
	// image's entry from a manifest list.
	OSVersion func() (string, error)
	Log       lager.Logger
}

// Credentials for a registry; never logged.
type Credentials struct {
	Username, Password string
}

// CreateRequest is gdn's create.
type CreateRequest struct {
	URI         string
	Handle      string
	Credentials Credentials
	// DiskLimit in bytes, 0 for none.
	DiskLimit    uint64
	ExcludeImage bool
}

func (g Groot) layerStore() layerstore.Store {
	return layerstore.Store{Dir: winpath.Join(g.Config.DriverStore, "layers"), Local: g.Local, Host: g.Layers, Log: g.Log}
}

func (g Groot) volumes() volume.Manager {
	lockPath := g.Local(winpath.Join(g.Config.DriverStore, "volumes.lock"))
	return volume.Manager{
		Dir: winpath.Join(g.Config.DriverStore, "volumes"), Local: g.Local, Host: g.Volumes, Log: g.Log,
		HostLock: filelock.Holder(lockPath),
	}
}

// pull resolves uri and imports its layers.
func (g Groot) pull(ctx context.Context, uri string, creds Credentials) (image.Image, layerstore.Layers, error) {
	r, err := ref.Parse(uri)
	if err != nil {
		return image.Image{}, layerstore.Layers{}, err
	}
	osVersion, err := g.OSVersion()
	if err != nil {
		return image.Image{}, layerstore.Layers{}, fmt.Errorf("reading the host's Windows version: %w", err)
	}
	img, err := source.Resolve(ctx, r, source.Options{
		Username: creds.Username, Password: creds.Password,
		InsecureRegistries: g.Config.InsecureRegistries,
		HostOSVersion:      osVersion,
		LocalPath:          g.Local,
		Log:                g.Log,
	})
	if err != nil {
		return image.Image{}, layerstore.Layers{}, err
	}
	store := g.layerStore()
	if err := store.Cleanup(); err != nil {
		g.Log.Error("cleanup-half-imported-layers", err)
	}
	layers, err := store.Ensure(ctx, img)
	if err != nil {
		return image.Image{}, layerstore.Layers{}, err
	}
	return img, layers, nil
}

// Pull imports the image at uri, so that creates of it need no import.
func (g Groot) Pull(ctx context.Context, uri string, creds Credentials) error {
	img, layers, err := g.pull(ctx, uri, creds)
	if err != nil {
		return err
	}
	g.Log.Info("pulled", lager.Data{"image": img.Name, "layers": len(layers.Dirs), "size": layers.Size})
	return nil
}

// Create makes the container's sandbox on its image and returns the
// runtime spec fragment gdn merges into the container's bundle: the
// sandbox volume as root.path, the layers (topmost first, then the
// sandbox) as windows.layerFolders, and the image's environment.
func (g Groot) Create(ctx context.Context, req CreateRequest) (specs.Spec, error) {
	if err := handle.Validate(req.Handle); err != nil {
		return specs.Spec{}, err
	}
	vols := g.volumes()
	// Refused before the pull, which can take minutes.
	if ok, err := vols.Exists(req.Handle); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("%w: handle %s has a volume; delete it first (groot delete %s)", volume.ErrExists, req.Handle, req.Handle)
		}
		return specs.Spec{}, err
	}
	img, layers, err := g.pull(ctx, req.URI, req.Credentials)
	if err != nil {
		return specs.Spec{}, err
	}
	v, err := vols.Create(volume.Spec{
		Handle: req.Handle, Layers: layers.Dirs, ImageSize: layers.Size,
		DiskLimit: req.DiskLimit, ExcludeImage: req.ExcludeImage,
	})
	if err != nil {
		return specs.Spec{}, err
	}
	g.Log.Info("created", lager.Data{"handle": req.Handle, "image": img.Name, "volume": v.VolumePath, "quota": v.Quota})
	return specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: v.VolumePath},
		Process: &specs.Process{Env: img.Env},
		Windows: &specs.Windows{LayerFolders: append(append([]string{}, layers.Dirs...), v.Dir)},
	}, nil
}

// Delete removes handle's volume; a handle without one is fine.
func (g Groot) Delete(h string) error { return g.volumes().Delete(h) }

// Stats reports handle's disk use.
func (g Groot) Stats(h string) (volume.Usage, error) { return g.volumes().Stats(h) }

// Capacity is the size of the disk holding the driver store. It asks
// about the drive's root: the store itself need not exist yet (gdn asks
// before the first container), and Windows answers only for paths that do.
func (g Groot) Capacity() (uint64, error) {
	root := winpath.VolumeName(g.Config.DriverStore) + `\`
	c, err := g.Volumes.Capacity(root)
	if err != nil {
		return 0, fmt.Errorf("measuring the disk of %s (drive %s): %w", g.Config.DriverStore, root, err)
	}
	return c, nil
}
