/* rcpt_reply.c: one line of an SMTP reply (RFC 5321 4.2) as a customer's
   server sends it to a probe: untrusted bytes, parsed on lengths. libc
   only. */
#include <string.h>
#include "lib/u64.h"
#include "rcptcheck/rcptcheck.h"

long rcpt_reply_line (char const *buf, size_t len, unsigned int *code, int *last, char *text, size_t tmax)
{
  char const *nl = memchr(buf, '\n', len) ;
  size_t ll ;
  size_t tl ;
  uint64_t v ;
  if (!nl) return 0 ;
  ll = (size_t)(nl - buf) + 1 ;
  tl = ll - 1 ;
  if (tl && buf[tl - 1] == '\r') tl-- ;
  /* "NNN" alone, "NNN text", "NNN-text": a code of three digits, 200..599 */
  if (tl < 3 || !mx_u64_scan_all(buf, 3, 999, &v) || v < 200 || v > 599) return -1 ;
  if (tl > 3 && buf[3] != ' ' && buf[3] != '-') return -1 ;
  *code = (unsigned int)v ;
  *last = tl == 3 || buf[3] == ' ' ;
  if (!tmax) return (long)ll ;
  if (tl >= tmax) tl = tmax - 1 ;
  for (size_t i = 0 ; i < tl ; i++)
    text[i] = (unsigned char)buf[i] >= 32 && (unsigned char)buf[i] < 127 ? buf[i] : '?' ;
  text[tl] = 0 ;
  return (long)ll ;
}
