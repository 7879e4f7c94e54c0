/* rl_conc.c: sessions at once per client, as fcntl locks on one-byte
   slots of a shared file (rl_conc.h says why locks: the kernel releases
   them on any exit, so a crashed or killed session never leaks a slot). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "conf/conf.h"
#include "lib/log.h"
#include "ratelimit/rl_conc.h"

/* splitmix64's finaliser: a bijection of 64 bits that spreads the /64's
   bits over all of them (the key is the client's own address, so it is
   not a secret; the slots of a chosen victim need 2^47 tries) */
static uint64_t mix (uint64_t x)
{
  x ^= x >> 30 ;
  x *= 0xbf58476d1ce4e5b9ULL ;
  x ^= x >> 27 ;
  x *= 0x94d049bb133111ebULL ;
  x ^= x >> 31 ;
  return x ;
}

uint64_t rl_conc_base (struct rl_key const *k)
{
  uint64_t client = k->fam == RL_FAM_4 ? (k->addr & 0xffffffffULL)
    : (1ULL << RL_CONC_V6_BITS) | (mix(k->addr) >> (64 - RL_CONC_V6_BITS)) ;
  return client * RL_CONC_SLOTS ;   /* < 2^48 * 2^14: inside a 63-bit off_t */
}

/* F_SETLK (take) or F_GETLK (look) on one slot: 1 ours / free, 0 held
   by another process, -1 error. */
static int slot (int fd, uint64_t off, int take)
{
  struct flock fl ;
  memset(&fl, 0, sizeof fl) ;
  fl.l_type = F_WRLCK ;
  fl.l_whence = SEEK_SET ;
  fl.l_start = (off_t)off ;
  fl.l_len = 1 ;
  if (fcntl(fd, take ? F_SETLK : F_GETLK, &fl) == -1)
  {
    if (take && (errno == EAGAIN || errno == EACCES)) return 0 ;
    return -1 ;
  }
  return take || fl.l_type == F_UNLCK ;
}

int rl_conc_take (int fd, struct rl_key const *k, uint64_t limit)
{
  uint64_t base = rl_conc_base(k) ;
  for (uint64_t i = 0 ; i < limit && i < RL_CONC_SLOTS ; i++)
  {
    int r = slot(fd, base + i, 1) ;
    if (r) return r ;
  }
  return 0 ;
}

uint64_t rl_conc_count (int fd, struct rl_key const *k, uint64_t limit)
{
  uint64_t base = rl_conc_base(k) ;
  uint64_t n = 0 ;
  for (uint64_t i = 0 ; i < limit && i < RL_CONC_SLOTS ; i++)
    if (!slot(fd, base + i, 0)) n++ ;
  return n ;
}

int rl_conc_path (char *buf, size_t n, char const *statefile, char const *queue, size_t queuelen)
{
  static char const ext[] = ".slots" ;
  if (statefile)
  {
    size_t len = strlen(statefile) ;
    if (len + sizeof ext > n) return -1 ;
    memcpy(buf, statefile, len) ;
    memcpy(buf + len, ext, sizeof ext) ;
    return 0 ;
  }
  if (!queue || !queuelen || queuelen + 1 + sizeof RL_CONC_NAME > n) return -1 ;
  memcpy(buf, queue, queuelen) ;
  buf[queuelen] = '/' ;
  memcpy(buf + queuelen + 1, RL_CONC_NAME, sizeof RL_CONC_NAME) ;
  return 0 ;
}

void rl_conc_refuse (char const *ip, uint64_t limit, char const *me)
{
  struct rl_key kk ;
  struct rl_key const *k = &kk ;
  char key[RL_KEY_FMT_MAX] ;
  char reply[RL_REFUSE_LINE_MAX] ;
  size_t n = rl_refuse_sessions(reply, sizeof reply, me, ip, limit) ;
  struct mx_log l ;
  if (!rl_key_parse(ip, strlen(ip), &kk)) _exit(0) ;   /* rl_conc_gate parsed it */
  rl_key_fmt(k, key, sizeof key) ;
  mx_log_start(&l, MX_LOG_INFO, "refused") ;
  mx_log_str(&l, "client", ip) ;
  mx_log_str(&l, "key", key) ;
  mx_log_str(&l, "reason", "too-many-sessions") ;
  mx_log_u64(&l, "count", limit) ;
  mx_log_bytes(&l, "reply", reply, n >= 2 ? n - 2 : 0) ;   /* without its CRLF */
  mx_log_end(&l) ;
  signal(SIGPIPE, SIG_IGN) ;
  if (n) rl_refuse_with(0, 1, me, reply, n) ;
  _exit(0) ;
}

int rl_conc_gate (char const *path, char const *ip, uint64_t limit)
{
  struct rl_key k ;
  int fd ;
  int r ;
  if (limit == CONF_UNLIMITED || limit > RL_CONC_SLOTS) return 0 ;
  if (!ip || !rl_key_parse(ip, strlen(ip), &k)) return 0 ;   /* the rate gate said so already */
  if (!limit) return 1 ;
  /* not O_CLOEXEC: the fd, and with it the lock, goes on into smtpd */
  fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY, 0600) ;
  if (fd == -1) return -1 ;
  r = rl_conc_take(fd, &k, limit) ;
  if (r == 1) return 0 ;
  if (r == -1)
  {
    int e = errno ;
    close(fd) ;
    errno = e ;
    return -1 ;
  }
  close(fd) ;
  return 1 ;
}
