/* conf_audit.c: what mxhold-conf check sees on disk (conf_audit.h). */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include "conf/conf.h"
#include "conf/conf_audit.h"
#include "conf/conf_build.h"
#include "conf/conf_value.h"

/* Files of the config directory that are not in conf_build's list (a new
   config file goes there, or here if mxhold-conf does not read it). */
static char const *const known_extra[] = { CONF_CDB, CONF_CDB ".tmp", 0 } ;
/* The queue's directories (queue/queue.h, "The queue"). */
static char const *const queue_subs[] = { "tmp", "new", "mess", "state", "ctl", "trigger", 0 } ;
#define RL_STATE_FILE "ratelimit.state"   /* ratelimit/ratelimit.h RL_STATE_NAME: its default place */
#define RL_SLOTS_FILE "ratelimit.slots"   /* ratelimit/rl_conc.c: the sessions-at-once locks, beside it */
#define AUDIT_FILES_SHOWN 3               /* foreign files named per directory, then a count */

static void say (struct conf_audit *a, int error, char const *path, char const *why)
{
  if (error) a->nerr++ ;
  else a->nwarn++ ;
  a->say(a->ctx, error, path, why) ;
}

static int known (char const *name)
{
  for (unsigned int i = 0 ; i < CONF_F_N ; i++)
    if (!strcmp(name, conf_build_filename(i))) return 1 ;
  for (unsigned int i = 0 ; known_extra[i] ; i++)
    if (!strcmp(name, known_extra[i])) return 1 ;
  return 0 ;
}

void conf_audit_dir (struct conf_audit *a, char const *dir)
{
  DIR *d = opendir(dir) ;
  struct dirent *de ;
  if (!d) return ;     /* conf_build_dir has said why already */
  while ((de = readdir(d)))
  {
    char path[CONF_PATH_MAX] ;
    struct stat st ;
    if (de->d_name[0] == '.' || known(de->d_name)) continue ;
    if (conf_path(path, dir, de->d_name) == -1 || stat(path, &st) == -1 || !S_ISREG(st.st_mode)) continue ;
    say(a, 0, path, "unknown file, not read by mxhold (a misspelt name?)") ;
  }
  closedir(d) ;
}

void conf_audit_cdb (struct conf_audit *a, char const *dir)
{
  char path[CONF_PATH_MAX] ;
  struct stat st ;
  if (conf_path(path, dir, CONF_CDB) == -1 || stat(path, &st) == -1) return ;
  if (!(st.st_mode & S_IROTH)) say(a, 1, path, "not readable by others: the relay's users cannot read it (mode 0644)") ;
  /* STARTTLS's private key (mxhold-tls reads tls/key.pem; smtpd only stats it) */
  if (conf_path(path, dir, "tls/key.pem") == -1 || stat(path, &st) == -1) return ;
  if (st.st_mode & (S_IROTH | S_IWOTH)) say(a, 1, path, "the TLS key is open to others: only mxhold-tls may read it (root:mxtls, 0640)") ;
  else if (st.st_mode & S_IWGRP) say(a, 1, path, "the TLS key is writable by its group (0640)") ;
}

/* "NAME (UID)" of a user id. */
static void put_user (struct conf_obuf *o, uid_t uid)
{
  struct passwd *pw = getpwuid(uid) ;
  if (pw)
  {
    conf_obuf_puts(o, pw->pw_name) ;
    conf_obuf_puts(o, " (") ;
  }
  conf_obuf_putu(o, uid) ;
  if (pw) conf_obuf_puts(o, ")") ;
}

static void put_mode (struct conf_obuf *o, mode_t m)
{
  char s[5] = { '0', (char)('0' + (m >> 6 & 7)), (char)('0' + (m >> 3 & 7)), (char)('0' + (m & 7)), 0 } ;
  conf_obuf_puts(o, s) ;
}

/* The owner and mode rules for one directory or file of the queue. */
static void check_entry (struct conf_audit *a, char const *path, struct stat const *st, uid_t owner, mode_t forbid)
{
  char why[256] ;
  struct conf_obuf o = { why, 0, sizeof why - 1, 0 } ;
  if (st->st_uid != owner)
  {
    conf_obuf_puts(&o, "owner ") ;
    put_user(&o, st->st_uid) ;
    conf_obuf_puts(&o, ", not the queue's owner ") ;
    put_user(&o, owner) ;
    why[o.len] = 0 ;
    say(a, 1, path, why) ;
    return ;
  }
  if (st->st_mode & forbid)
  {
    conf_obuf_puts(&o, "mode ") ;
    put_mode(&o, st->st_mode & 07777) ;
    conf_obuf_puts(&o, forbid == 077 ? ": only its owner may use it (0700)" : ": writable by others") ;
    why[o.len] = 0 ;
    say(a, 1, path, why) ;
  }
}

