# tests/e2e/10-smtpd-lib.bash: helpers for smtpd's tests (10-29), sourced
# after ../lib.sh. Not a test itself (run.sh only runs *.sh).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CATCHILD=$HERE/smtpd-catchild
export CATDIR=$T/cat
mkdir -p "$CATDIR"

# smconf DIR [LIMIT VALUE]...: config in DIR with customer domains
# example.com and example.net, queue at DIR/q, the given limits; compiled,
# queue initialised. (lib.sh's mkconf puts the queue where the `queue`
# file is.)
smconf () {
  local d=$1; shift
  mkdir -p "$d"
  echo relay.test >"$d/me"
  echo "$d/q" >"$d/queue"
  printf 'example.com 127.0.0.1:9\nexample.net 127.0.0.1:9\n' >"$d/domains"
  : >"$d/limits"
  while [ $# -ge 2 ]; do echo "$1 $2" >>"$d/limits"; shift 2; done
  : >"$d/clients"
  mxhold-conf compile "$d" >/dev/null || { nok "mxhold-conf compile $d"; return 1; }
  [ -d "$d/q/new" ] || mxhold-queuectl -q "$d/q" init >/dev/null || { nok "queuectl init $d/q"; return 1; }
}

# talk PORT [READ_TIMEOUT]: runs the script on stdin (see 10-smtpd-talk.py)
talk () { $PY "$HERE/10-smtpd-talk.py" "$@"; }

# catcount: messages the test child stored; catclear: forget them
catcount () { find "$CATDIR" -name 'msg.*' ! -name '*.tmp' | wc -l; }
catclear () { rm -f "$CATDIR"/*; }
# catmsg: the one stored message's path
catmsg () { find "$CATDIR" -name 'msg.*' ! -name '*.tmp' | head -1; }

# start PROG...: a fresh port with tcpserver running smtpd PROG... over $CONF
start () { PORT=$(free_port); smtp_server "$PORT" "$CONF" "$@"; }
