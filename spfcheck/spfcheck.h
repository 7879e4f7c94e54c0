/* spfcheck.h: mxhold-spfcheck's modules. RFC 7208 (SPF) evaluation.

   spf_record.c, spf_macro.c, spf_eval.c and spf_hdr.c are libc only (the
   fuzz targets and unit tests link them alone); spf_dns.c speaks DNS
   through libowfat's dns_transmit_* interface; spf_filter.c is the
   qmail-queue filter plumbing (libc). */
#ifndef MXHOLD_SPFCHECK_H
#define MXHOLD_SPFCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/span.h"

#define SPF_DOMAIN_MAX 253        /* RFC 7208 4.8: longer expansions lose labels on the left */
#define SPF_LABEL_MAX 63          /* RFC 1035 2.3.4 */
#define SPF_LOOKUPS_MAX 10        /* RFC 7208 4.6.4: include a mx ptr exists redirect */
#define SPF_VOIDS_MAX 2           /* RFC 7208 4.6.4: void lookups */
#define SPF_MX_MAX 10             /* RFC 7208 4.6.4: MX records per mx mechanism */
#define SPF_PTR_MAX 10            /* RFC 7208 4.6.4: PTR names considered */
#define SPF_TERMS_MAX 512         /* terms per record; a TXT record is < 64 KB anyway */
#define SPF_EXP_MAX 1024          /* bytes of an explanation we keep (the reply line holds it) */
#define SPF_MECH_MAX 256          /* bytes of the matched term we report */
#define SPF_SENDER_MAX 1024       /* bytes of MAIL FROM we evaluate (queue.h QUEUE_ADDR_MAX) */
#define SPF_HDR_SENDER_MAX 256    /* bytes of MAIL FROM written in our headers: an SMTP path's most
                                     (RFC 5321 4.5.3.1.3), so no header line passes 998 bytes */
#define SPF_HDR_WORD_MAX 600      /* one unfoldable word of our headers: key="value"; with the value
                                     at most SPF_HDR_SENDER_MAX or a 255-byte name */
#define SPF_MACRO_PARTS_MAX 128   /* parts a transformer splits a value into */
#define SPF_BUDGET_DEFAULT_SECS 20   /* conf.h spf_budget */
#define SPF_DNS_ANSWER_MAX 65536  /* bytes of one DNS answer we keep (TCP maximum) */
#define SPF_DNS_INFLIGHT_MAX 16   /* queries in flight at once (one socket each) */

enum spf_result {
  SPF_NONE, SPF_NEUTRAL, SPF_PASS, SPF_FAIL, SPF_SOFTFAIL, SPF_TEMPERROR, SPF_PERMERROR
} ;
/* "none" "neutral" "pass" ... */
char const *spf_result_name (enum spf_result r) ;

/* ---- spf_record.c: record syntax (RFC 7208 4.5, 4.6, 5, 6, 12) ---- */

enum spf_kind {
  SPF_T_ALL, SPF_T_INCLUDE, SPF_T_A, SPF_T_MX, SPF_T_PTR, SPF_T_IP4, SPF_T_IP6,
  SPF_T_EXISTS, SPF_T_REDIRECT, SPF_T_EXP, SPF_T_UNKNOWN_MOD
} ;

struct spf_term {
  struct span text ;          /* the whole term as written */
  struct span domain ;        /* domain-spec / macro-string; len 0: none given */
  unsigned char ip[16] ;      /* ip4 (first 4 bytes) or ip6 network */
  unsigned char kind ;        /* enum spf_kind */
  char qual ;                 /* '+' '-' '~' '?' */
  unsigned char cidr4, cidr6 ;
} ;

struct spf_record {
  struct spf_term t[SPF_TERMS_MAX] ;
  unsigned int n ;
  int redirect, exp ;         /* index of the modifier in t, or -1 */
} ;

/* Is s[0..len) an SPF record ("v=spf1" then a space or the end, any case)? */
int spf_record_is (char const *s, size_t len) ;

/* Parses the record s[0..len) (which spf_record_is() accepted) into r; the
   spans point into s. 0 on success, -1 on any syntax error (permerror). */
int spf_record_parse (char const *s, size_t len, struct spf_record *r) ;

/* Checks macro-string syntax (RFC 7208 7.1) of a domain-spec: macros well
   formed, and unless it ends in a macro, a valid top label. 1 ok, 0 not. */
