#!/bin/bash
# mxhold-queuectl: init, list, show, stats, the ctl/ requests, sweep; and
# list while the queue changes under it.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/30-queue-lib.bash"
qc () { mxhold-queuectl -q "$Q" "$@"; }
# qce ARGS...: qc with its stderr in $T/qcerr (and added to $T/qlog)
qce () {
  local rc
  qc "$@" 2>"$T/qcerr"; rc=$?
  cat "$T/qcerr" >>"$T/qlog"
  return $rc
}

rm -rf "$Q"
is "$(qc init)" "ready path=$Q" "init"
is "$(qc init)" "ready path=$Q" "init again (idempotent)"
is "$(ls "$Q" | tr '\n' ' ')" "ctl hold mess new state tmp trigger " "init: directories"
is "$(ls "$Q/mess" | wc -l)/$(ls "$Q/state" | wc -l)" "64/64" "init: 64 hashed subdirectories each"
is "$(stat -c %a "$Q/tmp")" 700 "tmp/ mode 0700"
is "$(stat -c %a "$Q")" 750 "queue mode 0750"

# hh ID: the bucket of an id (FNV-1a 32 mod 64)
hh () { $PY -c '
import sys
h=2166136261
for b in sys.argv[1].encode(): h=((h^b)*16777619)&0xffffffff
print("%02x"%(h%64))' "$1"; }
# Messages in every state: one in new/; one taken in by "deliver" (moved to
# mess/HH/ with a state file) whose recipients are delivered, deferred,
# untried, bounced, expired and held (its domain); one whole message held.
printf 'Subject: one\r\nFrom: a@example.org\r\n\r\nbody one\r\nline two\r\n' >"$T/m1"
envfile "$T/e1" 'a@example.org' 'x@example.com' 'y@Example.COM' 'z@example.net' 'b@example.com' 'e@example.com' 'h@held.example'
envfile "$T/e2" '' 'w@example.net'
envfile "$T/e3" 'c@example.org' 'v@example.net'
MXHOLD_QID=1795800000.000001.1 mxhold-queue <"$T/m1" 1<"$T/e1" 2>/dev/null
MXHOLD_QID=1795800000.000002.1 mxhold-queue <"$T/m1" 1<"$T/e2" 2>/dev/null
MXHOLD_QID=1795800000.000003.1 mxhold-queue <"$T/m1" 1<"$T/e3" 2>/dev/null
id=1795800000.000001.1
hid=1795800000.000003.1
mv "$Q/new/$id" "$Q/mess/$(hh $id)/$id"
mv "$Q/new/$hid" "$Q/mess/$(hh $hid)/$hid"
now=$(date +%s)
printf '0 d 1 0 %s 250 2.0.0 ok\n1 p 2 %s %s 451 4.3.0 later\n3 b 1 0 %s 550 5.1.1 no such user\n4 x 3 0 %s connect failed: Connection refused\n' \
  "$now" $((now + 600)) "$now" "$now" "$now" >"$Q/state/$(hh $id)/$id"
is "$(qc hold held.example)" "requested request=hold domain=held.example" "hold a domain"
is "$(qc hold $hid)" "requested request=hold qid=$hid" "hold a message"
is "$(ls "$Q/hold" | sort | tr '\n' ' ')" "$hid @held.example " "hold: the files in Q/hold/"

out=$(qc list)
after=$(date +%s)
like "$out" "^message qid=1795800000.000002.1 in=new arrived=[0-9-]{10}T[0-9:]{8}Z age=[0-9]+s bytes=57 from=\"\" rcpts=1 held=no" "list: null sender, in new/"
like "$out" "message qid=$id in=mess arrived=2[0-9-]+T[0-9:]+Z age=[0-9]+s bytes=57 from=a@example.org rcpts=6 held=no" "list: message line"
like "$out" "rcpt qid=$id index=0 to=x@example.com state=delivered attempts=1 next=- reply=\"250 2.0.0 ok\"" "list: delivered recipient, its reply"
# next is 600 s after $now, less what has passed since: bounded by the clock
# read before and after list, however slow the machine
nx=$(printf '%s\n' "$out" | sed -n 's/^rcpt qid=[0-9.]* index=1 to=y@Example.COM state=deferred attempts=2 next=+\([0-9]*\)s next_at=.*/\1/p')
between "$nx" $((600 - (after - now) - 1)) 600 "list: deferred recipient with its next attempt (+${nx}s)"
like "$out" "index=1 to=y@Example.COM state=deferred attempts=2 next=\+[0-9]+s next_at=[0-9-]+T[0-9:]+Z reply=\"451 4.3.0 later\"" "list: the reason of the last deferral"
like "$out" "rcpt qid=$id index=2 to=z@example.net state=queued attempts=0 next=now$" "list: untried recipient"
like "$out" "index=3 to=b@example.com state=bounced attempts=1 next=- reply=\"550 5.1.1 no such user\"" "list: bounced"
like "$out" "index=4 to=e@example.com state=expired attempts=3 next=- error=\"connect failed: Connection refused\"" "list: expired, its last error (not an SMTP reply: error=)"
like "$out" "index=5 to=h@held.example state=held attempts=0 next=held" "list: a recipient of a held domain"
like "$out" "message qid=$hid in=mess .* held=yes" "list: a held message"
like "$out" "rcpt qid=$hid index=0 to=v@example.net state=held" "list: its recipient held"
like "$out" "total messages=3 unreadable=0$" "list: the count last"
# filters
out=$(qc list -s deferred)
is "$(printf '%s\n' "$out" | sed 's/ .*//' | tr '\n' ' ')" "message rcpt total " "list -s deferred: one message, one recipient, the count"
like "$out" "rcpt qid=$id index=1 to=y@Example.COM state=deferred" "list -s deferred: that recipient"
is "$(qc list -s bounced | grep -c '^rcpt ')" 1 "list -s bounced"
is "$(qc list -s held | grep -c '^rcpt ')" 2 "list -s held: the held domain's and the held message's"
is "$(qc list -d EXAMPLE.com | grep '^rcpt ' | sed 's/.* to=\([^ ]*\) .*/\1/' | tr '\n' ' ')" "x@example.com y@Example.COM b@example.com e@example.com " "list -d: one domain, any case"
is "$(qc list -d example.net -s queued | grep '^rcpt ' | sed 's/.* to=\([^ ]*\) .*/\1/' | tr '\n' ' ')" "w@example.net z@example.net " "list -d -s together (new/ first, then mess/)"
is "$(qc list -o 100d | tail -1)" "total messages=0 unreadable=0" "list -o 100d: none that old"
is "$(qc list -o 0s | tail -1)" "total messages=3 unreadable=0" "list -o 0s: all"
touch -d '3 hours ago' "$Q/new/1795800000.000002.1"   # age comes from arrived, not mtime
is "$(qc list -o 2h | tail -1)" "total messages=0 unreadable=0" "list -o: by arrival, not by the file's mtime"
qce list -s frozen >/dev/null; is "$?:$(cat "$T/qcerr")" "100:mxhold-queuectl: fatal: usage option=s value=frozen reason=not-a-state" "list -s of no state: usage"
qce list -o soon >/dev/null; is "$?:$(cat "$T/qcerr")" "100:mxhold-queuectl: fatal: usage option=o value=soon reason=not-an-age" "list -o of no age: usage"

out=$(qc show $id)
like "$out" "^message qid=$id in=mess path=$Q/mess/$(hh $id)/$id arrived=[0-9-]+T[0-9:]+Z age=[0-9]+s expires_in=[+-][0-9]+s expires=[0-9-]+T00:00:00Z bytes=57 from=a@example.org client=- helo=- spf=- rcpts=6 held=no" "show: the message, its expiry (lifetime_days: a midnight)"
like "$out" "rcpt qid=$id index=1 to=y@Example.COM state=deferred attempts=2 next=\+[0-9]+s next_at=[^ ]+ last=-[0-9]+s last_at=[^ ]+ expires_in=[+-][0-9]+s expires=[^ ]+ reply=\"451 4.3.0 later\"" "show: a deferred recipient: next, last, expiry, last reply"
like "$out" "rcpt qid=$id index=0 to=x@example.com state=delivered attempts=1 next=- last=-[0-9]+s last_at=[^ ]+ reply=\"250 2.0.0 ok\"" "show: delivered: no expiry"
like "$out" "rcpt qid=$id index=5 to=h@held.example state=held attempts=0 next=held last=- expires_in=" "show: held, never tried"
like "$(printf "%s" "$out" | tr "\n" "|")" "header text=\"Subject: one\"\\|header text=\"From: a@example.org\"$" "show: headers last"
unlike "$out" "body one" "show: no body by default"
like "$(qc show -a $id)" "body text=\"body one\"
body text=\"line two\"" "show -a: the body too"
# a lifetime in seconds for a domain: its recipients' own expiry
mkdir -p "$T/c2"; printf 'relay.test\n' >"$T/c2/me"; echo "$Q" >"$T/c2/queue"
printf 'example.net 127.0.0.1:9 lifetime=3600\n' >"$T/c2/domains"
mxhold-conf compile "$T/c2" >/dev/null
arr=$(sed -n 's/^arrived //p' "$Q/mess/$(hh $id)/$id")
like "$(mxhold-queuectl -c "$T/c2" show $id | grep 'to=z@example.net')" "expires=$(date -u -d @$((arr + 3600)) +%Y-%m-%dT%H:%M:%SZ)$" "show: a domain's lifetime= gives its recipient's expiry"
qce show 1795800000.9.9 >/dev/null; is "$?" 100 "show unknown id: exit 100"
is "$(cat "$T/qcerr")" "mxhold-queuectl: fatal: no-message qid=1795800000.9.9 path=$Q" "show unknown id: no-message, qid, the queue"
qce show ../x >/dev/null; is "$?" 100 "show bad id: exit 100"
is "$(cat "$T/qcerr")" "mxhold-queuectl: fatal: bad-qid id=../x" "show bad id: bad-qid"

out=$(qc stats)
like "$out" "domain domain=example.com queued=1 delivered=1 bounced=1 expired=1" "stats: example.com (case folded)"
like "$out" "domain domain=example.net queued=3 delivered=0" "stats: example.net"
like "$out" "total queued=5 delivered=1 bounced=1 expired=1 messages=3" "stats: totals"

# release, and its unhappy path
is "$(qc release $hid)" "requested request=release qid=$hid" "release a message"
qce release $hid >/dev/null; is "$?:$(cat "$T/qcerr")" "100:mxhold-queuectl: fatal: not-held qid=$hid" "release again: not held"
is "$(qc release held.example.)" "requested request=release domain=held.example" "release a domain (trailing dot)"
is "$(ls "$Q/hold" | wc -l)" 0 "no holds left"
qce hold 1795800000.9.9 >/dev/null; is "$?" 100 "hold of an unknown message: exit 100"

# Files that are not messages (issue 17 item 8): each listed with its path
: >"$Q/mess/00/1795800000.000007.1"
printf 'mxhold 1\narrived 5\nfrom a@b\nto c' >"$Q/mess/00/1795800000.000009.1"
printf 'garbage\n\n' >"$Q/mess/01/1795800000.000008.1"
: >"$Q/new/not-an-id"
out=$(qc list); rc=$?
is "$rc" 0 "list with files that are not messages: exit 0"
like "$out" "unreadable path=$Q/mess/00/1795800000.000007.1 reason=empty" "list: a zero-length file, with its path"
like "$out" "unreadable path=$Q/mess/00/1795800000.000009.1 reason=cut" "list: a cut file"
like "$out" "unreadable path=$Q/mess/01/1795800000.000008.1 reason=malformed" "list: a malformed file"
like "$out" "unreadable path=$Q/new/not-an-id reason=bad-name" "list: a name that is no id"
like "$out" "total messages=3 unreadable=4$" "list: the messages still counted, the others too"
like "$(qc stats)" "unreadable path=$Q/mess/00/1795800000.000007.1 reason=empty" "stats names them too"
rm -f "$Q/mess/00/1795800000.000007.1" "$Q/mess/00/1795800000.000009.1" "$Q/mess/01/1795800000.000008.1" "$Q/new/not-an-id"
# the output is in the log's grammar (the same parser, given a head)
{ qc list; qc show -a $id; qc stats; } | sed 's/^/mxhold-queuectl: info: /' >"$T/out.txt"
out=$($PY "$TOP/tests/log_grammar.py" "$T/out.txt"); rc=$?
is "$rc" 0 "list, show, stats: lines in doc/log.md's grammar, keys in its table ($(printf '%s\n' "$out" | tail -1 | sed 's/^# //'))"
rm -f "$T/out.txt"
mv "$Q/mess/$(hh $hid)/$hid" "$T/"   # the churn below wants exactly the first two
rm -f "$Q"/ctl/*                     # the hold/release requests (no deliver runs)

# ctl requests; a subscriber sees 'c'
bg s6-ftrig-wait -t 10000 "$Q/trigger" c >"$T/woke"; w=$LASTPID
wait_until 5 sh -c "ls '$Q/trigger' | grep -q ." || nok "subscriber fifo did not appear"
is "$(qc flush)" "requested request=flush" "flush: output"
wait "$w"; is "$?:$(cat "$T/woke")" "0:c" "flush wakes the trigger with 'c'"
qc flush Example.COM. >/dev/null; qc delete $id >/dev/null; qc bounce 1795800000.000002.1 >/dev/null
is "$(cat "$Q"/ctl/* | sort | tr '\n' '|')" "bounce 1795800000.000002.1|delete $id|flush|flush example.com|" "ctl files: one line each"
check "ctl names are ids" sh -c "ls '$Q/ctl' | grep -Evq '^[0-9]+\\.[0-9]{6}\\.[0-9]+\$' && exit 1 || exit 0"
n=$(ls "$Q/ctl" | wc -l)
qce delete 1795800000.9.9 >/dev/null; is "$?" 100 "delete unknown id: exit 100"
like "$(cat "$T/qcerr")" '^mxhold-queuectl: fatal: no-message qid=1795800000.9.9 ' "delete unknown id: no-message"
qce bounce 'x y' >/dev/null; is "$?" 100 "bounce bad id: exit 100"
is "$(cat "$T/qcerr")" 'mxhold-queuectl: fatal: bad-qid id="x y"' "bounce bad id: the id quoted"
qce flush "$(printf 'a\tb')" >/dev/null; is "$?" 100 "flush bad domain: exit 100"
is "$(cat "$T/qcerr")" 'mxhold-queuectl: fatal: bad-domain domain="a\x09b" reason=bad-byte' "flush bad domain: escaped, with the reason"
is "$(ls "$Q/ctl" | wc -l)" "$n" "refused requests leave no ctl file"
is "$(tmpcount)" 0 "requests leave nothing in tmp/"
qce frobnicate >/dev/null; is "$?" 100 "unknown command: exit 100"
like "$(cat "$T/qcerr")" '^mxhold-queuectl: fatal: usage usage="mxhold-queuectl ' "unknown command: usage line"
mxhold-queuectl >/dev/null 2>&1; is "$?" 100 "no command: exit 100"
( unset MXHOLD_QUEUE; MXHOLD_CONF=$T/noconf mxhold-queuectl list ) >/dev/null 2>"$T/qcerr"; rc=$?
cat "$T/qcerr" >>"$T/qlog"
is "$rc:$(cat "$T/qcerr")" "111:mxhold-queuectl: fatal: unable-find-queue path=$T/noconf/config.cdb error=\"No such file or directory\"" "no config: exit 111, the config file named"
# ctl/ is not a directory (root may write anywhere, so not by its mode)
mv "$Q/ctl" "$Q/ctl.d" && touch "$Q/ctl"
qce flush >/dev/null; rc=$?
is "$rc" 111 "ctl/ not a directory: exit 111"
like "$(cat "$T/qcerr")" "^mxhold-queuectl: fatal: unable-rename path=$Q/ctl/[0-9.]+ error=\"Not a directory\"\$" "ctl/ not a directory: what, path, error"
is "$(tmpcount)" 0 "failed request: its tmp/ file removed"
rm "$Q/ctl" && mv "$Q/ctl.d" "$Q/ctl"

# sweep
touch -d '40 hours ago' "$Q/tmp/old"; touch "$Q/tmp/young"
touch "$Q/state/00/1795800000.000003.1" "$Q/state/00/notanid" "$Q/hold/1795800000.000005.1" "$Q/hold/@kept.example"
# a message deliver put back into new/ to retry its take-in keeps its state
nid=1795800000.000004.1
nhh=$($PY -c "
h = 2166136261
for c in b'$nid': h = ((h ^ c) * 16777619) & 0xffffffff
print('%02x' % (h % 64))")
touch "$Q/new/$nid" "$Q/state/$nhh/$nid"
out=$(qc sweep)
check "sweep keeps a state file whose message is in new/" test -f "$Q/state/$nhh/$nid"
rm -f "$Q/new/$nid" "$Q/state/$nhh/$nid"
like "$out" "removed path=$Q/tmp/old" "sweep: old tmp/ file"
like "$out" "removed path=$Q/state/00/1795800000.000003.1" "sweep: orphan state file"
like "$out" "removed path=$Q/hold/1795800000.000005.1" "sweep: the hold of a message no longer queued"
like "$out" "swept files=3$" "sweep: the count"
check "sweep keeps young tmp/" test -f "$Q/tmp/young"
check "sweep keeps a state file whose message exists" test -f "$Q/state/$(hh $id)/$id"
check "sweep leaves names that are not ids" test -f "$Q/state/00/notanid"
check "sweep keeps a domain's hold" test -f "$Q/hold/@kept.example"
is "$(qc sweep)" "swept files=0" "sweep again: nothing"

# list and stats while messages come and go
for i in $(seq 1 50); do mxhold-queue <"$T/m1" 1<"$T/e1" 2>/dev/null; done
$PY - "$Q" <<'PY' &
import os, sys, time
q = sys.argv[1]
end = time.time() + 3
while time.time() < end:
    for f in os.listdir(q + "/new"):
        try: os.rename(q + "/new/" + f, q + "/mess/00/" + f)
        except OSError: pass
    for f in os.listdir(q + "/mess/00"):
        try: os.unlink(q + "/mess/00/" + f)
        except OSError: pass
    os.system("for i in 1 2 3 4 5; do mxhold-queue <%s/../m1 1<%s/../e1 2>/dev/null; done" % (q, q))
PY
churn=$!
fails=0
for i in $(seq 1 20); do
  qc list >/dev/null 2>"$T/lerr" || fails=$((fails + 1))
  qc stats >/dev/null 2>>"$T/lerr" || fails=$((fails + 1))
done
wait $churn
is "$fails" 0 "list/stats while files move and vanish: always exit 0"
is "$(cat "$T/lerr")" "" "list/stats while files move: no warnings"
# a message that cannot be read (a directory: it opens, but does not map):
# listed as unreadable with path and error, and list goes on
mkdir "$Q/new/1795800000.000010.1"
qce list >"$T/lout"; rc=$?
is "$rc" 0 "unreadable message: list exits 0"
like "$(cat "$T/lout")" "unreadable path=$Q/new/1795800000.000010.1 reason=unreadable error=\"No such device\"" "unreadable message: listed with path and error"
like "$(tail -1 "$T/lout")" '^total messages=[0-9]+ unreadable=1$' "unreadable message: list still ends with its count"
rmdir "$Q/new/1795800000.000010.1"
qlog_grammar mxhold-queuectl
done_testing
