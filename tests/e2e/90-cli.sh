#!/bin/bash
# 90-cli: every program answers --help (usage, summary, manual; exit 0) and
# --version on stdout, and does nothing else: smtpd does not take --help for
# the program it should run, the chain programs start no child; a wrong
# option is still a usage error (exit 100, a fatal usage line).
source "$(dirname "$0")/../lib.sh"
progs=$(cd "$BIN" && ls mxhold-* | sed 's/^mxhold-//')   # every program the build made
for p in $progs; do
  out=$(mxhold-$p --help </dev/null 2>"$T/err.$p"); rc=$?
  is "$rc" 0 "mxhold-$p --help exits 0"
  like "$(printf '%s' "$out" | head -1)" "^usage: mxhold-$p( |$)" "mxhold-$p --help starts with its usage"
  like "$out" "manual: man 8 mxhold-$p" "mxhold-$p --help names its manual page"
  is "$(cat "$T/err.$p")" "" "mxhold-$p --help writes nothing to stderr"
  out=$(mxhold-$p --version </dev/null 2>&1); rc=$?
  is "$rc:$out" "0:mxhold-$p 0.3.0" "mxhold-$p --version"
done

# The chain programs run the rest of their line: --help must not be run as
# that program (a marker file would appear), nor take the rest as its child.
for p in smtpd spfcheck ratelimit; do
  rm -f "$T/ran"
  mxhold-$p --help touch "$T/ran" </dev/null >/dev/null 2>&1
  [ ! -e "$T/ran" ]; is "$?" 0 "mxhold-$p --help runs no child"
done
# Only the first argument is ours: a child's own --help is passed on.
mkdir -p "$T/conf" && mkconf "$T/conf" >/dev/null
out=$(MXHOLD_CONF=$T/conf TCPREMOTEIP=127.0.0.1 mxhold-ratelimit -f "$T/rl.state" sh -c 'echo "child:$1"' sh --help </dev/null 2>"$T/rl.log")
is "$out" "child:--help" "a --help after the child program belongs to the child"

# A wrong option is a usage error, logged in the grammar.
for p in conf deliver queuectl ratelimit relaycheck; do
  mxhold-$p --bogus </dev/null >/dev/null 2>"$T/bogus.$p.log"; rc=$?
  is "$rc" 100 "mxhold-$p --bogus exits 100"
  like "$(cat "$T/bogus.$p.log")" "^mxhold-$p: fatal: usage " "mxhold-$p --bogus logs a usage line"
done
# A closed stdout is a write error: exit 111, not a silent 0.
mxhold-conf --version >&- 2>/dev/null; is "$?" 111 "--version to a closed stdout exits 111"
exit 0