int spf_domainspec_valid (struct span d) ;
/* Same for an explain-string (RFC 7208 6.2: c r t allowed, spaces too). */
int spf_explain_valid (struct span d) ;

/* ---- spf_macro.c: macro expansion (RFC 7208 7) ---- */

struct spf_macro_env {
  struct span s, l, o, d, i, v, h, c, r, t ;
  /* The "p" macro needs DNS: fills *out (valid until the check ends).
     0, or -1 if a DNS budget error makes the check a temperror. */
  int (*p) (void *ctx, struct span *out) ;
  void *ctx ;
  int exp ;                   /* 1: explain-string (c r t allowed, spaces allowed) */
} ;

/* Expands macro-string in into out (room for max bytes, not terminated).
   Returns the length written; -1 on a syntax error (errno EINVAL), on a p
   error (errno ETIMEDOUT); output beyond max is cut (errno stays 0) and
   *cut set to 1. */
int spf_macro_expand (struct span in, struct spf_macro_env const *env, char *out, size_t max, int *cut) ;

/* Shortens a domain of len bytes at out to at most SPF_DOMAIN_MAX bytes by
   dropping labels on the left (RFC 7208 4.8/5). Returns the new start. */
size_t spf_domain_trim (char const *d, size_t len) ;

/* Is d a usable domain name: labels 1..63 bytes, total <= 253, at least
   two labels (one trailing dot allowed)? 1 yes, 0 no. */
int spf_domain_ok (char const *d, size_t len) ;

/* ---- spf_dns.c: DNS (libowfat), cached per check, within a deadline ---- */

enum spf_dns_status { SPF_DNS_OK, SPF_DNS_NODATA, SPF_DNS_NXDOMAIN, SPF_DNS_ERROR, SPF_DNS_TIMEOUT } ;
#define SPF_QT_A 1
#define SPF_QT_PTR 12
#define SPF_QT_MX 15
#define SPF_QT_TXT 16
#define SPF_QT_AAAA 28

struct spf_answer {
  int status ;                /* enum spf_dns_status */
  unsigned int n ;            /* records of the asked type */
  struct span *rr ;           /* A: 4 bytes, AAAA: 16, MX/PTR: dotted name, TXT: strings joined */
} ;

struct spf_dns ;
/* A resolver for one check: servers from $DNSCACHEIP or /etc/resolv.conf,
   every query done before now + budget_ms. NULL + errno on error. */
struct spf_dns *spf_dns_new (unsigned long budget_ms) ;
void spf_dns_free (struct spf_dns *d) ;
/* Looks up (name, qtype); the answer belongs to d (cached). Never NULL:
   out of memory and the spent budget are SPF_DNS_ERROR / SPF_DNS_TIMEOUT. */
struct spf_answer const *spf_dns_query (struct spf_dns *d, char const *name, size_t len, unsigned int qtype) ;
/* Sends the query for (name, qtype) unless it is cached or in flight, and
   returns at once; a later spf_dns_query() for it collects the answer,
   meanwhile every query in flight progresses. Best effort: does nothing
   once SPF_DNS_INFLIGHT_MAX are in flight or the budget is spent. */
void spf_dns_prefetch (struct spf_dns *d, char const *name, size_t len, unsigned int qtype) ;
/* Queries actually sent (not cached) so far. */
unsigned int spf_dns_sent (struct spf_dns const *d) ;

/* ---- spf_eval.c: check_host() (RFC 7208 4) ---- */

struct spf_check {
  /* in */
  unsigned char ip[16] ;      /* IPv4 in the first 4 bytes if ipv4 */
  int ipv4 ;
  struct span sender ;        /* MAIL FROM; len 0: null sender (HELO identity) */
  struct span helo ;
  struct span me ;            /* receiving host, %{r} */
  struct spf_dns *dns ;
  /* out */
  enum spf_result result ;
  char exp[SPF_EXP_MAX] ;     /* explanation (fail only) */
  size_t explen ;
  char mech[SPF_MECH_MAX] ;   /* the term that decided, or "default" */
  size_t mechlen ;
  char domain[SPF_DOMAIN_MAX + 1] ;   /* the checked domain */
  size_t domainlen ;
  char why[128] ;             /* short reason for errors */
  /* state */
  unsigned int lookups, voids, depth ;
} ;

