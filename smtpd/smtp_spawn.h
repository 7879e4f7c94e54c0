/* smtp_spawn.h: start the next program of a qmail-queue(8) chain. libc
   only: smtpd (skalibs) and spfcheck (libowfat) both link it. */
#ifndef MXHOLD_SMTP_SPAWN_H
#define MXHOLD_SMTP_SPAWN_H

#include <sys/types.h>

#define SMTP_SPAWN_REPLY_FD 4   /* qmail-queue custom-error convention: a reply line */
#define SMTP_SPAWN_HIGHFD 5     /* first fd above the ones the child gets */

/* Runs argv (PATH search) with fd 0 = msg, fd 1 = env, and, if reply >= 0,
   fd 4 = reply; no fd from 5 up; SIGPIPE at its default. msg, env and
   reply must be close-on-exec and not 0 or 1 (those are open in every
   caller). 0 and *pid set, or an errno value: an exec failure (even a
   missing program) comes back here, and callers treat it as temporary. */
int smtp_spawn (pid_t *pid, char const *const *argv, int msg, int env, int reply) ;

#endif
