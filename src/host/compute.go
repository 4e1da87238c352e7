// Package host holds the ports between the project's cores and a Windows
// host: the interfaces and plain data types the cores need, and nothing
// else. The adapters (host/hcs, ..., Windows only) and the simulation
// (host/sim, Linux builds and tests) implement them; the cores never know
// which one they talk to.
package host

//go:generate go tool counterfeiter -generate

import (
	"io"
	"time"
)

// ContainerSpec is everything the Host Compute Service needs to create a
// Windows Server Container. winc's core computes it from an OCI bundle.
type ContainerSpec struct {
	ID       string
	Hostname string
	// VolumePath is the container's mounted sandbox volume
	// (\\?\Volume{GUID}\), its C:\ inside.
	VolumePath string
	// ScratchLayer is the sandbox layer folder of this container.
	ScratchLayer string
	// ParentLayers are the read-only image layers, topmost first.
	ParentLayers      []string
	MappedDirectories []MappedDirectory
	// MemoryMaximumMB is 0 for no limit.
	MemoryMaximumMB int64
	// At most one of the three CPU controls is set (HCS refuses more).
	CPUWeight  uint64 // 1..10000
	CPUCount   uint32
	CPUMaximum int64 // 1..10000, percentage times 100
	// Storage limits of the container's sandbox, 0 for none.
	StorageIOPSMaximum      uint64
	StorageBandwidthMaximum uint64 // bytes per second
	// NetworkSharedContainer names the container whose network
	// compartment this one joins (sidecars).
	NetworkSharedContainer string
	EndpointIDs            []string
	// Credentials is the JSON credential spec (gMSA), passed through.
	Credentials string
}

// MappedDirectory is a host directory visible inside the container.
type MappedDirectory struct {
	HostPath      string
	ContainerPath string
	ReadOnly      bool
}

// ProcessSpec is a process to start in a running container.
type ProcessSpec struct {
	// CommandLine is one Windows command line (see internal/cmdline).
	CommandLine      string
	WorkingDirectory string
	Environment      map[string]string
	User             string
	// Stdio asks for pipes to the process's standard streams; a detached
	// process (a container's init) gets none.
	Stdio bool
}

// Stats are a container's resource figures as HCS reports them.
type Stats struct {
	MemoryCommitBytes            uint64
	MemoryCommitPeakBytes        uint64
	MemoryPrivateWorkingSetBytes uint64
	CPUTotal100ns                uint64
	CPUUser100ns                 uint64
	CPUKernel100ns               uint64
	Processes                    int
}

// ComputeHost is what winc needs from the Host Compute Service. Errors for
// a container that does not exist satisfy hresult.IsNotFound.
//
//counterfeiter:generate . ComputeHost
type ComputeHost interface {
	// CreateContainer creates the compute system; it is not started.
	CreateContainer(spec ContainerSpec) error
	StartContainer(id string) error
	// Running reports whether the compute system exists and runs.
	Running(id string) (bool, error)
	StartProcess(id string, spec ProcessSpec) (Process, error)
	// Shutdown asks the container to stop gracefully and waits up to
	// timeout for it to stop; stopped is false if it is still running.
	Shutdown(id string, timeout time.Duration) (stopped bool, err error)
	// Terminate stops the container at once and releases it: afterwards
	// the compute system no longer exists.
	Terminate(id string) error
	Stats(id string) (Stats, error)
}

// Process is a process started in a container. Closing it releases winc's
// handle; the process goes on running.
//
//counterfeiter:generate . Process
type Process interface {
	Pid() int
	// Stdio returns the pipes of a process started with Stdio.
	Stdio() (stdin io.WriteCloser, stdout, stderr io.ReadCloser)
	CloseStdin() error
	// Wait waits for the process to exit and returns its exit code.
	Wait() (int, error)
	Kill() error
	Close() error
}
