#!/bin/bash
# mxhold-queue fed directly (qmail-queue interface): byte-exact files,
# envelope checks, exit codes, ids, the header lines.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/30-queue-lib.bash"
qinit
envfile "$T/env" 'sender@example.org' 'a@example.com' 'b@example.net'

# sizes around the in-memory buffer (64 KiB) and a 20 MB binary message with NULs
for n in 0 1 65535 65536 65537 1000000 20971520; do
  head -c "$n" /dev/urandom >"$T/m"
  rm -f "$Q"/new/*
  qput "$T/m" "$T/env"; rc=$?
  is "$rc" 0 "size $n: exit 0"
  f=$(ls "$Q/new")
  if [ -n "$f" ] && body_of "$Q/new/$f" | cmp -s - "$T/m"; then ok "size $n: byte-exact in new/"; else nok "size $n: byte-exact in new/"; fi
  like "$(cat "$T/qerr")" "^mxhold-queue: info: queued qid=$f from=sender@example.org rcpts=2 bytes=$n\$" "size $n: info line"
done
is "$(tmpcount)" 0 "no tmp/ file left"

# large messages through a pipe (the splice path), as smtpd feeds them
for n in 65537 5000000; do
  head -c "$n" /dev/urandom >"$T/m"
  rm -f "$Q"/new/*
  cat "$T/m" | mxhold-queue 1<"$T/env" 2>/dev/null; rc=$?
  is "$rc" 0 "pipe, size $n: exit 0"
  check "pipe, size $n: byte-exact in new/" all_new_complete "$T/m"
  is "$(newcount)" 1 "pipe, size $n: one file"
done
# O_TMPFILE refused (as on filesystems without it): the named fallback
head -c 100000 /dev/urandom >"$T/m"
rm -f "$Q"/new/*
strace -f -o /dev/null -e inject=openat:error=EOPNOTSUPP:when=$(strace -o "$T/tr" -e trace=openat mxhold-queue <"$T/m" 1<"$T/env" 2>/dev/null; rm -f "$Q"/new/*; grep -n -m1 O_TMPFILE "$T/tr" | cut -d: -f1) \
  mxhold-queue <"$T/m" 1<"$T/env" 2>/dev/null
is "$?" 0 "no O_TMPFILE: exit 0"
check "no O_TMPFILE: byte-exact" all_new_complete "$T/m"
is "$(tmpcount)" 0 "no O_TMPFILE: no tmp/ file left"
# copy_file_range refused (old kernel, other filesystem): pread/write
rm -f "$Q"/new/*
strace -f -o /dev/null -e inject=copy_file_range:error=EXDEV mxhold-queue <"$T/m" 1<"$T/env" 2>/dev/null
is "$?" 0 "no copy_file_range: exit 0"
check "no copy_file_range: byte-exact" all_new_complete "$T/m"

# the header, exactly
printf 'Subject: x\r\n\r\nhi\r\n' >"$T/m"
rm -f "$Q"/new/*
TCPREMOTEIP=192.0.2.7 MXHOLD_HELO=$'bad helo\001' MXHOLD_SPF=pass MXHOLD_QID=1795800000.123456.42 qput "$T/m" "$T/env"
is "$?" 0 "with env: exit 0"
f=$Q/new/1795800000.123456.42
check "MXHOLD_QID used as the id" test -f "$f"
want=$(printf 'mxhold 1\narrived X\nclient 192.0.2.7\nhelo bad?helo?\nspf pass\nfrom sender@example.org\nto a@example.com\nto b@example.net\n')
got=$(sed -n '1,8p' "$f" | sed 's/^arrived [0-9]*$/arrived X/')
is "$got" "$want" "header lines"
arr=$(sed -n 's/^arrived //p' "$f"); now=$(date +%s)
check "arrived is now" test $((now - arr)) -le 5
is "$(sed -n 9p "$f")" "" "empty line ends the header"

# taken id -> a fresh one, never overwrite
MXHOLD_QID=1795800000.123456.42 qput "$T/m" "$T/env"
is "$?" 0 "taken MXHOLD_QID: exit 0"
is "$(newcount)" 2 "taken MXHOLD_QID: a second file, first untouched"
f2=$(ls "$Q/new" | grep -vx 1795800000.123456.42)
like "$(cat "$T/qerr")" "^mxhold-queue: info: queued qid=$f2 " "taken MXHOLD_QID: the fresh id logged"
check "taken MXHOLD_QID: a fresh id of the form SECONDS.MICROS.PID" sh -c "echo '$f2' | grep -Eqx '[0-9]+\.[0-9]{6}\.[0-9]+'"
for bad in '../x' '.' 'abc' '12/3' '1234567890123456789012345678901234567890123'; do
  MXHOLD_QID=$bad qput "$T/m" "$T/env"; rc=$?
  is "$rc" 0 "bad MXHOLD_QID '$bad' ignored"
done
is "$(find "$Q" -name x | wc -l)" 0 "no path escape through MXHOLD_QID"

# null sender, many recipients
rm -f "$Q"/new/*
{ printf 'F\0'; for i in $(seq 1 1000); do printf 'Tr%d@example.com\0' "$i"; done; printf '\0'; } >"$T/e2"
qput "$T/m" "$T/e2"; is "$?" 0 "null sender, 1000 recipients"
f=$(ls "$Q"/new/* | head -1)
is "$(grep -c '^to ' "$f")" 1000 "1000 to lines"
is "$(grep -c '^from $' "$f")" 1 "from line empty for <>"
like "$(cat "$T/qerr")" '^mxhold-queue: info: queued qid=[0-9.]+ from="" rcpts=1000 bytes=18$' "null sender logged as from=\"\""

# envelope ends early: nothing queued, temporary
rm -f "$Q"/new/*
for e in '' 'F' 'Fa@b' 'Fa@b\0' 'Fa@b\0Tc@d' 'Fa@b\0Tc@d\0'; do
  printf "$e" >"$T/e3"
  qput "$T/m" "$T/e3"; rc=$?
  is "$rc" 111 "envelope '$e' cut: exit 111"
done
is "$(newcount)" 0 "cut envelopes: nothing in new/"
is "$(tmpcount)" 0 "cut envelopes: nothing in tmp/"
like "$(cat "$T/qerr")" '^mxhold-queue: fatal: unable-read-envelope qid=[0-9.]+ reason=envelope-truncated$' "cut envelope: fatal line with the reason"
# no envelope at all: the feeder gave the message up (smtpd refused it at
# DATA, or its client went away): info, not a failure, and nothing queued
: >"$T/e3"
MXHOLD_QID=1795800000.000007.7 qput "$T/m" "$T/e3"; rc=$?
is "$rc" 111 "no envelope: exit 111, nothing queued"
is "$(cat "$T/qerr")" "mxhold-queue: info: aborted qid=1795800000.000007.7 reason=no-envelope" "no envelope: one info line, aborted, with smtpd's qid"
is "$(newcount)/$(tmpcount)" 0/0 "no envelope: nothing in new/ or tmp/"

# malformed envelopes: permanent
long=$(head -c 1024 /dev/zero | tr '\0' a)
printf 'Fa@b\0T%s\0\0' "$long" >"$T/e4"; qput "$T/m" "$T/e4"; is "$?" 0 "address of QUEUE_ADDR_MAX bytes accepted"
rm -f "$Q"/new/*
for e in 'Xa@b\0Tc@d\0\0' 'Fa@b\0\0' 'Fa b\0Tc@d\0\0' 'Fa@b\0Tc d\0\0' 'Fa@b\0T\0\0' 'Fa@b\0Tc@d\0Xe\0\0' 'Fa\tb\0Tc@d\0\0' "Fa@b\\0T${long}a\\0\\0"; do
  printf "$e" >"$T/e5"
  qput "$T/m" "$T/e5"; rc=$?
  is "$rc" 100 "bad envelope '$(printf '%s' "$e" | head -c 30)': exit 100"
done
like "$(cat "$T/qerr")" '^mxhold-queue: fatal: bad-envelope qid=[0-9.]+ reason=address-too-long$' "error line names the reason"
is "$(newcount)" 0 "bad envelopes: nothing in new/"
is "$(tmpcount)" 0 "bad envelopes: nothing in tmp/"

# no queue: temporary
MXHOLD_QID=1795800000.000008.8 MXHOLD_QUEUE=$T/nonexistent qput "$T/m" "$T/env"; is "$?" 111 "missing queue directory: exit 111"
is "$(cat "$T/qerr")" "mxhold-queue: fatal: unable-open qid=1795800000.000008.8 path=$T/nonexistent/tmp error=\"No such file or directory\"" "missing queue directory: what, qid, path and error"
( unset MXHOLD_QUEUE; MXHOLD_CONF="$T/noconf" MXHOLD_QID=1795800000.000009.9 qput "$T/m" "$T/env" ); rc=$?
is "$rc:$(cat "$T/qerr")" "111:mxhold-queue: fatal: unable-find-queue qid=1795800000.000009.9 path=$T/noconf/config.cdb error=\"No such file or directory\"" "no config: exit 111, the config file named"
mxhold-queue -x </dev/null 2>"$T/qerr"; rc=$?
cat "$T/qerr" >>"$T/qlog"
like "$rc:$(cat "$T/qerr")" '^100:mxhold-queue: fatal: usage usage=' "an option: usage, exit 100"

# the queue path from the config (config.cdb) when $MXHOLD_QUEUE is unset
if command -v mxhold-conf >/dev/null; then
  mkdir -p "$T/conf"; echo relay.test >"$T/conf/me"; echo "$T/q" >"$T/conf/queue"
  echo 'example.com 127.0.0.1:9' >"$T/conf/domains"; : >"$T/conf/limits"; : >"$T/conf/clients"
  mxhold-conf compile "$T/conf" >/dev/null 2>&1
  rm -f "$Q"/new/*
  env -u MXHOLD_QUEUE MXHOLD_CONF="$T/conf" mxhold-queue <"$T/m" 1<"$T/env" 2>/dev/null
  is "$?" 0 "queue path from config.cdb: exit 0"
  is "$(newcount)" 1 "queue path from config.cdb: queued"
fi
qlog_grammar
done_testing
