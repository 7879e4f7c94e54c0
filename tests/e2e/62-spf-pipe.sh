#!/bin/bash
# 62-spf-pipe: mxhold-spfcheck's filter mode driven by hand through pipes
# (no smtpd): the next program gets our header lines then the message
# byte for byte, the envelope intact, MXHOLD_SPF; its exit code is ours;
# an envelope that never arrives queues nothing and fails; a reject writes
# its reply line to fd 4. Query mode: output, exit codes, SERVFAIL at once,
# the time budget.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/spf/e2e-lib.sh"
for p in mxhold-spfcheck mxhold-conf mxhold-queuectl mxhold-queue; do
  [ -x "$BIN/$p" ] || { nok "$p is not built yet"; exit 1; }
done
spf_dns "$TOP/tests/spf/e2e-zone.yml" || exit 1
C=$T/conf
spf_mkconf "$C" || exit 1
export MXHOLD_CONF=$C MXHOLD_QID=1795800000.1.1 MXHOLD_HELO=client.test

# The "next program": records what it got, exits with $NEXT_RC.
cat >"$T/next" <<'EOS'
#!/bin/sh
cat >"$NEXT_DIR/msg"; cat <&1 >"$NEXT_DIR/env" 2>/dev/null
echo "$MXHOLD_SPF" >"$NEXT_DIR/spf"
exit "${NEXT_RC:-0}"
EOS
chmod +x "$T/next"
export NEXT_DIR=$T

$PY -c 'import sys; sys.stdout.buffer.write(b"Subject: big\r\n\r\n" + b"x" * 998 + b"\r\n") ' >"$T/line"
: >"$T/big"; for i in $(seq 1 3000); do cat "$T/line"; done >"$T/big"   # ~3 MB, more than any pipe buffer
printf 'Falice@pass.test\0Trcpt@example.com\0Tsecond@example.com\0\0' >"$T/env.in"

TCPREMOTEIP=127.0.0.1 MXHOLD_MAILFROM=alice@pass.test NEXT_RC=0 \
  mxhold-spfcheck "$T/next" <"$T/big" 1<"$T/env.in" 2>"$T/err"
is "$?" 0 "pass: exit 0 when the next program exits 0"
# our two fields (folded: several lines), then the message as it came
is "$(unfold "$T/msg" | sed -n '3,$p' | cmp - <(unfold "$T/big") && echo same)" same "message copied byte for byte after the two header fields"
like "$(unfold "$T/msg" | head -n 1)" '^Received-SPF: pass ' "first field is Received-SPF"
like "$(unfold "$T/msg" | sed -n 2p)" '^Authentication-Results: relay.test; spf=pass' "second field is Authentication-Results"
is "$(head -c 200000 "$T/msg" | tr -d '\r' | awk 'length > 78' | grep -c '^[RA	]')" 0 "our fields are folded: no line over 78 bytes"
is "$(cmp "$T/env" "$T/env.in" && echo same)" same "envelope passed on intact"
is "$(cat "$T/spf")" pass "MXHOLD_SPF=pass in the next program's environment"
is "$(cat "$T/err")" "mxhold-spfcheck: info: spf qid=1795800000.1.1 client=127.0.0.1 helo=client.test from=alice@pass.test ip=127.0.0.1 spf=pass identity=mailfrom mechanism=ip4:127.0.0.0/8 action=accept" "pass: one spf line on stderr, nothing else"

TCPREMOTEIP=127.0.0.1 MXHOLD_MAILFROM=alice@pass.test NEXT_RC=100 \
  mxhold-spfcheck "$T/next" <"$T/line" 1<"$T/env.in" 2>/dev/null
is "$?" 100 "the next program's exit 100 is ours"
TCPREMOTEIP=127.0.0.1 MXHOLD_MAILFROM=alice@pass.test NEXT_RC=111 \
  mxhold-spfcheck "$T/next" <"$T/line" 1<"$T/env.in" 2>/dev/null
is "$?" 111 "the next program's exit 111 is ours"

