/* ratelimit.h: mxhold-ratelimit's modules. All libc only (no skalibs, no
   libowfat), so unit tests and fuzz targets link them alone.

   rl_key    client address -> rate-limit key (IPv4 address, IPv6 /64)
   rl_gcra   the limit itself: GCRA, one timestamp (TAT) per key
   rl_state  the shared state file: fixed-size hash table, byte-range locks
   rl_refuse the 421 exchange spoken to a refused client */
#ifndef MXHOLD_RATELIMIT_H
#define MXHOLD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

/* --- limits (every number named: doc/design.md, "How the code is written") --- */
#define RL_STATE_NAME "ratelimit.state"  /* default file, in the queue directory */
#define RL_NOW_ENV "MXHOLD_RL_NOW"        /* test clock: seconds[.micro] since the epoch */
#define RL_USEC_PER_SEC 1000000ULL
#define RL_LIST_DEFAULT 20                /* -l: busiest clients shown */
#define RL_REFUSE_SECS 5                  /* 421 exchange: total time we listen, then hang up */
#define RL_REFUSE_LINES 20                /* ...and at most this many commands */
#define RL_REFUSE_LINE_MAX 1000           /* RFC 5321 4.5.3.1.6; a longer line ends the exchange */
#define RL_LOCK_SECS 10                   /* longest wait for a state lock, then admit: a stopped holder must not stall
                                             everybody, but 200 connections queued on one busy host must all be counted */
#define RL_IP_MAX 64                      /* longest $TCPREMOTEIP we look at (INET6_ADDRSTRLEN is 46) */

/* --- keys --- */
#define RL_FAM_EMPTY 0
#define RL_FAM_4 4
#define RL_FAM_6 6

struct rl_key {
  unsigned char fam ;    /* RL_FAM_4 or RL_FAM_6 */
  uint64_t addr ;        /* IPv4: the address, big-endian value in the low 32 bits; IPv6: the /64, big-endian value */
} ;

/* Parses a textual IPv4 or IPv6 address (s, len: not NUL-terminated) into a
   key. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) counts as its IPv4
   address. Returns 1, or 0 if it is not an address. */
int rl_key_parse (char const *s, size_t len, struct rl_key *k) ;

/* Writes the key as text ("192.0.2.7", "2001:db8:1:2::/64") with a
   terminating NUL into buf of size n (>= RL_KEY_FMT_MAX). Returns the length. */
#define RL_KEY_FMT_MAX 64
size_t rl_key_fmt (struct rl_key const *k, char *buf, size_t n) ;

/* --- the limit --- */

/* One client's limit, in microseconds. Derived from the config's
   connections (N), window (W seconds) and burst (B):
   interval = W / N: one connection "costs" this much time;
   tolerance = B * interval: how far ahead of now a client's TAT may run.
   unlimited: admit without touching the state. blocked: N == 0, refuse all. */
struct rl_limit {
  uint64_t connections, window, burst ;   /* as configured, for messages */
  uint64_t interval, tolerance ;          /* microseconds */
  int unlimited, blocked ;
} ;

/* Fills l from N, W, B as configured (UINT64_MAX = unlimited). W is
   clamped to at least 1 s, B to at least 1; products saturate. */
void rl_limit_make (struct rl_limit *l, uint64_t connections, uint64_t window, uint64_t burst) ;

/* GCRA: *tat is the key's theoretical arrival time (0: never seen). Admits
   (returns 1, advances *tat by one interval) if the client's level after
   this connection stays within the tolerance; else returns 0, leaves *tat,
   and sets *retry_usec to the wait before the next connection is admitted. */
int rl_gcra_take (uint64_t *tat, uint64_t now, struct rl_limit const *l, uint64_t *retry_usec) ;

/* Connections currently counted against the key at time now:
   ceil((tat - now) / interval), 0 if tat <= now. */
uint64_t rl_gcra_level (uint64_t tat, uint64_t now, uint64_t interval) ;

/* --- the state file ---
   Layout (all integers little-endian, the host order on every platform we
   run on; the header's magic catches a foreign file):
     header  RL_HDR_BYTES: magic "mxhldrl1", nbuckets, ways, entry size,
             a 128-bit hash seed (random at creation: clients cannot aim at
             a bucket), a checksum of the above
     buckets RL_BUCKETS x RL_WAYS entries of RL_ENTRY_BYTES
   Entry: addr u64, tat u64 (usec), admitted u32, denied u32, fam u8,
   3 zero bytes, check u32 (a hash of the other 28 bytes). An all-zero
   entry is empty. A bucket is read, changed and written back under an
   fcntl write lock on its byte range, so connections from clients in
   different buckets never wait for each other. The header changes only
   when the file is (re)initialised, under a write lock on the whole file. */
