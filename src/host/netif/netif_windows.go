//go:build windows

// Package netif is the IP interface adapter: host.InterfaceHost over the IP
// Helper API. A container's virtual NIC lives in the container's network
// compartment, where the usual calls do not see it, so each call finds the
// interface across all compartments and switches its thread into that
// compartment for the get and set. What to set is decided in package
// network.
package netif

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/garden-windows/garden-windows-release/host"
)

var (
	iphlpapi                          = windows.NewLazySystemDLL("iphlpapi.dll")
	procSetIpInterfaceEntry           = iphlpapi.NewProc("SetIpInterfaceEntry")
	procGetCurrentThreadCompartmentId = iphlpapi.NewProc("GetCurrentThreadCompartmentId")
	procSetCurrentThreadCompartmentId = iphlpapi.NewProc("SetCurrentThreadCompartmentId")
)

// gaaFlagIncludeAllCompartments is GAA_FLAG_INCLUDE_ALL_COMPARTMENTS, which
// x/sys/windows does not define.
const gaaFlagIncludeAllCompartments = 0x200

// Interfaces talks to the IP Helper API.
type Interfaces struct{}

var _ host.InterfaceHost = Interfaces{}

// InterfaceMTU reads an interface's IPv4 MTU.
func (Interfaces) InterfaceMTU(alias string) (int, error) {
	var mtu int
	err := withRow(alias, func(row *windows.MibIpInterfaceRow) error {
		mtu = int(row.NlMtu)
		return nil
	})
	return mtu, err
}

// SetInterfaceMTU sets an interface's IPv4 MTU.
func (Interfaces) SetInterfaceMTU(alias string, mtu int) error {
	return withRow(alias, func(row *windows.MibIpInterfaceRow) error {
		row.NlMtu = uint32(mtu)
		// SetIpInterfaceEntry refuses an IPv4 row whose SitePrefixLength
		// is not 0, and GetIpInterfaceEntry may return it set.
		row.SitePrefixLength = 0
		if r, _, _ := procSetIpInterfaceEntry.Call(uintptr(unsafe.Pointer(row))); r != 0 {
			return os.NewSyscallError("SetIpInterfaceEntry", syscall.Errno(r))
		}
		return nil
	})
}

// withRow runs f on the IPv4 row of interface alias, with the calling
// thread in the interface's network compartment.
func withRow(alias string, f func(*windows.MibIpInterfaceRow) error) error {
	luid, compartment, err := find(alias)
	if err != nil {
		return err
	}
	// The compartment is a property of the OS thread: keep this goroutine
	// on it, and give the thread back only once it is in its own
	// compartment again. If that fails the thread stays locked and is
	// discarded with the goroutine.
	runtime.LockOSThread()
	previous, _, _ := procGetCurrentThreadCompartmentId.Call()
	if r, _, _ := procSetCurrentThreadCompartmentId.Call(uintptr(compartment)); r != 0 {
		runtime.UnlockOSThread()
		return os.NewSyscallError("SetCurrentThreadCompartmentId", syscall.Errno(r))
	}
	defer func() {
		if r, _, _ := procSetCurrentThreadCompartmentId.Call(previous); r == 0 {
			runtime.UnlockOSThread()
		}
	}()
	row := windows.MibIpInterfaceRow{Family: windows.AF_INET, InterfaceLuid: luid}
	if err := windows.GetIpInterfaceEntry(&row); err != nil {
		return os.NewSyscallError("GetIpInterfaceEntry", err)
	}
	return f(&row)
}

// find looks an interface up by alias in every network compartment.
func find(alias string) (luid uint64, compartment uint32, err error) {
	size := uint32(16 * 1024)
	for attempt := 0; attempt < 5; attempt++ {
		buf := make([]byte, size)
		first := (*windows.IpAdapterAddresses)(unsafe.Pointer(&buf[0]))
		err := windows.GetAdaptersAddresses(windows.AF_INET, gaaFlagIncludeAllCompartments, 0, first, &size)
		if err == windows.ERROR_BUFFER_OVERFLOW {
			continue // size now holds what is needed; adapters may come and go
		}
		if err == windows.ERROR_NO_DATA {
			break
		}
		if err != nil {
			return 0, 0, os.NewSyscallError("GetAdaptersAddresses", err)
		}
		for a := first; a != nil; a = a.Next {
			if windows.UTF16PtrToString(a.FriendlyName) == alias {
				return a.Luid, a.CompartmentId, nil
			}
		}
		break
	}
	// ERROR_NOT_FOUND, so that callers see hresult.IsNotFound and retry
	// while a freshly attached NIC appears.
	return 0, 0, fmt.Errorf("network interface %q not found in any network compartment: %w", alias, windows.ERROR_NOT_FOUND)
}
