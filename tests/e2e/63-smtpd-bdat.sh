#!/bin/bash
# smtpd's CHUNKING (RFC 3030) through the real queue writer, with our own
# BDAT client (63-bdat.py): chunks with exact counts and LAST, pipelined;
# no dot is special in a chunk (the DATA end and a smuggled transaction
# inside one are text); counts that lie (too many bytes: the excess is a
# command; too few: the timeout); a count over the size limit (552, the
# chunk discarded, the session goes on); unreadable counts (501, then
# closed); BDAT out of sequence; NUL; RSET; a client gone mid-chunk and
# between chunks (nothing queued, aborted logged); a failing queue (451).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/10-smtpd-lib.bash"
CONF=$T/c
smconf "$CONF" || exit 1
Q=$CONF/q
start
LOG=$T/smtpd.$PORT.log
[ -x "$BIN/mxhold-queue" ] || { nok "mxhold-queue not built"; exit 1; }
bdat () { $PY "$HERE/63-bdat.py" "$@"; }
body_of () { $PY -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[d.index(b"\n\n")+2:])' "$1"; }
newest () { ls -t "$Q"/new/* 2>/dev/null | head -1; }
codes () { cut -c1-3 <<<"$1" | tr '\n' ' '; }

r=$(bdat "$PORT" chunks)
like "$(sed -n 2p <<<"$r")" "250-CHUNKING" "EHLO advertises CHUNKING"
unlike "$(sed -n 2p <<<"$r")" "BINARYMIME" "EHLO does not advertise BINARYMIME"
is "$(codes "$(sed -n '3,$p' <<<"$r")")" "250 250 250 250 " "three chunks: 250 each, LAST queued, the session goes on"
like "$(sed -n 3p <<<"$r")" "^250 2\.0\.0 27 octets received$" "a chunk's reply counts its octets"
like "$(sed -n 5p <<<"$r")" "^250 2\.0\.0 Ok: queued as " "BDAT LAST: queued"
is "$(queue_count "$Q")" 1 "one message queued"
m=$(newest)
b=$(body_of "$m" | tr '\r\n' '#@')
like "$b" "first#@second#@\.#@MAIL FROM:<admin@example\.com>#@" "the DATA end inside a chunk is text"
like "$b" "Subject: smuggled" "the smuggled message is text of the first"
unlike "$(grep '^to ' "$m")" "victim" "no envelope for the smuggled recipient"
like "$b" "#@\.\.dots stay#@bare LF#@bare CR#@$" "no dot-unstuffing; bare LF, bare CR repaired; a last line ended with CRLF"
like "$(grep 'accepted' "$LOG" | tail -1)" " chunks=3( |$)" "accepted logs chunks=3"

r=$(bdat "$PORT" pipelined)
is "$(codes "$r")" "220 250 250 250 250 250 250 250 250 221 " "a pipelined session with two BDAT messages: every reply, in order"
is "$(queue_count "$Q")" 3 "both pipelined messages queued"

r=$(bdat "$PORT" zero)
is "$(codes "$(sed -n '3,$p' <<<"$r")")" "250 250 " "BDAT 0 LAST ends the message"
is "$(queue_count "$Q")" 4 "queued"

r=$(bdat "$PORT" excess)
like "$(sed -n 3p <<<"$r")" "^250 2\.0\.0 Ok: queued" "a count smaller than the bytes sent: the message ends at the count"
like "$(sed -n 4p <<<"$r")" "^250 2\.0\.0 Ok$" "the excess is read as a command (NOOP) and answered"
is "$(body_of "$(newest)" | tail -1 | tr '\r' '#')" "hello#" "only the counted bytes are the message"
n=$(queue_count "$Q")

r=$(bdat "$PORT" nomail)
is "$(codes "$(sed -n '3,$p' <<<"$r")")" "503 250 250 554 250 250 250 503 503 250 " \
  "BDAT before MAIL 503, before RCPT 554, chunk bytes discarded (NOOP after answered); DATA and RCPT after BDAT 503; LAST then queues"
like "$(grep 'stage=bdat' "$LOG" | grep reason=sequence | head -1)" "reply=\"503 5\.5\.1 need MAIL before BDAT\"" "refused stage=bdat reason=sequence logged"
is "$(queue_count "$Q")" $((n + 1)) "only the well-sequenced message queued"
unlike "$(cat "$Q"/new/* | grep -a '^from x@y')" "." "a MAIL inside a discarded chunk was not run"
n=$(queue_count "$Q")

r=$(bdat "$PORT" nul)
is "$(codes "$(sed -n '3,$p' <<<"$r")")" "554 503 250 " "NUL in a chunk: 554 5.6.0, the next chunk 503 (transaction over), its bytes not a command"
like "$(sed -n 3p <<<"$r")" "^554 5\.6\.0 " "NUL: 554 5.6.0"
is "$(queue_count "$Q")" "$n" "NUL: nothing queued"

r=$(bdat "$PORT" rset)
is "$(codes "$(sed -n '3,$p' <<<"$r")")" "250 250 250 250 250 " "RSET between chunks, a new transaction"
is "$(queue_count "$Q")" $((n + 1)) "one message queued after RSET"
b=$(body_of "$(newest)")
like "$b" "Subject: kept" "the new transaction's text"
unlike "$b" "dropped" "the chunk before RSET is gone"
n=$(queue_count "$Q")

for sc in badcount longcount signcount; do
  r=$(bdat "$PORT" $sc)
  is "$(codes "$(sed -n '3,$p' <<<"$r")")" "501 421 EOF " "$sc: 501, then 421 and closed (the chunk's end cannot be found)"
done
like "$(grep 'info: refused .*reason=bdat-unsynced' "$LOG" | tail -1)" "421 4\.5\.0" "the close is logged reason=bdat-unsynced"
like "$(grep 'stage=bdat' "$LOG" | grep 'reason=syntax' | tail -1)" "command=\"BDAT \+5 LAST\"" "the bad BDAT line is logged"
is "$(queue_count "$Q")" "$n" "unreadable counts: nothing queued"

r=$(bdat "$PORT" drop-mid)
wait_until 10 grep -q "aborted stage=bdat.*reason=eof" "$LOG"
check "gone mid-chunk: aborted stage=bdat reason=eof" grep -q "aborted stage=bdat.*reason=eof" "$LOG"
r=$(bdat "$PORT" drop-between)
wait_until 10 test "$(grep -c 'aborted stage=bdat' "$LOG")" -ge 2
is "$(grep -c 'aborted stage=bdat' "$LOG")" 2 "gone between chunks: aborted logged"
is "$(queue_count "$Q")" "$n" "a client gone: nothing queued"
is "$(find "$Q/tmp" -type f | wc -l)" 0 "no tmp file left"

# the size limit and the data timeout
C2=$T/c2
smconf "$C2" size 1000 timeout_data 2 || exit 1
P2=$(free_port)
smtp_server "$P2" "$C2" mxhold-queue
r=$(bdat "$P2" oversize)
is "$(codes "$(sed -n '3,$p' <<<"$r")")" "552 250 250 250 250 552 503 250 250 250 250 " \
  "size 1000: a 2000-byte chunk 552 and the session goes on; 600+600 bytes: the second 552, the next 503; then 1000 bytes: queued"
like "$(sed -n 3p <<<"$r")" "^552 5\.3\.4 " "552 5.3.4"
is "$(queue_count "$C2/q")" 1 "only the message at the limit is queued"
like "$(grep 'reason=size' "$T/smtpd.$P2.log" | head -1)" "stage=bdat" "refused stage=bdat reason=size logged"
t0=$(date +%s)
r=$(bdat "$P2" short)
is "$(sed -n 3p <<<"$r" | cut -c1-9)" "421 4.4.2" "a count larger than the bytes sent: 421 4.4.2 after timeout_data"
between "$(( $(date +%s) - t0 ))" 1 15 "the timeout took about timeout_data seconds"
is "$(queue_count "$C2/q")" 1 "short chunk: nothing queued"

# the session's guard (smtp_guard) holds for BDAT as for DATA: a chunk
# trickled slower than data_rate_min is cut, nothing queued
C4=$T/c4
smconf "$C4" data_rate_min 1000 data_rate_window 2 || exit 1
P4=$(free_port)
smtp_server "$P4" "$C4" mxhold-queue
r=$(bdat "$P4" trickle)
like "$(sed -n 3p <<<"$r")" "^421 4\.4\.2 data rate" "a chunk slower than data_rate_min: 421 4.4.2"
like "$(grep 'info: refused ' "$T/smtpd.$P4.log" | tail -1)" "stage=bdat .*reason=too-slow" "refused stage=bdat reason=too-slow logged"
is "$(queue_count "$C4/q")" 0 "the slow chunk: nothing queued"

# durability: 250 only from a child that exited 0
C3=$T/c3
smconf "$C3" || exit 1
P3=$(free_port)
CAT_MODE=exit CAT_EXIT=111 smtp_server "$P3" "$C3" "$CATCHILD"
r=$(bdat "$P3" queuefail)
is "$(codes "$(sed -n '3,$p' <<<"$r")")" "250 451 250 " "a child that exits 111: 451 after LAST, the session goes on"
done_testing
