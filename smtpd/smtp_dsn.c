/* smtp_dsn.c: the DSN parameters (RFC 3461 4): their syntax and limits.
   libc only. The values reach the queue file and the customer's server
   as they came (xtext is ASCII without spaces), so nothing but the
   grammar is let through. */
#include <string.h>
#include "smtpd/smtp_dsn.h"

static int is_hexup (char c)
{
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ;
}

int smtp_dsn_xtext (struct span v)
{
  size_t i ;
  for (i = 0 ; i < v.len ; i++)
  {
    unsigned char c = (unsigned char)v.p[i] ;
    if (c == '+')
    {
      if (i + 2 >= v.len || !is_hexup(v.p[i + 1]) || !is_hexup(v.p[i + 2])) return 0 ;
      i += 2 ;
    }
    else if (c < 33 || c > 126 || c == '=') return 0 ;
  }
  return 1 ;
}

static int ci_word (struct span w, char const *s)
{
  size_t n = strlen(s) ;
  size_t i ;
  if (w.len != n) return 0 ;
  for (i = 0 ; i < n ; i++)
  {
    char c = w.p[i] ;
    if (c >= 'a' && c <= 'z') c -= 32 ;
    if (c != s[i]) return 0 ;
  }
  return 1 ;
}

unsigned smtp_dsn_notify (struct span v)
{
  static struct { char const *w ; unsigned bit ; } const words[] =
  {
    { "NEVER", SMTP_NOTIFY_NEVER },
    { "SUCCESS", SMTP_NOTIFY_SUCCESS },
    { "FAILURE", SMTP_NOTIFY_FAILURE },
    { "DELAY", SMTP_NOTIFY_DELAY },
  } ;
  unsigned mask = 0 ;
  size_t i = 0 ;
  while (i <= v.len)
  {
    char const *comma = memchr(v.p + i, ',', v.len - i) ;
    struct span w = { v.p + i, comma ? (size_t)(comma - (v.p + i)) : v.len - i } ;
    unsigned bit = 0 ;
    size_t k ;
    for (k = 0 ; k < sizeof words / sizeof words[0] ; k++) if (ci_word(w, words[k].w)) bit = words[k].bit ;
    if (!bit || (mask & bit)) return 0 ;
    mask |= bit ;
    if (!comma) break ;
    i += w.len + 1 ;
  }
  if ((mask & SMTP_NOTIFY_NEVER) && mask != SMTP_NOTIFY_NEVER) return 0 ;   /* NEVER stands alone */
  return mask ;
}

int smtp_dsn_orcpt (struct span v)
{
  char const *semi = memchr(v.p, ';', v.len) ;
  size_t i ;
  size_t tl ;
  if (!semi || v.len > SMTPD_DSN_ORCPT_MAX) return 0 ;
  tl = (size_t)(semi - v.p) ;
  if (!tl || tl + 1 == v.len) return 0 ;
  for (i = 0 ; i < tl ; i++)   /* addr-type = atom (RFC 3461 4.2, RFC 5321 atom) */
  {
    char c = v.p[i] ;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c))) return 0 ;
  }
  return smtp_dsn_xtext((struct span){ semi + 1, v.len - tl - 1 }) ;
}

int smtp_dsn_envid (struct span v)
{
  return v.len && v.len <= SMTPD_DSN_ENVID_MAX && smtp_dsn_xtext(v) ;
}

char smtp_dsn_ret (struct span v)
{
  if (ci_word(v, "FULL")) return 'F' ;
  if (ci_word(v, "HDRS")) return 'H' ;
  return 0 ;
}

void smtp_dsn_notify_fmt (unsigned mask, char *out)
{
  static char const *const names[] = { "NEVER", "SUCCESS", "FAILURE", "DELAY" } ;
  size_t n = 0 ;
  unsigned k ;
  for (k = 0 ; k < 4 ; k++)
  {
    size_t l ;
    if (!(mask & (1u << k))) continue ;
    if (n) out[n++] = ',' ;
    l = strlen(names[k]) ;
    memcpy(out + n, names[k], l) ;
    n += l ;
  }
  out[n] = 0 ;
}
