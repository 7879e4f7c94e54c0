/* spawnloop.c: spawnloop N PROG ARG...: runs PROG ARG N times, one after
   the other (posix_spawn, as smtpd starts its children), its stdout to
   /dev/null, and prints the mean microseconds per run. Compiled here by
   tests/bench/rcpt.sh to price the spawn-a-checker design: one
   mxhold-rcptcheck per RCPT even when the cache knows the address. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ ;

int main (int argc, char **argv)
{
  struct timespec a, b ;
  posix_spawn_file_actions_t fa ;
  long n ;
  if (argc < 3) return 100 ;
  n = atol(argv[1]) ;
  posix_spawn_file_actions_init(&fa) ;
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) ;
  clock_gettime(CLOCK_MONOTONIC, &a) ;
  for (long i = 0 ; i < n ; i++)
  {
    pid_t pid ;
    int st ;
    if (posix_spawnp(&pid, argv[2], &fa, 0, argv + 2, environ)) return 111 ;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) return 111 ;
  }
  clock_gettime(CLOCK_MONOTONIC, &b) ;
  printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3) / (double)n) ;
  return 0 ;
}
