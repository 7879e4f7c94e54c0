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
     floor -l PORT WORKERS QDIR       the other architecture, for the
                                      filer's decision: WORKERS pre-forked
                                      processes accept on 127.0.0.1:PORT
                                      and serve session after session, each
                                      message written in-process the way
                                      mxhold-queue does (QDIR/tmp, write,
                                      fsync, rename to QDIR/new, fsync
                                      new/); no tcpserver, no exec, no child
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
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/prctl.h>

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

static char const *qdir ;   /* -l: the queue directory */

/* -l: a worker dies with the listener (the bench kills the listener). */
static void prctl_parent_death (void)
{
  prctl(PR_SET_PDEATHSIG, SIGTERM) ;
}

/* -l: the message into qdir as mxhold-queue would store it. */
static char const *store (char const *msg, size_t len)
{
  static unsigned long seq ;
  char tmp[4096], new[4096] ;
  int fd, dfd ;
  snprintf(tmp, sizeof tmp, "%s/tmp/%d.%lu", qdir, (int)getpid(), ++seq) ;
  snprintf(new, sizeof new, "%s/new/%d.%lu", qdir, (int)getpid(), seq) ;
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600) ;
  if (fd == -1) return "451 4.3.0 open\r\n" ;
  if (write(fd, msg, len) != (ssize_t)len || fsync(fd) == -1) { close(fd) ; return "451 4.3.0 write\r\n" ; }
  close(fd) ;
  if (rename(tmp, new) == -1) return "451 4.3.0 rename\r\n" ;
  snprintf(new, sizeof new, "%s/new", qdir) ;
  dfd = open(new, O_RDONLY | O_DIRECTORY) ;
  if (dfd == -1 || fsync(dfd) == -1) return "451 4.3.0 fsync\r\n" ;
  close(dfd) ;
  return "250 2.0.0 ok\r\n" ;
}

static char const *message_end (char **next, char const *msg, size_t len)
{
  int st, mfd, efd ;
  pid_t pid ;
  if (qdir) return store(msg, len) ;
  if (!next) return "250 2.0.0 ok\r\n" ;
  if ((pid = child(next, &mfd, &efd)) == -1) return "451 4.3.0 spawn\r\n" ;
  if (write(mfd, msg, len) != (ssize_t)len) return "451 4.3.0 child\r\n" ;
  close(mfd) ;
  if (write(efd, "Fs@x\0Tu@x\0\0", 11) != 11) return "451 4.3.0 child\r\n" ;
  close(efd) ;
  if (waitpid(pid, &st, 0) != pid || st) return "451 4.3.0 child\r\n" ;
  return "250 2.0.0 ok\r\n" ;
}

/* One SMTP session on fd 0 and 1. */
static void session (char **next)
{
  static char msg[MSG_MAX] ;
  char b[8192], line[LINE_MAX] ;
  size_t ll = 0, ml = 0 ;
  int data = 0 ;
  ssize_t n ;
  put("220 floor ESMTP\r\n") ;
  while ((n = read(0, b, sizeof b)) > 0)
    for (ssize_t i = 0 ; i < n ; i++)
    {
      if (ll < LINE_MAX) line[ll++] = b[i] ;
      if (b[i] != '\n') continue ;
      if (data && ll == 3 && line[0] == '.') { data = 0 ; put(message_end(next, msg, ml)) ; }
      else if (data) { if (ml + ll <= MSG_MAX) { memcpy(msg + ml, line, ll) ; ml += ll ; } }
      else if (!strncasecmp(line, "DATA", 4)) { data = 1 ; ml = 0 ; put("354 go\r\n") ; }
      else if (!strncasecmp(line, "QUIT", 4)) { put("221 2.0.0 bye\r\n") ; return ; }
      else if (!strncasecmp(line, "EHLO", 4)) put("250-floor\r\n250 PIPELINING\r\n") ;
      else put("250 2.0.0 ok\r\n") ;
      ll = 0 ;
    }
}

/* -l PORT WORKERS QDIR: pre-forked workers, each accepting sessions on
   127.0.0.1:PORT until killed; the parent waits and takes them down with it. */
static int listener (char **argv)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[0])) } ;
  int workers = atoi(argv[1]), one = 1, s ;
  qdir = argv[2] ;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK) ;
  s = socket(AF_INET, SOCK_STREAM, 0) ;
  if (s == -1 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1
   || bind(s, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(s, 128) == -1) return 111 ;
  signal(SIGPIPE, SIG_IGN) ;
  for (int w = 0 ; w < workers ; w++)
    if (!fork())
    {
      int null = open("/dev/null", O_RDWR) ;
      prctl_parent_death() ;
      for (;;)
      {
        int c = accept(s, 0, 0) ;
        if (c == -1) continue ;
        dup2(c, 0) ; dup2(c, 1) ; close(c) ;
        session(0) ;
        dup2(null, 0) ; dup2(null, 1) ;   /* the connection is closed */
      }
    }
  while (wait(0) > 0) ;
  return 0 ;
}

int main (int argc, char **argv)
{
  if (argc == 2 && !strcmp(argv[1], "-d")) return drain() ;
  if (argc == 5 && !strcmp(argv[1], "-l")) return listener(argv + 2) ;
  session(argc > 1 ? argv + 1 : 0) ;
  return 0 ;
}
