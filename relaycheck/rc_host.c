/* rc_host.c: "HOST[:PORT]" and batch lines. libc only. */

#include <errno.h>
#include <string.h>
#include "relaycheck/relaycheck.h"

/* Host names and address text: printable, no blanks, nothing that would
   need quoting in our output. */
static int host_ok (char const *s, size_t n)
{
  size_t i ;
  if (!n || n > RC_ARG_MAX) return 0 ;
  for (i = 0 ; i < n ; i++)
  {
    unsigned char ch = (unsigned char)s[i] ;
    if (ch <= 32 || ch >= 127 || ch == '"' || ch == '\\' || ch == '[' || ch == ']' || ch == '/') return 0 ;
  }
  return 1 ;
}

static int port_ok (char const *s, size_t n)
{
  size_t i ;
  unsigned long v = 0 ;
  if (!n || n > 5) return 0 ;
  for (i = 0 ; i < n ; i++)
  {
    if (s[i] < '0' || s[i] > '9') return 0 ;
    v = v * 10 + (unsigned long)(s[i] - '0') ;
  }
  return v >= 1 && v <= 65535 ;
}

int rc_host_parse (struct rc_host *h, char const *s, size_t len)
{
  char const *host = s, *port = RC_PORT_DEFAULT ;
  size_t hl = len, pl = sizeof RC_PORT_DEFAULT - 1 ;
  char const *colon = memchr(s, ':', len) ;
  memset(h, 0, sizeof *h) ;
  if (len && s[0] == '[')
  {
    char const *rb = memchr(s, ']', len) ;
    if (!rb) goto inval ;
    host = s + 1 ;
    hl = (size_t)(rb - s) - 1 ;
    if ((size_t)(rb - s) + 1 < len)
    {
      if (rb[1] != ':') goto inval ;
      port = rb + 2 ;
      pl = len - (size_t)(rb - s) - 2 ;
    }
  }
  else if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
  {
    hl = (size_t)(colon - s) ;
    port = colon + 1 ;
    pl = len - hl - 1 ;
  }
  /* else: no colon, or a bare IPv6 address with the default port */
  if (!host_ok(host, hl) || !port_ok(port, pl)) goto inval ;
  memcpy(h->host, host, hl) ;
  h->host[hl] = 0 ;
  memcpy(h->port, port, pl) ;
  h->port[pl] = 0 ;
  return 0 ;
 inval:
  errno = EINVAL ;
  return -1 ;
}
