#!/bin/bash
# 89-checks-log-grammar: every line mxhold-spfcheck, mxhold-ratelimit and
# mxhold-relaycheck write, in the one grammar of doc/log.md. Each program is
# driven through its events (normal ones, refusals, recoveries, fatal
# errors) with hostile bytes in what comes from outside (HELO, sender,
# $TCPREMOTEIP, option values); its stderr alone goes to a log file, which
# tests/log_grammar.py then parses. A negative control shows the parser
# rejects an old-style line.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/spf/e2e-lib.sh"
source "$(dirname "$0")/70-ratelimit-lib.bash"
for p in mxhold-spfcheck mxhold-ratelimit mxhold-relaycheck mxhold-conf mxhold-queuectl; do
  [ -x "$BIN/$p" ] || { nok "$p is not built yet"; exit 1; }
done
S=$T/spfcheck.log R=$T/ratelimit.log L=$T/relaycheck.log
: >"$S"; : >"$R"; : >"$L"

# --- spfcheck ---
spf_dns "$TOP/tests/spf/e2e-zone.yml" || exit 1
spf_mkconf "$T/sc" || exit 1
printf '#!/bin/sh\ncat >/dev/null; cat <&1 >/dev/null 2>&1; exit 0\n' >"$T/next"
chmod +x "$T/next"
printf 'Subject: x\r\n\r\nbody\r\n' >"$T/msg"
printf 'Fa@pass.test\0Tr@example.com\0\0' >"$T/env"
spf () { MXHOLD_CONF=$T/sc MXHOLD_QID=1795800000.1.7 "$@" 2>>"$S"; }
spf env TCPREMOTEIP=127.0.0.1 MXHOLD_HELO=client.test MXHOLD_MAILFROM=a@pass.test mxhold-spfcheck "$T/next" <"$T/msg" 1<"$T/env"
spf env TCPREMOTEIP=127.0.0.1 MXHOLD_HELO="$(printf 'bad"\\\001 helo')" MXHOLD_MAILFROM="$(printf 'b o"b@fail.test')" \
  mxhold-spfcheck "$T/next" <"$T/msg" 1<"$T/env" 4>/dev/null
spf env TCPREMOTEIP=127.0.0.1 MXHOLD_HELO=client.test MXHOLD_MAILFROM=d@temp.test mxhold-spfcheck -t 0.3 "$T/next" <"$T/msg" 1<"$T/env" 4>/dev/null
spf env TCPREMOTEIP=127.0.0.9 MXHOLD_HELO=client.test MXHOLD_MAILFROM=e@fail.test mxhold-spfcheck "$T/next" <"$T/msg" 1<"$T/env"
spf env TCPREMOTEIP=127.0.0.1 MXHOLD_HELO=client.test MXHOLD_MAILFROM=a@pass.test mxhold-spfcheck "$T/next" <"$T/msg" 1</dev/null
spf env TCPREMOTEIP=127.0.0.1 MXHOLD_HELO=client.test MXHOLD_MAILFROM=a@pass.test mxhold-spfcheck "$T/no such program" <"$T/msg" 1<"$T/env"
spf mxhold-spfcheck -q 127.0.0.1 a@pass.test client.test >/dev/null
spf mxhold-spfcheck -q 'not"an ip' a@pass.test client.test
spf mxhold-spfcheck -c "$T/nowhere" "$T/next" </dev/null
for e in 'spf qid=1795800000.1.7 client=127.0.0.1 ' 'spf=fail .*action=reject' 'spf=temperror .*action=defer' \
         'spf=skipped ' 'info: aborted ' 'warning: exec-failed ' 'action=query' 'fatal: usage ' 'fatal: config-unreadable '; do
  like "$(cat "$S")" "$e" "spfcheck logged /$e/"
done
like "$(cat "$S")" 'helo="bad\\"\\\\\\x01 helo" from="b o\\"b@fail.test"' "spfcheck: hostile HELO and sender quoted and escaped"

# --- ratelimit ---
rl_conf "$T/rc" 'connections 1\nwindow 3600\nburst 1\n'
st=$T/rc.q/ratelimit.state
rl () { MXHOLD_CONF=$T/rc MXHOLD_RL_NOW=1700000000 "$@" </dev/null >/dev/null 2>>"$R"; }
rl env TCPREMOTEIP=192.0.2.1 mxhold-ratelimit true
rl env TCPREMOTEIP=192.0.2.1 mxhold-ratelimit true
rl env TCPREMOTEIP="$(printf '1.2.3.4\nmxhold-ratelimit: info: forged x=1')" mxhold-ratelimit true
head -c 100 /dev/urandom >"$st"
rl env TCPREMOTEIP=192.0.2.2 mxhold-ratelimit true
$PY -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(64); f.write(b"\xa5"*(16777280-64))' "$st"
rl env TCPREMOTEIP=192.0.2.1 mxhold-ratelimit true
rm -f "$st"; mkdir "$st"
rl env TCPREMOTEIP=192.0.2.3 mxhold-ratelimit true
rmdir "$st"
rl env TCPREMOTEIP=192.0.2.4 mxhold-ratelimit -c "$T/nowhere" true
rl env TCPREMOTEIP=192.0.2.5 mxhold-ratelimit "$T/no such program"
rl mxhold-ratelimit -x
rl mxhold-ratelimit -f "$T/nodir/x" -l
for e in 'info: refused client=192.0.2.1 key=192.0.2.1 reason=rate ' 'warning: admitted value="1.2.3.4\\x0amxhold' \
         'info: state-created ' 'warning: state-reset ' 'warning: state-repaired ' 'reason=state-unusable' \
         'warning: config-unreadable ' 'fatal: exec-failed ' 'fatal: usage ' 'fatal: state-unreadable '; do
  like "$(cat "$R")" "$e" "ratelimit logged /$e/"
done
unlike "$(cat "$R")" '^mxhold-ratelimit: info: forged' "ratelimit: a newline in \$TCPREMOTEIP forges no line"

# --- relaycheck ---
rc () { mxhold-relaycheck "$@" >/dev/null 2>>"$L"; }
rc
rc --timeout 0 127.0.0.1:1
rc --domain "$(printf 'a\001"b')" 127.0.0.1:1
rc 'bad host:x'
rc --batch "$T/no-such-list"
printf 'not a host:x\n' | rc --batch - --timeout 1
for e in 'fatal: usage usage=' 'option=timeout value=0 reason=out-of-range' 'option=domain value="a\\x01\\"b"' \
         'option=host value="bad host:x"' 'fatal: open-failed ' 'warning: bad-line path=- line=1 '; do
  like "$(cat "$L")" "$e" "relaycheck logged /$e/"
done

# --- the grammar ---
out=$($PY "$TOP/tests/log_grammar.py" "$S" "$R" "$L"); rc=$?
is "$rc" 0 "every line of the three logs parses ($(printf '%s\n' "$out" | grep -v '^#' | head -3))"
n=$(printf '%s\n' "$out" | sed -n 's/^ok - log grammar: \([0-9]*\) lines in .*/\1/p')
is "$n" "$(cat "$S" "$R" "$L" | wc -l)" "and every line is one of ours (none skipped)"
printf 'ratelimit: info: refused 1.2.3.4 (client 1.2.3.4): connection 2\n' >"$T/old.log"
$PY "$TOP/tests/log_grammar.py" "$T/old.log" >/dev/null
is "$?" 1 "negative control: an old-style line does not parse"
rm -f "$T/old.log"   # not a log of ours: the suite-wide grammar test must not see it
done_testing
