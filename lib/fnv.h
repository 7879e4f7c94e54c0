/* fnv.h: the FNV-1a 32-bit hash, for spreading names over buckets (queue
   subdirectories, rate-limit buckets, deliver's route table). Not a
   defence against chosen collisions: callers that hash untrusted keys mix
   in a secret seed first. */
#ifndef MXHOLD_LIB_FNV_H
#define MXHOLD_LIB_FNV_H

#include <stddef.h>
#include <stdint.h>

#define MX_FNV_BASIS 2166136261u

/* The hash of n bytes at p, continuing from h (MX_FNV_BASIS to start). */
uint32_t mx_fnv1a32 (uint32_t h, void const *p, size_t n) ;

#endif