# smtpd aborted: the envelope never comes (EOF on fd 1, or half of it).
n0=$(queue_count "$C/q")
TCPREMOTEIP=127.0.0.1 MXHOLD_MAILFROM=alice@pass.test \
  mxhold-spfcheck mxhold-queue <"$T/line" 1</dev/null 2>"$T/err"
rc=$?
check "no envelope: non-zero exit ($rc)" [ "$rc" -ne 0 ]
like "$(grep '^mxhold-spfcheck' "$T/err" | tail -1)" '^mxhold-spfcheck: info: aborted qid=1795800000.1.1 reason=no-envelope$' "no envelope: logged as aborted"
head -c 20 "$T/env.in" >"$T/env.half"
TCPREMOTEIP=127.0.0.1 MXHOLD_MAILFROM=alice@pass.test \
  mxhold-spfcheck mxhold-queue <"$T/line" 1<"$T/env.half" 2>"$T/err"
rc=$?
check "half an envelope: non-zero exit ($rc)" [ "$rc" -ne 0 ]
like "$(grep '^mxhold-spfcheck' "$T/err" | tail -1)" 'aborted qid=1795800000.1.1 reason=no-envelope$' "half an envelope: logged as aborted"
is "$(queue_count "$C/q")" "$n0" "aborted transactions queued nothing"
TCPREMOTEIP=127.0.0.1 MXHOLD_MAILFROM=alice@pass.test \
  mxhold-spfcheck mxhold-queue <"$T/line" 1<"$T/env.in" 2>/dev/null
is "$?" 0 "a complete one through mxhold-queue: exit 0"
is "$(queue_count "$C/q")" "$((n0 + 1))" "and it is queued"

# Reject: the reply line on fd 4, exit 100, the next program never runs.
rm -f "$T/msg"
TCPREMOTEIP=127.0.0.1 MXHOLD_MAILFROM=bob@fail.test \
  mxhold-spfcheck "$T/next" <"$T/line" 1<"$T/env.in" 4>"$T/reply" 2>/dev/null
is "$?" 100 "fail: exit 100"
is "$(cat "$T/reply")" "$(printf '550 5.7.23 127.0.0.1 may not send mail for fail.test, see http://fail.test/spf\r')" "fail: 550 5.7.23 line on fd 4"
check "fail: the next program did not run" [ ! -e "$T/msg" ]

# HELO identity: a failing HELO decides before MAIL FROM.
TCPREMOTEIP=127.0.0.1 MXHOLD_HELO=badhelo.test MXHOLD_MAILFROM=alice@pass.test \
  mxhold-spfcheck "$T/next" <"$T/line" 1<"$T/env.in" 4>"$T/reply" 2>"$T/err"
is "$?" 100 "failing HELO: rejected"
like "$(cat "$T/err")" ' helo=badhelo.test from=alice@pass.test ip=127.0.0.1 spf=fail identity=helo mechanism=-all action=reject$' "failing HELO: logged as the helo identity"
TCPREMOTEIP=127.0.0.1 MXHOLD_HELO=pass.test MXHOLD_MAILFROM= \
  mxhold-spfcheck "$T/next" <"$T/line" 1<"$T/env.in" 2>/dev/null
is "$?" 0 "null sender: the HELO identity passes"
like "$(unfold "$T/msg" | head -n 1)" 'identity=helo' "null sender: Received-SPF names the helo identity"
like "$(unfold "$T/msg" | sed -n 2p)" 'spf=pass smtp.helo=pass.test' "null sender: Authentication-Results names smtp.helo"

# A next program that cannot be executed (typo, install in progress) is a
# temporary failure (111 -> smtpd's 451), never a permanent one (a bounce).
TCPREMOTEIP=127.0.0.1 MXHOLD_MAILFROM=alice@pass.test \
  mxhold-spfcheck "$T/no-such-program" <"$T/line" 1<"$T/env.in" 2>"$T/err"
is "$?" 111 "missing next program: 111, not 100"
like "$(tail -1 "$T/err")" "^mxhold-spfcheck: warning: exec-failed qid=1795800000.1.1 path=$T/no-such-program error=\"No such file or directory\"\$" "missing next program: a warning names it"

