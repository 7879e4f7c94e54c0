/* floor.c: the cheapest program that fits the inbound chain's shape, for
   tests/bench/inbound.sh (a benchmark tool, never installed, never on port
   25). It measures what the shape itself costs on this machine, apart from
   anything mxhold does:
     tcpserver ... floor              an SMTP responder: no config, no
                                      checks, no Received, nothing queued
     tcpserver ... floor floor -d     the same, plus one child per message
                                      with the qmail-queue(8) interface
                                      (message on fd 0, envelope on fd 1),
                                      started with posix_spawn as smtpd does;
                                      the child (floor -d) reads both to EOF
                                      and exits 0: a queue that stores nothing
   The message is kept in memory and handed to the child in one write
   after the final dot (smtp-source's 5 KiB fit), so the child costs its
   start and nothing else. It trusts its client (smtp-source on loopback):
   line handling is just enough for smtp-source's dialogue, lines longer
   than LINE_MAX are cut, a message beyond MSG_MAX is cut. */
#include <string.h>
#include <strings.h>
#include <spawn.h>
#include <unistd.h>
#include <sys/wait.h>

#define LINE_MAX 1024
#define MSG_MAX 65536

extern char **environ ;

static void put (char const *s)
{
  size_t n = strlen(s) ;
  while (n)
  {
    ssize_t w = write(1, s, n) ;
    if (w <= 0) _exit(111) ;
    s += w ; n -= (size_t)w ;
  }
}

static int drain (void)
{
  char b[65536] ;
  while (read(0, b, sizeof b) > 0) ;
  while (read(1, b, sizeof b) > 0) ;
  return 0 ;
}

/* Starts argv with pipes on fd 0 and 1; *mfd, *efd: their write ends. */
static pid_t child (char **argv, int *mfd, int *efd)
{
  int m[2], e[2] ;
  pid_t pid ;
  posix_spawn_file_actions_t fa ;
  if (pipe(m) == -1 || pipe(e) == -1) return -1 ;
  posix_spawn_file_actions_init(&fa) ;
  posix_spawn_file_actions_adddup2(&fa, m[0], 0) ;
  posix_spawn_file_actions_adddup2(&fa, e[0], 1) ;
  posix_spawn_file_actions_addclose(&fa, m[1]) ;
  posix_spawn_file_actions_addclose(&fa, e[1]) ;
  if (posix_spawn(&pid, argv[0], &fa, 0, argv, environ)) pid = -1 ;
  posix_spawn_file_actions_destroy(&fa) ;
  close(m[0]) ; close(e[0]) ;
  *mfd = m[1] ; *efd = e[1] ;
  return pid ;
}

static char const *message_end (char **next, char const *msg, size_t len)
{
  int st, mfd, efd ;
  pid_t pid ;
  if (!next) return "250 2.0.0 ok\r\n" ;
  if ((pid = child(next, &mfd, &efd)) == -1) return "451 4.3.0 spawn\r\n" ;
  if (write(mfd, msg, len) != (ssize_t)len) return "451 4.3.0 child\r\n" ;
  close(mfd) ;
  if (write(efd, "Fs@x\0Tu@x\0\0", 11) != 11) return "451 4.3.0 child\r\n" ;
  close(efd) ;
  if (waitpid(pid, &st, 0) != pid || st) return "451 4.3.0 child\r\n" ;
  return "250 2.0.0 ok\r\n" ;
}

int main (int argc, char **argv)
{
  static char msg[MSG_MAX] ;
  char b[8192], line[LINE_MAX] ;
  char **next = argc > 1 ? argv + 1 : 0 ;
  size_t ll = 0, ml = 0 ;
  int data = 0 ;
  ssize_t n ;
  if (argc == 2 && !strcmp(argv[1], "-d")) return drain() ;
  put("220 floor ESMTP\r\n") ;
  while ((n = read(0, b, sizeof b)) > 0)
    for (ssize_t i = 0 ; i < n ; i++)
    {
      if (ll < LINE_MAX) line[ll++] = b[i] ;
      if (b[i] != '\n') continue ;
      if (data && ll == 3 && line[0] == '.') { data = 0 ; put(message_end(next, msg, ml)) ; }
      else if (data) { if (ml + ll <= MSG_MAX) { memcpy(msg + ml, line, ll) ; ml += ll ; } }
      else if (!strncasecmp(line, "DATA", 4)) { data = 1 ; ml = 0 ; put("354 go\r\n") ; }
      else if (!strncasecmp(line, "QUIT", 4)) { put("221 2.0.0 bye\r\n") ; return 0 ; }
      else if (!strncasecmp(line, "EHLO", 4)) put("250-floor\r\n250 PIPELINING\r\n") ;
      else put("250 2.0.0 ok\r\n") ;
      ll = 0 ;
    }
  return 0 ;
}
