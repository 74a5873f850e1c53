/*
 * A stand-in for Windows 10's bcryptprimitives.dll, for Wine 8 (Debian
 * 12's), which lacks it: Go's runtime (1.24 and later) reads its random
 * numbers from ProcessPrng there and will not start without it. Installed
 * into the test's Wine prefix only (scripts/windows-test.sh); Windows 10
 * and 11 have the real one. RtlGenRandom (advapi32's SystemFunction036)
 * gives the same kind of bytes.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x10000000 ? 0x10000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}
