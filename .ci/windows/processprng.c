/*
 * Test tooling only, never shipped: bcryptprimitives.dll for Wine 8.0,
 * which lacks it. Go >= 1.24 takes every random byte on Windows from
 * ProcessPrng (bcryptprimitives.dll, Windows 10+); without it a Go binary
 * dies at start-up under Wine. This forwards to RtlGenRandom
 * (advapi32!SystemFunction036), which Wine has. .ci/windows/wine-env.sh copies
 * the built DLL into the throwaway Wine prefix's system32 only.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* BOOL ProcessPrng(PBYTE pbData, SIZE_T cbData): always TRUE on Windows. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG chunk = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, chunk))
			return FALSE;
		data += chunk;
		size -= chunk;
	}
	return TRUE;
}
