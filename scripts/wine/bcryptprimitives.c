/*
 * A stand-in for Windows' bcryptprimitives.dll, built by scripts/test-windows
 * so that Go's Windows test binaries run under Wine.
 *
 * Why it exists: the Windows runtime of Go (1.26 here) loads
 * bcryptprimitives.dll at start-up and takes its random bytes from
 * ProcessPrng (runtime/os_windows.go, loadOptionalSyscalls). Wine 8, as
 * Debian 12 ships it, has no such dll, so every Go program dies with
 * "bcryptprimitives.dll not found" before main. This dll exports ProcessPrng
 * and nothing else, and is used only inside the throwaway Wine prefix.
 *
 * The bytes come from RtlGenRandom (advapi32's SystemFunction036), which
 * Wine implements with the host's random source. Never make this return a
 * constant: Go seeds map hashing and math/rand from it, and crypto/rand
 * reads it too.
 *
 * Built without the C runtime: DllEntry is the entry point (see
 * scripts/test-windows for the compiler flags).
 */
#include <windows.h>

/* RtlGenRandom is exported under this name; its length is a ULONG. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* BOOL ProcessPrng(PBYTE pbData, SIZE_T cbData). Windows' own never fails;
 * this one returns FALSE if the source does, and Go's runtime then treats
 * the read as failed rather than use the buffer. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllEntry(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
