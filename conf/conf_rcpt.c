/* conf_rcpt.c: recipients=list, the files recipients/DOMAIN of the config
   directory: one local part a line, "*" the domain's catch-all. Each
   becomes the key "r:" LOCAL "@" DOMAIN, lower case (conf.h). libc only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf_build.h"

int conf_rcpt_domain (struct conf_build *b, char const *dom, size_t len, unsigned long line)
{
  if (b->nrdoms == b->rdomscap)
  {
    size_t cap = b->rdomscap ? b->rdomscap * 2 : 16 ;
    struct conf_build_rdom *n = realloc(b->rdoms, cap * sizeof *n) ;
    if (!n) return -1 ;
    b->rdoms = n ;
    b->rdomscap = cap ;
  }
  memcpy(b->rdoms[b->nrdoms].name, dom, len) ;
  b->rdoms[b->nrdoms].name[len] = 0 ;
  b->rdoms[b->nrdoms].line = line ;
  b->nrdoms++ ;
  return 0 ;
}

/* A local part as smtpd passes it on: printable ASCII, no '@' (a quoted
   local part holding one cannot be listed), at most CONF_LOCAL_MAX bytes. */
static char const *local_check (struct span w)
{
  size_t i ;
  if (w.len > CONF_LOCAL_MAX) return "local part longer than 64 bytes (RFC 5321 4.5.3.1.1)" ;
  for (i = 0 ; i < w.len ; i++)
  {
    unsigned char ch = (unsigned char)w.p[i] ;
    if (ch < 33 || ch > 126) return "bad byte in local part" ;
    if (ch == '@') return "want a local part, without @domain" ;
  }
  return 0 ;
}

int conf_rcpt_line (struct conf_build *b, char const *file, unsigned long no, struct span const *w, size_t n)
{
  char key[2 + CONF_LOCAL_MAX + 1 + CONF_HOST_MAX] = "r:" ;
  size_t dlen = strlen(b->rdom) ;
  size_t i ;
  unsigned long first ;
  char const *why ;
  int r ;
  if (n != 1) return conf_build_fail(b, file, no, "want one local part on the line", 0) ;
  why = local_check(w[0]) ;
  if (why) return conf_build_fail(b, file, no, why, &w[0]) ;
  for (i = 0 ; i < w[0].len ; i++)
  {
    char ch = w[0].p[i] ;
    key[2 + i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch ;
  }
  key[2 + i] = '@' ;
  memcpy(key + 3 + i, b->rdom, dlen) ;
  r = conf_build_add(b, key, 3 + i + dlen, "", 0, no, &first) ;
  if (r == -1) return -1 ;
  if (r == 0)
  {
    char msg[CONF_MSG_BYTES] ;
    struct conf_obuf o = { msg, 0, sizeof msg - 1, 0 } ;
    conf_obuf_puts(&o, "duplicate local part, in any case (first on line ") ;
    conf_obuf_putu(&o, first) ;
    conf_obuf_puts(&o, ")") ;
    msg[o.len] = 0 ;
    return conf_build_fail(b, file, no, msg, &w[0]) ;
  }
  return 0 ;
}
