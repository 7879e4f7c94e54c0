# 52-remote-tls: outbound STARTTLS under tls=may (the default), tls=require
# and tls=none, against a real Postfix offering STARTTLS (the customer's
# server) and servers that do not offer it (40-sink.py) or refuse it
# (52-tls-sink.py): what is delivered, over what, what is retried, and the
# log line of each session's TLS outcome.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
source "$(dirname "$0")/52-tls-lib.bash"

tls_pki || exit 1
PF=$(free_port); PLAIN=$(free_port); REF=$(free_port)
tls_postfix "$T/pf" "$PF" || { nok "postfix with STARTTLS did not start"; exit 1; }
sink_start "$PLAIN" "$T/plain"
tls_sink "$REF" "$T/ref" --cert "$T/pki/chain.pem" --key "$T/pki/server.key" --refuse-starttls
# each domain its own host name (a session's policy is its route's domain's)
tls_zone "$T/zone.yml" pf-may.customer.test pf-dflt.customer.test pf-none.customer.test pf-req.customer.test \
  plain-may.customer.test plain-req.customer.test ref-may.customer.test ref-req.customer.test </dev/null
tls_dns "$T/zone.yml" || exit 1

dlv_conf 9
cat >"$C/domains" <<EOD
may.test      pf-may.customer.test:$PF      tls=may
dflt.test     pf-dflt.customer.test:$PF
none.test     pf-none.customer.test:$PF     tls=none
req.test      pf-req.customer.test:$PF      tls=require
plainmay.test plain-may.customer.test:$PLAIN tls=may
plainreq.test plain-req.customer.test:$PLAIN tls=require
refmay.test   ref-may.customer.test:$REF    tls=may
refreq.test   ref-req.customer.test:$REF    tls=require
EOD
dlv_recompile
DLV_ENV="DNSCACHEIP=$DNSCACHEIP" dlv_start

TLSRE='tls=TLSv1\.[23]/[A-Z0-9_-]+'
inject s@sender.org m@may.test
check "tls=may, Postfix offers STARTTLS: delivered" wait_until 15 dlv_outcome m@may.test delivered "host=pf-may.customer.test"
check "tls=may: the session's TLS logged (protocol/cipher, verify=none, policy)" \
  grep -Eq "^mxhold-remote: info: tls host=pf-may.customer.test ip=127.0.0.1 port=$PF $TLSRE verify=none policy=may\$" "$T/deliver.log"
inject s@sender.org d@dflt.test
check "no tls= option: tls=may, delivered over TLS" wait_until 15 dlv_outcome d@dflt.test delivered
check "no tls= option: logged as policy=may" grep -Eq "info: tls host=pf-dflt.customer.test .*$TLSRE verify=none policy=may\$" "$T/deliver.log"
inject s@sender.org r@req.test
check "tls=require, Postfix offers STARTTLS: delivered" wait_until 15 dlv_outcome r@req.test delivered
check "tls=require: over TLS, logged" grep -Eq "info: tls host=pf-req.customer.test .*$TLSRE verify=none policy=require\$" "$T/deliver.log"
inject s@sender.org n@none.test
check "tls=none: delivered" wait_until 15 dlv_outcome n@none.test delivered
is "$(grep -c 'host=pf-none.customer.test .*tls=' "$T/deliver.log")" 0 "tls=none: no STARTTLS, no TLS on its session's lines"
check "Postfix saw three TLS sessions (may, default, require), not four" wait_until 10 eval '[ "$(pf_tls_count "$T/pf")" -ge 3 ]'
is "$(pf_tls_count "$T/pf")" 3 "tls=none did not start TLS with Postfix"
check "the TLS sessions' disconnect lines say TLS and what verified it" wait_until 15 \
  grep -Eq "info: disconnect host=pf-may.customer.test ip=127.0.0.1 port=$PF $TLSRE verify=none messages=1 " "$T/deliver.log"

inject s@sender.org pm@plainmay.test
check "tls=may, no STARTTLS offered: delivered plain" wait_until 15 dlv_outcome pm@plainmay.test delivered
check "tls=may, no STARTTLS: logged as tls-plain reason=not-offered" \
  grep -q "^mxhold-remote: info: tls-plain host=plain-may.customer.test ip=127.0.0.1 port=$PLAIN reason=not-offered policy=may\$" "$T/deliver.log"
inject s@sender.org rm@refmay.test
check "tls=may, STARTTLS refused (454): delivered plain" wait_until 15 dlv_outcome rm@refmay.test delivered
check "tls=may, STARTTLS refused: logged as reason=starttls-refused" grep -q "info: tls-plain host=ref-may.customer.test .*reason=starttls-refused policy=may\$" "$T/deliver.log"

inject s@sender.org pr@plainreq.test
check "tls=require, no STARTTLS: deferred, then retried (attempts=2)" wait_until 20 dlv_outcome pr@plainreq.test deferred "attempts=2 "
check "tls=require, no STARTTLS: the recipient's result says why" dlv_outcome pr@plainreq.test deferred "STARTTLS"
check "tls=require, no STARTTLS: remote logs the session's end, stage=starttls reason=no-starttls" \
  grep -q "warning: disconnect host=plain-req.customer.test .*stage=starttls reason=no-starttls" "$T/deliver.log"
is "$(grep -c ' pr@plainreq.test ' "$T/plain/log" 2>/dev/null)" 0 "tls=require: nothing reached the server without STARTTLS"
inject s@sender.org rr@refreq.test
check "tls=require, STARTTLS refused: deferred and retried" wait_until 20 dlv_outcome rr@refreq.test deferred "attempts=2 "
check "tls=require, STARTTLS refused: logged with the server's reply" \
  grep -q "warning: disconnect host=ref-req.customer.test .*stage=starttls reason=starttls-refused reply=\"454 4.7.0 TLS not available now\"" "$T/deliver.log"
is "$(grep -c ' rr@refreq.test ' "$T/ref/log" 2>/dev/null)" 0 "tls=require, refused: nothing delivered there"
check "the two tls=require messages stay queued" [ "$(queue_count "$Q")" -eq 2 ]
dlv_grammar "$T/deliver.log"
done_testing
