/* conf_text_fuzz.c: the text parsers. First byte picks the file (me,
   queue, domains, limits, clients, spf, aliases, rcptcache, or a
   recipients/DOMAIN file); the rest is its contents. Then
   the built cdb is read back through the lookup functions. */
#include <stddef.h>
#include <stdint.h>
#include "conf/conf.h"
#include "conf/conf_build.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t len)
{
  struct conf_build b ;
  struct conf c ;
  struct conf_limits l ;
  struct span v ;
  int t ;
  unsigned int f ;
  if (!len) return 0 ;
  if (conf_build_init(&b, 0, 0) == -1) return 0 ;
  f = data[0] % (CONF_F_N + 1) ;
  if (f == CONF_F_N)
  {
    b.rdom = "example.com" ;   /* a recipients=list domain's file */
    f = CONF_F_RCPTS ;
  }
  conf_build_text(&b, (enum conf_file)f, "f", (char const *)data + 1, len - 1) ;
  if (!b.have[CONF_F_ME]) conf_build_text(&b, CONF_F_ME, "me", "relay.test", 10) ;
  if (!b.have[CONF_F_QUEUE]) conf_build_text(&b, CONF_F_QUEUE, "queue", "/q", 2) ;
  if (conf_build_finish(&b) == 0)
  {
    c.dir = "." ;
    c.map = b.w.buf ;
    c.maplen = b.w.len ;
    conf_domain_find(&c, "example.com", 11, &v) ;
    conf_limits_get(&c, "10.1.2.3", &l, &t) ;
    conf_limits_get(&c, "2001:db8::1", &l, &t) ;
    conf_spf_action(&c, "fail", &v) ;
    conf_rcpt_listed(&c, "Alice", 5, "example.com.", 12) ;
    conf_rcptcache(&c, &v) ;
  }
  conf_build_free(&b) ;
  return 0 ;
}
