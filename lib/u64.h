/* u64.h: decimal uint64_t to text and back, for the libc-only modules.
   A program that links skalibs uses uint64_fmt/uint64_scan instead, one
   that links libowfat fmt_ulonglong/scan_ulonglong. */
#ifndef MXHOLD_LIB_U64_H
#define MXHOLD_LIB_U64_H

#include <stddef.h>
#include <stdint.h>

#define MX_U64_FMT 20   /* digits of UINT64_MAX */

/* Writes u in decimal at s (MX_U64_FMT bytes of room, no NUL); returns
   the number of bytes written. */
size_t mx_u64_fmt (char *s, uint64_t u) ;

/* Reads the decimal number that is all of s[0..len): 1 and *u set if
   len > 0, every byte is a digit and the value is at most max; 0 else
   (*u untouched). No sign, no spaces, leading zeros allowed. */
int mx_u64_scan_all (char const *s, size_t len, uint64_t max, uint64_t *u) ;

#endif
