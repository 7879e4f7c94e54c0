#!/bin/bash
# 24-abuse-fold: every header line the relay writes is folded (issue 17,
# item 5): with the longest valid inputs (a 255-byte HELO, a 254-byte
# sender path: 64-byte local part, the rest domain; a 253-byte `me`; a
# 64 + 189-byte recipient) no line of the queued message passes 998
# bytes, and every line of smtpd's Received and spfcheck's Received-SPF
# and Authentication-Results is at most 78 bytes unless it is one word
# too long to fold; mxhold-deliver then hands the customer's server the
# same lines. Through tcpserver -> ratelimit -> smtpd -> spfcheck -> queue
# -> deliver -> remote -> a downstream SMTP server (40-sink.py).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/20-abuse-lib.bash"
label () { head -c "$1" /dev/zero | tr '\0' "$2"; }
# NAME LEN CHAR: a host name of LEN bytes, labels of 63 (the most)
name () {
  local n=$1 c=$2 out=""
  while [ "$n" -gt 64 ]; do out="$out$(label 63 "$c")."; n=$((n - 64)); done
  printf '%s%s.test' "$out" "$(label $((n - 5)) "$c")"
}
helo=$(name 255 h)
me=$(name 253 m)
dom=$(name 189 d)
local64=$(label 64 l)
sender="$local64@$(name 189 s)"
rcpt="$local64@$dom"
is "${#helo}/${#me}/${#sender}/${#rcpt}" "255/253/254/254" "the longest valid HELO, me, sender and recipient"
ab_setup
echo "$me" >"$C/me"
echo "$dom 127.0.0.1:9" >>"$C/domains"
mxhold-conf compile "$C" >/dev/null || nok "compile with the long me and domain"
ab_start

send () {
  $PY - "$PORT" "$@" <<'PY'
import smtplib, sys
port, helo, sender, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
try:
    s = smtplib.SMTP("127.0.0.1", port, local_hostname=helo, timeout=30)
    s.sendmail(sender, [rcpt], "Subject: long\r\n\r\nbody\r\n")
    s.quit()
    print("sent")
except Exception as e:
    print("error", repr(e)[:300])
PY
}
# lines_ok FILE: the header's lines: none over 998; our fields' lines over
# 78 only when one word (TAB + no space) that cannot be folded
lines_ok () {
  $PY - "$1" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
msg = d[d.index(b"\n\n") + 2:]
head = msg[:msg.index(b"\r\n\r\n") + 2]
lines = head.split(b"\r\n")[:-1]
bad, ours, field = [], 0, None
for l in lines:
    if l[:1] not in (b" ", b"\t"):
        field = l.split(b":", 1)[0].lower()
    if len(l) > 998:
        bad.append("over 998: %d bytes (%s)" % (len(l), field.decode()))
    if field in (b"received", b"received-spf", b"authentication-results"):
        ours += 1
        if len(l) > 78 and not (l[:1] == b"\t" and b" " not in l[1:]):
            bad.append("over 78 with a place to fold: %d bytes: %r" % (len(l), l[:60]))
print("%d lines of ours; %s" % (ours, "; ".join(bad) if bad else "ok"))
PY
}

n0=$(queue_count "$Q")
is "$(send "$helo" "$sender" "$rcpt")" sent "the longest valid HELO, sender and recipient: accepted"
is "$(send "$helo" "" "$rcpt")" sent "the null sender with the longest HELO (SPF checks the HELO): accepted"
is "$(( $(queue_count "$Q") - n0 ))" 2 "both queued"
for m in $(find "$Q/new" "$Q/mess" -type f 2>/dev/null); do
  r=$(lines_ok "$m")
  like "$r" '^[0-9]+ lines of ours; ok$' "$(basename "$m"): no line over 998, ours at most 78 where they fold ($r)"
  like "$(unfold "$m")" "Received: from $helo \(\[127\.0\.0\.1\]\) by $me \(mxhold\) with ESMTP id [0-9.]+ for <$rcpt>; " "its Received field, unfolded, is whole"
  like "$(unfold "$m")" "Received-SPF: [a-z]+ \($me: .*helo=\"$helo\"; receiver=$me;" "its Received-SPF field, unfolded, is whole"
  like "$(unfold "$m")" "Authentication-Results: $me; spf=[a-z]+ smtp\.(mailfrom|helo)=" "its Authentication-Results field"
done
like "$(unfold "$(ls -t "$Q"/new/* | tail -1)")" "envelope-from=\"$sender\"" "the sender in Received-SPF, whole"

# Delivered on by mxhold-deliver (under s6) to a real downstream: the
# lines the customer's server gets are the same, none over 998
source "$(dirname "$0")/40-deliver-lib.bash"
Q=$C/q   # 40-deliver-lib names its own queue; ours is the config's
DOWN=$(free_port)
sink_start "$DOWN" "$T/sink"
echo "$dom 127.0.0.1:$DOWN" >"$C/domains"
dlv_recompile
dlv_start
check "both messages delivered downstream" wait_until 30 count_at_least 2 sink_count "$T/sink"
for m in $(find "$T/sink" -name '*.eml'); do
  r=$($PY - "$m" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
head = d[:d.index(b"\r\n\r\n")]
print(max(len(l) for l in head.split(b"\r\n")))
PY
)
  between "$r" 1 998 "delivered $(basename "$m"): its longest header line is $r bytes"
  like "$(unfold "$m")" "Received-SPF: [a-z]+ \($me: " "delivered $(basename "$m"): Received-SPF intact"
done
dlv_stop

# A path over RFC 5321's 256 bytes (local 64 + domain 255) is refused at MAIL
long="$local64@$(name 255 s)"
like "$(send "$helo" "$long" "$rcpt")" "501" "a 320-byte sender path: 501 at MAIL, never in a header"
ab_grammar
done_testing
