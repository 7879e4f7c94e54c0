/* smtp_reply.c: the child's exit status (and its optional fd-4 text) as an
   SMTP reply. libc only. The rule that matters: 250 only for exit 0 with
   every byte delivered to the child. */
#include <string.h>
#include <sys/wait.h>
#include "smtpd/smtp_reply.h"

/* qmail-queue(8): 11..40 permanent, 41..99 temporary; ours: 100 perm, 111 temp. */
static int permanent (int code)
{
  return code == 100 || (code >= 11 && code <= 40) ;
}

static size_t cat (char *out, size_t n, char const *s, size_t len)
{
  memcpy(out + n, s, len) ;
  return n + len ;
}

/* Copies the first line of s, bytes outside 32..126 as '?', at most max. */
static size_t sanitise (char *out, char const *s, size_t len, size_t max)
{
  size_t i ;
  for (i = 0 ; i < len && i < max && s[i] != '\n' ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    out[i] = c >= 32 && c <= 126 ? (char)c : '?' ;
  }
  while (i && (out[i - 1] == '?' || out[i - 1] == ' ')) i-- ;   /* a trailing CR */
  return i ;
}

static int digit (char c)
{
  return c >= '0' && c <= '9' ;
}

/* "4xx ..." / "5xx ..." of the class cls: its code, else 0. */
static int coded (char const *s, size_t len, char cls)
{
  if (len < 3 || s[0] != cls || !digit(s[1]) || !digit(s[2])) return 0 ;
  if (len > 3 && s[3] != ' ') return 0 ;
  return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0') ;
}

static int custom (int perm, char const *t, size_t tn, char *reply)
{
  char const *def = perm ? "554 5.3.0 " : "451 4.3.0 " ;
  size_t n = 0 ;
  if ((t[0] == 'D' || t[0] == 'Z') && tn > 1)   /* qmail's custom error: D perm, Z temp */
  {
    n = cat(reply, 0, t[0] == 'D' ? "554 5.3.0 " : "451 4.3.0 ", 10) ;
    n = cat(reply, n, t + 1, tn - 1) ;
    reply[n] = 0 ;
    return t[0] == 'D' ? 554 : 451 ;
  }
  if (coded(t, tn, perm ? '5' : '4'))
  {
    int code = coded(t, tn, perm ? '5' : '4') ;
    if (tn > 5 && t[4] == t[0] && t[5] == '.') n = cat(reply, 0, t, tn) ;
    else
    {   /* no enhanced status code (RFC 3463): add the generic one */
      n = cat(reply, 0, t, 3) ;
      n = cat(reply, n, def + 3, 7) ;
      if (tn > 4) n = cat(reply, n, t + 4, tn - 4) ;
      else n-- ;
    }
    reply[n] = 0 ;
    return code ;
  }
  return 0 ;
}

int smtp_reply_status (int wstatus, int broken, char const *text, size_t len, char const *qid, char *reply)
{
  char t[SMTPD_REPLY_MAX] ;
  size_t tn = sanitise(t, text, len, sizeof t) ;
  size_t n ;
  int perm, code ;
  if (wstatus != -1 && WIFEXITED(wstatus) && !WEXITSTATUS(wstatus))
  {
    if (!broken)
    {
      n = cat(reply, 0, "250 2.0.0 Ok: queued as ", 24) ;
      n = cat(reply, n, qid, strlen(qid)) ;
      reply[n] = 0 ;
      return 250 ;
    }
    tn = 0 ;   /* exit 0 without taking the whole message: not queued */
  }
  perm = wstatus != -1 && WIFEXITED(wstatus) && permanent(WEXITSTATUS(wstatus)) ;
  if (tn && (code = custom(perm, t, tn, reply))) return code ;
  {
    char const *msg = perm ? "554 5.3.0 message refused by the queue" : "451 4.3.0 queue failure, try again later" ;
    n = cat(reply, 0, msg, strlen(msg)) ;
    reply[n] = 0 ;
  }
  return perm ? 554 : 451 ;
}
