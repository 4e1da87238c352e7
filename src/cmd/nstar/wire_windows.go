package main

import (
	"os"

	"github.com/garden-windows/garden-windows-release/container"
	"github.com/garden-windows/garden-windows-release/host/acl"
	"github.com/garden-windows/garden-windows-release/nstarcli"
)

// volumeRoots finds a container's sandbox volume, mounted on the host, from
// winc's state and the container's bundle.
type volumeRoots struct{ store container.Store }

func (v volumeRoots) ContainerRoot(pid int) (string, error) {
	st, err := v.store.FindByPid(pid)
	if err != nil {
		return "", err
	}
	spec, err := container.LoadBundle(st.Bundle)
	if err != nil {
		return "", err
	}
	return spec.Root.Path, nil
}

func wire() (nstarcli.Env, error) {
	return nstarcli.Env{
		Roots:  volumeRoots{store: container.Store{Root: container.DefaultRoot}},
		Grant:  acl.GrantContainerUsers,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}, nil
}
