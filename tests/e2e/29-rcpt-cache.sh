#!/bin/bash
# The recipient cache: bounded (verify_cache entries, the oldest evicted
# first), shared by concurrent writers and readers without loss or damage,
# whole after writers are killed at random moments (LMDB's transactions),
# and a damaged cache fails open to verify_fail (logged), never to a probe
# storm.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/25-rcpt-lib.bash"

DOWN=$(free_port)
S=$T/server
mkdir -p "$S"
: >"$S/users"
rc_conf "example.net 127.0.0.1:$DOWN recipients=verify\n" verify_cache 50 verify_burst 100000 verify_rate 3600000 || exit 1
users_start "$DOWN" "$S"

# bounded: 200 addresses, one a second on the settable clock
for i in $(seq 1000 1199); do
  MXHOLD_RCPT_NOW=$((2000000000 + i)) mxhold-rcptcheck "a$i@example.net" 2>>"$T/check.log" >>"$T/check.out"
done
is "$(grep -c '^unknown probe$' "$T/check.out")" 200 "200 probes, each answered unknown"
list=$(MXHOLD_RCPT_NOW=2000001200 mxhold-rcptctl list)
is "$(printf '%s\n' "$list" | wc -l)" 50 "the cache holds verify_cache (50) entries"
is "$(printf '%s\n' "$list" | head -1 | cut -d' ' -f1)" a1150@example.net "the oldest were evicted: the first left is the 151st"
is "$(printf '%s\n' "$list" | tail -1 | cut -d' ' -f1)" a1199@example.net "the newest is there"
# an address learnt again moves to the young end
MXHOLD_RCPT_NOW=2000009999 mxhold-rcptctl forget a1150@example.net 2>>"$T/ctl.log"
MXHOLD_RCPT_NOW=2000002000 mxhold-rcptcheck a1150@example.net >/dev/null 2>>"$T/check.log"
is "$(mxhold-rcptctl list | tail -1 | cut -d' ' -f1)" a1150@example.net "a re-learnt address is the youngest"

# concurrent writers and readers: 4 writers probing 100 addresses each,
# 2 smtpd sessions reading meanwhile
rm -rf "$T/cache"
rc_conf "example.net 127.0.0.1:$DOWN recipients=verify\n" verify_cache 1000 verify_burst 100000 verify_rate 3600000 || exit 1
for w in 1 2 3 4; do
  ( for i in $(seq 100 199); do mxhold-rcptcheck "w$w.$i@example.net" || echo "exit $?"; done >"$T/w$w.out" 2>>"$T/check.log" ) &
  wpids="${wpids:-} $!"
done
for r in 1 2; do
  ( for i in $(seq 100 119); do pipe_rcpt "w1.$i@example.net" "w2.$i@example.net"; done >"$T/r$r.out" ) &
  wpids="$wpids $!"
done
for p in $wpids; do wait "$p"; done
is "$(cat "$T"/w[1-4].out | grep -cE '^unknown (probe|cache)$')" 400 "4 concurrent writers: 400 answers, all unknown (probed, or cached by a reader's probe just before)"
is "$(mxhold-rcptctl list | wc -l)" 400 "and 400 entries in the cache: none lost"
is "$(cat "$T"/r[12].out | sort -u | tr '\n' ' ')" "550 " "the concurrent readers got only 550 answers (unknown, from the cache or a probe)"
is "$(cat "$T"/r[12].out | wc -l)" 80 "all 80 of them"
unlike "$(cat "$T/check.log")" 'cache-unusable' "no writer found the cache unusable"

# writers killed at random moments (SIGKILL, inside transactions or not):
# the cache opens, lists and takes writes afterwards
for i in $(seq 1 40); do
  mxhold-rcptcheck "k$i@example.net" >/dev/null 2>>"$T/kill.log" &
  k=$!
  sleep 0.00$((RANDOM % 10))
  kill -KILL "$k" 2>/dev/null
  wait "$k" 2>/dev/null
done
mxhold-rcptctl list >"$T/after-kill" 2>>"$T/ctl.log"
is "$?" 0 "after 40 killed writers the cache lists (exit 0)"
out=$(mxhold-rcptcheck after@example.net 2>>"$T/check.log")
is "$out" "unknown probe" "a new writer gets the lock and writes"
like "$(mxhold-rcptctl list | grep '^after@')" '^after@example.net unknown probe ' "its entry is there"

# a damaged cache: rcptcheck and smtpd fail open (verify_fail), no probe
rm -rf "$T/cache"
mkdir -p "$T/cache"
head -c 65536 /dev/urandom >"$T/cache/data.mdb"
n=$(probes "$S")
out=$(mxhold-rcptcheck broken@example.net 2>"$T/broken.log")
is "$out" "unverified failed" "a damaged cache: rcptcheck answers unverified"
like "$(cat "$T/broken.log")" 'mxhold-rcptcheck: warning: cache-unusable path=.* error=' "and logs cache-unusable"
PORT=$(free_port)
smtp_server "$PORT" "$C" cat
out=$(rcpt "$PORT" broken@example.net)
is "$(code_of "$out" broken@example.net)" 250 "smtpd accepts (verify_fail=accept)"
is "$(probes "$S")" "$n" "without a probe: no budget without the cache"
done_testing
