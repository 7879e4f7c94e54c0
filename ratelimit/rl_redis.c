/* rl_redis.c: the GCRA step on a shared Redis. One short connection per
   call, opened by us (non-blocking connect under poll, so the deadline
   covers the TCP handshake) and handed to hiredis with redisConnectFd;
   hiredis's socket timeout bounds the reply by what is left of the
   deadline. The script does what rl_gcra_take does, in one atomic step on
   the server, so two hosts admitting the same client cannot both use the
   same slot of its budget. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <hiredis/hiredis.h>
#include "lib/log.h"
#include "lib/u64.h"
#include "ratelimit/rl_redis.h"

/* TAT, admitted and refused counts in one hash per key; numbers go back
   as %.0f text because Redis would write a Lua number with 14 digits
   (microseconds since the epoch need 16). The key expires when its TAT is
   past: it then counts as a client never seen. */
char const rl_redis_script[] =
  "local now = tonumber(ARGV[1]) "
  "local interval = tonumber(ARGV[2]) "
  "local tol = tonumber(ARGV[3]) "
  "local h = redis.call('HMGET', KEYS[1], 't', 'a', 'd') "
  "local tat = tonumber(h[1]) or 0 "
  "local adm = tonumber(h[2]) or 0 "
  "local den = tonumber(h[3]) or 0 "
  "if tat > now + tol then tat = now + tol end "
  "local t = tat "
  "if t < now then t = now end "
  "local nxt = t + interval "
  "local ok = 0 "
  "local retry = 0 "
  "if nxt - now > tol then retry = nxt - now - tol ; den = den + 1 "
  "else tat = nxt ; adm = adm + 1 ; ok = 1 end "
  "redis.call('HSET', KEYS[1], 't', string.format('%.0f', tat), 'a', string.format('%.0f', adm), 'd', string.format('%.0f', den)) "
  "local ttl = math.floor((tat - now) / 1000) + 1000 "
  "if ttl < 1000 then ttl = 1000 end "
  "redis.call('PEXPIRE', KEYS[1], ttl) "
  "return { ok, tat, retry, adm, den }" ;

char rl_redis_error[RL_REDIS_ERROR_MAX] ;

static uint64_t now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 ;
}

static int fail (int fd, char const **why, char const *w)
{
  int e = errno ;
  if (fd >= 0) close(fd) ;
  errno = e ;
  *why = w ;
  return -1 ;
}

/* a as a socket address: 1, or 0 if its text is no address. */
static int sockaddr_of (struct conf_redis_addr const *a, struct sockaddr_storage *ss, socklen_t *sl)
{
  memset(ss, 0, sizeof *ss) ;
  if (!a->fam)
  {
    struct sockaddr_un *u = (struct sockaddr_un *)ss ;
    u->sun_family = AF_UNIX ;
    memcpy(u->sun_path, a->host, strlen(a->host)) ;   /* conf_redis_parse: at most 107 bytes */
    *sl = sizeof *u ;
    return 1 ;
  }
  if (a->fam == 4)
  {
    struct sockaddr_in *i = (struct sockaddr_in *)ss ;
    i->sin_family = AF_INET ;
    i->sin_port = htons((uint16_t)a->port) ;
    *sl = sizeof *i ;
    return inet_pton(AF_INET, a->host, &i->sin_addr) == 1 ;
  }
  {
    struct sockaddr_in6 *i = (struct sockaddr_in6 *)ss ;
    i->sin6_family = AF_INET6 ;
    i->sin6_port = htons((uint16_t)a->port) ;
    *sl = sizeof *i ;
    return inet_pton(AF_INET6, a->host, &i->sin6_addr) == 1 ;
  }
}

/* A connected socket to a within the deadline, blocking again; -1. */
static int dial (struct conf_redis_addr const *a, uint64_t deadline, char const **why)
{
  struct sockaddr_storage ss ;
  socklen_t sl ;
  struct pollfd p ;
  int fd ;
  int err = 0 ;
  socklen_t el = sizeof err ;
  if (!sockaddr_of(a, &ss, &sl)) return (errno = EINVAL, fail(-1, why, "connect")) ;
  fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;
  if (fd == -1) return fail(-1, why, "connect") ;
  if (connect(fd, (struct sockaddr *)&ss, sl) == 0) goto connected ;
  if (errno != EINPROGRESS && errno != EAGAIN) return fail(fd, why, "connect") ;
  for (;;)
  {
    uint64_t t = now_ms() ;
    int r ;
    if (t >= deadline) return (errno = ETIMEDOUT, fail(fd, why, "timeout")) ;
    p.fd = fd ;
    p.events = POLLOUT ;
    r = poll(&p, 1, (int)(deadline - t)) ;
    if (r == -1 && errno == EINTR) continue ;
    if (r == -1) return fail(fd, why, "connect") ;
    if (r) break ;
  }
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 || err)
  {
    if (err) errno = err ;
    return fail(fd, why, "connect") ;
  }
connected:
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) return fail(fd, why, "connect") ;
  return fd ;
}

/* Decimal text of u into buf (NUL-terminated). */
static char *dec (char *buf, uint64_t u)
{
  buf[mx_u64_fmt(buf, u)] = 0 ;
  return buf ;
}

