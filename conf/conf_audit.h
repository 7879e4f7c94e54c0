/* conf_audit.h: mxhold-conf check's look at the filesystem beyond the
   config's text: files in the config directory it does not know, and the
   owners and modes of config.cdb, the queue and the rate-limit state, as
   conf/install-host.sh lays them out (README, "Least privilege"). Reads
   only (stat, readdir). libc only. */
#ifndef MXHOLD_CONF_AUDIT_H
#define MXHOLD_CONF_AUDIT_H

/* Called once per finding: path, and why (valid during the call only).
   error 1 makes the check fail; 0 is a warning. */
typedef void conf_audit_fn (void *ctx, int error, char const *path, char const *why) ;

struct conf_audit
{
  conf_audit_fn *say ;
  void *ctx ;
  unsigned long nerr ;
  unsigned long nwarn ;
} ;

/* Warns about every regular file in dir that no mxhold program reads
   (`limitz`, `domains.orig`): the config files, config.cdb and its tmp
   file are known; dot files and directories (tls/, a queue) are skipped. */
void conf_audit_dir (struct conf_audit *a, char const *dir) ;

/* config.cdb must be readable by the relay's users (they are not root);
   tls/key.pem, if there, by nobody else (not by others, not writable by
   its group). */
void conf_audit_cdb (struct conf_audit *a, char const *dir) ;

/* The queue q: absent is a warning (mxhold-queuectl init makes it); every
   directory and file must be the queue directory's owner's, none writable
   by others, tmp/ 0700. When that owner is not root (an installed relay),
   ratelimit.state in q must be another user's (the SMTP user's: not root,
   not the queue's owner), mode 0600, and q searchable by others so that
   user reaches it. */
void conf_audit_queue (struct conf_audit *a, char const *q) ;

#endif
