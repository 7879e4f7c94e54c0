# tests/e2e/76-proxy-lib.bash: helpers for the several-hosts tests (76-79,
# 95-97), sourced after tests/lib.sh. Not a test itself.

CLIENT="$PY $TOP/tests/e2e/76-client.py"

# relay NAME ADDR PORT CONFDIR [PROG...]: tcpserver on ADDR:PORT running
# PROG... (default: mxhold-proxy mxhold-ratelimit mxhold-smtpd
# mxhold-queue), stderr to $T/NAME.log; waits until it listens. Extra env
# via RELAY_ENV.
relay () {
  local name=$1 addr=$2 port=$3 conf=$4; shift 4
  [ $# -eq 0 ] && set -- mxhold-proxy mxhold-ratelimit mxhold-smtpd mxhold-queue
  bg env MXHOLD_CONF="$conf" ${RELAY_ENV:-} tcpserver -HRl0 -c 50 -b 50 "$addr" "$port" "$@" 2>>"$T/$name.log"
  wait_until 10 port_open "$port" "$addr" || nok "tcpserver $name on $addr:$port did not start"
}

# haproxy_front CFG: Debian's haproxy in the foreground with config CFG
# (written by the caller), log to $T/haproxy.log.
haproxy_front () {
  bg haproxy -db -f "$1" >>"$T/haproxy.log" 2>&1
}

# count_lines FILE REGEX: lines of FILE matching REGEX (0 if none or no file)
count_lines () { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

# probe PORT [ADDR]: is ADDR:PORT listening? From 127.0.0.254, an address
# no test counts.
probe () {
  $PY -c "import socket; s=socket.socket(); s.bind(('127.0.0.254',0)); s.settimeout(1); s.connect(('${2:-127.0.0.1}',$1))" 2>/dev/null
}

# redis_start PORT: Debian's redis-server on 127.0.0.1:PORT, no disk, in
# the foreground (bg); REDIS_PID its pid. Waits until it answers PING.
redis_start () {
  bg redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" >>"$T/redis.$1.out" 2>&1
  REDIS_PID=$LASTPID
  wait_until 10 redis_up "$1" || nok "redis-server on $1 did not start"
}
redis_up () { [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; }

# hits N SRC ADDR PORT: N connections one after the other; prints the
# count of each first reply code ("220 5", "421 1"), sorted
hits () {
  local i n=$1 src=$2 addr=$3 port=$4
  for i in $(seq "$n"); do $CLIENT "$src" "$addr" "$port" greet | cut -c1-3; done | sort | uniq -c | awk '{ print $2, $1 }'
}

# par_hits N SRC PORT HOST...: N connections from SRC at once, spread
# round robin over HOST... (all opened before any greeting is read);
# prints the count of each first reply code, sorted ("220 10", "421 14")
par_hits () {
  local n=$1 src=$2 port=$3; shift 3
  $PY - "$n" "$src" "$port" "$@" <<'PYEOF'
import socket, sys, threading, collections
n, src, port, hosts = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4:]
codes = collections.Counter(); lock = threading.Lock(); go = threading.Event()
def one(i):
    try:
        s = socket.socket(); s.settimeout(20); s.bind((src, 0)); s.connect((hosts[i % len(hosts)], port))
        go.wait(20)
        code = s.makefile("rb").readline()[:3].decode("ascii", "replace") or "eof"
        s.close()
    except Exception:
        code = "err"
    with lock: codes[code] += 1
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
go.set()
for t in ts: t.join()
for c in sorted(codes): print(c, codes[c])
PYEOF
}
