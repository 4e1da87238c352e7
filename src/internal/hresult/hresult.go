// Package hresult is the one way this release explains a Windows error code
// (an HRESULT, an NTSTATUS-style compute code or a Win32 error) to an
// operator: what the code means and what to do about it, on one line, next
// to the raw code and the original message so nothing is lost.
//
// It is plain Go for every GOOS because the runtime cores and the host
// simulation that use it are built and tested on Linux too.
package hresult

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
)

// Code is a 32-bit Windows error code as it appears in messages and event
// logs: an HRESULT (0x8xxxxxxx), a compute-service code (0xc037xxxx) or a
// plain Win32 error (for example 0x00000005).
type Code uint32

// String formats the code the way Windows tools and hcsshim print it, so an
// operator can paste it into a search: "0x" and eight lower-case hex digits.
func (c Code) String() string {
	return fmt.Sprintf("0x%08x", uint32(c))
}

// Meaning is what an operator needs to know about a code.
type Meaning struct {
	// Name is the constant's name in the Windows SDK headers, the string to
	// search for in Microsoft's documentation.
	Name string
	// Text says what went wrong, in the terms of a Garden cell.
	Text string
	// Action says what the operator should do about it.
	Action string
}

// Error is an error that carries a Windows error code. Its message is one
// line: "<op>: <meaning>; <action> (<name>, <code>): <underlying message>".
type Error struct {
	// Op is what was being done, e.g. `create container "abc"`.
	Op string
	// Code is the raw code, kept so it can always be searched for.
	Code Code
	// Err is the error the code came from.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if m, ok := Lookup(e.Code); ok {
		fmt.Fprintf(&b, "%s; %s (%s, %s)", m.Text, m.Action, m.Name, e.Code)
	} else {
		// An unknown code is still worth printing: it is the one thing the
		// operator can search for.
		fmt.Fprintf(&b, "unrecognised Windows error code; search for it in Microsoft's error code reference and check the Hyper-V-Compute and Host Network Service event logs (%s)", e.Code)
	}
	if e.Err != nil {
		if msg := oneLine(e.Err.Error()); msg != "" {
			b.WriteString(": ")
			b.WriteString(msg)
		}
	}
	return b.String()
}

// Unwrap returns the original error, so errors.Is and errors.As see through
// the explanation.
func (e *Error) Unwrap() error { return e.Err }

// oneLine keeps a log line a single line: hcsshim's messages can carry
// multi-line JSON or event text after the code.
var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace

// Explain adds op and, when err carries a Windows error code, what the code
// means and what to do about it. It returns nil for a nil err.
//
// With a code it returns an *Error; a code that is not in the table still
// gets an *Error so the raw code is shown. Without a code it returns
// fmt.Errorf("%s: %w", op, err), or err itself when op is empty. If err has
// already been explained, the explanation is not repeated. errors.Is and
// errors.As on the result see err in every case.
func Explain(op string, err error) error {
	if err == nil {
		return nil
	}
	var explained *Error
	code, hasCode := CodeOf(err)
	if !hasCode || errors.As(err, &explained) {
		if op == "" {
			return err
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	return &Error{Op: op, Code: code, Err: err}
}

// CodeOf returns the first Windows error code found in err's chain, in the
// depth-first order errors.As uses, through both Unwrap forms (As methods
// are not consulted: one walk has to try three kinds of link at once).
// Codes come from:
//   - an *Error,
//   - any error with a method HRESULT() uint32 (the host simulation's errors),
//   - a syscall.Errno, which is how hcsshim and golang.org/x/sys/windows
//     return both Win32 errors and HRESULTs.
//
// A zero code means success and is skipped. Off Windows a syscall.Errno is a
// POSIX errno, so there only values above 0xffff, which no errno reaches,
// count as codes; otherwise a broken pipe (EPIPE, 32) would be explained as
// a Windows sharing violation (0x20).
func CodeOf(err error) (Code, bool) {
	var found Code
	ok := walk(err, func(e error) bool {
		c, ok := codeAt(e)
		if ok {
			found = c
		}
		return ok
	})
	return found, ok
}

// hresulter is how the host simulation's errors, and any adapter error that
// knows its code, expose it.
type hresulter interface{ HRESULT() uint32 }

// codeAt looks at one link of a chain only.
func codeAt(err error) (Code, bool) {
	switch e := err.(type) {
	case *Error:
		if e == nil {
			return 0, false
		}
		return e.Code, e.Code != 0
	case hresulter:
		c := Code(e.HRESULT())
		return c, c != 0
	}
	return errnoCode(err)
}

// errnoCode reads a syscall.Errno by reflection rather than by naming the
// type: plan9 has no syscall.Errno and wasip1's is a uint32, and this file
// must build for every GOOS without build constraints.
func errnoCode(err error) (Code, bool) {
	t := reflect.TypeOf(err)
	if t.PkgPath() != "syscall" || t.Name() != "Errno" {
		return 0, false
	}
	var n uint64
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n = reflect.ValueOf(err).Uint()
	default:
		return 0, false
	}
	if runtime.GOOS != "windows" && n <= 0xffff {
		return 0, false
	}
	// HRESULTs are 32 bits wide; if one was sign-extended into a 64-bit
	// Errno, its low half is still the code.
	if n > math.MaxUint32 && n>>32 != math.MaxUint32 {
		return 0, false
	}
	c := Code(uint32(n))
	return c, c != 0
}

// walk calls visit on err and the errors it wraps, depth first, until visit
// returns true, and reports whether it did.
func walk(err error, visit func(error) bool) bool {
	for err != nil {
		if visit(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if walk(e, visit) {
					return true
				}
			}
			return false
		default:
			if err = causeField(err); err == nil {
				return false
			}
		}
	}
	return false
}

