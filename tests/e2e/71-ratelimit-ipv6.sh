#!/bin/bash
# 71: an IPv6 /64 counts as one client. Debian's tcpserver (ucspi-tcp 0.88)
# has no IPv6 ("no IP address for ::1"; ucspi-tcp-ipv6 conflicts with it),
# so this drives mxhold-ratelimit directly with $TCPREMOTEIP set, which is
# all tcpserver (or an IPv6 s6-tcpserver) passes it anyway; the next program
# is a real command. At the end, real IPv6 connections to ::1 through a
# minimal UCSPI server in Python (accept, fork, fd 0/1 = socket,
# TCPREMOTEIP = peer, exec), since only ::1 may be used as a source.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/70-ratelimit-lib.bash"

rl_conf "$T/c" 'connections 10\nwindow 3600\nburst 10\n'
export MXHOLD_CONF=$T/c MXHOLD_RL_NOW=1700000000

conn () { TCPREMOTEIP=$1 mxhold-ratelimit echo admitted </dev/null 2>>"$T/err" | head -1; }
n=0
for i in 1 2 3 4 5 6 7 8 9 a; do [ "$(conn "2001:db8:1:2::$i")" = admitted ] && n=$((n + 1)); done
is "$n" 10 "10 connections from 10 addresses of 2001:db8:1:2::/64 admitted"
like "$(conn 2001:db8:1:2:ffff:ffff:ffff:ffff)" "^421 4.7.0 relay.test too many connections from 2001:db8:1:2:ffff:ffff:ffff:ffff: 10 per 3600s; retry after 360s" "the 11th, from yet another address in the /64, refused"
like "$(tail -1 "$T/err")" "^mxhold-ratelimit: info: refused client=2001:db8:1:2:ffff:ffff:ffff:ffff key=2001:db8:1:2::/64 reason=rate count=11 burst=10 refusals=1 reply=\"421 4.7.0 relay.test too many connections from 2001:db8:1:2:ffff:ffff:ffff:ffff: 10 per 3600s; retry after 360s\"\$" "log line names the /64"
is "$(conn 2001:db8:1:3::1)" admitted "the next /64 is another client"
like "$(conn 2001:db8:1:2::77)" "^421 " "upper case, zeros written out: same client, refused"
for i in 1 2 3 4 5 6 7 8 9 10; do conn 192.0.2.7 >/dev/null; done
like "$(conn ::ffff:192.0.2.7)" "^421 " "an IPv4-mapped address is its IPv4 client"
is "$(conn 192.0.2.8)" admitted "the next IPv4 address is another client"
is "$(conn not-an-address)" admitted "an unusable TCPREMOTEIP is admitted"
is "$(tail -1 "$T/err")" 'mxhold-ratelimit: warning: admitted value=not-an-address reason=bad-client-address' "with a warning"
like "$(mxhold-ratelimit -l)" "2001:db8:1:2::/64 +10 +10/3600s b10 +10 +2 refusing" "-l shows the /64"

# --- real IPv6 sockets on ::1 ---
printf '::/64 connections=3 burst=3\n' >"$T/c/clients"
mxhold-conf compile "$T/c" >/dev/null
port=$(free_port)
cat >"$T/ucspi6.py" <<'PYEOF'
import os, signal, socket, sys
port, prog = int(sys.argv[1]), sys.argv[2:]
signal.signal(signal.SIGCHLD, signal.SIG_IGN)   # children reaped by the kernel
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::1", port)); s.listen(50)
while True:
    c, peer = s.accept()
    if os.fork() == 0:
        os.dup2(c.fileno(), 0); os.dup2(c.fileno(), 1)
        os.environ.update(TCPREMOTEIP=peer[0], TCPREMOTEPORT=str(peer[1]), TCPLOCALIP="::1", TCPLOCALPORT=str(port), PROTO="TCP")
        os.execvp(prog[0], prog)
    c.close()
PYEOF
bg $PY "$T/ucspi6.py" "$port" mxhold-ratelimit printf '220 stand-in\r\n' 2>>"$T/ucspi6.log"
v6open () { $PY -c "import socket; socket.create_connection(('::1',$1),1)" 2>/dev/null; }
v6greet () { $PY -c "
import socket
s = socket.create_connection(('::1', $1), 10); f = s.makefile('rb')
print(f.readline().decode().strip())
try:
    s.sendall(b'QUIT\\r\\n'); f.readline()
except OSError:
    pass   # the stand-in exits without reading: reset"; }
if wait_until 10 v6open "$port"; then
  # the probe above was ::1's first connection
  a=$(v6greet "$port"); b=$(v6greet "$port"); c=$(v6greet "$port")
  is "$a|$b" "220 stand-in|220 stand-in" "real IPv6 socket from ::1: admitted (2nd and 3rd of ::/64's 3)"
  like "$c" "^421 4.7.0 relay.test too many connections from ::1: 3 per 3600s; retry after 1200s" "the 4th from ::1 refused"
  like "$(cat "$T/ucspi6.log")" "refused client=::1 key=::/64 reason=rate count=4 burst=3 " "logged as the /64"
else
  nok "python UCSPI server on ::1 did not start (no IPv6 loopback?)"
fi
done_testing
