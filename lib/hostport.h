/* hostport.h: network addresses as the config and the outbound programs
   write them. libc only. */
#ifndef MXHOLD_LIB_HOSTPORT_H
#define MXHOLD_LIB_HOSTPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "lib/span.h"

/* One route item of `domains`, "HOST[:PORT]" or "[IPv6]:PORT" (a bare
   IPv6 address has no port): *host the host without brackets (may be
   empty), *port the port, dflt if none. 1, or 0 if the item is malformed
   (a '[' without ']', a port that is not 1..65535). */
int mx_hostport_split (char const *s, size_t len, uint16_t dflt, struct span *host, uint16_t *port) ;

/* ss zeroed and filled with an IPv4 (family 4, ip 4 bytes) or IPv6
   (family 6, ip 16 bytes) address and port; returns its length. */
socklen_t mx_sockaddr_fill (struct sockaddr_storage *ss, int family, unsigned char const *ip, uint16_t port) ;

#endif
