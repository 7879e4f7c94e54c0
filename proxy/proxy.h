/* proxy.h: mxhold-proxy's modules (libc only, so the unit test and the
   fuzz target link them alone).

   px_hdr   the PROXY protocol header parser, v1 (text) and v2 (binary),
            as haproxy's proxy-protocol.txt specifies them
   px_read  reads exactly one header from a descriptor, never a byte past
            it, within a deadline */
#ifndef MXHOLD_PROXY_H
#define MXHOLD_PROXY_H

#include <stddef.h>
#include <stdint.h>

/* --- limits (every number named) --- */
#define PX_V1_MAX 107           /* proxy-protocol.txt 2.1: the longest v1 line, CRLF included */
#define PX_V2_FIXED 16          /* 2.2: signature 12, ver_cmd, fam, len 2 */
#define PX_V2_MAX (PX_V2_FIXED + 65535)   /* len is 16 bits: TLVs included */
#define PX_TIMEOUT_SECS 10      /* -t default: a proxy sends its header at once */
#define PX_IP_MAX 46            /* INET6_ADDRSTRLEN */

/* What a header says. */
struct px_header {
  int version ;           /* 1 or 2 */
  int local ;             /* 1: v1 UNKNOWN, v2 LOCAL or AF_UNSPEC: keep the peer's own addresses */
  int fam ;               /* 4 or 6 when !local */
  char src[PX_IP_MAX], dst[PX_IP_MAX] ;   /* addresses as text, NUL-terminated */
  uint16_t sport, dport ;
} ;

/* The parser's answer for the bytes so far. */
enum px_status { PX_MORE, PX_DONE, PX_BAD } ;

/* Looks at buf[0..len), the first bytes of a connection. PX_MORE: *want
   is the number of bytes to read next, never more than the header still
   needs (so a reader that reads *want bytes never reads past it);
   PX_DONE: buf holds exactly one complete header, decoded into *h;
   PX_BAD: *why is a reason word (bad-signature, bad-version, bad-command,
   bad-family, bad-address, bad-port, too-long, short-addresses). len 0
   gives PX_MORE with *want 1. */
enum px_status px_parse (unsigned char const *buf, size_t len, struct px_header *h, size_t *want, char const **why) ;

/* Reads one header from fd into buf (PX_V2_MAX bytes) with px_parse,
   giving up at the deadline (CLOCK_MONOTONIC milliseconds). 0 and *h; or
   -1 with *why: a px_parse reason, "timeout", "eof", or "read-error"
   (errno set). */
int px_read (int fd, unsigned char *buf, uint64_t deadline_ms, struct px_header *h, char const **why) ;

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t px_now_ms (void) ;

#endif
