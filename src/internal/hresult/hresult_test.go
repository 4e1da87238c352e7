package hresult_test

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"syscall"

	"github.com/garden-windows/garden-windows-release/internal/hresult"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// simError stands in for the host simulation's errors: it knows its code
// and says so through HRESULT().
type simError struct {
	code uint32
	msg  string
}

func (e *simError) Error() string   { return e.msg }
func (e *simError) HRESULT() uint32 { return e.code }

func sim(code uint32) *simError {
	return &simError{code: code, msg: fmt.Sprintf("sim: call failed with %#x", code)}
}

var _ = Describe("Code", func() {
	It("prints eight lower-case hex digits", func() {
		Expect(hresult.Code(0xC0370106).String()).To(Equal("0xc0370106"))
		Expect(hresult.Code(0x5).String()).To(Equal("0x00000005"))
		Expect(fmt.Sprint(hresult.Code(0x803B0010))).To(Equal("0x803b0010"))
	})
})

var _ = Describe("the table", func() {
	DescribeTable("explains every code operators have met",
		func(c hresult.Code, name string) {
			m, ok := hresult.Lookup(c)
			Expect(ok).To(BeTrue())
			Expect(m.Name).To(Equal(name))
			Expect(m.Text).NotTo(BeEmpty())
			Expect(m.Action).NotTo(BeEmpty())
			Expect(m.Action).NotTo(Equal(m.Text))

			msg := hresult.Explain("do it", sim(uint32(c))).Error()
			Expect(msg).To(HavePrefix("do it: " + m.Text + "; " + m.Action))
			Expect(msg).To(ContainSubstring(name))
			Expect(msg).To(ContainSubstring(c.String()))
		},
		Entry(nil, hresult.Code(0xc0370106), "ERROR_VMCOMPUTE_UNEXPECTED_EXIT"),
		Entry(nil, hresult.Code(0xc0370101), "ERROR_VMCOMPUTE_IMAGE_MISMATCH"),
		Entry(nil, hresult.Code(0xc0370112), "ERROR_VMCOMPUTE_INVALID_LAYER"),
		Entry(nil, hresult.Code(0x5aa), "ERROR_NO_SYSTEM_RESOURCES"),
		Entry(nil, hresult.Code(0x803b0010), "HCN_E_NETWORK_ALREADY_EXISTS"),
		Entry(nil, hresult.Code(0x803b000d), "HCN_E_INVALID_POLICY"),
		Entry(nil, hresult.Code(0x80045313), "FSRM_E_DRIVER_NOT_READY"),
		Entry(nil, hresult.Code(0x20), "ERROR_SHARING_VIOLATION"),
		Entry(nil, hresult.Code(0xc037010e), "ERROR_VMCOMPUTE_SYSTEM_NOT_FOUND"),
		Entry(nil, hresult.Code(0xc0370103), "ERROR_VMCOMPUTE_OPERATION_PENDING"),
		Entry(nil, hresult.Code(0xc0370105), "ERROR_VMCOMPUTE_INVALID_STATE"),
		Entry(nil, hresult.Code(0xc0370110), "ERROR_VMCOMPUTE_SYSTEM_ALREADY_STOPPED"),
		Entry(nil, hresult.Code(0x490), "ERROR_NOT_FOUND"),
		Entry(nil, hresult.Code(0x80070490), "HRESULT_FROM_WIN32(ERROR_NOT_FOUND)"),
		Entry(nil, hresult.Code(0x7e), "ERROR_MOD_NOT_FOUND"),
		Entry(nil, hresult.Code(0x7f), "ERROR_PROC_NOT_FOUND"),
		Entry(nil, hresult.Code(0x5), "ERROR_ACCESS_DENIED"),
		Entry(nil, hresult.Code(0x5b4), "ERROR_TIMEOUT"),
		Entry(nil, hresult.Code(0x6ba), "RPC_S_SERVER_UNAVAILABLE"),
		Entry(nil, hresult.Code(0x426), "ERROR_SERVICE_NOT_ACTIVE"),
		Entry(nil, hresult.Code(0xc037010f), "ERROR_VMCOMPUTE_SYSTEM_ALREADY_EXISTS"),
		Entry(nil, hresult.Code(0x8037010f), "HCS_E_SYSTEM_ALREADY_EXISTS"),
		Entry(nil, hresult.Code(0x80370106), "HCS_E_UNEXPECTED_EXIT"),
		Entry(nil, hresult.Code(0x8037011f), "HCS_E_PROCESS_ALREADY_STOPPED"),
		Entry(nil, hresult.Code(0x803b0001), "HCN_E_NETWORK_NOT_FOUND"),
		Entry(nil, hresult.Code(0x803b0020), "HCN_E_MANAGER_STOPPED"),
	)

	It("tells the operator what the codes from the field point at", func() {
		action := func(c hresult.Code) string {
			m, ok := hresult.Lookup(c)
			Expect(ok).To(BeTrue())
			return m.Action
		}
		Expect(action(0xc0370106)).To(ContainSubstring("re-import"))
		Expect(action(0xc0370106)).To(ContainSubstring("Defender"))
		Expect(action(0x80045313)).To(ContainSubstring("FS-Resource-Manager"))
		Expect(action(0x20)).To(ContainSubstring("antivirus"))
	})

	It("reads an HRESULT that wraps a Win32 error as that Win32 error", func() {
		m, ok := hresult.Lookup(0x80070005)
		Expect(ok).To(BeTrue())
		Expect(m.Name).To(Equal("ERROR_ACCESS_DENIED"))

		Expect(hresult.Explain("open layer", sim(0x80070020)).Error()).To(And(
			ContainSubstring("ERROR_SHARING_VIOLATION"),
			ContainSubstring("0x80070020"),
		))
	})

	It("does not know codes it was not given", func() {
		_, ok := hresult.Lookup(0x12345678)
		Expect(ok).To(BeFalse())
		// Only 0x8007xxxx wraps a Win32 error; 0xc0070005 is not access denied.
		_, ok = hresult.Lookup(0xc0070005)
		Expect(ok).To(BeFalse())
	})
})

