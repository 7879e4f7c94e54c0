/* dlv_learn.c: recipients=learn (conf/conf.md): every delivery answer the
   customer's server gives is recorded in the recipient cache
   (rcptcheck/rcpt_cache.h), so smtpd refuses exactly the addresses the
   server is known to refuse, also while it is down. A 2xx marks the
   recipient known; a 550, 551 or 553 with the enhanced code 5.1.1 (RFC
   3463: bad destination mailbox) unknown. Nothing else is about the
   address: a 550 5.7.1 after DATA refuses the message, not the user. */
#include <errno.h>
#include <string.h>
#include "lib/log.h"
#include "rcptcheck/rcpt_cache.h"
#include "deliver/deliver.h"

/* opened at the first learn domain's answer, kept for deliver's life (a
   new rcptcache path takes a restart) */
static struct rcpt_cache cache ;
static int cache_state ;          /* 0 not tried, 1 open, -1 unusable */

static int cache_open (void)
{
  char path[CONF_PATH_MAX] ;
  struct span s ;
  if (cache_state) return cache_state ;
  cache_state = -1 ;
  conf_rcptcache(&g.conf, &s) ;
  if (s.len >= sizeof path) return -1 ;
  memcpy(path, s.p, s.len) ;
  path[s.len] = 0 ;
  if (rcpt_cache_open(&cache, path, CONF_LIM(&g.lim, verify_cache), 1) == -1)
  {
    mx_log_kv(MX_LOG_WARN, "cache-unusable", "path", path, "error", strerror(errno), (char const *)0) ;
    return -1 ;
  }
  cache_state = 1 ;
  return 1 ;
}

/* 'k', 'u', or 0 when the answer says nothing about the address */
static char verdict (char st, char const *text, size_t tlen)
{
  if (st == 'd') return 'k' ;
  if (st != 'p' || tlen < 10) return 0 ;
  if (memcmp(text, "550 ", 4) && memcmp(text, "551 ", 4) && memcmp(text, "553 ", 4)) return 0 ;
  if (memcmp(text + 4, "5.1.1", 5) || (tlen > 9 && text[9] != ' ')) return 0 ;
  return 'u' ;
}

void dlv_learn (struct span to, char st, char const *text, size_t tlen)
{
  char const *at = memrchr(to.p, '@', to.len) ;
  struct rcpt_entry e ;
  char key[RCPT_ADDR_MAX] ;
  size_t klen ;
  struct span v ;
  char s = verdict(st, text, tlen) ;
  if (!s || !at || !conf_domain_find(&g.conf, at + 1, to.len - (size_t)(at + 1 - to.p), &v)) return ;
  if (conf_rcpt_policy(v) != CONF_RCPT_LEARN) return ;
  klen = rcpt_key(key, to.p, to.len) ;
  if (!klen || cache_open() != 1) return ;
  e.status = s ;
  e.source = 'd' ;
  e.when = rcpt_now() ;
  if (rcpt_cache_put(&cache, key, klen, &e, CONF_LIM(&g.lim, verify_cache)) == -1)
  {
    mx_log_kv(MX_LOG_WARN, "cache-unusable", "detail", "put", "error", strerror(errno), (char const *)0) ;
    return ;
  }
  {
    struct mx_log l ;
    mx_log_start(&l, MX_LOG_INFO, "learned") ;
    mx_log_bytes(&l, "to", to.p, to.len) ;
    mx_log_str(&l, "result", s == 'k' ? "known" : "unknown") ;
    mx_log_end(&l) ;
  }
}
