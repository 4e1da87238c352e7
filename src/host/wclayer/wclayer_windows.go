//go:build windows

// Package wclayer is the Windows layer adapter: host.LayerHost and
// host.VolumeHost over hcsshim's layer calls, with FSRM quotas on sandbox
// volumes. It passes on what groot's core decided; the decisions (which
// layers, which parents, which quota) and their tests are in package groot
// and image/*.
package wclayer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	winio "github.com/Microsoft/go-winio"
	"github.com/Microsoft/hcsshim"
	"github.com/Microsoft/hcsshim/pkg/ociwclayer"
	"golang.org/x/sys/windows"

	"github.com/garden-windows/garden-windows-release/host"
)

// Layers imports and removes read-only layers.
type Layers struct{}

var _ host.LayerHost = Layers{}

// driverInfo names a layer the way hcsshim's legacy calls do: a home
// directory and the layer's folder name in it.
func driverInfo(dir string) (hcsshim.DriverInfo, string) {
	return hcsshim.DriverInfo{HomeDir: filepath.Dir(dir), Flavour: 1}, filepath.Base(dir)
}

// ImportLayer writes the layer with hcsshim's OCI tar import, which also
// saves and restores the UtilityVM boot files the import itself changes
// (imports hung on hosts patched in 2024 without that). Parents are passed
// topmost first, the order of a layer chain.
func (Layers) ImportLayer(dir string, parents []string, r io.Reader) error {
	// The import writes files with backup semantics.
	if err := winio.EnableProcessPrivileges([]string{winio.SeBackupPrivilege, winio.SeRestorePrivilege}); err != nil {
		return fmt.Errorf("enabling the backup and restore privileges the import needs: %w", err)
	}
	if _, err := ociwclayer.ImportLayerFromTar(context.Background(), r, dir, parents); err != nil {
		return err
	}
	return nil
}

// DestroyLayer removes a layer folder.
func (Layers) DestroyLayer(dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	di, id := driverInfo(dir)
	return hcsshim.DestroyLayer(di, id)
}

// Volumes creates, mounts and removes sandboxes.
type Volumes struct{}

var _ host.VolumeHost = Volumes{}

// CreateSandbox creates the scratch layer, activates and prepares it on
// its parents, and returns the mounted volume's path. On failure it undoes
// what it did.
func (Volumes) CreateSandbox(dir string, parents []string) (volumePath string, err error) {
	if len(parents) == 0 {
		return "", errors.New("a sandbox needs at least the image's base layer")
	}
	di, id := driverInfo(dir)
	if err := hcsshim.CreateScratchLayer(di, id, parents[0], parents); err != nil {
		return "", fmt.Errorf("creating the scratch layer: %w", err)
	}
	defer func() {
		if err != nil {
			_ = hcsshim.DestroyLayer(di, id)
		}
	}()
	if err := hcsshim.ActivateLayer(di, id); err != nil {
		return "", fmt.Errorf("activating the scratch layer: %w", err)
	}
	defer func() {
		if err != nil {
			_ = hcsshim.DeactivateLayer(di, id)
		}
	}()
	if err := hcsshim.PrepareLayer(di, id, parents); err != nil {
		return "", fmt.Errorf("preparing the scratch layer: %w", err)
	}
	defer func() {
		if err != nil {
			_ = hcsshim.UnprepareLayer(di, id)
		}
	}()
	volumePath, err = hcsshim.GetLayerMountPath(di, id)
	if err != nil {
		return "", fmt.Errorf("reading the sandbox's volume path: %w", err)
	}
	if volumePath == "" {
		return "", errors.New("the sandbox was prepared but has no volume path")
	}
	return volumePath, nil
}

// DestroySandbox unmounts and removes a sandbox. Each step tolerates one
// an earlier, interrupted delete already did.
func (Volumes) DestroySandbox(dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	di, id := driverInfo(dir)
	var errs []error
	if err := hcsshim.UnprepareLayer(di, id); err != nil && !notFound(err) {
		errs = append(errs, fmt.Errorf("unpreparing: %w", err))
	}
	if err := hcsshim.DeactivateLayer(di, id); err != nil && !notFound(err) {
		errs = append(errs, fmt.Errorf("deactivating: %w", err))
	}
	if err := hcsshim.DestroyLayer(di, id); err != nil {
		errs = append(errs, fmt.Errorf("destroying: %w", err))
	}
	return errors.Join(errs...)
}

func notFound(err error) bool {
	return errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || errors.Is(err, windows.ERROR_PATH_NOT_FOUND) ||
		errors.Is(err, windows.ERROR_NOT_FOUND) || errors.Is(err, windows.ERROR_DEV_NOT_EXIST)
}

// SetQuota sets a hard FSRM quota on the volume's root.
func (Volumes) SetQuota(volumePath string, bytes uint64) error {
	return setFSRMQuota(volumePath, bytes)
}

// SandboxUsage is what the mounted sandbox volume has in use: its size
// less its free space. The image's files are not in it (they stay in the
// read-only layers until the container changes them).
func (Volumes) SandboxUsage(dir, volumePath string) (uint64, error) {
	total, free, err := diskSpace(volumePath)
	if err != nil {
		return 0, err
	}
	return total - free, nil
}

// Capacity is the total size of the volume holding path.
func (Volumes) Capacity(path string) (uint64, error) {
	total, _, err := diskSpace(path)
	return total, err
}

func diskSpace(path string) (total, free uint64, err error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return 0, 0, err
	}
	var avail uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, 0, fmt.Errorf("GetDiskFreeSpaceEx %s: %w", path, err)
	}
	return total, free, nil
}