// causeField returns the error in an exported field named Err of an error
// that has no Unwrap method. hcsshim's internal HcsError (what every
// compute-system call returns, for example "hcsshim::NameToGuid failed in
// Win32: Module not found. (0x7e)") keeps its Win32 code there without
// exposing it any other way, and the package is internal, so naming the
// type is not possible.
func causeField(err error) error {
	v := reflect.ValueOf(err)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	f, ok := v.Type().FieldByName("Err")
	if !ok || !f.IsExported() || len(f.Index) != 1 {
		return nil
	}
	cause, _ := v.FieldByIndex(f.Index).Interface().(error)
	return cause
}

// Lookup returns what c means. A code in the table wins; otherwise an
// HRESULT that merely wraps a Win32 error (0x8007xxxx, which hcsshim and
// HNS both return) is looked up as that Win32 error.
func Lookup(c Code) (Meaning, bool) {
	if m, ok := table[c]; ok {
		return m, true
	}
	if w, ok := win32Of(c); ok {
		m, ok := table[w]
		return m, ok
	}
	return Meaning{}, false
}

// win32Of undoes HRESULT_FROM_WIN32: 0x8007xxxx is Win32 error xxxx.
func win32Of(c Code) (Code, bool) {
	if c&0xffff0000 == 0x80070000 {
		return c & 0xffff, true
	}
	return 0, false
}

// IsNotFound reports whether err carries a code saying the container,
// process, network or endpoint does not exist. Cleanup code treats this as
// success: the thing is already gone.
func IsNotFound(err error) bool { return hasCodeIn(err, notFound) }

// IsAlreadyExists reports whether err carries a code saying a container or
// network with that identity already exists.
func IsAlreadyExists(err error) bool { return hasCodeIn(err, alreadyExists) }

// IsAlreadyStopped reports whether err carries a code saying the container
// or process is not running any more. Stop and kill treat this as success.
// hcsshim also reports a vanished process as ERROR_NOT_FOUND, so stop paths
// usually want IsAlreadyStopped(err) || IsNotFound(err).
func IsAlreadyStopped(err error) bool { return hasCodeIn(err, alreadyStopped) }

// IsUnavailable reports whether err carries a code saying the host compute
// service (vmcompute) or Host Network Service is missing, not running or
// went away, so a CLI can say "host compute service unavailable" instead of
// blaming the request.
func IsUnavailable(err error) bool { return hasCodeIn(err, unavailable) }

// hasCodeIn checks every code in the chain, not just the first, because a
// wrapper may carry a generic code over a specific one, just as errors.Is
// looks at every link.
func hasCodeIn(err error, set map[Code]bool) bool {
	return walk(err, func(e error) bool {
		c, ok := codeAt(e)
		if !ok {
			return false
		}
		if set[c] {
			return true
		}
		w, ok := win32Of(c)
		return ok && set[w]
	})
}

