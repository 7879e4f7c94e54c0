# tests/e2e/80-relaycheck-lib.bash: helpers for relaycheck's tests (80-89),
# sourced after ../lib.sh and postfix-lib.sh. Not a test itself.
RC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RC=mxhold-relaycheck

# rcconf DIR: a config with customer domains example.com and example.net,
# queue at DIR/q (lib.sh's mkconf).
rcconf () { mkconf -p 9 "$1"; }

# peer PORT MODE: tcpserver on 127.0.0.1:PORT running the scripted SMTP peer
# (80-relaycheck-peer.py MODE); every connection appends a line to
# $T/peer.PORT.log (port_open's probe at start-up not counted).
peer () {
  local port=$1 mode=$2
  RC_PEER_LOG=$T/peer.$port.log bg tcpserver -HRl0 -c 20 127.0.0.1 "$port" $PY "$RC_HERE/80-relaycheck-peer.py" "$mode" 2>>"$T/peer.$port.err"
  wait_until 10 port_open "$port" || nok "peer on $port did not start"
  # forget port_open's own connection, once the peer has logged it
  wait_until 5 test -s "$T/peer.$port.log"; : >"$T/peer.$port.log"
}
peer_conns () { [ -f "$T/peer.$1.log" ] && wc -l <"$T/peer.$1.log" || echo 0; }

# jsonget FILE EXPR: evaluates EXPR over the JSON object j read from FILE
# (one object, or the first line of a JSON-lines file with LINE=N)
jsonget () {
  $PY -c 'import json,sys
lines=open(sys.argv[1]).read().splitlines()
j=json.loads(lines[int(sys.argv[3])] if len(sys.argv)>3 else "\n".join(lines))
print(eval(sys.argv[2]))' "$@"
}

# open_postfix DIR PORT: a Postfix that relays for anybody
open_postfix () {
  postfix_start "$1" "$2" "mynetworks = 0.0.0.0/0" \
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
}
# closed_postfix DIR PORT [lines...]: a Postfix whose networks do not
# include the test client (127.0.0.1): the stock relay rules refuse it.
# Stock Postfix sleeps 1 s before each reply after 10 errors (and hangs up
# after 20), so a full battery costs ~30 s; the sleep is off here, the
# hang-up (and so our reconnect) stays.
closed_postfix () {
  local d=$1 p=$2; shift 2
  postfix_start "$d" "$p" "mynetworks = 192.0.2.0/24" "smtpd_error_sleep_time = 0s" "$@"
}

# peer6 PORT MODE: the scripted peer listening on [::1]:PORT by itself
peer6 () {
  local port=$1 mode=$2
  RC_PEER_LOG=$T/peer.$port.log bg $PY "$RC_HERE/80-relaycheck-peer.py" listen ::1 "$port" "$mode" 2>>"$T/peer.$port.err"
  wait_until 10 port_open "$port" ::1 || nok "peer on [::1]:$port did not start"
  wait_until 5 test -s "$T/peer.$port.log"; : >"$T/peer.$port.log"
}
