/* conf_cdb_fuzz.c: the cdb reader on arbitrary file contents: every
   lookup the programs make, and iteration, must stay inside the map. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"
#include "conf/conf_cdb.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t len)
{
  struct conf c ;
  struct conf_limits l ;
  struct span k, v ;
  size_t pos = 0 ;
  int t ;
  char *copy = malloc(len ? len : 1) ;   /* exact size, so ASan sees overreads */
  if (!copy) return 0 ;
  memcpy(copy, data, len) ;
  c.dir = "." ;
  c.map = copy ;
  c.maplen = len ;
  conf_me(&c, &v) ;
  conf_queue(&c, &v) ;
  conf_domain_find(&c, "example.com", 11, &v) ;
  conf_limits_get(&c, "192.0.2.1", &l, &t) ;
  conf_limits_get(&c, "2001:db8::1", &l, &t) ;
  conf_spf_action(&c, "softfail", &v) ;
  while (conf_cdb_next(copy, len, &pos, &k, &v) == 1)
    conf_cdb_find(copy, len, k.p, k.len, &v) ;
  free(copy) ;
  return 0 ;
}
