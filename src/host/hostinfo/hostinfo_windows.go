//go:build windows

// Package hostinfo reports facts about the Windows host that the cores
// need as plain values.
package hostinfo

import (
	"fmt"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// OSVersion is the host's version as major.minor.build.revision (for
// example 10.0.17763.5576), the form image manifests give in os.version.
// The revision (update build revision) is only in the registry.
func OSVersion() (string, error) {
	v := windows.RtlGetVersion()
	ubr := uint64(0)
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, registry.QUERY_VALUE)
	if err == nil {
		ubr, _, _ = k.GetIntegerValue("UBR")
		k.Close()
	}
	return fmt.Sprintf("%d.%d.%d.%d", v.MajorVersion, v.MinorVersion, v.BuildNumber, ubr), nil
}
