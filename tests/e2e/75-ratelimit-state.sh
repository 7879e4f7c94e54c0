#!/bin/bash
# 75: the state file through a real tcpserver: missing, garbage, truncated,
# corrupt entries, unusable. Each is recovered with a log line, never a
# crash, never a refusal of everybody; counts survive where the file is
# sound. Also -f and a missing config.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/70-ratelimit-lib.bash"

rl_conf "$T/c" 'connections 10\nwindow 3600\nburst 10\n'
st=$T/c.q/ratelimit.state
log () { cat "$T/rl.$port.log"; }
port=$(free_port)
RL_ENV="MXHOLD_RL_NOW=1700000000" rl_server "$port" "$T/c"

wait_until 10 grep -q "state-created" "$T/rl.$port.log"   # the start-up probe's process
like "$(log)" "^mxhold-ratelimit: info: state-created path=$st\$" "missing at start: created, with a log line"
is "$(stat -c %s "$st")" 16777280 "fixed size: 64 + 65536 buckets x 8 x 32 bytes"
out=$(rl_hit "$port" 11 127.0.0.3)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "10/1" "counting works"

rm -f "$st"
out=$(rl_hit "$port" 3 127.0.0.3)
is "$(rl_count "$out" 220)" 3 "state file deleted: clients admitted (counts start afresh)"
is "$(grep -c 'info: state-created path=' "$T/rl.$port.log")" 2 "one more log line"

head -c 5000 /dev/urandom >"$st"
out=$(rl_hit "$port" 10 127.0.0.4 10)
is "$(rl_count "$out" 220)" 10 "garbage file, 10 connections at once: all admitted"
is "$(grep -c "^mxhold-ratelimit: warning: state-reset path=$st\$" "$T/rl.$port.log")" 1 "exactly one log line for the reset"
is "$(stat -c %s "$st")" 16777280 "file re-initialised to its size"

out=$(rl_hit "$port" 11 127.0.0.3)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "10/1" "counting again from zero after the reset"
# corrupt every entry (valid header, junk in all buckets)
$PY - "$st" <<'PYEOF'
import sys, os
with open(sys.argv[1], "r+b") as f:
    f.seek(64); f.write(b"\xa5" * (16777280 - 64))
PYEOF
out=$(rl_hit "$port" 5 127.0.0.3)
is "$(rl_count "$out" 220)" 5 "junk entries: the refused client's entry is cleared, admitted"
like "$(log)" "^mxhold-ratelimit: warning: state-repaired path=$st\$" "with a log line"
out=$(rl_hit "$port" 20 127.0.0.5 20)
is "$(rl_count "$out" 220)/$(rl_count "$out" 421)" "10/10" "and counted right after (20 at once, limit 10)"
list=$(MXHOLD_RL_NOW=1700000000 mxhold-ratelimit -c "$T/c" -l 2>&1)
like "$list" "^# [0-9]+ clients" "-l works over the junk"

truncate -s 1000 "$st"
out=$(rl_hit "$port" 3 127.0.0.6)
is "$(rl_count "$out" 220)" 3 "truncated file: admitted"
is "$(grep -c 'warning: state-reset path=' "$T/rl.$port.log")" 2 "reset with a log line"

rm -f "$st"; mkdir "$st"
out=$(rl_hit "$port" 12 127.0.0.7)
is "$(rl_count "$out" 421)" 12 "state file unusable (a directory): 421 to everybody, no limit dropped (issue 17, item 6)"
is "$(grep -c "^mxhold-ratelimit: warning: refused client=127.0.0.7 reason=state-unusable path=$st error=\"Is a directory\" reply=" "$T/rl.$port.log")" 1 "with one warning, not one per connection"
rmdir "$st"
rl_stop

port=$(free_port)
RL_ENV="MXHOLD_RL_NOW=1700000000" rl_server "$port" "$T/nonexistent"
out=$(rl_hit "$port" 3 127.0.0.8)
is "$(rl_count "$out" 220)" 3 "no config at all: admitted"
like "$(log)" "^mxhold-ratelimit: warning: config-unreadable path=$T/nonexistent/config.cdb error=\"No such file or directory\" reason=default-limits\$" "with a warning"
like "$(log)" "^mxhold-ratelimit: warning: admitted client=127.0.0.8 reason=no-state-file\$" "and, without a state file, a warning per connection"
rl_stop

out=$(printf 'QUIT\r\n' | for i in 1 2 3; do MXHOLD_CONF=$T/c MXHOLD_RL_NOW=1700000000 TCPREMOTEIP=192.0.2.9 mxhold-ratelimit -f "$T/other.state" echo admitted 2>/dev/null; done)
is "$(printf '%s\n' "$out" | grep -c admitted)" 3 "-f FILE: a state file elsewhere"
is "$(stat -c %s "$T/other.state" 2>/dev/null)" 16777280 "created there"
like "$(MXHOLD_RL_NOW=1700000000 mxhold-ratelimit -c "$T/c" -f "$T/other.state" -l)" "192.0.2.9 +3 " "-l -f FILE reads it"
TCPREMOTEIP=192.0.2.10 mxhold-ratelimit -c "$T/c" "$T/no-such-program" 2>"$T/exec"
is "$?" 111 "exec failure exits 111"
is "$(tail -1 "$T/exec")" "mxhold-ratelimit: fatal: exec-failed path=$T/no-such-program error=\"No such file or directory\"" "with one fatal line"
mxhold-ratelimit -c "$T/c" -x 2>"$T/usage"
is "$?" 100 "bad usage exits 100"
like "$(cat "$T/usage")" "^mxhold-ratelimit: fatal: usage usage=\"mxhold-ratelimit \[ -c confdir \]" "with a usage line"
mxhold-ratelimit -c "$T/c" -f "$T/nodir/x.state" -l 2>"$T/list"
is "$?" 111 "-l on a state file that cannot be opened exits 111"
is "$(cat "$T/list")" "mxhold-ratelimit: fatal: state-unreadable path=$T/nodir/x.state error=\"No such file or directory\"" "with one fatal line"
done_testing
