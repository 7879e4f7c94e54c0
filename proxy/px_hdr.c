/* px_hdr.c: the PROXY protocol header, v1 and v2 (haproxy's
   proxy-protocol.txt). The parser is told the bytes read so far and says
   how many more it needs, so its reader never takes a byte of the SMTP
   stream behind the header. Strict: anything the spec does not allow is
   PX_BAD; the spec asks a receiver to drop such a connection. */
#include <string.h>
#include <arpa/inet.h>
#include "proxy/proxy.h"

static unsigned char const v2sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a } ;
static char const v1sig[] = "PROXY " ;
#define V1SIG_LEN 6
#define V2_ADDR4_BYTES 12    /* src 4, dst 4, sport 2, dport 2 */
#define V2_ADDR6_BYTES 36    /* src 16, dst 16, sport 2, dport 2 */

static enum px_status bad (char const **why, char const *w)
{
  *why = w ;
  return PX_BAD ;
}

/* A decimal port: 1 to 5 digits, no leading zero, at most 65535. */
static int port_scan (char const *s, size_t n, uint16_t *port)
{
  uint32_t v = 0 ;
  if (!n || n > 5 || (s[0] == '0' && n > 1)) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    if (s[i] < '0' || s[i] > '9') return 0 ;
    v = v * 10 + (uint32_t)(s[i] - '0') ;
  }
  if (v > 65535) return 0 ;
  *port = (uint16_t)v ;
  return 1 ;
}

/* An address of family fam as text, copied into out if it parses. */
static int addr_scan (char const *s, size_t n, int fam, char *out)
{
  unsigned char bin[16] ;
  if (!n || n >= PX_IP_MAX) return 0 ;
  memcpy(out, s, n) ;
  out[n] = 0 ;
  return inet_pton(fam == 4 ? AF_INET : AF_INET6, out, bin) == 1 ;
}

/* "PROXY TCP4 SRC DST SPORT DPORT" or "PROXY UNKNOWN ...", CRLF cut off. */
static enum px_status v1_line (char const *s, size_t n, struct px_header *h, char const **why)
{
  char const *f[5] ;
  size_t fl[5] ;
  size_t i = V1SIG_LEN ;
  unsigned int k ;
  h->version = 1 ;
  if (n - i >= 7 && !memcmp(s + i, "UNKNOWN", 7) && (n - i == 7 || s[i + 7] == ' '))
  {
    h->local = 1 ;
    return PX_DONE ;
  }
  for (k = 0 ; k < 5 ; k++)
  {
    char const *sp = memchr(s + i, ' ', n - i) ;
    size_t end = k == 4 ? n : sp ? (size_t)(sp - s) : n ;
    if (k < 4 && !sp) return bad(why, "bad-address") ;
    if (k == 4 && memchr(s + i, ' ', n - i)) return bad(why, "bad-port") ;
    f[k] = s + i ;
    fl[k] = end - i ;
    i = end + 1 ;
  }
  if (fl[0] == 4 && !memcmp(f[0], "TCP4", 4)) h->fam = 4 ;
  else if (fl[0] == 4 && !memcmp(f[0], "TCP6", 4)) h->fam = 6 ;
  else return bad(why, "bad-family") ;
  if (!addr_scan(f[1], fl[1], h->fam, h->src) || !addr_scan(f[2], fl[2], h->fam, h->dst)) return bad(why, "bad-address") ;
  if (!port_scan(f[3], fl[3], &h->sport) || !port_scan(f[4], fl[4], &h->dport)) return bad(why, "bad-port") ;
  return PX_DONE ;
}

static enum px_status v1 (unsigned char const *buf, size_t len, struct px_header *h, size_t *want, char const **why)
{
  size_t sig = len < V1SIG_LEN ? len : V1SIG_LEN ;
  if (memcmp(buf, v1sig, sig)) return bad(why, "bad-signature") ;
  if (len >= 2 && buf[len - 2] == '\r' && buf[len - 1] == '\n')
  {
    if (len < V1SIG_LEN + 2) return bad(why, "bad-signature") ;
    if (memchr(buf, '\r', len - 2) || memchr(buf, '\n', len - 2) || memchr(buf, 0, len - 2)) return bad(why, "bad-address") ;
    return v1_line((char const *)buf, len - 2, h, why) ;
  }
  if (len && buf[len - 1] == '\n') return bad(why, "bad-address") ;   /* a bare LF */
  if (len >= PX_V1_MAX) return bad(why, "too-long") ;
  *want = 1 ;
  return PX_MORE ;
}

static void v2_text (int fam, unsigned char const *a, char *out)
{
  inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, out, PX_IP_MAX) ;
}

static enum px_status v2 (unsigned char const *buf, size_t len, struct px_header *h, size_t *want, char const **why)
{
  size_t sig = len < sizeof v2sig ? len : sizeof v2sig ;
  size_t body ;
  unsigned int cmd, fam ;
  if (memcmp(buf, v2sig, sig)) return bad(why, "bad-signature") ;
  if (len >= 13 && (buf[12] >> 4) != 2) return bad(why, "bad-version") ;
  if (len >= 13 && (buf[12] & 0x0f) > 1) return bad(why, "bad-command") ;
  if (len < PX_V2_FIXED)
  {
    *want = PX_V2_FIXED - len ;
    return PX_MORE ;
  }
  body = (size_t)buf[14] << 8 | buf[15] ;
  if (len < PX_V2_FIXED + body)
  {
    *want = PX_V2_FIXED + body - len ;
    return PX_MORE ;
  }
  h->version = 2 ;
  cmd = buf[12] & 0x0f ;
  fam = buf[13] ;
  if (!cmd || fam == 0x00)
  {
    /* LOCAL (a health check) or UNSPEC: the connection is the proxy's own */
    h->local = 1 ;
    return PX_DONE ;
  }
  if (fam == 0x11)
  {
    if (body < V2_ADDR4_BYTES) return bad(why, "short-addresses") ;
    h->fam = 4 ;
    v2_text(4, buf + 16, h->src) ;
    v2_text(4, buf + 20, h->dst) ;
    h->sport = (uint16_t)(buf[24] << 8 | buf[25]) ;
    h->dport = (uint16_t)(buf[26] << 8 | buf[27]) ;
    return PX_DONE ;
  }
  if (fam == 0x21)
  {
    if (body < V2_ADDR6_BYTES) return bad(why, "short-addresses") ;
    h->fam = 6 ;
    v2_text(6, buf + 16, h->src) ;
    v2_text(6, buf + 32, h->dst) ;
    h->sport = (uint16_t)(buf[48] << 8 | buf[49]) ;
    h->dport = (uint16_t)(buf[50] << 8 | buf[51]) ;
    return PX_DONE ;
  }
  return bad(why, "bad-family") ;   /* UDP or unix: not an SMTP client */
}

enum px_status px_parse (unsigned char const *buf, size_t len, struct px_header *h, size_t *want, char const **why)
{
  memset(h, 0, sizeof *h) ;
  *want = 0 ;
  *why = 0 ;
  if (!len)
  {
    *want = 1 ;
    return PX_MORE ;
  }
  if (buf[0] == 'P') return v1(buf, len, h, want, why) ;
  if (buf[0] == v2sig[0]) return v2(buf, len, h, want, why) ;
  return bad(why, "bad-signature") ;
}
