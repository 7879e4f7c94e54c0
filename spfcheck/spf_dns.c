/* spf_dns.c: the DNS lookups of one SPF check, through libowfat's
   dns_transmit_* interface (not its one-call helpers, which retry an
   unanswered query for about a minute and wait on through SERVFAIL).
   Every answer is cached for the rest of the check; every query ends
   before the check's deadline. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <dns.h>
#include <iopause.h>
#include <taia.h>
#include <stralloc.h>
#include "spfcheck/spfcheck.h"

struct spf_cache {
  struct spf_cache *next ;
  unsigned int qtype ;
  size_t namelen ;
  char *name ;                /* lower case, no trailing dot */
  struct spf_answer a ;
  char *blob ;                /* the records' bytes */
} ;

struct spf_dns {
  char servers[256] ;         /* libowfat: 16 addresses of 16 bytes */
  uint64_t deadline_ms ;      /* CLOCK_MONOTONIC */
  int expired ;
  unsigned int sent ;
  struct spf_cache *cache ;
} ;

static uint64_t now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 ;
}

struct spf_dns *spf_dns_new (unsigned long budget_ms)
{
  struct spf_dns *d = calloc(1, sizeof *d) ;
  if (!d) return 0 ;
  if (dns_resolvconfip(d->servers) == -1) { free(d) ; errno = ENOENT ; return 0 ; }
  d->deadline_ms = now_ms() + budget_ms ;
  return d ;
}

void spf_dns_free (struct spf_dns *d)
{
  if (!d) return ;
  while (d->cache)
  {
    struct spf_cache *c = d->cache ;
    d->cache = c->next ;
    free(c->name) ; free(c->a.rr) ; free(c->blob) ; free(c) ;
  }
  free(d) ;
}

unsigned int spf_dns_sent (struct spf_dns const *d) { return d->sent ; }

/* A reply to our query whose RCODE is neither NOERROR nor NXDOMAIN is
   waiting on the UDP socket: libowfat would quietly retry, we give up. */
static int servfail_waiting (struct dns_transmit const *tx, iopause_fd const *x)
{
  unsigned char buf[16] ;
  ssize_t r ;
  if (tx->tcpstate || !(x->revents & IOPAUSE_READ)) return 0 ;
  r = recv(x->fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT) ;
  if (r < 12 || memcmp(buf, tx->query + 2, 2)) return 0 ;
  if (!(buf[2] & 0x80)) return 0 ;
  return (buf[3] & 15) != 0 && (buf[3] & 15) != 3 ;
}

/* Runs one transmission to its end. 0 answered (tx->packet), -1 with
   status set. */
static int transmit (struct spf_dns *d, struct dns_transmit *tx, char const *q, char const qt[2], int *status)
{
  static char const localip[16] = { 0 } ;
  if (dns_transmit_start(tx, d->servers, 1, q, qt, localip) == -1) { *status = SPF_DNS_ERROR ; return -1 ; }
  d->sent++ ;
  for (;;)
  {
    iopause_fd x ;
    struct taia stamp, deadline, rem ;
    uint64_t now = now_ms() ;
    int r ;
    if (now >= d->deadline_ms) { d->expired = 1 ; *status = SPF_DNS_TIMEOUT ; return -1 ; }
    taia_now(&stamp) ;
    taia_uint(&rem, (unsigned int)((d->deadline_ms - now) / 1000)) ;
    rem.nano = (uint32)(((d->deadline_ms - now) % 1000) * 1000000) ;
    taia_add(&deadline, &stamp, &rem) ;
    dns_transmit_io(tx, &x, &deadline) ;
    iopause(&x, 1, &deadline, &stamp) ;
    if (servfail_waiting(tx, &x)) { *status = SPF_DNS_ERROR ; return -1 ; }
    r = dns_transmit_get(tx, &x, &stamp) ;
    if (r == 1) return 0 ;
    if (r == -1) { *status = (errno == ETIMEDOUT) ? SPF_DNS_TIMEOUT : SPF_DNS_ERROR ; return -1 ; }
  }
}

/* Appends one record's bytes (rdata at pos, rdlen bytes) to sa. -1 bad. */
static int rdata (char const *buf, unsigned int len, unsigned int pos, unsigned int rdlen,
                  unsigned int qtype, stralloc *sa)
{
  char *name = 0 ;
  int r = 0 ;
  switch (qtype)
  {
    case SPF_QT_A : return (rdlen == 4 && stralloc_catb(sa, buf + pos, 4)) ? 0 : -1 ;
    case SPF_QT_AAAA : return (rdlen == 16 && stralloc_catb(sa, buf + pos, 16)) ? 0 : -1 ;
    case SPF_QT_TXT :
      for (unsigned int i = 0 ; i < rdlen ; )
      {
        unsigned char n = (unsigned char)buf[pos + i] ;
        if (i + 1 + n > rdlen) return -1 ;
        if (!stralloc_catb(sa, buf + pos + i + 1, n)) return -1 ;
        i += 1 + n ;
      }
      return 0 ;
    case SPF_QT_MX : if (rdlen < 3) return -1 ; pos += 2 ; /* fall through */
    case SPF_QT_PTR :
      if (!dns_packet_getname(buf, len, pos, &name)) return -1 ;
      r = dns_domain_todot_cat(sa, name) ? 0 : -1 ;
      free(name) ;
      return r ;
  }
  return -1 ;
}