static int reply_ok (redisReply const *r)
{
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 5) return 0 ;
  for (size_t i = 0 ; i < 5 ; i++)
    if (r->element[i]->type != REDIS_REPLY_INTEGER || r->element[i]->integer < 0) return 0 ;
  return 1 ;
}

int rl_redis_take (struct conf_redis_addr const *a, unsigned int timeout_ms, struct rl_key const *k, uint64_t now,
                   struct rl_limit const *l, struct rl_verdict *v, char const **why)
{
  uint64_t deadline = now_ms() + (timeout_ms ? timeout_ms : RL_REDIS_TIMEOUT_MS) ;
  char key[sizeof RL_REDIS_KEY_PREFIX + RL_KEY_FMT_MAX] = RL_REDIS_KEY_PREFIX ;
  char snow[MX_U64_FMT + 1], sint[MX_U64_FMT + 1], stol[MX_U64_FMT + 1] ;
  char const *argv[7] = { "EVAL", rl_redis_script, "1", key, dec(snow, now), dec(sint, l->interval), dec(stol, l->tolerance) } ;
  size_t argl[7] ;
  redisContext *c ;
  redisReply *r ;
  uint64_t left ;
  struct timeval tv ;
  int fd = dial(a, deadline, why) ;
  if (fd == -1) return -1 ;
  left = deadline > now_ms() ? deadline - now_ms() : 1 ;
  tv.tv_sec = (time_t)(left / 1000) ;
  tv.tv_usec = (suseconds_t)(left % 1000 * 1000) ;
  c = redisConnectFd(fd) ;
  if (!c) return fail(fd, why, "connect") ;
  if (c->err || redisSetTimeout(c, tv) != REDIS_OK)
  {
    redisFree(c) ;
    return fail(-1, why, "connect") ;
  }
  rl_key_fmt(k, key + sizeof RL_REDIS_KEY_PREFIX - 1, RL_KEY_FMT_MAX) ;
  for (unsigned int i = 0 ; i < 7 ; i++) argl[i] = strlen(argv[i]) ;
  r = redisCommandArgv(c, 7, argv, argl) ;
  if (!r)
  {
    int timedout = c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK) ;
    if (timedout) errno = ETIMEDOUT ;
    redisFree(c) ;
    return fail(-1, why, timedout ? "timeout" : "closed") ;
  }
  if (!reply_ok(r))
  {
    int iserr = r->type == REDIS_REPLY_ERROR ;
    size_t n = iserr && r->str ? r->len : 0 ;
    if (n >= sizeof rl_redis_error) n = sizeof rl_redis_error - 1 ;
    memcpy(rl_redis_error, iserr && r->str ? r->str : "", n) ;
    rl_redis_error[n] = 0 ;
    freeReplyObject(r) ;
    redisFree(c) ;
    errno = EPROTO ;
    return fail(-1, why, iserr ? "error-reply" : "bad-reply") ;
  }
  v->admitted = r->element[0]->integer == 1 ;
  v->level = rl_gcra_level((uint64_t)r->element[1]->integer, now, l->interval) ;
  v->retry_usec = (uint64_t)r->element[2]->integer ;
  v->admitted_total = r->element[3]->integer > UINT32_MAX ? UINT32_MAX : (uint32_t)r->element[3]->integer ;
  v->denied_total = r->element[4]->integer > UINT32_MAX ? UINT32_MAX : (uint32_t)r->element[4]->integer ;
  freeReplyObject(r) ;
  redisFree(c) ;
  return 0 ;
}

int rl_redis_gate (struct conf_redis_addr const *a, unsigned int timeout_ms, char const *state, struct rl_key const *k,
                   uint64_t now, struct rl_limit const *l, struct rl_verdict *v)
{
  char const *why ;
  char where[CONF_REDIS_PATH_MAX + 16] ;
  size_t n = strlen(a->host) ;
  if (a->fam == 6) where[0] = '[' ;
  memcpy(where + (a->fam == 6), a->host, n) ;
  n += a->fam == 6 ;
  if (a->fam)
  {
    char port[MX_U64_FMT] ;
    size_t pl = mx_u64_fmt(port, a->port) ;
    if (a->fam == 6) where[n++] = ']' ;
    where[n++] = ':' ;
    memcpy(where + n, port, pl) ;
    n += pl ;
  }
  where[n] = 0 ;
  if (rl_redis_take(a, timeout_ms, k, now, l, v, &why) == 0)
  {
    if (rl_once_clear_for(state, RL_REDIS_MARKER))
      mx_log_kv(MX_LOG_INFO, "redis-restored", "redis", where, (char const *)0) ;
    return 1 ;
  }
  if (rl_once_for(state, RL_REDIS_MARKER, RL_ONCE_SECS))
  {
    struct mx_log lg ;
    int e = errno ;
    mx_log_start(&lg, MX_LOG_WARN, "redis-unavailable") ;
    mx_log_str(&lg, "redis", where) ;
    mx_log_str(&lg, "reason", why) ;
    if (strcmp(why, "error-reply")) mx_log_errno(&lg, e) ;
    mx_log_str(&lg, "detail", strcmp(why, "error-reply") ? "counting on this host's own state; logged once a minute until redis answers" : rl_redis_error) ;
    mx_log_end(&lg) ;
  }
  return 0 ;
}
