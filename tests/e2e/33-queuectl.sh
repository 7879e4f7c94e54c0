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
is "$(qc init)" "queue ready" "init"
is "$(qc init)" "queue ready" "init again (idempotent)"
is "$(ls "$Q" | tr '\n' ' ')" "ctl mess new state tmp trigger " "init: directories"
is "$(ls "$Q/mess" | wc -l)/$(ls "$Q/state" | wc -l)" "64/64" "init: 64 hashed subdirectories each"
is "$(stat -c %a "$Q/tmp")" 700 "tmp/ mode 0700"
is "$(stat -c %a "$Q")" 750 "queue mode 0750"

# three messages; one taken in by "deliver" (moved to mess/HH/ with a state file)
printf 'Subject: one\r\nFrom: a@example.org\r\n\r\nbody one\r\n' >"$T/m1"
envfile "$T/e1" 'a@example.org' 'x@example.com' 'y@Example.COM' 'z@example.net'
envfile "$T/e2" '' 'w@example.net'
MXHOLD_QID=1795800000.000001.1 mxhold-queue <"$T/m1" 1<"$T/e1" 2>/dev/null
MXHOLD_QID=1795800000.000002.1 mxhold-queue <"$T/m1" 1<"$T/e2" 2>/dev/null
id=1795800000.000001.1
hh=$($PY -c '
import sys
h=2166136261
for b in sys.argv[1].encode(): h=((h^b)*16777619)&0xffffffff
print("%02x"%(h%64))' "$id")
mv "$Q/new/$id" "$Q/mess/$hh/$id"
now=$(date +%s)
printf '0 d 1 0 %s 250 2.0.0 ok\n1 p 2 %s %s 451 4.3.0 later\n' "$now" $((now + 600)) "$now" >"$Q/state/$hh/$id"

out=$(qc list)
after=$(date +%s)
like "$out" "^$id age=[0-9]+s size=47 from=<a@example.org> in=mess" "list: message line"
like "$out" "  to=<x@example.com> delivered attempts=1 next=-" "list: delivered recipient"
# next is 600 s after $now, less what has passed since: bounded by the clock
# read before and after list, however slow the machine
nx=$(printf '%s\n' "$out" | sed -n 's/^  to=<y@Example.COM> queued attempts=2 next=+\([0-9]*\)s$/\1/p')
between "$nx" $((600 - (after - now) - 1)) 600 "list: deferred recipient with next attempt (+${nx}s)"
like "$out" "  to=<z@example.net> queued attempts=0 next=now" "list: untried recipient"
like "$out" "1795800000.000002.1 age=[0-9]+s size=47 from=<> in=new" "list: null sender, in new/"
like "$out" "messages: 2" "list: count"

out=$(qc show $id)
like "$out" "^id: $id" "show: id"
like "$out" "from a@example.org" "show: envelope"
like "$out" "1 <y@Example.COM> queued attempts=2 next=[0-9]+ last=[0-9]+ reply=451 4.3.0 later" "show: state with reply"
like "$(printf "%s" "$out" | tr "\n" "|")" "message headers:\\|Subject: one\\|From: a@example.org" "show: headers"
unlike "$out" "body one" "show: no body by default"
like "$(qc show -a $id)" "body one" "show -a: whole message"
qce show 1795800000.9.9 >/dev/null; is "$?" 100 "show unknown id: exit 100"
is "$(cat "$T/qcerr")" "mxhold-queuectl: fatal: no-message qid=1795800000.9.9 path=$Q" "show unknown id: no-message, qid, the queue"
qce show ../x >/dev/null; is "$?" 100 "show bad id: exit 100"
is "$(cat "$T/qcerr")" "mxhold-queuectl: fatal: bad-qid id=../x" "show bad id: bad-qid"

out=$(qc stats)
like "$out" "domain example.com queued=1 delivered=1 bounced=0 expired=0" "stats: example.com (case folded)"
like "$out" "domain example.net queued=2 delivered=0" "stats: example.net"
like "$out" "total queued=3 delivered=1 bounced=0 expired=0" "stats: totals"
like "$out" "messages 2" "stats: messages"

# a cut or foreign file does not stop list/stats
printf 'mxhold 1\narrived 5\nfrom a@b\nto c' >"$Q/mess/00/1795800000.000009.1"
out=$(qc list); rc=$?
is "$rc" 0 "list with a cut message file: exit 0"
like "$out" "^1795800000.000009.1 unreadable envelope$" "list: cut file reported"
like "$out" "messages: 3" "list: still counts the others"
qc stats >/dev/null; is "$?" 0 "stats with a cut message file: exit 0"
rm -f "$Q/mess/00/1795800000.000009.1"

# ctl requests; a subscriber sees 'c'
bg s6-ftrig-wait -t 10000 "$Q/trigger" c >"$T/woke"; w=$LASTPID
wait_until 5 sh -c "ls '$Q/trigger' | grep -q ." || nok "subscriber fifo did not appear"
like "$(qc flush)" "^requested: flush; mxhold-deliver will act on it$" "flush: output"
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
touch "$Q/state/00/1795800000.000003.1" "$Q/state/00/notanid"
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
like "$out" "removed $Q/tmp/old" "sweep: old tmp/ file"
like "$out" "removed $Q/state/00/1795800000.000003.1" "sweep: orphan state file"
check "sweep keeps young tmp/" test -f "$Q/tmp/young"
check "sweep keeps a state file whose message exists" test -f "$Q/state/$hh/$id"
check "sweep leaves names that are not ids" test -f "$Q/state/00/notanid"
is "$(qc sweep)" "nothing to remove" "sweep again: nothing"

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
# a warning, and list goes on
mkdir "$Q/new/1795800000.000010.1"
qce list >"$T/lout"; rc=$?
is "$rc" 0 "unreadable message: list exits 0"
is "$(cat "$T/qcerr")" "mxhold-queuectl: warning: unable-read path=$Q/new/1795800000.000010.1 error=\"No such device\"" "unreadable message: a warning with path and error"
like "$(tail -1 "$T/lout")" '^messages: [0-9]+$' "unreadable message: list still ends with its count"
rmdir "$Q/new/1795800000.000010.1"
qlog_grammar mxhold-queuectl
done_testing