// The codes, by name. Values and names are checked against
// golang.org/x/sys/windows (generated from the SDK's winerror.h),
// Microsoft's HCS and HCN error code pages and, for
// HCS_E_SERVICE_DISCONNECT and HCS_E_PROCESS_ALREADY_STOPPED, which are
// newer than x/sys's copy of the header, the HCS page and hcsshim.
const (
	errorAccessDenied      Code = 0x5   // ERROR_ACCESS_DENIED
	errorSharingViolation  Code = 0x20  // ERROR_SHARING_VIOLATION
	errorModNotFound       Code = 0x7e  // ERROR_MOD_NOT_FOUND
	errorProcNotFound      Code = 0x7f  // ERROR_PROC_NOT_FOUND
	errorServiceNotActive  Code = 0x426 // ERROR_SERVICE_NOT_ACTIVE (1062)
	errorNotFound          Code = 0x490 // ERROR_NOT_FOUND (1168)
	errorNoSystemResources Code = 0x5aa // ERROR_NO_SYSTEM_RESOURCES (1450)
	errorTimeout           Code = 0x5b4 // ERROR_TIMEOUT (1460)
	rpcServerUnavailable   Code = 0x6ba // RPC_S_SERVER_UNAVAILABLE (1722)

	hresultNotFound Code = 0x80070490 // HRESULT_FROM_WIN32(ERROR_NOT_FOUND)

	// vmcompute.dll, through hcsshim, returns the NTSTATUS-style
	// ERROR_VMCOMPUTE_* codes (0xc037xxxx); the newer computecore.dll API
	// documents HCS_E_* HRESULTs (0x8037xxxx). The low halves line up for
	// the codes below, but not everywhere (0xc0370103 is
	// ERROR_VMCOMPUTE_OPERATION_PENDING while 0x80370103 is not defined),
	// so each form is listed on its own rather than derived.
	vmcomputeImageMismatch    Code = 0xc0370101
	vmcomputeOperationPending Code = 0xc0370103
	vmcomputeInvalidState     Code = 0xc0370105
	vmcomputeUnexpectedExit   Code = 0xc0370106
	vmcomputeSystemNotFound   Code = 0xc037010e
	vmcomputeSystemExists     Code = 0xc037010f
	vmcomputeSystemStopped    Code = 0xc0370110
	vmcomputeInvalidLayer     Code = 0xc0370112
	hcsImageMismatch          Code = 0x80370101
	hcsInvalidState           Code = 0x80370105
	hcsUnexpectedExit         Code = 0x80370106
	hcsSystemNotFound         Code = 0x8037010e
	hcsSystemExists           Code = 0x8037010f
	hcsSystemStopped          Code = 0x80370110
	hcsInvalidLayer           Code = 0x80370112
	hcsServiceNotAvailable    Code = 0x80370114
	hcsServiceDisconnect      Code = 0x8037011e
	hcsProcessAlreadyStopped  Code = 0x8037011f
	hcnNetworkNotFound        Code = 0x803b0001
	hcnEndpointNotFound       Code = 0x803b0002
	hcnInvalidPolicy          Code = 0x803b000d
	hcnNetworkAlreadyExists   Code = 0x803b0010
	hcnManagerStopped         Code = 0x803b0020
	fsrmDriverNotReady        Code = 0x80045313
)

// The sets behind the Is* helpers. A Win32 code here also matches its
// HRESULT_FROM_WIN32 form (0x8007xxxx).
var (
	notFound = map[Code]bool{
		vmcomputeSystemNotFound: true, hcsSystemNotFound: true,
		errorNotFound: true, hresultNotFound: true,
		hcnNetworkNotFound: true, hcnEndpointNotFound: true,
	}
	// Not 0xc0370103: despite its neighbours that is
	// ERROR_VMCOMPUTE_OPERATION_PENDING, not "already exists".
	alreadyExists = map[Code]bool{
		vmcomputeSystemExists: true, hcsSystemExists: true,
		hcnNetworkAlreadyExists: true,
	}
	alreadyStopped = map[Code]bool{
		vmcomputeSystemStopped: true, hcsSystemStopped: true,
		hcsProcessAlreadyStopped: true,
	}
	// A missing DLL or export is how an absent or too-old vmcompute.dll or
	// computenetwork.dll shows up; the RPC and service codes are how a
	// stopped or crashed vmcompute or hns service shows up.
	unavailable = map[Code]bool{
		errorModNotFound: true, errorProcNotFound: true,
		rpcServerUnavailable: true, errorServiceNotActive: true,
		hcsServiceNotAvailable: true, hcsServiceDisconnect: true,
		hcnManagerStopped: true,
	}
)

