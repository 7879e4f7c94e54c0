# 36-queue-bigenv: the writer and deliver agree on the largest envelope
# header (QUEUE_ENVELOPE_MAX_BYTES, 16 MiB). A header over it is refused
# for good (exit 100: retrying cannot help); one just under it, followed by
# a body, is taken in and delivered (deliver used to fail it with EFBIG
# when the body bytes read along with the header passed the limit: a
# message that got 250 and was never delivered nor bounced).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
MAX=$((16 << 20))

P=$(free_port)
dlv_conf "$P"
printf 'Subject: big\r\n\r\nbody\r\n' >"$T/msg"

# over: 17,000 recipients of 1,000 bytes
$PY -c "
import sys
r = b'a' * 987 + b'@example.com'
sys.stdout.buffer.write(b'Fs@example.net\0' + b''.join(b'T' + r + b'\0' for _ in range(17000)) + b'\0')" >"$T/env.over"
mxhold-queue <"$T/msg" 1<"$T/env.over" 2>"$T/qerr"; rc=$?
is "$rc" 100 "envelope header over $MAX bytes: refused for good (exit 100)"
is "$(queue_count "$Q")" 0 "nothing queued"
like "$(cat "$T/qerr")" "reason=envelope-too-large" "the reason is said"

# just over (by a few bytes, 16,727 recipients): refused too, not queued
# for a deliver that cannot read it
$PY -c "
import sys
r = b'a' * 987 + b'@example.com'
sys.stdout.buffer.write(b'Fs@example.net\0' + b''.join(b'T' + r + b'\0' for _ in range(16727)) + b'\0')" >"$T/env.edge"
mxhold-queue <"$T/msg" 1<"$T/env.edge" 2>"$T/qerr"; rc=$?
is "$rc" 100 "envelope header a few bytes over $MAX: refused for good (exit 100)"
is "$(queue_count "$Q")" 0 "nothing queued"

# just under, written straight into new/ (an unknown padding line, which
# readers ignore, makes it big without 16,000 recipients), and a 20 kB body
# arrived now: a fixed date would age past the lifetime and be bounced
NOW=$(date +%s)
ID=$NOW.000002.$$
$PY -c "
import sys
hdr = b'mxhold 1\narrived $NOW\nclient -\nhelo -\nspf pass\nfrom s@example.net\nto big@example.com\n'
pad = $MAX - len(hdr) - len(b'x-pad \n\n') - 10
body = b'Subject: big\r\n\r\n' + b'x' * 78 + b'\r\n'
sys.stdout.buffer.write(hdr + b'x-pad ' + b'p' * pad + b'\n\n' + body * 250)" >"$Q/tmp/$ID"
mv "$Q/tmp/$ID" "$Q/new/$ID"
sink_start "$P" "$T/mbox"
dlv_start
check "header just under the limit: delivered" wait_until 20 grep -q "^mxhold-deliver: info: delivered qid=$ID .*to=big@example.com .*status=delivered" "$T/deliver.log"
unlike "$(cat "$T/deliver.log")" "read message $ID" "deliver read it at the first try"
check "queue empty" wait_until 5 queue_empty
done_testing
