/* remote_tlsa.h: the DNS messages of a TLSA lookup (remote_tlsa.c, libc
   only; fuzzed: it parses the resolver's bytes): the query for
   _PORT._tcp.HOST with RD and AD set (RFC 6840 5.7: a stub asks for the
   AD bit by setting it), and its reply's TLSA records (RFC 6698). */
#ifndef MXHOLD_REMOTE_TLSA_H
#define MXHOLD_REMOTE_TLSA_H

#include <stddef.h>
#include <stdint.h>

#define REMOTE_TLSA_MAX 8          /* records kept per name */
#define REMOTE_TLSA_DATA_MAX 64    /* SHA2-512; a full certificate (matching type 0) is not kept */
#define REMOTE_DNS_QUERY_MAX 300   /* 12 header + 255 name + 4 */

/* One usable TLSA record: usage DANE-TA(2) or DANE-EE(3), selector 0 or
   1, matching type 1 (32 bytes) or 2 (64 bytes) (RFC 7672 3.1: PKIX
   usages 0 and 1 are unusable for SMTP). */
struct remote_tlsa {
  uint8_t usage ;
  uint8_t selector ;
  uint8_t mtype ;
  uint8_t len ;
  unsigned char data[REMOTE_TLSA_DATA_MAX] ;
} ;

struct remote_tlsa_ans {
  unsigned int rcode ;     /* 0 NOERROR, 3 NXDOMAIN, ... */
  int ad ;                 /* the resolver says the answer is authenticated */
  int tc ;                 /* truncated: ask again over TCP */
  int n ;                  /* usable records in rr */
  int unusable ;           /* TLSA records seen but not usable */
  struct remote_tlsa rr[REMOTE_TLSA_MAX] ;
} ;

/* The query for _PORT._tcp.HOST (HOST without a final dot), with id,
   into q (REMOTE_DNS_QUERY_MAX bytes). Its length, or 0 if the name does
   not fit. */
size_t remote_tlsa_query (char const *host, uint16_t port, uint16_t id, unsigned char *q) ;

/* Parses the reply m[0..len) to the query q[0..qlen): the same id, QR
   set, the same question (name in any case). 0 with *out filled, or -1
   if it is malformed or not the reply to q. */
int remote_tlsa_parse (unsigned char const *m, size_t len, unsigned char const *q, size_t qlen, struct remote_tlsa_ans *out) ;

/* ---- the lookup (remote_dane.c) ---- */
/* The TLSA records of _PORT._tcp.HOST, asked with RD and AD of the
   resolver at $DNSCACHEIP (its first address), else /etc/resolv.conf's
   first nameserver, port 53: over UDP, again over TCP if the reply is
   truncated, within timeout seconds. 0 with *ans (check ans->rcode and
   ans->ad), or -1 with *err (static text: no resolver, no reply,
   malformed). */
int remote_dane_lookup (char const *host, uint16_t port, unsigned int timeout, struct remote_tlsa_ans *ans, char const **err) ;

#endif
