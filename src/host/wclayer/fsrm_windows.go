//go:build windows

package wclayer

import (
	"fmt"
	"runtime"

	ole "github.com/go-ole/go-ole"
	"github.com/go-ole/go-ole/oleutil"
)

// fsrmQuotaEnforce is FsrmQuotaFlags_Enforce: a hard quota, writes past
// the limit fail.
const fsrmQuotaEnforce = 0x100

// fsrmAlreadyExists is FSRM_E_ALREADY_EXISTS.
const fsrmAlreadyExists = 0x8004530d

// setFSRMQuota creates (or updates) a hard quota of limit bytes on path
// through FSRM's COM automation interface. FSRM counts every byte written
// under the path whoever writes it, which per-user NTFS quotas do not for
// the virtual accounts containers run as; docs/operations.md has the full
// reasoning.
func setFSRMQuota(path string, limit uint64) (err error) {
	// COM state belongs to the OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := ole.CoInitializeEx(0, ole.COINIT_MULTITHREADED); err != nil {
		if oleErr, ok := err.(*ole.OleError); !ok || oleErr.Code() != 1 { // S_FALSE: already initialized
			return fmt.Errorf("initializing COM: %w", err)
		}
	}
	defer ole.CoUninitialize()

	unknown, err := oleutil.CreateObject("Fsrm.FsrmQuotaManager")
	if err != nil {
		return fmt.Errorf("connecting to File Server Resource Manager (is the FS-Resource-Manager feature installed and its service running?): %w", err)
	}
	defer unknown.Release()
	manager, err := unknown.QueryInterface(ole.IID_IDispatch)
	if err != nil {
		return err
	}
	defer manager.Release()

	result, err := oleutil.CallMethod(manager, "CreateQuota", path)
	if err != nil {
		if oleErr, ok := err.(*ole.OleError); ok && uint32(oleErr.Code()) == fsrmAlreadyExists {
			result, err = oleutil.CallMethod(manager, "GetQuota", path)
		}
		if err != nil {
			return fmt.Errorf("creating the FSRM quota on %s: %w", path, err)
		}
	}
	quota := result.ToIDispatch()
	defer quota.Release()
	if _, err := oleutil.PutProperty(quota, "QuotaLimit", limit); err != nil {
		return fmt.Errorf("setting the FSRM quota limit: %w", err)
	}
	if _, err := oleutil.PutProperty(quota, "QuotaFlags", int32(fsrmQuotaEnforce)); err != nil {
		return fmt.Errorf("making the FSRM quota hard: %w", err)
	}
	if _, err := oleutil.CallMethod(quota, "Commit"); err != nil {
		return fmt.Errorf("committing the FSRM quota on %s: %w", path, err)
	}
	return nil
}
