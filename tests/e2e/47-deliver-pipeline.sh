# 47-deliver-pipeline: the whole relay on loopback: swaks -> tcpserver ->
# mxhold-smtpd -> mxhold-queue -> (trigger) -> mxhold-deliver under s6 ->
# mxhold-remote -> the downstream. The message arrives once, with the
# Received header smtpd added, and leaves the queue.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
for p in mxhold-smtpd mxhold-queue swaks tcpserver; do
  command -v "$p" >/dev/null || { nok "$p missing"; exit 1; }
done
P=$(free_port); S=$(free_port)
dlv_conf "$P"
sink_start "$P" "$T/mbox"
dlv_start
smtp_server "$S" "$C"
for i in 1 2 3; do
  swaks --server 127.0.0.1:$S --from "a$i@sender.org" --to "x$i@example.com,y$i@example.net" \
    --header "Subject: pipeline $i" --body "line one
.line with a dot" >"$T/swaks.$i" 2>&1 || nok "swaks $i (see $(tail -3 "$T/swaks.$i" | tr '\n' ' '))"
done
check "three messages arrived downstream" wait_until 15 eval '[ "$(sink_count "$T/mbox")" -eq 3 ]'
check "the queue is empty again" wait_until 10 queue_empty
is "$(sink_rcpts "$T/mbox")" 6 "six recipient deliveries, each once"
F=$(grep -l 'pipeline 2' "$T"/mbox/*.eml | head -1)
like "$(tr -d '\r' <"$F")" $'\nReceived: ' "smtpd's Received header is there"
like "$(tr -d '\r' <"$F")" $'\n\\.line with a dot' "the dotted line survived both dot-stuffings"
like "$(grep 'to=x2@example.com' "$T/deliver.log")" 'from=a2@sender.org to=x2@example.com .* attempts=1 status=delivered' "delivered at the first attempt"
dlv_grammar "$T/deliver.log"
done_testing
