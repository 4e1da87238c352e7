package cellprep

import (
	"fmt"
	"strconv"
	"strings"
)

// WindowsRelease is a Windows Server release by build number, with the
// behaviours that differ between releases and that this release copes
// with.
type WindowsRelease struct {
	Build int
	Name  string
	// Supported: Windows Server Containers with process isolation work
	// as garden-windows needs.
	Supported bool
	// Notes are what differs on this release, for operators.
	Notes []string
}

// windowsReleases, oldest first.
var windowsReleases = []WindowsRelease{
	{Build: 14393, Name: "Windows Server 2016 (1607)", Supported: true, Notes: []string{
		"HNS cannot change endpoints concurrently: winc-network serializes them",
	}},
	{Build: 16299, Name: "Windows Server 1709", Supported: true, Notes: []string{
		"HNS cannot change endpoints concurrently: winc-network serializes them",
	}},
	{Build: 17134, Name: "Windows Server 1803", Supported: true, Notes: []string{
		"HNS cannot change endpoints concurrently: winc-network serializes them",
	}},
	{Build: 17763, Name: "Windows Server 2019 (1809)", Supported: true, Notes: []string{
		"the NAT network can disappear after a reboot: cell-prep watch recreates it",
	}},
	{Build: 20348, Name: "Windows Server 2022", Supported: true, Notes: []string{
		"the NAT network can disappear after a reboot: cell-prep watch recreates it",
	}},
	{Build: 26100, Name: "Windows Server 2025", Supported: true, Notes: []string{
		"any HNS ACL makes an endpoint deny by default and outbound defaults to allow: winc-network writes every rule explicitly",
		"setting FSRM quotas on container volumes has been seen to fail (0x80045313)",
	}},
}

// ReleaseOf names the Windows release of an OS version string
// (major.minor.build[.revision]); builds between known releases take the
// newest release at or below them.
func ReleaseOf(version string) (WindowsRelease, error) {
	parts := strings.Split(version, ".")
	if len(parts) < 3 {
		return WindowsRelease{}, fmt.Errorf("Windows version %q is not major.minor.build", version)
	}
	build, err := strconv.Atoi(parts[2])
	if err != nil || parts[0] != "10" || parts[1] != "0" {
		return WindowsRelease{}, fmt.Errorf("Windows version %q is not a Windows 10.0 build", version)
	}
	if build < windowsReleases[0].Build {
		return WindowsRelease{Build: build, Name: fmt.Sprintf("Windows build %d", build), Notes: []string{
			"older than Windows Server 2016: Windows Server Containers are not available",
		}}, nil
	}
	r := windowsReleases[0]
	for _, known := range windowsReleases {
		if build >= known.Build {
			r = known
		}
	}
	if build != r.Build {
		r.Name = fmt.Sprintf("%s or later (build %d)", r.Name, build)
		r.Build = build
	}
	return r, nil
}
