# tests/lib.sh: sourced by every tests/e2e/*.sh (bash). TAP-style output:
# "ok - what" / "not ok - what"; tests/run.sh counts them.
# Everything talks to 127.0.0.1 or ::1 only; every wait has a deadline.
set -u
TOP=${MXHOLD_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BIN=${MXHOLD_BIN:-$TOP/build/bin}
PATH="$BIN:$PATH"
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/mxhold-test.XXXXXX")
_pids=""
_nfail=0

_cleanup () {
  for p in $_pids; do kill -TERM "$p" 2>/dev/null; done
  for p in $_pids; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
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

# mkconf DIR: a config directory with the example settings, a queue at DIR/q
# and the customer domains example.com and example.net routed to 127.0.0.1:PORT
# (DOWN_PORT, default 9); then compiles it. Edit the files and call
# `mxhold-conf compile DIR` again to change it.
mkconf () {
  local d=$1
  mkdir -p "$d"
  echo "relay.test" >"$d/me"
  echo "$d/q" >"$d/queue"
  printf 'example.com 127.0.0.1:%s\nexample.net 127.0.0.1:%s\n' "${DOWN_PORT:-9}" "${DOWN_PORT:-9}" >"$d/domains"
  : >"$d/limits"
  : >"$d/clients"
  mxhold-conf compile "$d" >/dev/null || { nok "mxhold-conf compile $d"; return 1; }
  [ -d "$d/q" ] || mxhold-queuectl -c "$d" init >/dev/null || { nok "queuectl init"; return 1; }
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

done_testing () {
  [ "$_nfail" -eq 0 ]
}
