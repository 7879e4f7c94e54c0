/* counter.c: see counter.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "lib/counter.h"
#include "lib/fnv.h"

#define SPIN_TRIES 1000   /* a claimer is a few stores from done; one that takes longer is dead */

static unsigned char *map (char const *path, int create, int *fd)
{
  struct stat st ;
  void *p ;
  *fd = open(path, create ? O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW : O_RDONLY | O_CLOEXEC, 0600) ;
  if (*fd == -1) return 0 ;
  if (fstat(*fd, &st) == -1) goto fail ;
  /* two creators may both extend it: to the same size, harmless */
  if ((size_t)st.st_size < MX_COUNTER_BYTES && (!create || ftruncate(*fd, (off_t)MX_COUNTER_BYTES) == -1))
  {
    if (!create) errno = EPROTO ;
    goto fail ;
  }
  p = mmap(0, MX_COUNTER_BYTES, create ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, *fd, 0) ;
  if (p == MAP_FAILED) goto fail ;
  return p ;
fail:
  {
    int e = errno ;
    close(*fd) ;
    errno = e ;
  }
  return 0 ;
}

static void unmap (unsigned char *p, int fd)
{
  munmap(p, MX_COUNTER_BYTES) ;
  close(fd) ;
}

/* The slot's fields: state, count, name. */
#define STATE(s) ((uint64_t *)(void *)(s))
#define COUNT(s) ((uint64_t *)(void *)((s) + 8))
#define NAME(s) ((char *)(s) + 16)

int mx_counter_add (char const *path, char const *name, uint64_t n)
{
  size_t len = strlen(name) ;
  int fd ;
  unsigned char *p ;
  uint32_t h ;
  if (!len || len > MX_COUNTER_NAME_MAX) return (errno = EINVAL, -1) ;
  p = map(path, 1, &fd) ;
  if (!p) return -1 ;
  h = mx_fnv1a32(MX_FNV_BASIS, name, len) ;
  for (unsigned int i = 0 ; i < MX_COUNTER_SLOTS ; i++)
  {
    unsigned char *s = p + (size_t)((h + i) % MX_COUNTER_SLOTS) * MX_COUNTER_SLOT_BYTES ;
    uint64_t st = __atomic_load_n(STATE(s), __ATOMIC_ACQUIRE) ;
    unsigned int spins = 0 ;
    while (st == 1 && spins++ < SPIN_TRIES)
    {
      sched_yield() ;
      st = __atomic_load_n(STATE(s), __ATOMIC_ACQUIRE) ;
    }
    if (st == 0)
    {
      uint64_t zero = 0 ;
      if (__atomic_compare_exchange_n(STATE(s), &zero, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      {
        memcpy(NAME(s), name, len) ;
        __atomic_store_n(STATE(s), 2, __ATOMIC_RELEASE) ;
        st = 2 ;
      }
      else st = zero ;
      while (st == 1 && spins++ < SPIN_TRIES)
      {
        sched_yield() ;
        st = __atomic_load_n(STATE(s), __ATOMIC_ACQUIRE) ;
      }
    }
    if (st == 2 && !memcmp(NAME(s), name, len) && !NAME(s)[len])
    {
      __atomic_fetch_add(COUNT(s), n, __ATOMIC_RELAXED) ;
      unmap(p, fd) ;
      return 0 ;
    }
  }
  unmap(p, fd) ;
  errno = ENOSPC ;
  return -1 ;
}

int mx_counter_add_q (char const *q, size_t qlen, char const *name, uint64_t n)
{
  char path[4096] ;
  if (qlen + sizeof MX_COUNTER_FILE + 1 > sizeof path) return (errno = ENAMETOOLONG, -1) ;
  memcpy(path, q, qlen) ;
  path[qlen] = '/' ;
  memcpy(path + qlen + 1, MX_COUNTER_FILE, sizeof MX_COUNTER_FILE) ;
  return mx_counter_add(path, name, n) ;
}

int mx_counter_each (char const *path, void (*fn) (char const *name, uint64_t count, void *ctx), void *ctx)
{
  int fd ;
  unsigned char *p = map(path, 0, &fd) ;
  if (!p) return -1 ;
  for (unsigned int i = 0 ; i < MX_COUNTER_SLOTS ; i++)
  {
    unsigned char *s = p + (size_t)i * MX_COUNTER_SLOT_BYTES ;
    char name[MX_COUNTER_NAME_MAX + 1] ;
    if (__atomic_load_n(STATE(s), __ATOMIC_ACQUIRE) != 2) continue ;
    memcpy(name, NAME(s), MX_COUNTER_NAME_MAX) ;
    name[MX_COUNTER_NAME_MAX] = 0 ;
    if (name[0]) fn(name, __atomic_load_n(COUNT(s), __ATOMIC_RELAXED), ctx) ;
  }
  unmap(p, fd) ;
  return 0 ;
}

size_t mx_counter_name (char *buf, size_t n, char const *metric, ...)
{
  va_list ap ;
  size_t len = strlen(metric) ;
  char const *k ;
  int first = 1 ;
  if (len + 3 > n) return 0 ;
  memcpy(buf, metric, len) ;
  va_start(ap, metric) ;
  while ((k = va_arg(ap, char const *)))
  {
    char const *v = va_arg(ap, char const *) ;
    size_t kl = strlen(k) ;
    if (len + kl + 4 > n) goto over ;
    buf[len++] = first ? '{' : ',' ;
    first = 0 ;
    memcpy(buf + len, k, kl) ;
    len += kl ;
    buf[len++] = '=' ;
    buf[len++] = '"' ;
    for ( ; *v ; v++)
    {
      unsigned char c = (unsigned char)*v ;
      if (len + 4 > n) goto over ;
      if (c == '\\' || c == '"') buf[len++] = '\\' ;
      buf[len++] = c < 32 || c > 126 ? '?' : (char)c ;
    }
    buf[len++] = '"' ;
  }
  va_end(ap) ;
  if (!first)
  {
    if (len + 2 > n) return 0 ;
    buf[len++] = '}' ;
  }
  buf[len] = 0 ;
  return len ;
over:
  va_end(ap) ;
  return 0 ;
}
