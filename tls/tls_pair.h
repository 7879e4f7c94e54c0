/* tls_pair.h: the server's SSL_CTX for the config directory's pair, kept
   across connections and read again when either file changes on disk
   (its inode, size, mtime or ctime), so that a pair replaced on disk is
   served to the next connection. */
#ifndef MXHOLD_TLS_PAIR_H
#define MXHOLD_TLS_PAIR_H

#include <sys/stat.h>
#include <openssl/ssl.h>
#include "tls/tls_session.h"

struct tls_file_id
{
  int err ;            /* stat's errno, 0 if it worked */
  dev_t dev ;
  ino_t ino ;
  off_t size ;
  struct timespec mtime ;
  struct timespec ctime ;
} ;

struct tls_pair
{
  char const *dir ;
  SSL_CTX *ctx ;       /* 0: the pair did not load, why in reason, path, detail */
  int loaded ;         /* 0 until the first load */
  struct tls_file_id cert ;
  struct tls_file_id key ;
  char const *reason ;
  char path[TLS_PATH_MAX] ;
  char detail[TLS_DETAIL_MAX] ;
} ;

/* Loads DIR's pair again if either file changed since the last load (or
   on the first call). Returns 1 if it loaded (ctx or a failure is new), 0
   if the pair held is still the files'. */
int tls_pair_refresh (struct tls_pair *p) ;

#endif
