/* rc_reply_fuzz.c: the SMTP reply parser reads bytes from any server on
   the internet. Besides not crashing, feeding the input in two pieces must
   give the same result as feeding it whole (the reader's loop depends on
   it), and the display text must hold only safe bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "relaycheck/relaycheck.h"

/* Feeds s like rc_conn_reply does: consumed bytes are dropped, the tail
   kept and fed again with the next piece. */
static int run (struct rc_reply *r, uint8_t const *s, size_t len, size_t cut, size_t *total)
{
  char *buf = malloc(len + 1) ;
  size_t have = 0, used, fed = 0 ;
  int k = 0 ;
  *total = 0 ;
  rc_reply_init(r) ;
  for (int piece = 0 ; piece < 2 && !k ; piece++)
  {
    size_t add = piece ? len - cut : cut ;
    memcpy(buf + have, s + fed, add) ; have += add ; fed += add ;
    k = rc_reply_feed(r, buf, have, &used) ;
    if (k < 0) break ;
    memmove(buf, buf + used, have - used) ; have -= used ; *total += used ;
  }
  free(buf) ;
  return k ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  struct rc_reply a, b ;
  size_t ua, ub, i, cut ;
  int ka, kb ;
  if (!size) return 0 ;
  cut = data[0] % size ;
  data++ ; size-- ;
  if (cut > size) cut = size ;
  ka = run(&a, data, size, size, &ua) ;
  kb = run(&b, data, size, cut, &ub) ;
  if (ka != kb) abort() ;
  if (ka == 1 && (a.code != b.code || a.lines != b.lines || ua != ub || strcmp(a.text, b.text))) abort() ;
  if (a.textlen > RC_REPLY_TEXT_MAX || a.text[a.textlen]) abort() ;
  for (i = 0 ; i < a.textlen ; i++) if ((unsigned char)a.text[i] < 32 || (unsigned char)a.text[i] > 126) abort() ;
  if (ka == 1 && (a.code < 200 || a.code > 599)) abort() ;
  return 0 ;
}
