# tests/e2e/25-rcpt-lib.bash: helpers of the recipient validation tests
# (25-29), sourced after ../lib.sh. Not a test itself (run.sh only runs *.sh).
USERS_PY="$TOP/tests/e2e/25-users.py"
CLIENT_PY="$TOP/tests/e2e/25-rcpt-client.py"
C=$T/conf
export MXHOLD_CONF=$C

# rc_conf DOMAINSTEXT [LIMIT VALUE]...: config $C with these domains lines
# (printf %b), the recipient cache in $T/cache, the limits given; compiled.
rc_conf () {
  local doms=$1
  shift
  mkconf "$C" "$@" || return 1
  printf '%b' "$doms" >"$C/domains"
  echo "$T/cache" >"$C/rcptcache"
  rc_compile
}
rc_compile () { mxhold-conf compile "$C" >/dev/null || nok "mxhold-conf compile"; }

# users_start PORT DIR [--greet CODE]: the customer's server (25-users.py)
# knowing the addresses in DIR/users; its RCPTs in DIR/rcpt.log
users_start () {
  local port=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  touch "$dir/users" "$dir/rcpt.log"
  bg $PY "$USERS_PY" "$port" "$dir/users" "$dir" "$@" 2>>"$T/users.$port.log"
  USERS_PID=$LASTPID
  wait_until 10 port_open "$port" || nok "users server on $port did not start"
}
users_stop () {
  kill "$USERS_PID" 2>/dev/null
  wait "$USERS_PID" 2>/dev/null
  wait_until 10 eval '! port_open '"$1" || nok "users server on $1 did not stop"
}
# probes DIR: RCPTs the server got from a probe (null sender)
probes () { grep -c '^- ' "$1/rcpt.log"; }

# rcpt PORT ADDRESS...: "CODE ADDRESS" per RCPT through tcpserver on PORT
rcpt () { local port=$1; shift; $PY "$CLIENT_PY" "$port" "$@"; }
# code_of OUTPUT ADDRESS: the code the address got
code_of () { printf '%s\n' "$1" | awk -v a="$2" '$2 == a { print $1; exit }'; }

# pipe_rcpt ADDRESS...: the RCPT replies of one session of mxhold-smtpd on
# pipes (no tcpserver: a test sets MXHOLD_RCPT_NOW for this one session)
pipe_rcpt () {
  local a s="EHLO c.example\r\nMAIL FROM:<s@c.example>\r\n"
  for a in "$@"; do s="$s""RCPT TO:<$a>\r\n"; done
  printf "${s}QUIT\r\n" | mxhold-smtpd cat 2>>"$T/pipe.log" | tr -d '\r' | sed -n '/^250 2.1.0/,$p' | sed '1d;$d' | cut -c1-3
}