// Shared wording, where one situation has two codes.
const (
	installContainers = "check that the Containers feature is installed (cell-prep installs it; by hand: Install-WindowsFeature Containers) and reboot the cell"
	checkServices     = "run Get-Service vmcompute,hns, start whichever is stopped, and look in the System and Hyper-V-Compute event logs for a crash; restarting vmcompute stops every container on the cell"
	notFoundAction    = "harmless during cleanup (it is already gone); otherwise it was removed outside Garden, for example by a reboot or an HNS reset, so let Diego recreate the container"
)

// table holds the codes operators have met on Garden cells. Texts are
// lower-case phrases because they are spliced into a sentence. Where a text
// mentions what a code "has been seen" with, that comes from operators'
// reports, not from Microsoft's definition of the code.
var table = func() map[Code]Meaning {
	t := map[Code]Meaning{}
	add := func(c Code, name, text, action string) {
		if _, dup := t[c]; dup {
			panic("hresult: two table entries for " + c.String())
		}
		t[c] = Meaning{Name: name, Text: text, Action: action}
	}
	// pair adds the vmcompute (0xc037xxxx) and HCS_E (0x8037xxxx) forms of
	// one compute-service condition.
	pair := func(nt, hr Code, suffix, text, action string) {
		add(nt, "ERROR_VMCOMPUTE_"+suffix, text, action)
		add(hr, "HCS_E_"+suffix, text, action)
	}

	// Win32 errors.
	add(errorAccessDenied, "ERROR_ACCESS_DENIED",
		"access is denied",
		"run the job as a local administrator (the host compute and network services refuse other users) and check that no other process or antivirus has locked the path; while a container is being torn down this can be transient, so retry once")
	add(errorSharingViolation, "ERROR_SHARING_VIOLATION",
		"a file is open in another process, so it cannot be used, replaced or deleted; typically a container layer still in use or a file being scanned by antivirus",
		"find what holds the file (a running or stuck container using the layer, or antivirus; Sysinternals handle.exe shows the holder), stop it or exclude the container data directory from scanning, then retry")
	add(errorModNotFound, "ERROR_MOD_NOT_FOUND",
		"a DLL could not be loaded; for containers this means vmcompute.dll or computenetwork.dll is missing, so the host compute service is unavailable",
		installContainers)
	add(errorProcNotFound, "ERROR_PROC_NOT_FOUND",
		"a function was not found in a system DLL: the host's compute or network service is older than this release expects",
		"update Windows on the cell (use a current stemcell for its Windows Server version)")
	add(errorServiceNotActive, "ERROR_SERVICE_NOT_ACTIVE",
		"a service this needs is not running; for containers the Host Compute Service (vmcompute) or the Host Network Service (hns)",
		checkServices)
	add(errorNotFound, "ERROR_NOT_FOUND",
		"element not found: the container, process, network or endpoint does not exist",
		notFoundAction)
	add(hresultNotFound, "HRESULT_FROM_WIN32(ERROR_NOT_FOUND)",
		"element not found: the container, process, network or endpoint does not exist",
		notFoundAction)
	add(errorNoSystemResources, "ERROR_NO_SYSTEM_RESOURCES",
		"insufficient system resources: the cell is short of memory, handles or kernel pool",
		"check the cell's memory and handle counts, look for leaked processes, run fewer containers per cell or give it more memory, and reboot the cell if it persists")
	add(errorTimeout, "ERROR_TIMEOUT",
		"the operation timed out, usually because the host compute or network service is overloaded or hung",
		"retry; if it repeats, check the cell's CPU and disk load and the Hyper-V-Compute and HNS event logs, then "+checkServices)
	add(rpcServerUnavailable, "RPC_S_SERVER_UNAVAILABLE",
		"the RPC server is unavailable: the Host Compute Service or Host Network Service is not running or crashed during the call",
		checkServices)

	// Host Compute Service.
	pair(vmcomputeImageMismatch, hcsImageMismatch, "IMAGE_MISMATCH",
		"the container image's Windows version does not match the host's",
		"process-isolated containers need a rootfs built for the host's Windows Server release: use the rootfs that matches this stemcell's OS version")
	add(vmcomputeOperationPending, "ERROR_VMCOMPUTE_OPERATION_PENDING",
		"the compute operation was accepted and is still completing in the background; this alone is not a failure",
		"if it reaches you as an error, the caller stopped waiting for the operation, which is a bug in this release: report it, check the Hyper-V-Compute event log for how the operation ended, and retry")
	pair(vmcomputeInvalidState, hcsInvalidState, "INVALID_STATE",
		"the container is not in a state that allows this operation, for example it is still starting or already shutting down",
		"retry when its current operation has finished; if it stays stuck, destroy the container and let Diego recreate it")
	pair(vmcomputeUnexpectedExit, hcsUnexpectedExit, "UNEXPECTED_EXIT",
		"the container exited unexpectedly; this has been seen when the base image (rootfs) layers on the cell are corrupt",
		"re-import the base image / rootfs layer, check the disk for errors and free space (chkdsk, Get-Volume), and check whether Windows Defender or other antivirus quarantined or is scanning layer files (exclude the container data directory)")
	pair(vmcomputeSystemNotFound, hcsSystemNotFound, "SYSTEM_NOT_FOUND",
		"no container with that ID exists on this host",
		"harmless during cleanup (it is already gone); otherwise check the ID, and note that containers do not survive a reboot or a restart of vmcompute")
	pair(vmcomputeSystemExists, hcsSystemExists, "SYSTEM_ALREADY_EXISTS",
		"a container with that ID already exists on this host",
		"an earlier container with the same handle was not cleaned up: destroy the stale container and retry")
	pair(vmcomputeSystemStopped, hcsSystemStopped, "SYSTEM_ALREADY_STOPPED",
		"the container is not running; it has already stopped",
		"harmless when stopping or deleting; if it should be running, check the app's logs and the Hyper-V-Compute event log for why it exited")
	pair(vmcomputeInvalidLayer, hcsInvalidLayer, "INVALID_LAYER",
		"a layer of the container image has a format the host does not recognise",
		"the layer on disk is incomplete or corrupt, or was built for another Windows version: delete and re-import the rootfs / base image layer and check the disk")
	add(hcsServiceNotAvailable, "HCS_E_SERVICE_NOT_AVAILABLE",
		"the operation could not be started because a required Windows feature is not installed, so the host compute service is unavailable",
		installContainers)
	add(hcsServiceDisconnect, "HCS_E_SERVICE_DISCONNECT",
		"the Host Compute Service disconnected unexpectedly, most likely because it stopped or crashed; containers it was running may be gone",
		checkServices)
	add(hcsProcessAlreadyStopped, "HCS_E_PROCESS_ALREADY_STOPPED",
		"the process has already exited",
		"harmless when stopping or signalling a process; if it should still be running, check the app's logs for why it exited")

	// Host Network Service.
	add(hcnNetworkNotFound, "HCN_E_NETWORK_NOT_FOUND",
		"the container network was not found",
		"harmless during cleanup; otherwise the NAT network was removed (for example by a reboot or an HNS reset): cell-prep recreates it, so check its log if it does not come back")
	add(hcnEndpointNotFound, "HCN_E_ENDPOINT_NOT_FOUND",
		"the container's network endpoint was not found",
		notFoundAction)
	add(hcnInvalidPolicy, "HCN_E_INVALID_POLICY",
		"the Host Network Service rejected a network policy (a port mapping, ACL, NAT or similar rule) as invalid or missing parameters",
		"check the container's port mappings and net-out rules and the policy in the message; if they look right, this host's HNS may not support that policy: update Windows on the cell")
	add(hcnNetworkAlreadyExists, "HCN_E_NETWORK_ALREADY_EXISTS",
		"a container network with this name already exists",
		"harmless if the existing network is the one wanted; if its settings differ from the job's, delete it (for example with hnsdiag) and let cell-prep recreate it")
	add(hcnManagerStopped, "HCN_E_MANAGER_STOPPED",
		"the Host Network Service is stopping",
		"wait until hns is running again (Get-Service hns) and retry; if it keeps stopping, check the System event log")

	// File Server Resource Manager, which enforces container disk quotas.
	add(fsrmDriverNotReady, "FSRM_E_DRIVER_NOT_READY",
		"File Server Resource Manager's filter driver is not installed, loaded or ready, so a disk quota could not be set; this has been seen on Windows Server 2025 when setting quotas on container volumes",
		"check that the FS-Resource-Manager feature is installed (cell-prep installs it) and its filter drivers are loaded (fltmc filters), and reboot after installing it; if it persists on Windows Server 2025, report it with the cell's OS build")

	return t
}()
