package host

import "io"

// LayerHost is what groot needs to write and remove read-only image
// layers. Layer directories are given as Windows paths.
//
//counterfeiter:generate . LayerHost
type LayerHost interface {
	// ImportLayer writes the layer whose uncompressed tar (Windows layer
	// format: Files/ and Hives/) is read from r into the new directory
	// dir; parents are the directories of the layers below it, topmost
	// first. A failed import may leave dir behind: the caller removes it
	// with DestroyLayer.
	ImportLayer(dir string, parents []string, r io.Reader) error
	// DestroyLayer removes a layer directory; a missing one is fine.
	DestroyLayer(dir string) error
}

// VolumeHost is what groot needs for containers' sandbox volumes.
//
//counterfeiter:generate . VolumeHost
type VolumeHost interface {
	// CreateSandbox creates the writable sandbox layer in the new
	// directory dir on top of parents (topmost first), mounts it and
	// returns its volume path (\\?\Volume{GUID}\), the container's C:\.
	CreateSandbox(dir string, parents []string) (volumePath string, err error)
	// SetQuota limits the bytes a container can write to its sandbox
	// volume (a hard quota); 0 means no limit.
	SetQuota(volumePath string, bytes uint64) error
	// SandboxUsage is the bytes the container wrote to its sandbox.
	SandboxUsage(dir, volumePath string) (uint64, error)
	// DestroySandbox unmounts and removes a sandbox; a missing one is
	// fine.
	DestroySandbox(dir string) error
	// Capacity is the total size in bytes of the disk volume holding
	// path.
	Capacity(path string) (uint64, error)
}
