# 59-floors: the floors of issue 17, items 7 and 9.
# - timing limits: mxhold-conf refuses a value below its floor
#   (conf/conf_floor.h) with file:line, in limits, domains and clients; the
#   TEST ONLY knob MXHOLD_TEST_FLOORS=1 lowers a floor to 1 second, never
#   to 0; a config.cdb with retry_min 0 (not made by mxhold-conf) does not
#   make deliver loop: a refusing downstream is tried about once a second,
#   not thousands of times;
# - the queue's free-space floor: through tcpserver -> mxhold-smtpd ->
#   mxhold-queue, a floor above the filesystem's free space gives 451
#   4.3.1 at DATA and one clear log line; a small tmpfs filling up (when
#   this runs as root) refuses at the floor and accepts once space is back;
# - descriptors: a descriptor deliver inherited reaches neither
#   mxhold-remote nor mxhold-queue (the DSN's).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"

# ---- timing floors, checked by mxhold-conf ----
W=$T/fl
mkdir -p "$W"
echo relay.test >"$W/me"; echo "$W/q" >"$W/queue"; : >"$W/clients"
mxhold-queuectl -q "$W/q" init >/dev/null   # else check warns that the queue does not exist yet
conf_try () {   # conf_try LIMITS-TEXT [DOMAINS-OPTS] [CLIENTS-TEXT]: mxhold-conf check's output, production floors
  printf '%b' "$1" >"$W/limits"
  echo "example.com 127.0.0.1:25 ${2:-}" >"$W/domains"
  printf '%b' "${3:-}" >"$W/clients"
  env -u MXHOLD_TEST_FLOORS mxhold-conf check "$W" 2>&1
}
like "$(conf_try 'recipients 10\nretry_min 0\n')" "^$W/limits:2: value below the floor of 60: 0\$" "retry_min 0: limits:2: value below the floor of 60"
like "$(conf_try 'retry_min 59\n')" "limits:1: value below the floor of 60: 59" "retry_min 59 is below the floor"
is "$(conf_try 'retry_min 60\nretry_max 60\n')" "" "retry_min 60 is at the floor: accepted"
like "$(conf_try '' 'retry_min=5')" "^$W/domains:1: value below the floor of 60: retry_min=5\$" "a domain's retry_min=5: domains:1"
like "$(conf_try '' '' '192.0.2.0/24 timeout_command=1\n')" "^$W/clients:1: value below the floor of 30: timeout_command=1\$" "a client's timeout_command=1: clients:1"
is "$(conf_try 'lifetime 0\nlifetime_days 2\n')" "" "lifetime 0 (calendar days) is allowed beside its floor"
like "$(conf_try 'lifetime 60\n')" "limits:1: value below the floor of 3600 \\(or 0\\): 60" "lifetime 60: below the floor of 3600 (or 0)"
like "$(conf_try 'lifetime 0d\n')" "limits:1: value below the floor of 1" "lifetime 0d: lifetime_days below its floor"
bad=""
while read -r name floor; do
  out=$(conf_try "$name $((floor - 1))\n")
  printf '%s' "$out" | grep -q "value below the floor of $floor" || bad="$bad $name=$((floor - 1))"
  extra=""; [ "$name" = retry_max ] && extra="retry_min 60\n"   # retry_min's default 300 is above it
  [ -z "$(conf_try "$name $floor\n$extra")" ] || bad="$bad $name=$floor!"
done <<EOL
window 60
retry_min 60
retry_max 60
timeout_command 30
timeout_data 30
timeout_queue 30
timeout_connect 5
timeout_remote 30
timeout_bounce 10
spf_budget 5
verify_timeout 5
EOL
is "$bad" "" "every timing limit: floor - 1 refused, the floor accepted"
printf 'retry_min 1\nretry_max 2\n' >"$W/limits"; echo "example.com 127.0.0.1:25" >"$W/domains"; : >"$W/clients"
is "$(MXHOLD_TEST_FLOORS=1 mxhold-conf check "$W" 2>&1)" "" "TEST ONLY MXHOLD_TEST_FLOORS=1: retry_min 1 accepted"
printf 'retry_min 0\n' >"$W/limits"
like "$(MXHOLD_TEST_FLOORS=1 mxhold-conf check "$W" 2>&1)" "limits:1: value below the floor of 1: 0" "and retry_min 0 still refused"

# ---- deliver with retry_min 0 in config.cdb: no loop ----
PR=$(free_port)   # nobody listens: connection refused at once
S=$(free_port)
# dsn_pass_only 0: the bounce below (no SPF here) is to get its DSN
dlv_conf "$PR" retry_min 1 retry_max 1 session_idle 30 dsn_pass_only 0
# what mxhold-conf cannot write: retry_min 0 and retry_max 0, patched into
# the cdb in place (a cdb hashes keys, not values)
$PY - "$C/config.cdb" <<'PYEOF'
import sys
p = sys.argv[1]
d = open(p, 'rb').read()
for k in (b'l:retry_min', b'l:retry_max'):
    i = d.index(k + b'1')
    d = d[:i + len(k)] + b'0' + d[i + len(k) + 1:]
open(p + '.tmp', 'wb').write(d)
import os; os.rename(p + '.tmp', p)
PYEOF
is "$(mxhold-conf -c "$C" get l:retry_min 2>/dev/null)" 0 "config.cdb now says retry_min 0"
mkdir -p "$T/fakebin"
for p in mxhold-remote mxhold-queue; do
  # each records the descriptors above 2 it was started with (probed by
  # fstat, which opens none), one line per start, then is itself
  cat >"$T/fakebin/$p" <<EOS
#!/usr/bin/python3 -SI
import os, sys
fds = []
for fd in range(3, 1024):
    try:
        os.fstat(fd)
        fds.append(fd)
    except OSError:
        pass
