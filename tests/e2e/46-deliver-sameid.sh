# 46-deliver-sameid: a second message published under an id that a queued
# message still has in mess/ (mxhold-queue only refuses names taken in
# new/; smtpd supplies the id) must not replace the first one when deliver
# takes it in: both are delivered.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"

P=$(free_port)
dlv_conf "$P"
dlv_start
ID=1795800000.000003.$$
printf 'Subject: first\r\n\r\nfirst\r\n' >"$T/m1"; printf 'Subject: second\r\n\r\nsecond\r\n' >"$T/m2"
BODY=$T/m1 MXHOLD_QID=$ID inject snd@example.net one@example.com
check "the first is taken in and deferred (downstream down)" wait_until 10 grep -q "deferred qid=$ID from=snd@example.net to=one@example.com .*status=deferred" "$T/deliver.log"
BODY=$T/m2 MXHOLD_QID=$ID inject snd@example.net two@example.com
check "the second is queued too" wait_until 5 eval '[ "$(queue_count "$Q")" -eq 2 ]'
check "deliver gave the second a fresh id at its take-in, and said so" wait_until 10 grep -q "mxhold-deliver: warning: renamed qid=$ID new_qid=[0-9]*\.[0-9]*\.[0-9]* reason=qid-taken" "$T/deliver.log"
NEW=$(grep -o "renamed qid=$ID new_qid=[0-9.]*" "$T/deliver.log" | head -1 | sed 's/.*new_qid=//')
check "the second is taken in under its new id" wait_until 10 grep -q "deferred qid=$NEW from=snd@example.net to=two@example.com " "$T/deliver.log"
is "$(queue_count "$Q")" 2 "after deliver took the second in: still two messages"
sink_start "$P" "$T/mbox"
check "both delivered" wait_until 20 eval 'grep -q " one@example.com " "$T/mbox/log" 2>/dev/null && grep -q " two@example.com " "$T/mbox/log"'
check "queue empty" wait_until 10 queue_empty
dlv_grammar "$T/deliver.log"
done_testing
