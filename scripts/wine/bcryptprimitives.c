/* A stand-in for Windows' bcryptprimitives.dll, which Debian's Wine 8.0 lacks (Wine
 * added it in 8.13). Every program Rust >= 1.78 builds for Windows imports
 * ProcessPrng from it for its random numbers, and without it exits with code 53
 * before main. Used only to run Lifeboat's tests under Wine; a real Windows has the
 * DLL. Built and installed by scripts/setup.sh (lifeboat_wine). */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    /* RtlGenRandom takes a ULONG length: fill in chunks below 2^31. */
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