/* Fills e->a from the reply packet. */
static int parse (char const *buf, unsigned int len, unsigned int qtype, struct spf_cache *e)
{
  stralloc sa = { 0, 0, 0 } ;
  size_t offs[SPF_DNS_ANSWER_MAX / 11 + 1] ;
  unsigned int pos, an, n = 0 ;
  char hdr[12], rr[10] ;
  if (!(pos = dns_packet_copy(buf, len, 0, hdr, 12))) return -1 ;
  if ((hdr[3] & 15) == 3) { e->a.status = SPF_DNS_NXDOMAIN ; return 0 ; }
  if (hdr[3] & 15) { e->a.status = SPF_DNS_ERROR ; return 0 ; }
  an = ((unsigned char)hdr[6] << 8) | (unsigned char)hdr[7] ;
  for (unsigned int q = ((unsigned char)hdr[4] << 8) | (unsigned char)hdr[5] ; q ; q--)
  {
    if (!(pos = dns_packet_skipname(buf, len, pos))) return -1 ;
    pos += 4 ;
  }
  for ( ; an ; an--)
  {
    unsigned int rdlen, type ;
    if (!(pos = dns_packet_skipname(buf, len, pos))) goto bad ;
    if (!(pos = dns_packet_copy(buf, len, pos, rr, 10))) goto bad ;
    type = ((unsigned char)rr[0] << 8) | (unsigned char)rr[1] ;
    rdlen = ((unsigned char)rr[8] << 8) | (unsigned char)rr[9] ;
    if (pos + rdlen > len) goto bad ;
    if (type == qtype && rr[2] == 0 && rr[3] == 1)
    {
      offs[n++] = sa.len ;
      if (rdata(buf, len, pos, rdlen, qtype, &sa) == -1) goto bad ;
    }
    pos += rdlen ;
  }
  e->a.status = n ? SPF_DNS_OK : SPF_DNS_NODATA ;
  e->a.n = n ;
  e->blob = sa.s ;
  if (n && !(e->a.rr = calloc(n, sizeof *e->a.rr))) goto bad ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    size_t end = (i + 1 < n) ? offs[i + 1] : sa.len ;
    e->a.rr[i] = (struct span){ sa.s + offs[i], end - offs[i] } ;
  }
  return 0 ;
 bad:
  free(sa.s) ;
  e->blob = 0 ; e->a.n = 0 ;
  return -1 ;
}

static struct spf_cache *lookup (struct spf_dns *d, char const *name, size_t len, unsigned int qtype)
{
  struct spf_cache *e = calloc(1, sizeof *e) ;
  struct dns_transmit tx ;
  char *q = 0 ;
  char qt[2] = { (char)(qtype >> 8), (char)qtype } ;
  int status ;
  if (!e || !(e->name = malloc(len + 1))) { free(e) ; return 0 ; }
  for (size_t i = 0 ; i < len ; i++) e->name[i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i] ;
  e->name[len] = 0 ; e->namelen = len ; e->qtype = qtype ;
  e->a.status = SPF_DNS_NXDOMAIN ;   /* a name DNS cannot carry does not exist */
  if (!spf_domain_ok(name, len) || !dns_domain_fromdot(&q, name, len)) return e ;
  memset(&tx, 0, sizeof tx) ;
  if (transmit(d, &tx, q, qt, &status) == -1) e->a.status = status ;
  else if (parse(tx.packet, tx.packetlen, qtype, e) == -1) e->a.status = SPF_DNS_ERROR ;
  dns_transmit_free(&tx) ;
  free(q) ;
  return e ;
}

struct spf_answer const *spf_dns_query (struct spf_dns *d, char const *name, size_t len, unsigned int qtype)
{
  static struct spf_answer const nomem = { SPF_DNS_ERROR, 0, 0 } ;
  static struct spf_answer const late = { SPF_DNS_TIMEOUT, 0, 0 } ;
  struct spf_cache *e ;
  if (len && name[len - 1] == '.') len-- ;
  for (e = d->cache ; e ; e = e->next)
  {
    if (e->qtype != qtype || e->namelen != len) continue ;
    size_t i = 0 ;
    while (i < len && e->name[i] == ((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i])) i++ ;
    if (i == len) return &e->a ;
  }
  if (d->expired) return &late ;
  e = lookup(d, name, len, qtype) ;
  if (!e) return &nomem ;
  e->next = d->cache ; d->cache = e ;
  return &e->a ;
}
