/* startcost.c: what one start of a program costs, for tests/bench/startcost.sh
   (a benchmark tool, never installed). Compiled static at run time.
     startcost -n N [-a] [-f FD=PATH]... PROG ARG...
         runs PROG N times one after the other (posix_spawn, as smtpd and
         tcpserver's children start theirs), each with fds 0, 1, 2 on
         /dev/null unless -f opens PATH (read-write, created if absent) there, and prints the
         means per run from wait4's rusage (the child with the children it
         reaped): "cpu_us user_us sys_us minflt majflt maxrss_kb wall_us".
         A run that does not exit 0 is an error (exit 1, the status said);
         with -a any exit status counts (mxhold-tls given no client exits
         1), a signal or 126/127 (not run) does not.
     startcost -m [-f FD=PATH]... PROG ARG...
         one run under ptrace, stopped where the program's own work ends:
         at the entry of its exit/exit_group, or of an execve (a program
         that execs the next one, as mxhold-ratelimit does). There it reads
         /proc/PID/smaps_rollup and smaps and prints, in KiB,
         "rss pss pss_anon pss_file binary_rss": what the process touched,
         and how much of that is its own binary file.
     startcost -p
         the price of one minor page fault here: maps 4096 fresh anonymous
         pages, writes one byte in each, prints microseconds of CPU per
         fault and the faults counted (the VM's cost; bare metal is several times cheaper).
     startcost -d
         reads fd 0 and then fd 1 to EOF and exits 0: the queue that stores
         nothing (qmail-queue's interface), and the "next program" of a
         program that execs or spawns one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/ptrace.h>

#define FDS_MAX 8
#define PATH_MAX_ 4096

extern char **environ ;

static char const *fdpath[FDS_MAX] ;
static int any_status ;

static int drain (void)
{
  char b[65536] ;
  while (read(0, b, sizeof b) > 0) ;
  while (read(1, b, sizeof b) > 0) ;
  return 0 ;
}

static double us (struct timeval t)
{
  return t.tv_sec * 1e6 + t.tv_usec ;
}

static int setfd (char const *arg)
{
  char *eq ;
  long fd = strtol(arg, &eq, 10) ;
  if (*eq != '=' || fd < 0 || fd >= FDS_MAX) return -1 ;
  fdpath[fd] = eq + 1 ;
  return 0 ;
}

static char const *path_of (int fd)
{
  return fdpath[fd] ? fdpath[fd] : "/dev/null" ;
}

static int spawn_loop (long n, char **argv)
{
  posix_spawn_file_actions_t fa ;
  struct timespec a, b ;
  double cpu = 0, user = 0, sys = 0, flt = 0, maj = 0, wall ;
  long maxrss = 0 ;
  posix_spawn_file_actions_init(&fa) ;
  for (int fd = 0 ; fd < FDS_MAX ; fd++)
    if (fd < 3 || fdpath[fd])
      posix_spawn_file_actions_addopen(&fa, fd, path_of(fd), O_RDWR | O_CREAT, 0600) ;
  clock_gettime(CLOCK_MONOTONIC, &a) ;
  for (long i = 0 ; i < n ; i++)
  {
    struct rusage ru ;
    pid_t pid ;
    int st ;
    int e = posix_spawn(&pid, argv[0], &fa, 0, argv, environ) ;
    if (e) { fprintf(stderr, "startcost: spawn %s: %s\n", argv[0], strerror(e)) ; return 1 ; }
    if (wait4(pid, &st, 0, &ru) != pid) { perror("startcost: wait4") ; return 1 ; }
    if (!WIFEXITED(st) || (WEXITSTATUS(st) && (!any_status || WEXITSTATUS(st) >= 126)))
    {
      fprintf(stderr, "startcost: %s: status %d (signal %d)\n", argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFSIGNALED(st) ? WTERMSIG(st) : 0) ;
      return 1 ;
    }
    user += us(ru.ru_utime) ;
    sys += us(ru.ru_stime) ;
    flt += ru.ru_minflt ;
    maj += ru.ru_majflt ;
    if (ru.ru_maxrss > maxrss) maxrss = ru.ru_maxrss ;
  }
  clock_gettime(CLOCK_MONOTONIC, &b) ;
  wall = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3 ;
  cpu = user + sys ;
  printf("%.1f %.1f %.1f %.1f %.2f %ld %.1f\n", cpu / n, user / n, sys / n, flt / n, maj / n, maxrss, wall / n) ;
  return 0 ;
}

/* KiB of the "Key:" lines of a smaps file: the sum over every mapping
   (rollup has one), or over the mappings of path only. */
static long smaps_sum (pid_t pid, char const *file, char const *key, char const *path)
{
  char name[64], line[PATH_MAX_ + 128] ;
  size_t kl = strlen(key) ;
  long sum = 0 ;
  int in = !path ;
  FILE *f ;
  snprintf(name, sizeof name, "/proc/%d/%s", (int)pid, file) ;
  f = fopen(name, "r") ;
  if (!f) return -1 ;
  while (fgets(line, sizeof line, f))
  {
    char *sp = strchr(line, ' ') ;
    if (path && sp && strchr(line, '-') && strchr(line, '-') < sp)
    {
      /* a mapping's header: "start-end perms offset dev inode   pathname" */
      char *nl = strchr(line, '\n') ;
      char *p = strchr(line, '/') ;
      if (nl) *nl = 0 ;
      in = p && !strcmp(p, path) ;
      continue ;
    }
    if (in && !strncmp(line, key, kl) && line[kl] == ':') sum += atol(line + kl + 1) ;
  }
  fclose(f) ;
  return sum ;
}