var _ = Describe("Explain", func() {
	It("returns nil for nil", func() {
		Expect(hresult.Explain("start container", nil)).To(BeNil())
	})

	It("gives the meaning, the action, the raw code and the original message on one line", func() {
		orig := sim(0xc0370106)
		err := hresult.Explain(`start container "web-1"`, orig)

		m, _ := hresult.Lookup(0xc0370106)
		Expect(err.Error()).To(Equal(`start container "web-1": ` + m.Text + "; " + m.Action +
			" (ERROR_VMCOMPUTE_UNEXPECTED_EXIT, 0xc0370106): sim: call failed with 0xc0370106"))
	})

	It("keeps errors.Is and errors.As working through the explanation", func() {
		orig := sim(0xc0370112)
		err := hresult.Explain("import layer", fmt.Errorf("hcs: %w", orig))

		Expect(errors.Is(err, orig)).To(BeTrue())

		var explained *hresult.Error
		Expect(errors.As(err, &explained)).To(BeTrue())
		Expect(explained.Op).To(Equal("import layer"))
		Expect(explained.Code).To(Equal(hresult.Code(0xc0370112)))

		var s *simError
		Expect(errors.As(err, &s)).To(BeTrue())
		Expect(s).To(BeIdenticalTo(orig))

		Expect(errors.Is(fmt.Errorf("gdn: %w", err), orig)).To(BeTrue())
	})

	It("keeps the raw code and the original message for a code it does not know", func() {
		orig := &simError{code: 0x80071234, msg: "HcsFoo failed"}
		err := hresult.Explain("create container", orig)

		var explained *hresult.Error
		Expect(errors.As(err, &explained)).To(BeTrue())
		Expect(explained.Code).To(Equal(hresult.Code(0x80071234)))
		Expect(err.Error()).To(HavePrefix("create container: unrecognised Windows error code"))
		Expect(err.Error()).To(HaveSuffix("(0x80071234): HcsFoo failed"))
		Expect(errors.Is(err, orig)).To(BeTrue())
	})

	It("only adds op to an error without a code", func() {
		orig := errors.New("boom")
		err := hresult.Explain("stream in", orig)

		Expect(err.Error()).To(Equal("stream in: boom"))
		Expect(errors.Is(err, orig)).To(BeTrue())
		var explained *hresult.Error
		Expect(errors.As(err, &explained)).To(BeFalse())
	})

	It("leaves an error without a code alone when there is no op", func() {
		orig := errors.New("boom")
		Expect(hresult.Explain("", orig)).To(BeIdenticalTo(orig))
	})

	It("leaves out the op prefix when there is no op", func() {
		err := hresult.Explain("", sim(0x5aa))
		Expect(err.Error()).To(HavePrefix("insufficient system resources"))
	})

	It("does not explain twice", func() {
		err := hresult.Explain("delete container", hresult.Explain("stop container", sim(0x20)))

		m, _ := hresult.Lookup(0x20)
		Expect(strings.Count(err.Error(), m.Action)).To(Equal(1))
		Expect(err.Error()).To(HavePrefix("delete container: stop container: " + m.Text))
	})

	It("keeps a multi-line original message on one line", func() {
		err := hresult.Explain("create container", &simError{code: 0xc0370101, msg: "failed\r\nextra info:\n{}"})
		Expect(err.Error()).NotTo(ContainSubstring("\n"))
		Expect(err.Error()).NotTo(ContainSubstring("\r"))
		Expect(err.Error()).To(HaveSuffix(": failed extra info: {}"))
	})

	It("formats an Error built by hand, with or without an underlying error", func() {
		e := &hresult.Error{Op: "kill", Code: 0x8037011f}
		Expect(e.Error()).To(HaveSuffix("(HCS_E_PROCESS_ALREADY_STOPPED, 0x8037011f)"))
		Expect(e.Unwrap()).To(BeNil())
	})
})

