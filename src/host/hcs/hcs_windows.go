//go:build windows

// Package hcs is the Host Compute Service adapter: host.ComputeHost over
// hcsshim. It only passes on what winc's core computed; every decision is
// made in package container, where it is tested on Linux. The Windows
// integration suite (build tag windows) exercises this file.
package hcs

import (
	"io"
	"path/filepath"
	"time"

	"github.com/Microsoft/hcsshim"

	"github.com/garden-windows/garden-windows-release/host"
)

// Owner marks the compute systems winc creates, so that clean-up tools can
// tell them from other software's.
const Owner = "garden-windows-winc"

// Compute talks to HCS through hcsshim.
type Compute struct{}

var _ host.ComputeHost = Compute{}

// CreateContainer creates the compute system; it is not started.
func (Compute) CreateContainer(s host.ContainerSpec) error {
	layers := make([]hcsshim.Layer, 0, len(s.ParentLayers))
	for _, p := range s.ParentLayers {
		// HCS names a layer by the GUID derived from its folder name.
		g, err := hcsshim.NameToGuid(filepath.Base(p))
		if err != nil {
			return err
		}
		layers = append(layers, hcsshim.Layer{ID: g.ToString(), Path: p})
	}
	mapped := make([]hcsshim.MappedDir, 0, len(s.MappedDirectories))
	for _, m := range s.MappedDirectories {
		mapped = append(mapped, hcsshim.MappedDir{HostPath: m.HostPath, ContainerPath: m.ContainerPath, ReadOnly: m.ReadOnly})
	}
	c, err := hcsshim.CreateContainer(s.ID, &hcsshim.ContainerConfig{
		SystemType:                 "Container",
		Name:                       s.ID,
		Owner:                      Owner,
		VolumePath:                 s.VolumePath,
		LayerFolderPath:            s.ScratchLayer,
		Layers:                     layers,
		HostName:                   s.Hostname,
		MappedDirectories:          mapped,
		MemoryMaximumInMB:          s.MemoryMaximumMB,
		ProcessorWeight:            s.CPUWeight,
		ProcessorCount:             s.CPUCount,
		ProcessorMaximum:           s.CPUMaximum,
		StorageIOPSMaximum:         s.StorageIOPSMaximum,
		StorageBandwidthMaximum:    s.StorageBandwidthMaximum,
		NetworkSharedContainerName: s.NetworkSharedContainer,
		EndpointList:               s.EndpointIDs,
		Credentials:                s.Credentials,
	})
	if err != nil {
		return err
	}
	return c.Close()
}

// StartContainer starts a created compute system.
func (Compute) StartContainer(id string) error {
	c, err := hcsshim.OpenContainer(id)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Start()
}

// Running reports whether the compute system exists and runs.
func (Compute) Running(id string) (bool, error) {
	props, err := hcsshim.GetContainers(hcsshim.ComputeSystemQuery{IDs: []string{id}})
	if err != nil {
		return false, err
	}
	for _, p := range props {
		if p.ID == id {
			return !p.Stopped && p.State == "Running", nil
		}
	}
	return false, nil
}

// StartProcess starts a process in the container.
func (Compute) StartProcess(id string, s host.ProcessSpec) (host.Process, error) {
	c, err := hcsshim.OpenContainer(id)
	if err != nil {
		return nil, err
	}
	p, err := c.CreateProcess(&hcsshim.ProcessConfig{
		CommandLine:      s.CommandLine,
		WorkingDirectory: s.WorkingDirectory,
		Environment:      s.Environment,
		User:             s.User,
		CreateStdInPipe:  s.Stdio,
		CreateStdOutPipe: s.Stdio,
		CreateStdErrPipe: s.Stdio,
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	proc := &process{container: c, p: p}
	if s.Stdio {
		if proc.stdin, proc.stdout, proc.stderr, err = p.Stdio(); err != nil {
			proc.Close()
			return nil, err
		}
	}
	return proc, nil
}

// Shutdown asks the container to shut down and waits up to timeout.
func (Compute) Shutdown(id string, timeout time.Duration) (bool, error) {
	c, err := hcsshim.OpenContainer(id)
	if err != nil {
		return false, err
	}
	defer c.Close()
	if err := c.Shutdown(); err != nil && !hcsshim.IsPending(err) {
		return false, err
	}
	if err := c.WaitTimeout(timeout); err != nil {
		if hcsshim.IsTimeout(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// Terminate stops the container at once; closing the last handle then
// removes the compute system.
func (Compute) Terminate(id string) error {
	c, err := hcsshim.OpenContainer(id)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Terminate(); err != nil && !hcsshim.IsPending(err) && !hcsshim.IsAlreadyStopped(err) {
		return err
	}
	if err := c.WaitTimeout(time.Minute); err != nil && !hcsshim.IsAlreadyStopped(err) {
		return err
	}
	return nil
}

// Stats reads the container's statistics and process count.
func (Compute) Stats(id string) (host.Stats, error) {
	c, err := hcsshim.OpenContainer(id)
	if err != nil {
		return host.Stats{}, err
	}
	defer c.Close()
	s, err := c.Statistics()
	if err != nil {
		return host.Stats{}, err
	}
	procs, err := c.ProcessList()
	if err != nil {
		return host.Stats{}, err
	}
	return host.Stats{
		MemoryCommitBytes:            s.Memory.UsageCommitBytes,
		MemoryCommitPeakBytes:        s.Memory.UsageCommitPeakBytes,
		MemoryPrivateWorkingSetBytes: s.Memory.UsagePrivateWorkingSetBytes,
		CPUTotal100ns:                s.Processor.TotalRuntime100ns,
		CPUUser100ns:                 s.Processor.RuntimeUser100ns,
		CPUKernel100ns:               s.Processor.RuntimeKernel100ns,
		Processes:                    len(procs),
	}, nil
}

type process struct {
	container      hcsshim.Container
	p              hcsshim.Process
	stdin          io.WriteCloser
	stdout, stderr io.ReadCloser
}

func (p *process) Pid() int { return p.p.Pid() }

func (p *process) Stdio() (io.WriteCloser, io.ReadCloser, io.ReadCloser) {
	return p.stdin, p.stdout, p.stderr
}

func (p *process) CloseStdin() error {
	if p.stdin == nil {
		return nil
	}
	return p.p.CloseStdin()
}

func (p *process) Wait() (int, error) {
	if err := p.p.Wait(); err != nil {
		return 0, err
	}
	return p.p.ExitCode()
}

func (p *process) Kill() error { return p.p.Kill() }

func (p *process) Close() error {
	err := p.p.Close()
	if cerr := p.container.Close(); err == nil {
		err = cerr
	}
	return err
}
