/* conf_floor.c: the floors of the timing limits (conf_floor.h). */
#include <stdlib.h>
#include <string.h>
#include "conf/conf_floor.h"

struct floor { unsigned int id ; uint64_t floor, hard ; int zero ; } ;

#define X_FLOOR(name, f, h, z) { CONF_LIMIT_##name, f, h, z },
static struct floor const floors[] = { CONF_FLOORS(X_FLOOR) } ;
#undef X_FLOOR
#define NFLOORS (sizeof floors / sizeof *floors)

static struct floor const *find (unsigned int i)
{
  for (size_t k = 0 ; k < NFLOORS ; k++) if (floors[k].id == i) return floors + k ;
  return 0 ;
}

static int test_mode (void)
{
  char const *e = getenv(CONF_FLOOR_TEST_ENV) ;
  return e && !strcmp(e, "1") ;
}

uint64_t conf_floor (unsigned int i)
{
  struct floor const *f = find(i) ;
  if (!f) return 0 ;
  return test_mode() ? f->hard : f->floor ;
}

uint64_t conf_floor_hard (unsigned int i)
{
  struct floor const *f = find(i) ;
  return f ? f->hard : 0 ;
}

int conf_floor_zero_ok (unsigned int i, uint64_t v)
{
  struct floor const *f = find(i) ;
  return !v && f && f->zero ;
}

void conf_floor_clamp (struct conf_limits *l)
{
  for (size_t k = 0 ; k < NFLOORS ; k++)
  {
    uint64_t *v = l->v + floors[k].id ;
    if (*v < floors[k].hard && !(floors[k].zero && !*v)) *v = floors[k].hard ;
  }
}