var _ = Describe("CodeOf", func() {
	It("finds nothing in nil or in an error without a code", func() {
		_, ok := hresult.CodeOf(nil)
		Expect(ok).To(BeFalse())
		_, ok = hresult.CodeOf(fmt.Errorf("a: %w", errors.New("b")))
		Expect(ok).To(BeFalse())
	})

	It("finds an HRESULT() code through %w chains", func() {
		c, ok := hresult.CodeOf(fmt.Errorf("a: %w", fmt.Errorf("b: %w", sim(0x803b0010))))
		Expect(ok).To(BeTrue())
		Expect(c).To(Equal(hresult.Code(0x803b0010)))
	})

	It("finds a code inside errors.Join and multi-%w errors", func() {
		c, ok := hresult.CodeOf(errors.Join(errors.New("first"), fmt.Errorf("x: %w", sim(0x5b4))))
		Expect(ok).To(BeTrue())
		Expect(c).To(Equal(hresult.Code(0x5b4)))

		c, ok = hresult.CodeOf(fmt.Errorf("%w and %w", errors.New("first"), sim(0x7f)))
		Expect(ok).To(BeTrue())
		Expect(c).To(Equal(hresult.Code(0x7f)))
	})

	It("takes the outermost code", func() {
		c, ok := hresult.CodeOf(&hresult.Error{Op: "op", Code: 0xc0370106, Err: sim(0x20)})
		Expect(ok).To(BeTrue())
		Expect(c).To(Equal(hresult.Code(0xc0370106)))
	})

	It("skips a zero code, which means success", func() {
		c, ok := hresult.CodeOf(&simError{code: 0, msg: "S_OK"})
		Expect(ok).To(BeFalse())
		Expect(c).To(BeZero())

		c, ok = hresult.CodeOf(fmt.Errorf("x: %w", &hresult.Error{Err: sim(0x490)}))
		Expect(ok).To(BeTrue())
		Expect(c).To(Equal(hresult.Code(0x490)))
	})

	It("finds an HRESULT in a syscall.Errno, the way hcsshim returns it", func() {
		// hcsshim wraps syscall.Errno(0xc037010e) in its own error type.
		wrapped := &fs.PathError{Op: "open", Path: "container", Err: syscall.Errno(0xc037010e)}
		c, ok := hresult.CodeOf(fmt.Errorf("hcs: %w", wrapped))
		Expect(ok).To(BeTrue())
		Expect(c).To(Equal(hresult.Code(0xc037010e)))
		Expect(hresult.IsNotFound(wrapped)).To(BeTrue())
	})

	It("finds a code kept in an Err field of an error without Unwrap, as hcsshim's internal HcsError keeps it", func() {
		err := &noUnwrapError{title: "hcsshim::NameToGuid", Err: fmt.Errorf("dll: %w", sim(0x7e))}
		c, ok := hresult.CodeOf(fmt.Errorf("create: %w", err))
		Expect(ok).To(BeTrue())
		Expect(c).To(Equal(hresult.Code(0x7e)))
		Expect(hresult.IsUnavailable(err)).To(BeTrue())
		Expect(hresult.Explain("creating container app", err).Error()).To(ContainSubstring("host compute service is unavailable"))

		_, ok = hresult.CodeOf(&noUnwrapError{title: "no cause"})
		Expect(ok).To(BeFalse())
	})

	It("reads a small syscall.Errno as a Win32 error only on Windows", func() {
		// 32 is ERROR_SHARING_VIOLATION on Windows but EPIPE on Linux.
		c, ok := hresult.CodeOf(fmt.Errorf("write: %w", syscall.Errno(32)))
		if runtime.GOOS == "windows" {
			Expect(ok).To(BeTrue())
			Expect(c).To(Equal(hresult.Code(0x20)))
			Expect(hresult.Explain("write", syscall.Errno(32)).Error()).To(ContainSubstring("ERROR_SHARING_VIOLATION"))
		} else {
			Expect(ok).To(BeFalse())
			Expect(hresult.Explain("write", syscall.Errno(32)).Error()).NotTo(ContainSubstring("SHARING"))
		}
	})
})