/* The files of one directory of the queue: their owner, one line for all. */
static void check_files (struct conf_audit *a, char const *dir, uid_t owner)
{
  DIR *d = opendir(dir) ;
  struct dirent *de ;
  unsigned long bad = 0 ;
  char first[CONF_PATH_MAX] = "" ;
  if (!d) return ;
  while ((de = readdir(d)))
  {
    char path[CONF_PATH_MAX] ;
    struct stat st ;
    if (de->d_name[0] == '.' || conf_path(path, dir, de->d_name) == -1 || lstat(path, &st) == -1 || S_ISDIR(st.st_mode)) continue ;
    if (st.st_uid == owner) continue ;
    if (!bad++) memcpy(first, path, strlen(path) + 1) ;
    if (bad <= AUDIT_FILES_SHOWN) check_entry(a, path, &st, owner, 0) ;
  }
  closedir(d) ;
  if (bad > AUDIT_FILES_SHOWN)
  {
    char why[128] ;
    struct conf_obuf o = { why, 0, sizeof why - 1, 0 } ;
    conf_obuf_putu(&o, bad) ;
    conf_obuf_puts(&o, " files in all not owned by the queue's owner") ;
    why[o.len] = 0 ;
    say(a, 1, dir, why) ;
  }
}

/* mess/ and state/: every bucket (queue/queue.h: HH, read here from the
   directory, since conf/ includes nothing of queue/) and its files. */
static void check_buckets (struct conf_audit *a, char const *dir, uid_t owner)
{
  DIR *d = opendir(dir) ;
  struct dirent *de ;
  if (!d) return ;
  while ((de = readdir(d)))
  {
    char bucket[CONF_PATH_MAX] ;
    struct stat st ;
    if (de->d_name[0] == '.' || conf_path(bucket, dir, de->d_name) == -1 || lstat(bucket, &st) == -1) continue ;
    check_entry(a, bucket, &st, owner, S_IWOTH) ;
    if (S_ISDIR(st.st_mode)) check_files(a, bucket, owner) ;
  }
  closedir(d) ;
}

static void check_tree (struct conf_audit *a, char const *q, uid_t owner)
{
  for (unsigned int i = 0 ; queue_subs[i] ; i++)
  {
    char path[CONF_PATH_MAX] ;
    struct stat st ;
    if (conf_path(path, q, queue_subs[i]) == -1) continue ;
    if (lstat(path, &st) == -1 || !S_ISDIR(st.st_mode))
    {
      say(a, 1, path, "missing: not a queue yet (mxhold-queuectl init, as the queue's owner)") ;
      continue ;
    }
    check_entry(a, path, &st, owner, i == 0 ? 077 : S_IWOTH) ;
    if (i == 2 || i == 3) check_buckets(a, path, owner) ;
    else if (i != 5) check_files(a, path, owner) ;
  }
}

/* ratelimit.state and ratelimit.slots (name) on an installed relay: the
   SMTP user's. */
static void check_rl_file (struct conf_audit *a, char const *q, struct stat const *qst, char const *name)
{
  char path[CONF_PATH_MAX] ;
  char why[256] ;
  struct stat st ;
  if (conf_path(path, q, name) == -1) return ;
  if (lstat(path, &st) == -1)
  {
    say(a, 0, path, "missing: the SMTP user cannot make it in the queue's directory; make it that user's, mode 0600 (conf/install-host.sh), unless mxhold-ratelimit -f puts it elsewhere") ;
    return ;
  }
  if (!st.st_uid) say(a, 1, path, "owned by root: mxhold-ratelimit runs as the SMTP user and cannot write it (chown it to that user)") ;
  else if (st.st_uid == qst->st_uid)
    say(a, 1, path, "owned by the queue's owner: the SMTP user must be another user, or it could write the queue") ;
  else if (st.st_mode & 077)
  {
    struct conf_obuf o = { why, 0, sizeof why - 1, 0 } ;
    conf_obuf_puts(&o, "mode ") ;
    put_mode(&o, st.st_mode & 07777) ;
    conf_obuf_puts(&o, ": only the SMTP user may use it (0600)") ;
    why[o.len] = 0 ;
    say(a, 1, path, why) ;
  }
}

void conf_audit_queue (struct conf_audit *a, char const *q)
{
  struct stat st ;
  if (stat(q, &st) == -1)
  {
    char why[256] ;
    struct conf_obuf o = { why, 0, sizeof why - 1, 0 } ;
    conf_obuf_puts(&o, "cannot be looked at: ") ;
    conf_obuf_puts(&o, strerror(errno)) ;
    why[o.len] = 0 ;
    if (errno == ENOENT) say(a, 0, q, "the queue does not exist yet (mxhold-queuectl init, as the queue's owner)") ;
    else say(a, 1, q, why) ;
    return ;
  }
  if (!S_ISDIR(st.st_mode))
  {
    say(a, 1, q, "the queue is not a directory") ;
    return ;
  }
  check_tree(a, q, st.st_uid) ;
  if (st.st_uid)
  {
    check_rl_file(a, q, &st, RL_STATE_FILE) ;
    check_rl_file(a, q, &st, RL_SLOTS_FILE) ;
    if (!(st.st_mode & S_IXOTH)) say(a, 1, q, "not searchable by others: the SMTP user cannot reach ratelimit.state (mode 0755)") ;
  }
}
