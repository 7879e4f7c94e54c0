# 55-remote-tls-fallback: tls=may when the handshake fails (the server
# offers STARTTLS, answers 220, then sends bytes that are no TLS): the
# same host is tried again at once without STARTTLS and the mail goes
# plain, the log says so; the memory lasts as long as the remote process
# (a new session tries TLS again). Under tls=require the same failure is a
# temporary failure, retried, never plain.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
source "$(dirname "$0")/52-tls-lib.bash"

tls_pki || exit 1
G1=$(free_port); G2=$(free_port)
tls_sink "$G1" "$T/g1" --cert "$T/pki/chain.pem" --key "$T/pki/server.key" --garbage 1
tls_sink "$G2" "$T/g2" --cert "$T/pki/chain.pem" --key "$T/pki/server.key" --garbage 1000
tls_zone "$T/zone.yml" g1.customer.test g2.customer.test </dev/null
tls_dns "$T/zone.yml" || exit 1

dlv_conf 9 session_idle 1
cat >"$C/domains" <<EOD
may.test  g1.customer.test:$G1 tls=may
req.test  g2.customer.test:$G2 tls=require
EOD
dlv_recompile
DLV_ENV="DNSCACHEIP=$DNSCACHEIP" dlv_start

inject s@sender.org a@may.test
check "tls=may, handshake fails: delivered" wait_until 15 dlv_outcome a@may.test delivered "host=g1.customer.test"
check "the failed handshake logged (stage=starttls, OpenSSL's reason)" \
  grep -q "^mxhold-remote: warning: disconnect host=g1.customer.test ip=127.0.0.1 port=$G1 tls=- verify=none messages=0 duration=[0-9.]* stage=starttls reason=tls-handshake-failed detail=" "$T/deliver.log"
check "the next attempt to that host went plain, logged reason=tls-failed-before" \
  grep -q "^mxhold-remote: info: tls-plain host=g1.customer.test ip=127.0.0.1 port=$G1 reason=tls-failed-before policy=may\$" "$T/deliver.log"
is "$(awk '$3 == "s@sender.org" {print $7}' "$T/g1/log" 2>/dev/null)" "-" "the server got the message once, without TLS"
is "$(grep -c ' starttls$' "$T/g1/log")" 1 "one STARTTLS only: the plain attempt did not ask again"
# a new session (the last one ended: session_idle 1) tries TLS again
check "the first session ended" wait_until 15 grep -q "info: disconnect host=g1.customer.test .*reason=quit" "$T/deliver.log"
inject s@sender.org b@may.test
check "a new session: delivered" wait_until 15 dlv_outcome b@may.test delivered
check "a new session: STARTTLS again, and this time TLS" grep -Eq "info: tls host=g1.customer.test .*tls=TLSv1\.[23]/.* verify=none policy=may\$" "$T/deliver.log"
like "$(awk '$4 == "b@may.test" {print $7}' "$T/g1/log")" "^TLSv1\.[23]\$" "the second message arrived over TLS"

inject s@sender.org c@req.test
check "tls=require, handshake fails: deferred and retried" wait_until 20 dlv_outcome c@req.test deferred "attempts=2 "
check "tls=require: the result says the handshake failed" dlv_outcome c@req.test deferred "TLS handshake failed"
is "$(grep -c 'tls-plain host=g2' "$T/deliver.log")" 0 "tls=require: never plain"
is "$(cat "$T/g2/log" | grep -c '@')" 0 "tls=require: nothing delivered"
dlv_grammar "$T/deliver.log"
done_testing
