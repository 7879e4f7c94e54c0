/* conf_cdb.h: djb's constant database format, libc only. The reader works
   on a byte map of any content (a corrupt map never makes it read out of
   bounds); the writer builds a whole cdb in memory.

   Format: 256 (pos, len) pairs of 32-bit little-endian words (2048 bytes);
   records (klen, dlen, key, data); 256 hash tables of (hash, pos) slots.
   hash = 5381, then h = ((h << 5) + h) ^ byte. Table h & 255, first slot
   (h >> 8) % len, linear probing, an empty slot (pos 0) ends the search. */
#ifndef MXHOLD_CONF_CDB_H
#define MXHOLD_CONF_CDB_H

#include <stddef.h>
#include <stdint.h>
#include "lib/span.h"

#define CONF_CDB_HEADER_BYTES 2048
#define CONF_CDB_MAX_BYTES 0xffffffffUL   /* 32-bit positions */

uint32_t conf_cdb_hash (char const *key, size_t len) ;

/* 1 found (*val points into map), 0 not found or the map is corrupt
   where the search went. */
int conf_cdb_find (char const *map, size_t maplen, char const *key, size_t klen, struct span *val) ;

/* Iteration over the records in file order: *pos starts at 0. Returns 1
   and the key and value, 0 at the end, -1 if the map is corrupt. */
int conf_cdb_next (char const *map, size_t maplen, size_t *pos, struct span *key, struct span *val) ;

struct conf_cdbw_ent
{
  uint32_t h ;
  uint32_t pos ;
} ;

struct conf_cdbw
{
  char *buf ;                       /* the file being built */
  size_t len ;
  size_t cap ;
  struct conf_cdbw_ent *ent ;
  size_t n ;
  size_t ncap ;
} ;

/* 0, or -1 + errno (ENOMEM, EFBIG past 4 GiB). After finish, buf/len hold
   the complete file; free releases everything. Keys must be unique (the
   caller checks). */
int conf_cdbw_init (struct conf_cdbw *w) ;
int conf_cdbw_add (struct conf_cdbw *w, char const *k, size_t klen, char const *d, size_t dlen) ;
int conf_cdbw_finish (struct conf_cdbw *w) ;
void conf_cdbw_free (struct conf_cdbw *w) ;

#endif
