# tests/lib.sh: sourced by every tests/e2e/*.sh (bash). TAP-style output:
# "ok - what" / "not ok - what"; tests/run.sh counts them.
# Everything talks to 127.0.0.1 or ::1 only; every wait has a deadline.
set -u
TOP=${MXHOLD_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BIN=${MXHOLD_BIN:-$TOP/build/bin}
PATH="$BIN:$PATH"
PY=/usr/bin/python3
# TEST ONLY (conf/conf_floor.h): mxhold-conf accepts timings below the
# production floors (retry_min 1, timeout_remote 2), down to 1 second
export MXHOLD_TEST_FLOORS=1
T=$(mktemp -d "${TMPDIR:-/tmp}/mxhold-test.XXXXXX")
_pids=""
_nfail=0

# alive PID: PID runs (a zombie, exited but not yet reaped, does not)
alive () {
  local st
  { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
  st=${st##*) }
  [ "${st%% *}" != Z ]
}
_all_gone () {
  local p
  for p in $_pids; do alive "$p" && return 1; done
  return 0
}

# With MXHOLD_LOG_DIR set (tests/run.sh sets it), every log this test made
# under $T is kept in MXHOLD_LOG_DIR/TEST/ (same relative path) for the
# run's log-grammar test: *.log, s6-log's `current`, and every other file
# that holds a line of one of our programs (log_grammar.py --ours).
_keep_logs () {
  [ -n "${MXHOLD_LOG_DIR:-}" ] && [ -d "$T" ] || return 0
  local dest=$MXHOLD_LOG_DIR/${MXHOLD_TEST_NAME:-$(basename "$0" .sh)} f rel
  {
    find "$T" -type f \( -name '*.log' -o -name current \) -print
    $PY "$TOP/tests/log_grammar.py" --ours "$T"
  } | sort -u | while IFS= read -r f; do
    rel=${f#"$T"/}
    mkdir -p "$dest/$(dirname "$rel")" && cp "$f" "$dest/$rel"
  done
}

# TERM to everything bg started, a bounded wait for it to go, KILL to what
# is left; the logs are kept (above) once their writers are gone.
_cleanup () {
  local p
  for p in $_pids; do kill -TERM "$p" 2>/dev/null; done
  wait_until 5 _all_gone
  for p in $_pids; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  _keep_logs
  [ "${KEEP:-0}" = 1 ] && echo "# kept $T" || rm -rf "$T"
}
trap _cleanup EXIT

ok ()   { echo "ok - $*"; }
nok ()  { echo "not ok - $*"; _nfail=$((_nfail + 1)); }
diag () { echo "# $*"; }
# check DESC CMD...: ok if CMD succeeds
check () { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# is GOT WANT DESC
is () { if [ "$1" = "$2" ]; then ok "$3"; else nok "$3 (got '$1', want '$2')"; fi; }
# like GOT REGEX DESC (grep -E)
like () { if printf '%s' "$1" | grep -Eq -- "$2"; then ok "$3"; else nok "$3 (got '$(printf '%s' "$1" | head -c 300)', want /$2/)"; fi; }
# between GOT LO HI DESC: ok if GOT is a whole number in [LO, HI]
between () {
  case "$1" in ''|*[!0-9]*) nok "$4 (got '$1', not a number)"; return ;; esac
  if [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; then ok "$4"; else nok "$4 (got $1, want $2..$3)"; fi
}
# unlike GOT REGEX DESC
unlike () { if printf '%s' "$1" | grep -Eq -- "$2"; then nok "$3 (got '$(printf '%s' "$1" | head -c 300)', unwanted /$2/)"; else ok "$3"; fi; }

# bg CMD...: start CMD in the background, remember it for cleanup
bg () { "$@" & _pids="$_pids $!"; LASTPID=$!; }

# free_port: a TCP port nobody listens on now (127.0.0.1)
free_port () {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_until SECS CMD...: polls CMD every 0.05 s until it succeeds; 1 after
# SECS*20 polls. That is at least SECS seconds, and longer when each poll is
# slow (a loaded machine, a sanitizer build): on purpose, so a slow machine
# stretches the bound instead of failing the test. Benchmarks, which want
# wall time, use bench-lib.sh's bwait.
wait_until () {
  local secs=$1 i=0; shift
  local n=$((secs * 20))
  while [ $i -lt $n ]; do "$@" 2>/dev/null && return 0; sleep 0.05; i=$((i + 1)); done
  return 1
}

# port_open PORT [HOST]
port_open () { $PY -c "import socket,sys; s=socket.create_connection(('${2:-127.0.0.1}',$1),1)" 2>/dev/null; }

# mkconf [OPTION...] DIR [LIMIT VALUE]...: the one config builder. Writes
# DIR/me (relay.test), DIR/queue, DIR/domains (each customer domain routed
# to 127.0.0.1:PORT), DIR/limits (one "LIMIT VALUE" line per pair, then the
# -l text) and DIR/clients (the -c text), compiles it, and makes the queue
# (`mxhold-queuectl -q QUEUE init`, unless QUEUE/new is there already).
# Returns 1, with a "not ok" line, when the compile or the init fails.
#   -q QUEUE  the queue directory (default DIR/q)
#   -Q        QUEUE is only made a directory, not a queue (ratelimit's
#             state file lives there)
#   -p PORT   the downstream port (default $DOWN_PORT, else 9: nobody)
#   -d LIST   the customer domains (default "example.com example.net")
#   -l TEXT   more limits lines, printf %b: 'window 5\nburst 1\n'
#   -c TEXT   the clients file, printf %b (default empty)
# Edit the files and call `mxhold-conf compile DIR` again to change it.
mkconf () {
  local q="" qinit=1 port=${DOWN_PORT:-9} doms="example.com example.net" ltext="" ctext="" o OPTIND=1
  while getopts q:Qp:d:l:c: o; do
    case $o in
      q) q=$OPTARG ;;
      Q) qinit=0 ;;
      p) port=$OPTARG ;;
      d) doms=$OPTARG ;;
      l) ltext=$OPTARG ;;
      c) ctext=$OPTARG ;;
      *) nok "mkconf: bad option"; return 1 ;;
    esac
  done
  shift $((OPTIND - 1))
  local d=$1 x
  shift
  [ -n "$q" ] || q=$d/q
  mkdir -p "$d" || { nok "mkconf: mkdir $d"; return 1; }
  echo "relay.test" >"$d/me"
  echo "$q" >"$d/queue"
  for x in $doms; do echo "$x 127.0.0.1:$port"; done >"$d/domains"
  {
    while [ $# -ge 2 ]; do echo "$1 $2"; shift 2; done
    printf '%b' "$ltext"
  } >"$d/limits"
  printf '%b' "$ctext" >"$d/clients"
  [ "$qinit" = 1 ] || mkdir -p "$q"
  mxhold-conf compile "$d" >/dev/null || { nok "mxhold-conf compile $d"; return 1; }
  [ "$qinit" = 1 ] || return 0
  [ -d "$q/new" ] || mxhold-queuectl -q "$q" init >/dev/null || { nok "queuectl init $q"; return 1; }
}

# smtp_server PORT CONFDIR [PROG...]: tcpserver on 127.0.0.1:PORT running
# mxhold-smtpd PROG... (default: mxhold-queue); waits until it listens.
smtp_server () {
  local port=$1 conf=$2; shift 2
  [ $# -eq 0 ] && set -- mxhold-queue
  MXHOLD_CONF=$conf bg tcpserver -HRl0 -c 100 -b 100 127.0.0.1 "$port" mxhold-smtpd "$@" 2>>"$T/smtpd.$port.log"
  wait_until 10 port_open "$port" || nok "tcpserver on $port did not start"
}

# queue_count QUEUEDIR: number of messages queued (new/ and mess/)
queue_count () {
  find "$1/new" "$1/mess" -type f 2>/dev/null | wc -l
}

# unfold FILE...: the files with every folded header line joined (CRLF or
# LF, then a space or TAB, becomes one space), for reading a field whole
unfold () {
  $PY -c 'import re, sys
for f in sys.argv[1:]: sys.stdout.buffer.write(re.sub(rb"\r?\n[ \t]", b" ", open(f, "rb").read()))' "$@"
}

done_testing () {
  [ "$_nfail" -eq 0 ]
}