#define RL_MAGIC "mxhldrl1"
#define RL_HDR_BYTES 64
#define RL_BUCKETS 65536          /* x RL_WAYS = 524288 keys, 16 MiB: bounded whatever the number of clients */
#define RL_WAYS 8                 /* a full bucket evicts its stalest key (smallest TAT) */
#define RL_ENTRY_BYTES 32
#define RL_BUCKET_BYTES (RL_WAYS * RL_ENTRY_BYTES)
#define RL_FILE_BYTES (RL_HDR_BYTES + (uint64_t)RL_BUCKETS * RL_BUCKET_BYTES)

struct rl_entry {
  uint64_t addr, tat ;
  uint32_t admitted, denied ;
  unsigned char fam ;
} ;

struct rl_state {
  int fd ;
  uint64_t seed[2] ;
  /* told of each recovery, may be NULL: "state-created" (a missing file
     made), "state-reset" (a bad header or size: all counters reset),
     "state-repaired" (corrupt entries of a bucket cleared) */
  void (*warn) (char const *event) ;
  unsigned int lock_secs ;           /* longest wait for a lock; 0: RL_LOCK_SECS */
} ;

/* What happened to one connection. */
struct rl_verdict {
  int admitted ;           /* 1 admitted, 0 refused */
  uint64_t level ;         /* connections counted, this one included if admitted */
  uint64_t retry_usec ;    /* refused: wait before the next admission */
  uint32_t admitted_total, denied_total ;  /* this key's counters, this connection included */
} ;

/* Opens (creating it if needed, mode 0600) the state file. A missing file is
   created; a file with a bad header or size is re-initialised in place (one
   warn call). 0, or -1 with errno (the caller should then admit: a broken
   state must never refuse everybody). */
int rl_state_open (struct rl_state *st, char const *path) ;
void rl_state_close (struct rl_state *st) ;

/* Counts one connection from k at time now against l. Corrupt entries met in
   the bucket are cleared (one warn call per bucket). 0, or -1 with errno
   (ETIMEDOUT: the bucket stayed locked lock_secs). Uses SIGALRM and
   ITIMER_REAL while it waits for a lock. */
int rl_state_take (struct rl_state *st, struct rl_key const *k, uint64_t now, struct rl_limit const *l, struct rl_verdict *v) ;

/* Checks a bucket read from disk: clears each entry whose checksum fails or
   whose padding is not zero. Returns the number cleared. (Exposed for the
   fuzz target and the unit tests.) */
unsigned int rl_bucket_repair (unsigned char *bucket) ;
/* Entry i of a bucket: decode (1, or 0 if empty) and encode. */
int rl_bucket_get (unsigned char const *bucket, unsigned int i, struct rl_entry *e) ;
void rl_bucket_put (unsigned char *bucket, unsigned int i, struct rl_entry const *e) ;

/* Reads every entry into a malloc'd array (*out, caller frees), *n entries.
   Takes no lock (a listing may see a bucket mid-update; it is only a view).
   0, or -1 with errno. */
int rl_state_list (struct rl_state *st, struct rl_entry **out, size_t *n) ;

/* --- listing (-l) --- */
struct conf ;
/* Prints on stdout the max busiest clients (furthest ahead of their budget
   first), each with its level against its own limit (c may be NULL: the
   defaults), its counters and whether it is refused now. 0, or -1 + errno. */
int rl_list_print (struct rl_state *st, struct conf const *c, uint64_t now, unsigned int max) ;

/* --- the clock --- */

/* Parses "SECONDS" or "SECONDS.FRACTION" (at most 6 fraction digits,
   NUL-terminated) into microseconds. 1, or 0 if malformed or NULL. */
int rl_clock_parse (char const *s, uint64_t *usec) ;
/* Microseconds since the epoch: $MXHOLD_RL_NOW if it parses, else the
   real-time clock. */
uint64_t rl_clock_now (void) ;

/* --- refusing --- */

/* Writes the 421 greeting "421 4.7.0 ME too many connections from IP: N
   per Ws; retry after Ts" on fd out, then answers every command read from
   fd in with 421 (QUIT with 221) until QUIT, EOF, RL_REFUSE_LINES
   commands, an overlong line, or RL_REFUSE_SECS seconds. Bytes of me and
   ip outside 33..126 are written as '?'. Returns 0 (the client is gone or
   given up on), -1 with errno if the greeting could not be written. */
int rl_refuse (int in, int out, char const *me, char const *ip, uint64_t connections, uint64_t window, uint64_t retry_secs) ;

/* Formats the greeting line (CRLF included) into buf[n]; returns its length,
   or 0 if it does not fit. */
size_t rl_refuse_greeting (char *buf, size_t n, char const *me, char const *ip, uint64_t connections, uint64_t window, uint64_t retry_secs) ;

/* rl_refuse's exchange with any greeting line (glen bytes, CRLF
   included): the same bounds, QUIT gets 221 with me. */
int rl_refuse_with (int in, int out, char const *me, char const *greet, size_t glen) ;
/* The greeting of a client over concurrency_client: "421 4.7.0 ME too
   many sessions at once from IP: N; try again later" (CRLF included);
   its length, or 0 if it does not fit. */
size_t rl_refuse_sessions (char *buf, size_t n, char const *me, char const *ip, uint64_t sessions) ;

#endif
