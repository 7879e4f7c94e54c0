/* rcpt_cache.h: the recipient cache of recipients=verify and learn
   (doc/design.md, "Recipient validation"): what the customers' servers
   said about each address, and the probe budget of each server. One LMDB
   environment (a directory: data.mdb, lock.mdb), shared by every smtpd,
   rcptcheck, deliver and rcptctl process: LMDB gives many readers and one
   writer at a time across processes, and a crash at any instant leaves
   the last committed transaction. libc and liblmdb only, so both the
   skalibs and the libowfat programs link it.

   Named databases:
     "addr"    lower-case address -> status (1 byte 'k' known, 'u' unknown),
               source (1 byte 'p' probe, 'd' a delivery's answer), the time
               it was learnt (8 bytes, big-endian unix seconds)
     "time"    time (8 bytes, big-endian) + address -> "": the eviction
               order, oldest first
     "bucket"  a customer server (its route, at most RCPT_ROUTE_KEY_MAX
               bytes) -> probe tokens in thousandths (8 bytes) and the
               time they were counted (8 bytes), both big-endian */
#ifndef MXHOLD_RCPT_CACHE_H
#define MXHOLD_RCPT_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <lmdb.h>

/* RFC 5321 4.5.3.1.1 and .2: a local part of 64 bytes, '@', a domain of
   253 (text form): a longer address is never cached (LMDB's keys hold at
   most 511 bytes) */
#define RCPT_ADDR_MAX (64 + 1 + 253)
/* a route longer than this shares its bucket with those of the same prefix */
#define RCPT_ROUTE_KEY_MAX 400
/* map bytes per cached address: the key twice (addr, time), values, and
   LMDB's pages half full at worst */
#define RCPT_ENTRY_BYTES 2048
#define RCPT_MAP_MIN_BYTES (1UL << 20)
/* read transactions at once across all processes: a slot is held only
   for one lookup (MDB_NOTLS), so this bounds lookups in flight, not
   connections; LMDB's default is 126 */
#define RCPT_READERS_MAX 1024
/* the settable clock of the tests: unix seconds */
#define RCPT_NOW_ENV "MXHOLD_RCPT_NOW"

struct rcpt_cache
{
  MDB_env *env ;
  MDB_dbi addr ;
  MDB_dbi time ;
  MDB_dbi bucket ;
  int have ;                 /* the databases exist (a reader may find none) */
} ;

struct rcpt_entry
{
  char status ;              /* 'k' known, 'u' unknown */
  char source ;              /* 'p' probe, 'd' delivery */
  uint64_t when ;            /* unix seconds */
} ;

/* Now, in unix seconds: $MXHOLD_RCPT_NOW if set (tests), else time(). */
uint64_t rcpt_now (void) ;

/* The cache key of an address: lower case (conf/conf.md says why), one
   trailing dot of the domain removed. Its length, 0 if it cannot be
   cached (too long, empty, no '@'). key has RCPT_ADDR_MAX bytes. */
size_t rcpt_key (char *key, char const *addr, size_t len) ;

/* Opens the cache in dir. write: create dir (0770) and the databases if
   missing, files 0660. Not write: a cache that does not exist yet is
   opened empty (get finds nothing). maxentries (the verify_cache limit)
   sizes the map. 0, or -1 + errno (an LMDB error becomes EIO). */
int rcpt_cache_open (struct rcpt_cache *c, char const *dir, uint64_t maxentries, int write) ;
void rcpt_cache_close (struct rcpt_cache *c) ;

/* 1 found (*e), 0 not, -1 + errno. key as made by rcpt_key. */
int rcpt_cache_get (struct rcpt_cache *c, char const *key, size_t klen, struct rcpt_entry *e) ;
/* Stores e for key, replacing what was there, then evicts the oldest
   entries beyond max. 0, or -1 + errno. */
int rcpt_cache_put (struct rcpt_cache *c, char const *key, size_t klen, struct rcpt_entry const *e, uint64_t max) ;
/* Removes key: 1 removed, 0 absent, -1 + errno. */
int rcpt_cache_forget (struct rcpt_cache *c, char const *key, size_t klen) ;
/* Removes every address at domain (lower case): how many in *n; 0, or -1. */
int rcpt_cache_forget_domain (struct rcpt_cache *c, char const *dom, size_t dlen, uint64_t *n) ;
/* Calls f for every entry, oldest first; stops if f returns nonzero.
   0, or -1 + errno. */
typedef int rcpt_cache_fn (void *ctx, char const *key, size_t klen, struct rcpt_entry const *e) ;
int rcpt_cache_list (struct rcpt_cache *c, rcpt_cache_fn *f, void *ctx) ;

/* A customer server's probe budget, a token bucket of burst tokens that
   refills at rate per hour. rcpt_cache_take takes one: 1 taken, 0 the
   budget is spent, -1 + errno. rcpt_cache_peek says whether one is there
   without taking it (a reader's shortcut): 1, 0, -1. */
int rcpt_cache_take (struct rcpt_cache *c, char const *route, size_t rlen, uint64_t now, uint64_t rate, uint64_t burst) ;
int rcpt_cache_peek (struct rcpt_cache *c, char const *route, size_t rlen, uint64_t now, uint64_t rate, uint64_t burst) ;

/* Is e still good at now for the lifetimes given (seconds)? 1 or 0. */
int rcpt_entry_fresh (struct rcpt_entry const *e, uint64_t now, uint64_t positive, uint64_t negative) ;

#endif
