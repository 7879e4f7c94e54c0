/* conf_value.h: the value syntaxes of the config files, shared by the
   checker (conf_build.c) and its tests. libc only. conf/conf.md is the
   reference for each syntax. */
#ifndef MXHOLD_CONF_VALUE_H
#define MXHOLD_CONF_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include "conf/conf.h"

#define CONF_MSG_BYTES 256   /* an error message built from parts */

/* A bounded output buffer: writes past cap set over and are dropped, so
   callers check over once at the end. */
struct conf_obuf
{
  char *p ;
  size_t len ;
  size_t cap ;
  int over ;
} ;
void conf_obuf_put (struct conf_obuf *o, char const *s, size_t n) ;
void conf_obuf_puts (struct conf_obuf *o, char const *s) ;
void conf_obuf_putu (struct conf_obuf *o, uint64_t v) ;

/* 1 if the span is exactly the string s. */
int conf_word_is (struct span w, char const *s) ;

/* Limit i's value s (decimal up to the cap, "unlimited" if the cap is
   CONF_UNLIMITED, K/M/G for size, "Nd" for lifetime: *v = 0 and *days =
   N, else *days = UINT64_MAX). 0 on success, else the reason (a static
   string, or msg, CONF_MSG_BYTES long, for "above the cap of N"). */
char const *conf_value_limit (char *msg, unsigned int i, struct span s, uint64_t *v, uint64_t *days) ;

/* A route ("mx" or HOST[:PORT][,...]) written canonically (hosts lower
   case) to o. 0 or the reason. */
char const *conf_value_route (struct span r, struct conf_obuf *o) ;

/* "ADDR[/LEN]" -> the cdb key "c:" FAM LEN ADDR in key (20 bytes),
   *klen, *fam (4 or 6; IPv4-mapped prefixes become 4), *bits (LEN).
   0 or the reason (bad address, bad prefix length, host bits set). */
char const *conf_value_client (struct span a, char *key, size_t *klen, int *fam, unsigned int *bits) ;

#endif
