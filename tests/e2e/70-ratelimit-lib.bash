# tests/e2e/70-ratelimit-lib.bash: helpers for the ratelimit tests (70-79),
# sourced after tests/lib.sh. Not a test itself (run.sh runs only *.sh).

# rl_conf DIR [LIMITS [CLIENTS]]: a config dir with its queue (the state
# file's home, a plain directory) at DIR.q; LIMITS and CLIENTS are the
# files' text (printf %b). lib.sh's mkconf.
rl_conf () { mkconf -q "$1.q" -Q -p 9 -d example.com -l "${2:-}" -c "${3:-}" "$1"; }

# rl_server PORT CONFDIR: tcpserver on 127.0.0.1:PORT running
# mxhold-ratelimit, then mxhold-smtpd if built and RL_NEXT=smtpd, else a
# stand-in that greets with 220 (printf: one exec, cheap on a busy host).
# Its stderr goes to $T/rl.PORT.log. Extra env (VAR=value ...) via RL_ENV,
# tcpserver's -c via RL_CONC.
rl_server () {
  local port=$1 conf=$2
  local -a next=(printf '220 stand-in\r\n')
  [ "${RL_NEXT:-}" = smtpd ] && [ -x "$BIN/mxhold-smtpd" ] && next=(mxhold-smtpd mxhold-queue)
  bg env MXHOLD_CONF="$conf" ${RL_ENV:-} tcpserver -HRl0 -c "${RL_CONC:-100}" -b 300 127.0.0.1 "$port" \
    mxhold-ratelimit "${next[@]}" 2>>"$T/rl.$port.log"
  RL_PID=$LASTPID
  wait_until 10 rl_probe "$port" || nok "tcpserver on $port did not start"
}

# rl_probe PORT: is it listening? Connects from 127.0.0.254, so the probe is
# counted against a client no test uses.
rl_probe () {
  $PY -c "import socket; s=socket.socket(); s.bind(('127.0.0.254',0)); s.settimeout(1); s.connect(('127.0.0.1',$1))" 2>/dev/null
}

# rl_stop: stops the last rl_server and waits until its port is closed
rl_stop () {
  kill -TERM "$RL_PID" 2>/dev/null; wait "$RL_PID" 2>/dev/null
}

# rl_hit PORT N [SRC] [PAR]: N connections to PORT from source address SRC
# (default 127.0.0.1), PAR at once (default 1: one after the other). Each
# reads the greeting, then QUITs. Prints "C count" per greeting code C
# (sorted), e.g. "220 200" and "421 1"; "err" for failures.
rl_hit () {
  $PY - "$1" "$2" "${3:-127.0.0.1}" "${4:-1}" <<'PYEOF'
import socket, sys, threading, collections
port, n, src, par = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
codes = collections.Counter()
lock = threading.Lock()
go = threading.Event()
def one():
    try:
        s = socket.socket()
        s.settimeout(20)
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        go.wait(20)
        f = s.makefile("rb")
        line = f.readline()
        code = line[:3].decode("ascii", "replace") or "eof"
        try:
            s.sendall(b"QUIT\r\n"); f.readline()
        except OSError:
            pass
        s.close()
    except Exception as e:
        code = "err"
        if codes["err"] < 3: sys.stderr.write("rl_hit: %s\n" % e)
    with lock:
        codes[code] += 1
left = n
while left > 0:
    k = min(par, left); left -= k
    ts = [threading.Thread(target=one) for _ in range(k)]
    for t in ts: t.start()
    go.set()   # with PAR > 1: every connection is open before any reads its greeting
    for t in ts: t.join()
    go.clear()
for c in sorted(codes): print(c, codes[c])
PYEOF
}

# rl_count OUTPUT CODE: the count for CODE in rl_hit's output (0 if absent)
rl_count () { printf '%s\n' "$1" | awk -v c="$2" '$1 == c { print $2; f = 1 } END { if (!f) print 0 }'; }

# rl_talk PORT [SRC] LINES...: one session; prints every reply line
rl_talk () {
  local port=$1 src=$2; shift 2
  $PY - "$port" "$src" "$@" <<'PYEOF'
import socket, sys
port, src, lines = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
s = socket.socket(); s.settimeout(10); s.bind((src, 0)); s.connect(("127.0.0.1", port))
f = s.makefile("rb")
print(f.readline().decode().rstrip("\r\n"))
for l in lines:
    s.sendall(l.encode() + b"\r\n")
    r = f.readline().decode().rstrip("\r\n")
    print(r if r else "<eof>")
PYEOF
}
