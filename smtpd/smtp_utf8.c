/* smtp_utf8.c: UTF-8 validation (RFC 3629 4: the only well-formed
   sequences) and Punycode (RFC 3492) for IDNA A-labels. libc only.

   An SMTPUTF8 address may hold UTF-8 (RFC 6531 3.3), but only the
   well-formed kind: an overlong form, a surrogate or a code point above
   U+10FFFF would let two byte strings name one address, or be read
   differently by the next MTA. A domain is matched and stored in its
   A-label form, so the config, the queue, DNS and SPF see ASCII only
   (RFC 5891 5.5: the U-label and its A-label are the same name). */
#include <string.h>
#include "smtpd/smtp_utf8.h"

size_t smtp_utf8_char (char const *s, size_t len, uint32_t *cp)
{
  unsigned char c = (unsigned char)s[0] ;
  uint32_t v ;
  uint32_t min ;
  size_t n ;
  size_t i ;
  if (!len) return 0 ;
  if (c < 0x80)
  {
    *cp = c ;
    return 1 ;
  }
  if (c >= 0xc2 && c <= 0xdf)
  {
    n = 2 ;
    v = c & 0x1f ;
    min = 0x80 ;
  }
  else if (c >= 0xe0 && c <= 0xef)
  {
    n = 3 ;
    v = c & 0x0f ;
    min = 0x800 ;
  }
  else if (c >= 0xf0 && c <= 0xf4)
  {
    n = 4 ;
    v = c & 0x07 ;
    min = 0x10000 ;
  }
  else return 0 ;   /* a continuation byte, C0/C1 (always overlong), F5..FF */
  if (len < n) return 0 ;
  for (i = 1 ; i < n ; i++)
  {
    unsigned char k = (unsigned char)s[i] ;
    if ((k & 0xc0) != 0x80) return 0 ;
    v = (v << 6) | (k & 0x3f) ;
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0 ;
  *cp = v ;
  return n ;
}

int smtp_utf8_valid (struct span s)
{
  size_t i = 0 ;
  while (i < s.len)
  {
    uint32_t cp ;
    size_t n = smtp_utf8_char(s.p + i, s.len - i, &cp) ;
    if (!n) return 0 ;
    i += n ;
  }
  return 1 ;
}

int smtp_utf8_nonascii (struct span s)
{
  size_t i ;
  for (i = 0 ; i < s.len ; i++) if ((unsigned char)s.p[i] >= 0x80) return 1 ;
  return 0 ;
}

/* RFC 3492 5: the parameters of Punycode */
enum { P_BASE = 36, P_TMIN = 1, P_TMAX = 26, P_SKEW = 38, P_DAMP = 700, P_BIAS = 72, P_N = 128 } ;

static char digit (uint32_t d)
{
  return (char)(d < 26 ? 'a' + d : '0' + d - 26) ;
}

/* RFC 3492 6.1 */
static uint32_t adapt (uint32_t delta, uint32_t points, int first)
{
  uint32_t k = 0 ;
  delta = first ? delta / P_DAMP : delta / 2 ;
  delta += delta / points ;
  while (delta > ((P_BASE - P_TMIN) * P_TMAX) / 2)
  {
    delta /= P_BASE - P_TMIN ;
    k += P_BASE ;
  }
  return k + (P_BASE - P_TMIN + 1) * delta / (delta + P_SKEW) ;
}

/* Writes delta as a variable-length integer (RFC 3492 6.3's inner loop);
   0 if out is full. */
static int put_delta (uint32_t q, uint32_t bias, char *out, size_t max, size_t *o)
{
  uint32_t k ;
  for (k = P_BASE ; ; k += P_BASE)
  {
    uint32_t t = k <= bias ? P_TMIN : k >= bias + P_TMAX ? P_TMAX : k - bias ;
    if (q < t) break ;
    if (*o >= max) return 0 ;
    out[(*o)++] = digit(t + (q - t) % (P_BASE - t)) ;
    q = (q - t) / (P_BASE - t) ;
  }
  if (*o >= max) return 0 ;
  out[(*o)++] = digit(q) ;
  return 1 ;
}

size_t smtp_punycode (uint32_t const *cp, size_t n, char *out, size_t max)
{
  uint32_t code = P_N ;
  uint32_t delta = 0 ;
  uint32_t bias = P_BIAS ;
  size_t h ;
  size_t b = 0 ;
  size_t o = 0 ;
  size_t i ;
  for (i = 0 ; i < n ; i++)
  {
    if (cp[i] >= 0x80) continue ;
    if (o >= max) return 0 ;
    out[o++] = (char)cp[i] ;
    b++ ;
  }
  if (b)
  {
    if (o >= max) return 0 ;
    out[o++] = '-' ;
  }
  for (h = b ; h < n ;)
  {
    uint32_t m = UINT32_MAX ;
    for (i = 0 ; i < n ; i++) if (cp[i] >= code && cp[i] < m) m = cp[i] ;
    if ((m - code) > (UINT32_MAX - delta) / (h + 1)) return 0 ;
    delta += (m - code) * (uint32_t)(h + 1) ;
    code = m ;
    for (i = 0 ; i < n ; i++)
    {
      if (cp[i] < code && ++delta == 0) return 0 ;
      if (cp[i] != code) continue ;
      if (!put_delta(delta, bias, out, max, &o)) return 0 ;
      bias = adapt(delta, (uint32_t)(h + 1), h == b) ;
      delta = 0 ;
      h++ ;
    }
    delta++ ;
    code++ ;
  }
  return o ;
}

/* One label with a non-ASCII byte: "xn--" and its Punycode at out. */
static size_t label_ace (struct span l, char *out, size_t max)
{
  uint32_t cps[SMTPD_UTF8_LABEL_CPS] ;
  size_t n = 0 ;
  size_t i = 0 ;
  size_t k ;
  static char const pre[] = SMTPD_ACE_PREFIX ;
  while (i < l.len)
  {
    uint32_t c ;
    size_t w = smtp_utf8_char(l.p + i, l.len - i, &c) ;
    if (!w || n == SMTPD_UTF8_LABEL_CPS) return 0 ;
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A' ;
    cps[n++] = c ;
    i += w ;
  }
  if (max < sizeof pre - 1) return 0 ;
  memcpy(out, pre, sizeof pre - 1) ;
  k = smtp_punycode(cps, n, out + sizeof pre - 1, max - (sizeof pre - 1)) ;
  return k ? k + sizeof pre - 1 : 0 ;
}

size_t smtp_utf8_alabels (struct span d, char *out, size_t max)
{
  size_t o = 0 ;
  size_t i = 0 ;
  if (!max) return 0 ;
  while (i <= d.len)
  {
    char const *dot = memchr(d.p + i, '.', d.len - i) ;
    struct span l = { d.p + i, dot ? (size_t)(dot - (d.p + i)) : d.len - i } ;
    size_t room = max - 1 - o ;
    size_t k ;
    if (!l.len) return 0 ;
    if (smtp_utf8_nonascii(l)) k = label_ace(l, out + o, room < 63 ? room : 63) ;
    else
    {
      if (l.len > room) return 0 ;
      memcpy(out + o, l.p, l.len) ;
      k = l.len ;
    }
    if (!k) return 0 ;
    o += k ;
    if (!dot) break ;
    if (o >= max - 1) return 0 ;
    out[o++] = '.' ;
    i += l.len + 1 ;
  }
  out[o] = 0 ;
  return o ;
}
