/* rcptctl.c: mxhold-rcptctl [-c DIR] list | forget ADDRESS... |
   forget-domain DOMAIN..., the operator's view of the recipient cache
   (rcptctl.md). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "conf/conf.h"
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/u64.h"
#include "lib/write_all.h"
#include "rcptcheck/rcpt_cache.h"

#define USAGE "mxhold-rcptctl [ -c dir ] list | forget address... | forget-domain domain..."
#define RCPTCTL_LINE_MAX (RCPT_ADDR_MAX + 128)

static struct conf conf ;
static uint64_t now ;

static void usage (void) __attribute__((noreturn)) ;
static void usage (void)
{
  mx_die_kv(100, "usage", "usage", USAGE, (char const *)0) ;
}

/* "ADDRESS known|unknown probe|delivery WHEN fresh|expired" */
static int put_entry (void *ctx, char const *key, size_t klen, struct rcpt_entry const *e)
{
  char line[RCPTCTL_LINE_MAX] ;
  char const *at = memrchr(key, '@', klen) ;
  struct conf_limits l ;
  struct span v ;
  int trusted ;
  size_t n = klen ;
  char const *w ;
  (void)ctx ;
  conf_limits_get(&conf, 0, &l, &trusted) ;
  if (at && conf_domain_find(&conf, at + 1, klen - (size_t)(at + 1 - key), &v)) conf_limits_apply(v, &l) ;
  memcpy(line, key, klen) ;
  w = e->status == 'k' ? " known" : " unknown" ;
  memcpy(line + n, w, strlen(w)) ;
  n += strlen(w) ;
  w = e->source == 'p' ? " probe " : " delivery " ;
  memcpy(line + n, w, strlen(w)) ;
  n += strlen(w) ;
  n += mx_u64_fmt(line + n, e->when) ;
  w = rcpt_entry_fresh(e, now, CONF_LIM(&l, verify_positive), CONF_LIM(&l, verify_negative)) ? " fresh\n" : " expired\n" ;
  memcpy(line + n, w, strlen(w)) ;
  n += strlen(w) ;
  return mx_write_all(1, line, n) ;
}

static int forget (struct rcpt_cache *c, char const *const *args, int domain)
{
  int code = 0 ;
  for (; *args ; args++)
  {
    char key[RCPT_ADDR_MAX] ;
    char num[MX_U64_FMT] ;
    size_t klen = domain ? conf_host_norm(*args, strlen(*args), key) : rcpt_key(key, *args, strlen(*args)) ;
    uint64_t n = 0 ;
    int r ;
    if (!klen)
    {
      mx_log_kv(MX_LOG_INFO, "ctl-refused", "request", domain ? "forget-domain" : "forget", "reason", "syntax", "value", *args, (char const *)0) ;
      code = 100 ;
      continue ;
    }
    r = domain ? rcpt_cache_forget_domain(c, key, klen, &n) : rcpt_cache_forget(c, key, klen) ;
    if (r == -1) mx_die_kv(111, "cache-unusable", "detail", "forget", "error", strerror(errno), (char const *)0) ;
    if (!domain) n = (uint64_t)r ;
    num[mx_u64_fmt(num, n)] = 0 ;
    mx_log_kv(MX_LOG_INFO, "ctl", "request", domain ? "forget-domain" : "forget", domain ? "domain" : "to", *args, "count", num, (char const *)0) ;
  }
  return code ;
}

int main (int argc, char const *const *argv)
{
  static struct rcpt_cache c ;
  char path[CONF_PATH_MAX] ;
  char const *dir = 0 ;
  struct conf_limits l ;
  struct span s ;
  int trusted ;
  int list ;
  mx_log_prog = "mxhold-rcptctl" ;
  mx_cli_std(argc, argv, USAGE, "lists and forgets entries of the recipient cache") ;
  if (argc >= 3 && !strcmp(argv[1], "-c"))
  {
    dir = argv[2] ;
    argv += 2 ;
    argc -= 2 ;
  }
  if (argc < 2) usage() ;
  list = !strcmp(argv[1], "list") ;
  if (!list && strcmp(argv[1], "forget") && strcmp(argv[1], "forget-domain")) usage() ;
  if (list ? argc != 2 : argc < 3) usage() ;
  if (conf_open(&conf, dir) == -1) mx_die_kv(111, "config-unreadable", "path", conf_dir(dir), "error", strerror(errno), (char const *)0) ;
  conf_limits_get(&conf, 0, &l, &trusted) ;
  conf_rcptcache(&conf, &s) ;
  if (s.len >= sizeof path) mx_die_kv(111, "config-unreadable", "path", conf_dir(dir), "file", "rcptcache", (char const *)0) ;
  memcpy(path, s.p, s.len) ;
  path[s.len] = 0 ;
  now = rcpt_now() ;
  if (rcpt_cache_open(&c, path, CONF_LIM(&l, verify_cache), !list) == -1)
    mx_die_kv(111, "cache-unusable", "path", path, "error", strerror(errno), (char const *)0) ;
  if (list) return rcpt_cache_list(&c, &put_entry, 0) == -1 ? 111 : 0 ;
  return forget(&c, argv + 2, !strcmp(argv[1], "forget-domain")) ;
}
