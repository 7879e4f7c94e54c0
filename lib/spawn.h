/* spawn.h: start a program with exactly the descriptors it is meant to
   have. By posix_spawn (vfork-like in glibc: no page tables copied), so
   a start costs the exec and little else, and an exec failure comes back
   to the caller as an errno value. */
#ifndef MXHOLD_LIB_SPAWN_H
#define MXHOLD_LIB_SPAWN_H

#include <sys/types.h>

/* Runs argv (argv[0] searched in $PATH, the caller's environ) with fd i
   of the child = fds[i] for i < nfds: fds[i] == i keeps that fd (its
   close-on-exec flag cleared), -1 closes it. Every fd from nfds up is
   closed, whatever the caller has open, so nothing leaks into the child.
   SIGPIPE and the other signals are at their defaults; the signal mask
   is empty. The dups happen in index order, so fds[i] must not be an
   fd that an earlier entry j < i is made into (j with fds[j] != j).
   0 and *pid set, or an errno value (ENOENT for a program not found). */
int mx_spawn (pid_t *pid, char const *const *argv, int const *fds, unsigned int nfds) ;

#endif
