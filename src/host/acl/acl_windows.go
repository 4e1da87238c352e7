//go:build windows

// Package acl grants a container's users access to files written into the
// container from the host (nstar's stream-in). Processes in a Windows
// Server Container run as container-local accounts (ContainerUser, or the
// user gdn names) that the host does not know, but every such account is a
// member of BUILTIN\Users, whose well-known SID is the same inside and
// outside the container.
package acl

import (
	"golang.org/x/sys/windows"
)

// GrantContainerUsers gives BUILTIN\Users read, write, execute and delete
// rights on path, inherited by everything below it. SetNamedSecurityInfo
// propagates the inheritable entry to what already exists there.
func GrantContainerUsers(path string) error {
	users, err := windows.CreateWellKnownSid(windows.WinBuiltinUsersSid)
	if err != nil {
		return err
	}
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return err
	}
	current, _, err := sd.DACL()
	if err != nil {
		return err
	}
	updated, err := windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{{
		AccessPermissions: windows.GENERIC_READ | windows.GENERIC_WRITE | windows.GENERIC_EXECUTE | windows.DELETE,
		AccessMode:        windows.GRANT_ACCESS,
		Inheritance:       windows.SUB_CONTAINERS_AND_OBJECTS_INHERIT,
		Trustee: windows.TRUSTEE{
			TrusteeForm:  windows.TRUSTEE_IS_SID,
			TrusteeType:  windows.TRUSTEE_IS_WELL_KNOWN_GROUP,
			TrusteeValue: windows.TrusteeValueFromSID(users),
		},
	}}, current)
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION, nil, nil, updated, nil)
}