# No client address: not checked, said so.
MXHOLD_MAILFROM=alice@pass.test mxhold-spfcheck "$T/next" <"$T/line" 1<"$T/env.in" 2>"$T/err"
is "$?" 0 "no TCPREMOTEIP: passed on"
is "$(cat "$T/spf")" skipped "no TCPREMOTEIP: MXHOLD_SPF=skipped"
like "$(cat "$T/err")" '^mxhold-spfcheck: info: spf qid=1795800000.1.1 client=- helo=client.test from=alice@pass.test ip=- spf=skipped detail="no client address" action=accept$' "no TCPREMOTEIP: logged as skipped"

# Query mode.
out=$(mxhold-spfcheck -q 127.0.0.1 bob@fail.test client.test 2>/dev/null); rc=$?
is "$rc" 0 "query: exit 0 for a fail"
is "$(echo "$out" | head -n 1)" fail "query: result word first"
is "$(echo "$out" | sed -n 2p)" "explanation: 127.0.0.1 may not send mail for fail.test, see http://fail.test/spf" "query: explanation"
is "$(echo "$out" | sed -n 3p)" "mechanism: -all" "query: mechanism"
is "$(mxhold-spfcheck -q 2001:db8::5 x@ip6.test h.test 2>/dev/null | head -n 1)" pass "query: IPv6 client"
is "$(mxhold-spfcheck -q 2001:db9::5 x@ip6.test h.test 2>/dev/null | sed -n 2p)" "explanation: SPF fail: 2001:db9::5 is not allowed to send mail from ip6.test" "query: IPv6 client, default explanation"
is "$(mxhold-spfcheck -q ::ffff:127.0.0.1 x@pass.test h.test 2>/dev/null | head -n 1)" pass "query: IPv4-mapped client is IPv4"
mxhold-spfcheck -q 127.0.0.1 bob@fail.test client.test 2>&1 >/dev/null | grep -q '^mxhold-spfcheck: info: spf qid=- client=- helo=client.test from=bob@fail.test ip=127.0.0.1 spf=fail identity=mailfrom mechanism=-all action=query$'
is "$?" 0 "query: the spf line on stderr, action=query"
err=$(mxhold-spfcheck -q notanip x@pass.test h.test 2>&1 >/dev/null)
is "$?" 100 "query: a bad address is a usage error (100)"
is "$err" 'mxhold-spfcheck: fatal: usage reason=bad-address value=notanip' "query: a bad address: one fatal line"
mxhold-spfcheck -q 127.0.0.1 x@pass.test >/dev/null 2>&1
is "$?" 100 "query: missing argument (100)"
err=$(mxhold-spfcheck -t x -q 127.0.0.1 x@pass.test h 2>&1 >/dev/null)
is "$?" 100 "query: bad -t (100)"
like "$err" '^mxhold-spfcheck: fatal: usage reason=bad-budget usage="mxhold-spfcheck ' "bad -t: the usage line"
err=$(MXHOLD_CONF=$T/nowhere mxhold-spfcheck "$T/next" </dev/null 2>&1)
is "$?" 111 "filter mode without a config: 111"
is "$err" "mxhold-spfcheck: fatal: config-unreadable path=$T/nowhere/config.cdb error=\"No such file or directory\"" "without a config: one fatal line names the file"
s=$(date +%s%N)
out=$(mxhold-spfcheck -t 10 -q 127.0.0.1 x@loop.test h.test 2>/dev/null)
ms=$(( ($(date +%s%N) - s) / 1000000 ))
is "$(echo "$out" | head -n 1)" temperror "SERVFAIL: temperror"
check "SERVFAIL: at once, not after retries (${ms} ms)" [ "$ms" -lt 1500 ]
s=$(date +%s%N)
out=$(mxhold-spfcheck -t 1.5 -q 127.0.0.1 x@temp.test h.test 2>/dev/null)
ms=$(( ($(date +%s%N) - s) / 1000000 ))
is "$(echo "$out" | head -n 1)" temperror "unanswered query: temperror"
# the budget is the event waited for: not before it, and not long after
between "$ms" 1400 6000 "unanswered query: ends at the 1.5 s budget (${ms} ms)"
done_testing