with open("$T/fds.$p", "a") as f:
    f.write("start " + " ".join(str(x) for x in fds) + "\\n")
os.execv("$BIN/$p", ["$BIN/$p"] + sys.argv[1:])
EOS
  chmod +x "$T/fakebin/$p"
done
: >"$T/marker-fd"
DLV_PRE="exec 7<$T/marker-fd" DLV_ENV="PATH=$T/fakebin:$BIN:/usr/bin:/bin" dlv_start
smtp_server "$S" "$C" mxhold-queue
swaks --server 127.0.0.1:$S --from snd@example.net --to loop@example.com --body "refused downstream" >"$T/swaks.1" 2>&1 || nok "swaks (see $(tail -2 "$T/swaks.1" | tr '\n' ' '))"
check "the refusing downstream: deferred" wait_until 10 grep -q "deferred qid=[0-9.]* from=snd@example.net to=loop@example.com .*status=deferred" "$T/deliver.log"
n0=$(grep -c "to=loop@example.com .*status=deferred" "$T/deliver.log")
t0=$(date +%s%N)
# a fixed span of real time, measured, not a synchronisation: the count of
# attempts in it is the thing under test
wait_until 4 false
t1=$(date +%s%N)
n1=$(grep -c "to=loop@example.com .*status=deferred" "$T/deliver.log")
diag "$((n1 - n0)) attempts in $(( (t1 - t0) / 1000000 )) ms with retry_min 0 in config.cdb"
check "retried about once a second (the hard floor of 1 s), not in a loop: $((n1 - n0)) attempts in 4 s" [ "$((n1 - n0))" -le 8 ]

# ---- descriptors ----
check "mxhold-remote ran (recorded its descriptors)" test -s "$T/fds.mxhold-remote"
is "$(sort -u "$T/fds.mxhold-remote")" "start " "mxhold-remote got fds 0, 1, 2 and nothing else (not deliver's inherited fd 7)"
printf 'example.com 127.0.0.1:%s\nexample.net 127.0.0.1:%s\n' "$PR" "$(free_port)" >"$C/domains"
# a bounce, so deliver runs mxhold-queue for its DSN
mxhold-queuectl -c "$C" bounce "$(grep -o 'deferred qid=[0-9.]*' "$T/deliver.log" | tail -1 | cut -d= -f2)" >/dev/null || nok "queuectl bounce"
check "the bounce's DSN was queued by mxhold-queue" wait_until 10 grep -q "info: dsn qid=" "$T/deliver.log"
check "mxhold-queue ran for it (recorded its descriptors)" test -s "$T/fds.mxhold-queue"
is "$(sort -u "$T/fds.mxhold-queue")" "start " "mxhold-queue got fds 0, 1, 2 and nothing else (not deliver's inherited fd 7)"
dlv_stop

# ---- the queue's free-space floor ----
free=$(df -B1 --output=avail "$Q" | tail -1 | tr -d ' ')
cap=1099511627776
if [ "$free" -lt $((cap - 1073741824)) ]; then
  floor=$((free + 1073741824))
  echo "queue_free_min $floor" >>"$C/limits"
  dlv_recompile
  out=$(swaks --server 127.0.0.1:$S --from snd@example.net --to full@example.com --body "no room" 2>&1)
  like "$out" '<\*\* +451 4\.3\.1 Insufficient system storage' "a floor above the free space ($free bytes): 451 4.3.1 at DATA"
  like "$(grep 'mxhold-queue: fatal: refused' "$T/smtpd.$S.log" | tail -1)" "^mxhold-queue: fatal: refused qid=[0-9.]+ path=$Q reason=free-space free=[0-9]+ free_min=$floor\$" "one clear log line: refused reason=free-space free= free_min="
  is "$(find "$Q/new" "$Q/tmp" -type f | wc -l)" 0 "nothing written to the queue"
  sed -i '$d' "$C/limits"; dlv_recompile
  out=$(swaks --server 127.0.0.1:$S --from snd@example.net --to fine@example.com --body "room again" 2>&1)
  like "$out" '<- +250 2\.0\.0 Ok: queued' "the default floor (100 MB): queued again"
else
  diag "more than 1 TiB free here: the floor cannot exceed it (cap); skipped"
fi
mkdir -p "$T/mnt"
if mount -t tmpfs -o size=16m tmpfs "$T/mnt" 2>/dev/null; then
  mkconf -q "$T/mnt/q" "$T/small" queue_free_min 8M
  S2=$(free_port)
  smtp_server "$S2" "$T/small" mxhold-queue
  out=$(swaks --server 127.0.0.1:$S2 --from snd@example.net --to a@example.com --body "fits" 2>&1)
  like "$out" '<- +250 2\.0\.0 Ok: queued' "tmpfs of 16 MB, floor 8M: queued"
  head -c $((10 * 1024 * 1024)) /dev/zero >"$T/mnt/filler"
  out=$(swaks --server 127.0.0.1:$S2 --from snd@example.net --to b@example.com --body "no room" 2>&1)
  like "$out" '<\*\* +451 4\.3\.1 ' "filled to 6 MB free: 451 4.3.1 before the disk is full"
  rm -f "$T/mnt/filler"
  out=$(swaks --server 127.0.0.1:$S2 --from snd@example.net --to c@example.com --body "room again" 2>&1)
  like "$out" '<- +250 2\.0\.0 Ok: queued' "space back: queued"
  is "$(find "$T/mnt/q/new" -type f | wc -l)" 2 "two messages in the queue, the refused one not"
  umount -l "$T/mnt"
else
  diag "no tmpfs mount here (not root?): the floor is tested above the real free space only"
fi
dlv_grammar "$T/deliver.log"
done_testing
