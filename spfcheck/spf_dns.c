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
  int pending ;               /* 1: tx is in flight, a not filled yet */
  struct dns_transmit tx ;
} ;

struct spf_dns {
  char servers[256] ;         /* libowfat: 16 addresses of 16 bytes */
  uint64_t deadline_ms ;      /* CLOCK_MONOTONIC */
  int expired ;
  unsigned int sent, inflight ;
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
  if (dns_resolvconfip(d->servers) == -1)
  {
    free(d) ;
    errno = ENOENT ;
    return 0 ;
  }
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
    if (c->pending) dns_transmit_free(&c->tx) ;
    free(c->name) ;
    free(c->a.rr) ;
    free(c->blob) ;
    free(c) ;
  }
  free(d) ;
}

unsigned int spf_dns_sent (struct spf_dns const *d)
{
  return d->sent ;
}

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
    case SPF_QT_MX :
      if (rdlen < 3) return -1 ;
      pos += 2 ;
      /* fall through */
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
  if ((hdr[3] & 15) == 3)
  {
    e->a.status = SPF_DNS_NXDOMAIN ;
    return 0 ;
  }
  if (hdr[3] & 15)
  {
    e->a.status = SPF_DNS_ERROR ;
    return 0 ;
  }
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
      if (n >= sizeof offs / sizeof offs[0]) goto bad ;   /* cannot happen: an RR is >= 11 bytes */
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
  e->blob = 0 ;
  e->a.n = 0 ;
  return -1 ;
}

/* Ends e's transmission with status (or with the reply parsed). */
static void finish (struct spf_dns *d, struct spf_cache *e, int status)
{
  if (status == SPF_DNS_OK && parse(e->tx.packet, e->tx.packetlen, e->qtype, e) == -1) e->a.status = SPF_DNS_ERROR ;
  else if (status != SPF_DNS_OK) e->a.status = status ;
  dns_transmit_free(&e->tx) ;
  e->pending = 0 ;
  d->inflight-- ;
}

/* Every query still in flight when the budget is spent is a timeout. */
static void expire (struct spf_dns *d)
{
  d->expired = 1 ;
  for (struct spf_cache *e = d->cache ; e ; e = e->next) if (e->pending) finish(d, e, SPF_DNS_TIMEOUT) ;
}

/* Drives all queries in flight until want's answer is in (or the budget
   is spent), so independent lookups overlap. */
static void drive (struct spf_dns *d, struct spf_cache *want)
{
  while (want->pending)
  {
    iopause_fd x[SPF_DNS_INFLIGHT_MAX] ;
    struct spf_cache *e, *who[SPF_DNS_INFLIGHT_MAX] ;
    struct taia stamp, deadline, rem ;
    uint64_t now = now_ms() ;
    unsigned int n = 0 ;
    if (now >= d->deadline_ms)
    {
      expire(d) ;
      return ;
    }
    taia_now(&stamp) ;
    taia_uint(&rem, (unsigned int)((d->deadline_ms - now) / 1000)) ;
    rem.nano = (uint32)(((d->deadline_ms - now) % 1000) * 1000000) ;
    taia_add(&deadline, &stamp, &rem) ;
    for (e = d->cache ; e && n < SPF_DNS_INFLIGHT_MAX ; e = e->next)
      if (e->pending)
      {
        who[n] = e ;
        dns_transmit_io(&e->tx, &x[n], &deadline) ;
        n++ ;
      }
    iopause(x, n, &deadline, &stamp) ;
    for (unsigned int i = 0 ; i < n ; i++)
    {
      int r ;
      if (servfail_waiting(&who[i]->tx, &x[i]))
      {
        finish(d, who[i], SPF_DNS_ERROR) ;
        continue ;
      }
      r = dns_transmit_get(&who[i]->tx, &x[i], &stamp) ;
      if (r == 1) finish(d, who[i], SPF_DNS_OK) ;
      else if (r == -1) finish(d, who[i], errno == ETIMEDOUT ? SPF_DNS_TIMEOUT : SPF_DNS_ERROR) ;
    }
  }
}

static struct spf_cache *find (struct spf_dns *d, char const *name, size_t len, unsigned int qtype)
{
  for (struct spf_cache *e = d->cache ; e ; e = e->next)
  {
    size_t i = 0 ;
    if (e->qtype != qtype || e->namelen != len) continue ;
    while (i < len && e->name[i] == ((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i])) i++ ;
    if (i == len) return e ;
  }
  return 0 ;
}

/* A new cache entry for (name, qtype), its query sent (or its answer
   known already: a name DNS cannot carry does not exist). */
static struct spf_cache *start (struct spf_dns *d, char const *name, size_t len, unsigned int qtype)
{
  static char const localip[16] = { 0 } ;
  struct spf_cache *e = calloc(1, sizeof *e) ;
  char *q = 0 ;
  char qt[2] = { (char)(qtype >> 8), (char)qtype } ;
  if (!e || !(e->name = malloc(len + 1)))
  {
    free(e) ;
    return 0 ;
  }
  for (size_t i = 0 ; i < len ; i++) e->name[i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i] ;
  e->name[len] = 0 ;
  e->namelen = len ;
  e->qtype = qtype ;
  e->next = d->cache ;
  d->cache = e ;
  e->a.status = SPF_DNS_NXDOMAIN ;
  if (!spf_domain_ok(name, len) || !dns_domain_fromdot(&q, name, len)) return e ;
  if (d->expired) e->a.status = SPF_DNS_TIMEOUT ;
  else if (dns_transmit_start(&e->tx, d->servers, 1, q, qt, localip) == -1) e->a.status = SPF_DNS_ERROR ;
  else
  {
    e->pending = 1 ;
    d->inflight++ ;
    d->sent++ ;
  }
  free(q) ;
  return e ;
}

void spf_dns_prefetch (struct spf_dns *d, char const *name, size_t len, unsigned int qtype)
{
  if (len && name[len - 1] == '.') len-- ;
  if (d->expired || d->inflight >= SPF_DNS_INFLIGHT_MAX || find(d, name, len, qtype)) return ;
  start(d, name, len, qtype) ;
}

struct spf_answer const *spf_dns_query (struct spf_dns *d, char const *name, size_t len, unsigned int qtype)
{
  static struct spf_answer const nomem = { SPF_DNS_ERROR, 0, 0 } ;
  struct spf_cache *e ;
  if (len && name[len - 1] == '.') len-- ;
  e = find(d, name, len, qtype) ;
  if (!e)
  {
    /* full: let an in-flight query finish first */
    while (d->inflight >= SPF_DNS_INFLIGHT_MAX)
    {
      struct spf_cache *o = d->cache ;
      while (o && !o->pending) o = o->next ;
      if (!o) break ;
      drive(d, o) ;
    }
    if (!(e = start(d, name, len, qtype))) return &nomem ;
  }
  if (e->pending) drive(d, e) ;
  return &e->a ;
}
