/* tls_pair.c: the pair held by the server, re-read on change (tls_pair.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "tls/tls_ctx.h"
#include "tls/tls_pair.h"

#define TLS_PAIR_TRIES 3   /* loads in a row that saw the files change under them */

static void file_id (struct tls_file_id *id, char const *dir, char const *name)
{
  char path[TLS_PATH_MAX] ;
  struct stat st ;
  memset(id, 0, sizeof *id) ;
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path || stat(path, &st) == -1)
  {
    id->err = errno ? errno : ENAMETOOLONG ;
    return ;
  }
  id->dev = st.st_dev ;
  id->ino = st.st_ino ;
  id->size = st.st_size ;
  id->mtime = st.st_mtim ;
  id->ctime = st.st_ctim ;
}

static int same_time (struct timespec a, struct timespec b)
{
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec ;
}

static int same (struct tls_file_id const *a, struct tls_file_id const *b)
{
  return a->err == b->err && a->dev == b->dev && a->ino == b->ino && a->size == b->size
    && same_time(a->mtime, b->mtime) && same_time(a->ctime, b->ctime) ;
}

/* Both files as they are now into cert and key; 1 if they are what the
   pair was loaded from. */
static int unchanged (struct tls_pair *p, struct tls_file_id *cert, struct tls_file_id *key)
{
  file_id(cert, p->dir, TLS_CERT_FILE) ;
  file_id(key, p->dir, TLS_KEY_FILE) ;
  return p->loaded && same(cert, &p->cert) && same(key, &p->key) ;
}

int tls_pair_refresh (struct tls_pair *p)
{
  struct tls_file_id cert ;
  struct tls_file_id key ;
  int tries ;
  if (unchanged(p, &cert, &key)) return 0 ;
  for (tries = 0 ; tries < TLS_PAIR_TRIES ; tries++)
  {
    struct tls_file_id cert2 ;
    struct tls_file_id key2 ;
    if (p->ctx) SSL_CTX_free(p->ctx) ;
    p->ctx = tls_ctx_new(p->dir, &p->reason, p->path, sizeof p->path, p->detail, sizeof p->detail) ;
    p->loaded = 1 ;
    p->cert = cert ;
    p->key = key ;
    /* the files as they were before the load are the files after it:
       what was read is what cert and key name (a rename in between and
       the next connection would never see the new pair) */
    file_id(&cert2, p->dir, TLS_CERT_FILE) ;
    file_id(&key2, p->dir, TLS_KEY_FILE) ;
    if (same(&cert, &cert2) && same(&key, &key2)) return 1 ;
    cert = cert2 ;
    key = key2 ;
  }
  p->loaded = 0 ;   /* still moving: looked at again at the next connection */
  return 1 ;
}
