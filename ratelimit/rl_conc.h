/* rl_conc.h: sessions at once per client (concurrency_client), counted
   with fcntl locks on a shared slots file. libc only (with lib/log and
   the config reader).

   The file holds no data: a client (rl_key) owns RL_CONC_SLOTS one-byte
   slots at a fixed offset (an IPv4 address its own range, an IPv6 /64 a
   47-bit hash of it, in a range IPv4 never uses). A session holds a POSIX
   write lock on one of its client's slots, taken by ratelimit on an fd
   that is not close-on-exec: the lock goes through the exec into
   mxhold-smtpd and lives exactly as long as that process, released by the
   kernel on any exit, crash or kill. smtpd's children never get the fd
   (lib/spawn closes every fd from 5 up and fd 3), and a child cannot
   release a POSIX lock of its parent anyway. Counting is probing: the
   first free slot among the client's first `limit` is taken (F_SETLK,
   never waiting); none free means `limit` sessions are open. */
#ifndef MXHOLD_RL_CONC_H
#define MXHOLD_RL_CONC_H

#include <stddef.h>
#include <stdint.h>
#include "ratelimit/ratelimit.h"

#define RL_CONC_NAME "ratelimit.slots"   /* default file, in the queue directory */
#define RL_CONC_SLOTS 16384              /* slots per client; a larger concurrency_client is unlimited */
#define RL_CONC_V6_BITS 47               /* a /64 hashed into 2^47 clients, above every IPv4 range */

/* The offset of k's first slot. */
uint64_t rl_conc_base (struct rl_key const *k) ;

/* Takes one of k's first limit slots on fd (open for writing): 1 taken
   (held until fd's process exits or closes any fd of the file), 0 all
   limit slots held by other processes, -1 with errno. */
int rl_conc_take (int fd, struct rl_key const *k, uint64_t limit) ;

/* Sessions held now among k's first limit slots (by other processes). */
uint64_t rl_conc_count (int fd, struct rl_key const *k, uint64_t limit) ;

/* The gate, run once per connection: 0 if ip is admitted (it had fewer
   than limit sessions open; the slot's fd is left open for the exec), 1
   if it is over the limit (nothing said yet: rl_conc_refuse), -1 with
   errno if the slots file cannot be used (the caller fails closed, as
   for the rate state: rl_closed). Unlimited (CONF_UNLIMITED or above
   RL_CONC_SLOTS) or no parsable ip: 0, no slot. */
int rl_conc_gate (char const *path, char const *ip, uint64_t limit) ;
/* Logs `refused reason=too-many-sessions`, speaks the 421 exchange on
   fd 0/1 and exits 0. */
void rl_conc_refuse (char const *ip, uint64_t limit, char const *me) __attribute__((noreturn)) ;

/* The slots file's path into buf (n bytes): STATEFILE.slots when -f gave
   one, else QUEUE/ratelimit.slots. 0, or -1 if there is none or it does
   not fit. */
int rl_conc_path (char *buf, size_t n, char const *statefile, char const *queue, size_t queuelen) ;

#endif