static void snapshot (pid_t pid)
{
  char exe[64], bin[PATH_MAX_] ;
  ssize_t n ;
  snprintf(exe, sizeof exe, "/proc/%d/exe", (int)pid) ;
  n = readlink(exe, bin, sizeof bin - 1) ;
  bin[n > 0 ? n : 0] = 0 ;
  printf("%ld %ld %ld %ld %ld\n",
    smaps_sum(pid, "smaps_rollup", "Rss", 0), smaps_sum(pid, "smaps_rollup", "Pss", 0),
    smaps_sum(pid, "smaps_rollup", "Pss_Anon", 0), smaps_sum(pid, "smaps_rollup", "Pss_File", 0),
    smaps_sum(pid, "smaps", "Rss", bin)) ;
}

static int is_end (long nr)
{
#ifdef __x86_64__
  return nr == 60 || nr == 231 || nr == 59 || nr == 322 ;   /* exit exit_group execve execveat */
#else
  return nr == 93 || nr == 94 || nr == 221 || nr == 281 ;   /* the generic table (aarch64) */
#endif
}

static int memory (char **argv)
{
  int st ;
  pid_t pid = fork() ;
  if (pid == -1) { perror("startcost: fork") ; return 1 ; }
  if (!pid)
  {
    for (int fd = 0 ; fd < FDS_MAX ; fd++)
      if (fd < 3 || fdpath[fd])
      {
        int f = open(path_of(fd), O_RDWR | O_CREAT, 0600) ;
        if (f == -1 || (f != fd && (dup2(f, fd) == -1 || close(f) == -1))) _exit(126) ;
      }
    ptrace(PTRACE_TRACEME, 0, 0, 0) ;
    execve(argv[0], argv, environ) ;
    _exit(127) ;
  }
  if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) { fprintf(stderr, "startcost: %s did not start\n", argv[0]) ; return 1 ; }
  ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) ;
  ptrace(PTRACE_SYSCALL, pid, 0, 0) ;
  while (waitpid(pid, &st, 0) == pid && WIFSTOPPED(st))
  {
    int sig = WSTOPSIG(st) ;
    if (sig == (SIGTRAP | 0x80))
    {
      struct ptrace_syscall_info si ;
      if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof si, &si) > 0
       && si.op == PTRACE_SYSCALL_INFO_ENTRY && is_end((long)si.entry.nr))
      {
        snapshot(pid) ;
        ptrace(PTRACE_DETACH, pid, 0, 0) ;
        while (waitpid(pid, &st, 0) == pid && !WIFEXITED(st) && !WIFSIGNALED(st)) ;
        return 0 ;
      }
      sig = 0 ;
    }
    ptrace(PTRACE_SYSCALL, pid, 0, sig) ;
  }
  fprintf(stderr, "startcost: %s ended before an exit or exec was seen\n", argv[0]) ;
  return 1 ;
}

static int fault_price (void)
{
  size_t const pages = 4096, page = (size_t)sysconf(_SC_PAGESIZE) ;
  struct rusage a, b ;
  char *m = mmap(0, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ;
  if (m == MAP_FAILED) return 111 ;
  madvise(m, pages * page, MADV_NOHUGEPAGE) ;   /* one fault a page, as a program's start has */
  getrusage(RUSAGE_SELF, &a) ;
  for (size_t i = 0 ; i < pages ; i++) m[i * page] = 1 ;
  getrusage(RUSAGE_SELF, &b) ;
  printf("%.2f %ld\n", (us(b.ru_utime) + us(b.ru_stime) - us(a.ru_utime) - us(a.ru_stime)) / (double)(b.ru_minflt - a.ru_minflt), b.ru_minflt - a.ru_minflt) ;
  return 0 ;
}

int main (int argc, char **argv)
{
  long n = 0 ;
  int mem = 0, i = 1 ;
  if (argc == 2 && !strcmp(argv[1], "-d")) return drain() ;
  if (argc == 2 && !strcmp(argv[1], "-p")) return fault_price() ;
  for (; i < argc && argv[i][0] == '-' ; i++)
  {
    if (!strcmp(argv[i], "-n") && i + 1 < argc) n = atol(argv[++i]) ;
    else if (!strcmp(argv[i], "-m")) mem = 1 ;
    else if (!strcmp(argv[i], "-a")) any_status = 1 ;
    else if (!strcmp(argv[i], "-f") && i + 1 < argc) { if (setfd(argv[++i])) return 100 ; }
    else return 100 ;
  }
  if (i >= argc || (!mem && n <= 0)) { fputs("usage: startcost -n N|-m [-a] [-f FD=PATH]... PROG ARG...\n", stderr) ; return 100 ; }
  setvbuf(stdout, 0, _IOLBF, 0) ;
  return mem ? memory(argv + i) : spawn_loop(n, argv + i) ;
}
