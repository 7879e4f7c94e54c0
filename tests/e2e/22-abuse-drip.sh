#!/bin/bash
# 22-abuse-drip: inside DATA a client must send at least data_rate_min
# bytes per second over each data_rate_window of waiting (issue 17, item
# 3): a slow drip gets 421 4.4.2 (reason=too-slow) and nothing is queued,
# though every byte comes well inside timeout_data; a client above the
# minimum, slow or fast, gets its message queued. Through tcpserver ->
# ratelimit -> smtpd -> spfcheck -> queue.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/20-abuse-lib.bash"
ab_setup 'data_rate_min 1000\ndata_rate_window 2\ntimeout_data 60\n'
ab_start

# send CHUNK PAUSE SECS: one message whose body goes CHUNK bytes every
# PAUSE seconds for SECS seconds; prints the DATA reply and the seconds taken
send () {
  $PY - "$PORT" "$@" <<'PY'
import socket, sys, time
port, chunk, pause, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port), 5)
s.settimeout(20)
f = s.makefile("rb")
def reply():
    while True:
        r = f.readline()
        if r[3:4] != b"-": return r.decode().rstrip()
def cmd(l):
    s.sendall(l + b"\r\n")
    return reply()
reply()
cmd(b"EHLO client.test"); cmd(b"MAIL FROM:<alice@pass.test>"); cmd(b"RCPT TO:<user@example.com>")
if not cmd(b"DATA").startswith("354"): print("no 354"); sys.exit()
s.sendall(b"Subject: drip\r\n\r\n")
t0 = time.monotonic()
try:
    while time.monotonic() - t0 < secs:
        s.sendall(b"d" * (chunk - 2) + b"\r\n")
        time.sleep(pause)
    s.sendall(b".\r\n")
except OSError:
    pass
print("%s|%.1f" % (reply() or "EOF", time.monotonic() - t0))
PY
}

n0=$(queue_count "$Q")
out=$(send 20 0.2 20)
like "${out%|*}" "^421 4\.4\.2 data rate below the minimum" "100 bytes/s against a minimum of 1000: 421 4.4.2"
secs=${out#*|}; secs=${secs%.*}
between "$secs" 1 8 "cut after about one 2 s window (${out#*|} s), long before timeout_data"
check "refused stage=data reason=too-slow logged, with its qid" wait_until 5 ab_has 'smtpd refused stage=data qid reason=too-slow reply~^421'
check "disconnect reason=too-slow logged" wait_until 5 ab_has 'smtpd disconnect reason=too-slow'
check "the queue got no envelope" wait_until 5 ab_has 'queue aborted reason=no-envelope'
is "$(queue_count "$Q")" "$n0" "nothing queued"

out=$(send 1000 0.2 5)
like "${out%|*}" "^250 2\.0\.0 " "5000 bytes/s for 5 s, above the minimum: 250"
out=$(send 998 0.001 0.3)
like "${out%|*}" "^250 2\.0\.0 " "a fast client: 250"
is "$(( $(queue_count "$Q") - n0 ))" 2 "both queued"

# data_rate_min 0: no minimum, the drip waits for its end
ab_setup 'data_rate_min 0\ndata_rate_window 2\n'
out=$(send 20 0.2 3)
like "${out%|*}" "^250 2\.0\.0 " "data_rate_min 0: a 100 bytes/s drip is queued"
ab_grammar
done_testing
