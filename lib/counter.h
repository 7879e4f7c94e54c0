/* counter.h: event counters shared by short-lived processes (a refusal in
   smtpd, ratelimit or proxy; a delivery in deliver), for the metrics that
   `mxhold-queuectl metrics` writes. One file of fixed slots, mmapped
   shared; a slot is a name and a 64-bit count added to with an atomic
   add, so no lock is taken and no count is lost between processes.

   File (QUEUE/counters, MX_COUNTER_FILE): MX_COUNTER_SLOTS slots of
   MX_COUNTER_SLOT_BYTES: state u64 (0 empty, 1 being claimed, 2 in use),
   count u64, name (NUL-padded). A name is the metric and its labels in
   Prometheus syntax, `mxhold_refusals_total{program="smtpd",reason="relay"}`.
   A slot is claimed by compare-and-swap 0 -> 1, named, then published
   (2). A process killed while claiming leaves a slot at 1: the next one
   takes the next slot, and readers add up slots of equal names, so
   nothing is counted twice or lost. A full file drops new names
   (ENOSPC); counts survive restarts, and are reset by removing the file.
   libc only. */
#ifndef MXHOLD_LIB_COUNTER_H
#define MXHOLD_LIB_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#define MX_COUNTER_FILE "counters"
#define MX_COUNTER_SLOTS 4096         /* names: domains x outcomes + reasons; 512 KiB */
#define MX_COUNTER_SLOT_BYTES 128
#define MX_COUNTER_NAME_MAX (MX_COUNTER_SLOT_BYTES - 16 - 1)   /* NUL kept */
#define MX_COUNTER_BYTES ((size_t)MX_COUNTER_SLOTS * MX_COUNTER_SLOT_BYTES)

/* Adds n to the counter name (at most MX_COUNTER_NAME_MAX bytes) in the
   file at path, creating it (mode 0600) if needed. 0, or -1 with errno. */
int mx_counter_add (char const *path, char const *name, uint64_t n) ;

/* The same, the file being QUEUE/counters for the queue directory q[qlen]. */
int mx_counter_add_q (char const *q, size_t qlen, char const *name, uint64_t n) ;

/* Calls fn for every published slot (names may repeat: add them up). 0,
   or -1 with errno (ENOENT: nothing counted yet). */
int mx_counter_each (char const *path, void (*fn) (char const *name, uint64_t count, void *ctx), void *ctx) ;

/* Writes into buf[n] `metric{k1="v1",k2="v2"}` from NULL-ended key, value
   pairs; in values '\\' and '"' are escaped as Prometheus wants and bytes
   outside 32..126 become '?' (so no value holds a line end). Returns the
   length (NUL-terminated), or 0 if it does not fit. */
size_t mx_counter_name (char *buf, size_t n, char const *metric, ...) ;

#endif