var _ = Describe("the Is helpers", func() {
	type check func(error) bool
	var (
		isNotFound       check = hresult.IsNotFound
		isAlreadyExists  check = hresult.IsAlreadyExists
		isAlreadyStopped check = hresult.IsAlreadyStopped
		isUnavailable    check = hresult.IsUnavailable
	)

	DescribeTable("classify",
		func(is check, err error, want bool) {
			Expect(is(err)).To(Equal(want))
		},
		Entry("not found: compute system", isNotFound, sim(0xc037010e), true),
		Entry("not found: HCS_E form", isNotFound, sim(0x8037010e), true),
		Entry("not found: ERROR_NOT_FOUND", isNotFound, sim(0x490), true),
		Entry("not found: element not found HRESULT", isNotFound, sim(0x80070490), true),
		Entry("not found: HNS network", isNotFound, sim(0x803b0001), true),
		Entry("not found: HNS endpoint", isNotFound, sim(0x803b0002), true),
		Entry("not found: through wrappers", isNotFound, fmt.Errorf("a: %w", hresult.Explain("b", sim(0x80070490))), true),
		Entry("not found: already stopped is not", isNotFound, sim(0xc0370110), false),
		Entry("not found: plain error", isNotFound, errors.New("not found"), false),
		Entry("not found: nil", isNotFound, nil, false),

		Entry("already exists: compute system", isAlreadyExists, sim(0xc037010f), true),
		Entry("already exists: HCS_E form", isAlreadyExists, sim(0x8037010f), true),
		Entry("already exists: HNS network", isAlreadyExists, fmt.Errorf("x: %w", sim(0x803b0010)), true),
		Entry("already exists: operation pending is not", isAlreadyExists, sim(0xc0370103), false),
		Entry("already exists: HNS port is a conflict, not", isAlreadyExists, sim(0x803b0013), false),
		Entry("already exists: nil", isAlreadyExists, nil, false),

		Entry("already stopped: compute system", isAlreadyStopped, sim(0xc0370110), true),
		Entry("already stopped: HCS_E form", isAlreadyStopped, sim(0x80370110), true),
		Entry("already stopped: process", isAlreadyStopped, sim(0x8037011f), true),
		Entry("already stopped: unexpected exit is not", isAlreadyStopped, sim(0xc0370106), false),
		Entry("already stopped: nil", isAlreadyStopped, nil, false),

		Entry("unavailable: DLL missing", isUnavailable, sim(0x7e), true),
		Entry("unavailable: export missing", isUnavailable, sim(0x7f), true),
		Entry("unavailable: RPC server", isUnavailable, sim(0x6ba), true),
		Entry("unavailable: RPC server as HRESULT", isUnavailable, syscall.Errno(0x800706ba), true),
		Entry("unavailable: service not active", isUnavailable, sim(0x426), true),
		Entry("unavailable: HCS feature missing", isUnavailable, sim(0x80370114), true),
		Entry("unavailable: HCS disconnected", isUnavailable, sim(0x8037011e), true),
		Entry("unavailable: HNS stopping", isUnavailable, sim(0x803b0020), true),
		Entry("unavailable: timeout is not", isUnavailable, sim(0x5b4), false),
		Entry("unavailable: access denied is not", isUnavailable, sim(0x5), false),
		Entry("unavailable: nil", isUnavailable, nil, false),
	)

	It("looks at every code in the chain, not just the first", func() {
		err := &hresult.Error{Op: "stop", Code: 0x5b4, Err: sim(0xc0370110)}
		Expect(hresult.IsAlreadyStopped(err)).To(BeTrue())
	})

	It("reads small syscall.Errno values only on Windows", func() {
		// 126 is ERROR_MOD_NOT_FOUND on Windows but ENOKEY on Linux.
		Expect(hresult.IsUnavailable(syscall.Errno(126))).To(Equal(runtime.GOOS == "windows"))
	})
})

// noUnwrapError hides its cause in an exported field, like hcsshim's
// internal/hcserror.HcsError.
type noUnwrapError struct {
	title string
	Err   error
}

func (e *noUnwrapError) Error() string { return e.title + " failed" }
