/* spf_hdr_fuzz.c: the header block of a message from a trusted relay
   (anyone upstream of the relay may have written it): header end and the
   hop's Received header. Outputs must be NUL-terminated and printable.
   Then the header lines we write, from fields the fuzzer picks (HELO,
   sender, me, mechanism, domain, reason text): two fields, every line
   ending in CRLF, at most 998 bytes (RFC 5322 2.1.1), no line only white
   space, no bare CR or LF, every continuation line starting with a TAB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "spfcheck/spfcheck.h"

/* the next field of the input: up to a 0xff byte, at most max bytes */
static struct span take (char const **p, size_t *n, size_t max)
{
  struct span s = { *p, 0 } ;
  while (s.len < *n && (unsigned char)s.p[s.len] != 0xff) s.len++ ;
  *p += s.len < *n ? s.len + 1 : s.len ;
  *n -= s.len < *n ? s.len + 1 : s.len ;
  if (s.len > max) s.len = max ;
  return s ;
}

static void check_lines (char const *o, size_t n)
{
  size_t start = 0 ;
  unsigned fields = 0 ;
  if (n < 2 || o[n - 2] != '\r' || o[n - 1] != '\n') abort() ;
  for (size_t i = 0 ; i < n ; i++)
  {
    if (o[i] == '\n' && (!i || o[i - 1] != '\r')) abort() ;          /* bare LF */
    if (o[i] == '\r' && (i + 1 >= n || o[i + 1] != '\n')) abort() ;  /* bare CR */
    if (o[i] != '\n') continue ;
    size_t len = i - 1 - start ;
    size_t k = start ;
    if (len > 998) abort() ;
    while (k < i - 1 && (o[k] == ' ' || o[k] == '\t')) k++ ;
    if (k == i - 1) abort() ;                                        /* only white space */
    if (o[start] == ' ') abort() ;   /* we fold with a TAB */
    if (o[start] != '\t') fields++ ;
    start = i + 1 ;
  }
  if (fields != 2) abort() ;
}

static void make (char const *p, size_t n)
{
  static char const *const results[] = { "pass", "fail", "softfail", "neutral", "none", "permerror", "temperror" } ;
  struct spf_check c ;
  char out[8192] ;
  struct span me, note, why, mech, dom ;
  size_t len ;
  char notebuf[64] ;
  unsigned char sel = n ? (unsigned char)p[0] : 0 ;
  if (n)
  {
    p++ ;
    n-- ;
  }
  memset(&c, 0, sizeof c) ;
  c.ipv4 = sel & 1 ;
  memset(c.ip, sel, sizeof c.ip) ;
  c.helo = take(&p, &n, 255) ;
  c.sender = take(&p, &n, SPF_SENDER_MAX) ;
  me = take(&p, &n, 255) ;
  c.me = me ;
  mech = take(&p, &n, sizeof c.mech) ;
  memcpy(c.mech, mech.p, mech.len) ;
  c.mechlen = mech.len ;
  dom = take(&p, &n, SPF_DOMAIN_MAX) ;
  memcpy(c.domain, dom.p, dom.len) ;
  c.domainlen = dom.len ;
  why = take(&p, &n, sizeof c.why - 1) ;
  memcpy(c.why, why.p, why.len) ;
  for (size_t i = 0 ; i < why.len ; i++) if (!c.why[i]) c.why[i] = 'x' ;   /* a C string */
  note = take(&p, &n, sizeof notebuf - 1) ;
  memcpy(notebuf, note.p, note.len) ;
  notebuf[note.len] = 0 ;
  for (size_t i = 0 ; i < note.len ; i++) if ((unsigned char)notebuf[i] < 33 || (unsigned char)notebuf[i] > 126) notebuf[i] = ' ' ;
  len = spf_hdr_make(&c, results[(sel >> 1) % 7], sel & 0x10 ? "helo" : "mailfrom", sel & 0x20 ? notebuf : 0, out, sizeof out) ;
  if (!len || len > sizeof out) abort() ;
  check_lines(out, len) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char ip[64], helo[256] ;
  char const *p = (char const *)data ;
  size_t end = spf_hdr_end(p, size) ;
  if (end > size) abort() ;
  if (spf_hdr_hop(p, end ? end : size, ip, sizeof ip, helo, sizeof helo))
  {
    if (strlen(ip) >= sizeof ip || strlen(helo) >= sizeof helo) abort() ;
    for (char const *q = helo ; *q ; q++) if ((unsigned char)*q < 33 || (unsigned char)*q > 126) abort() ;
  }
  make(p, size) ;
  return 0 ;
}
