# tests/e2e/30-queue-lib.bash: helpers for the queue tests (30-39), sourced
# after ../lib.sh. Not a test itself (run.sh only runs *.sh).
Q=$T/q
export MXHOLD_QUEUE=$Q

# qinit: a fresh queue at $Q
qinit () { rm -rf "$Q"; mxhold-queuectl -q "$Q" init >/dev/null || nok "queuectl init"; }

# envfile FILE SENDER RCPT...: a qmail-queue envelope in FILE
envfile () {
  local f=$1 s=$2; shift 2
  { printf 'F%s\0' "$s"; for r in "$@"; do printf 'T%s\0' "$r"; done; printf '\0'; } >"$f"
}

# qput MSGFILE ENVFILE: runs the writer; stderr in $T/qerr (and added to
# $T/qlog, which qlog_grammar parses), status in $?
qput () {
  local rc
  mxhold-queue <"$1" 1<"$2" 2>"$T/qerr"; rc=$?
  cat "$T/qerr" >>"$T/qlog"
  return $rc
}

# qlog_grammar [PROG]: every line logged in this test ($T/qlog) is in the
# grammar of doc/log.md, and PROG (default mxhold-queue) logged some
qlog_grammar () {
  local out rc p=${1:-mxhold-queue}
  out=$($PY "$TOP/tests/log_grammar.py" "$T/qlog"); rc=$?
  is "$rc" 0 "every line $p logged parses with doc/log.md's grammar ($(printf '%s\n' "$out" | tail -1 | sed 's/^# //'))"
  [ "$rc" = 0 ] || printf '%s\n' "$out" | head -5 | sed 's/^/# /'
  like "$(cat "$T/qlog")" "^$p: " "$p logged lines to parse"
}

# newcount: files in new/
newcount () { find "$Q/new" -type f | wc -l; }
tmpcount () { find "$Q/tmp" -type f | wc -l; }

# body_of FILE: the message part of a queue file (after the first empty line)
body_of () { $PY -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[d.index(b"\n\n")+2:])' "$1"; }

# all_new_complete MSGFILE: every file in new/ ends with exactly MSGFILE
# after a header (the writer writes the header, then the message: a cut
# file cannot end with the whole message). No python: called in loops.
all_new_complete () {
  local f n
  n=$(stat -c %s "$1")
  for f in "$Q"/new/*; do
    [ -e "$f" ] || continue
    [ "$(stat -c %s "$f")" -gt "$n" ] || return 1
    tail -c "$n" "$f" | cmp -s - "$1" || return 1
  done
  return 0
}

# LeakSanitizer cannot run under ptrace: under strace, an ASan build would
# exit 1 after success. Leaks are still checked by every run without strace.
strace () { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" command strace "$@"; }