/* Parses a textual IPv4 / IPv6 client address into c->ip (IPv4-mapped IPv6
   becomes IPv4). 1 ok, 0 not an address. */
int spf_ip_parse (struct spf_check *c, char const *s) ;

/* spf_ip.c. Do the first bits of a and b agree? */
int spf_ip_match (unsigned char const *a, unsigned char const *b, unsigned int bits) ;
/* The client's reverse name, d.c.b.a.in-addr.arpa or 32 nibbles.ip6.arpa,
   into out (room for 80 bytes). Returns its length. */
size_t spf_ip_revname (struct spf_check const *c, char *out) ;
/* %{i} (dotted quad, or 32 dot-separated lower-case nibbles) and %{c}
   (dotted quad, or RFC 5952 text), NUL-terminated. */
void spf_ip_texts (struct spf_check const *c, char *ibuf, size_t imax, char *cbuf, size_t cmax) ;

/* Evaluates SPF for c's identity: MAIL FROM if non-null, else postmaster@HELO.
   Sets c->result and the outputs; returns c->result. */
enum spf_result spf_check_run (struct spf_check *c) ;

/* ---- spf_hdr.c: header lines (RFC 7208 9.1, RFC 8601) ---- */

/* Appends the Received-SPF and Authentication-Results lines (CRLF ends) to
   out (room max). Values from c; relay/hopnote describe a trusted relay
   (NULL if none). Returns the bytes written, or 0 if max is too small. */
size_t spf_hdr_make (struct spf_check const *c, char const *resultword, char const *identity,
                     char const *relaynote, char *out, size_t max) ;

/* In the header block h[0..len), finds the second Received header (the
   first is smtpd's own) and reads its "from HELO" and "[IP]". 1 found (ip,
   helo NUL-terminated, bytes outside 33..126 refused), 0 not readable. */
int spf_hdr_hop (char const *h, size_t len, char *ip, size_t ipmax, char *helo, size_t helomax) ;

/* Length of the header block in buf[0..len) up to and including the empty
   line; 0 if the empty line is not in it yet. */
size_t spf_hdr_end (char const *buf, size_t len) ;

/* Copies s to out (room max, NUL-terminated), bytes outside 33..126 as '?'. */
void spf_safe (char const *s, size_t len, char *out, size_t max) ;

/* ---- spf_filter.c: the qmail-queue filter plumbing ---- */

#define SPF_FILTER_REPLY_FD 4                   /* smtpd reads a custom reply line here */
#define SPF_FILTER_HEADER_MAX_BYTES (64u << 10)  /* header block read to find a trusted relay's hop */
#define SPF_FILTER_ENVELOPE_MAX_BYTES (16u << 20) /* queue.h QUEUE_ENVELOPE_MAX_BYTES */

/* Reads from fd into buf until the end of the header block, EOF or max
   bytes. Returns the bytes read, -1 on error. */
ssize_t spf_filter_headers (int fd, char *buf, size_t max) ;

/* Writes "CODE TEXT\r\n" to fd 4 (bytes outside 32..126 as '?'). */
void spf_filter_reply (char const *code, char const *text, size_t len) ;

/* Runs argv with MXHOLD_SPF=spfword, the message on its fd 0 (head, then
   pre, then the rest of our fd 0), our envelope on its fd 1 if it is
   complete, our fds 2 and 4, nothing else (lib/spawn.h). Logs an
   exec-failed, pipe-failed or aborted line (qid: for the log). Returns the
   exit code to exit with: the child's, or 111. */
int spf_filter_pass (char const *const *argv, char const *qid, char const *spfword,
                     char const *head, size_t headlen, char const *pre, size_t prelen) ;

/* ---- spf_policy.c: the two modes ---- */

struct conf ;
/* Query mode: prints "RESULT\nexplanation: ...\nmechanism: ...\n".
   Returns the exit code: 0 for any result, 100 bad usage, 111 no DNS. */
int spf_query_main (char const *ip, char const *sender, char const *helo, char const *me, unsigned long budget_ms) ;
/* Filter mode (fd 0 message, fd 1 envelope, env from smtpd). budget_ms 0:
   the config's spf_budget for the client. Returns the exit code. */
int spf_filter_main (char const *const *argv, struct conf const *cf, unsigned long budget_ms) ;

#endif
