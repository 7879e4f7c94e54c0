# 54-remote-dane: tls=dane (RFC 7672) against the suite's DNS server
# (tests/spf/dnsserver.py): the TLSA records of _PORT._tcp.HOST, trusted
# only when the answer has the AD bit, which the server sets (for its
# "secure" zone) only when the query asks for it with AD=1 (RFC 6840), as
# mxhold-remote's does. DANE-EE(3) and DANE-TA(2) against a real Postfix;
# a record that matches nothing; an answer without AD, no records, only
# unusable ones: the domain's dane_fallback; a lookup that times out; an
# answer too big for UDP (truncated: asked again over TCP).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
source "$(dirname "$0")/52-tls-lib.bash"

tls_pki || exit 1
PF=$(free_port); PLAIN=$(free_port)
tls_postfix "$T/pf" "$PF" || { nok "postfix with STARTTLS did not start"; exit 1; }
sink_start "$PLAIN" "$T/plain"
# the records: DANE-EE SPKI SHA-256 of the server's key, DANE-TA full
# certificate SHA-256 of the CA (Postfix sends the chain: server, CA)
EE=$(openssl x509 -in "$T/pki/server.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
TA=$(openssl x509 -in "$T/pki/ca.pem" -outform DER | sha256sum | cut -d' ' -f1)
BAD=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
tls_zone "$T/zone.yml" ee.customer.test ta.customer.test bad.customer.test notlsa.customer.test \
  unus.customer.test tmo.customer.test ee.insecure.test ee2.insecure.test big.customer.test <<EOY
secure: [customer.test]
EOY
cat >>"$T/zone.yml" <<EOY
  _$PF._tcp.ee.customer.test:
    - TLSA: 3 1 1 $EE
  _$PF._tcp.ta.customer.test:
    - TLSA: 2 0 1 $TA
  _$PF._tcp.bad.customer.test:
    - TLSA: 3 1 1 $BAD
  _$PF._tcp.unus.customer.test:
    - TLSA: 1 1 1 $EE
  _$PF._tcp.tmo.customer.test:
    - TIMEOUT
  _$PF._tcp.ee.insecure.test:
    - TLSA: 3 1 1 $EE
  _$PLAIN._tcp.ee2.insecure.test:
    - TLSA: 3 1 1 $EE
  _$PF._tcp.big.customer.test:
EOY
# seven DANE-TA SHA2-512 records of no CA, then the right one: over 512
# bytes, so the UDP answer comes truncated (dnsserver.py) and only TCP has them
for i in 1 2 3 4 5 6 7; do echo "    - TLSA: 2 0 2 $(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n')"; done >>"$T/zone.yml"
echo "    - TLSA: 3 1 1 $EE" >>"$T/zone.yml"
tls_dns "$T/zone.yml" || exit 1
adq () {   # NAME AD(0/1): the AD bit of the server's answer to a TLSA query with AD=$2
  $PY -c "
import dnslib, sys
q = dnslib.DNSRecord.question(sys.argv[1], 'TLSA'); q.header.ad = int(sys.argv[2])
print(dnslib.DNSRecord.parse(q.send('$DNSCACHEIP', 53, timeout=2)).header.ad)" "$1" "$2" 2>/dev/null
}
is "$(adq "_$PF._tcp.ee.customer.test" 1)" 1 "the DNS server: AD set for the secure zone when the query asks (AD=1)"
is "$(adq "_$PF._tcp.ee.customer.test" 0)" 0 "the DNS server: AD clear when the query does not ask (so a delivery below proves remote asks)"
is "$(adq "_$PF._tcp.ee.insecure.test" 1)" 0 "the DNS server: AD clear for the insecure zone"
tcq () {   # NAME: the TC bit of the server's UDP answer
  $PY -c "
import dnslib, sys
q = dnslib.DNSRecord.question(sys.argv[1], 'TLSA'); q.header.ad = 1
print(dnslib.DNSRecord.parse(q.send('$DNSCACHEIP', 53, timeout=2)).header.tc)" "$1" 2>/dev/null
}
is "$(tcq "_$PF._tcp.big.customer.test")" 1 "the DNS server: the eight-record answer is truncated over UDP"

dlv_conf 9
cat >"$C/domains" <<EOD
ee.test     ee.customer.test:$PF     tls=dane
ta.test     ta.customer.test:$PF     tls=dane
bad.test    bad.customer.test:$PF    tls=dane
ins.test    ee.insecure.test:$PF     tls=dane
insreq.test ee2.insecure.test:$PLAIN tls=dane dane_fallback=require
notlsa.test notlsa.customer.test:$PF tls=dane dane_fallback=verify tls_ca=$T/pki/ca.pem
unus.test   unus.customer.test:$PF   tls=dane
tmo.test    tmo.customer.test:$PF    tls=dane
big.test    big.customer.test:$PF    tls=dane
EOD
dlv_recompile
DLV_ENV="DNSCACHEIP=$DNSCACHEIP" dlv_start

TLSRE='tls=TLSv1\.[23]/[A-Z0-9_-]+'
inject s@sender.org a@ee.test
check "DANE-EE(3) SPKI record, AD set: delivered" wait_until 15 dlv_outcome a@ee.test delivered "host=ee.customer.test"
check "DANE-EE: logged verify=dane" grep -Eq "^mxhold-remote: info: tls host=ee.customer.test ip=127.0.0.1 port=$PF $TLSRE verify=dane policy=dane\$" "$T/deliver.log"
inject s@sender.org a@ta.test
check "DANE-TA(2) record of the CA, AD set: delivered" wait_until 15 dlv_outcome a@ta.test delivered "host=ta.customer.test"
check "DANE-TA: logged verify=dane" grep -Eq "info: tls host=ta.customer.test .*$TLSRE verify=dane policy=dane\$" "$T/deliver.log"

inject s@sender.org a@bad.test
check "a TLSA record the certificate does not match: deferred and retried" wait_until 20 dlv_outcome a@bad.test deferred "attempts=2 "
check "no match: the result says so" dlv_outcome a@bad.test deferred "matches no TLSA record"
check "no match: remote logs reason=dane-mismatch" grep -q "warning: disconnect host=bad.customer.test .*stage=starttls reason=dane-mismatch" "$T/deliver.log"

inject s@sender.org a@ins.test
check "TLSA without AD (insecure zone): the fallback (may), delivered" wait_until 15 dlv_outcome a@ins.test delivered
check "without AD: dane-fallback logged with reason=insecure policy=may" grep -q "^mxhold-remote: info: dane-fallback host=ee.insecure.test port=$PF reason=insecure policy=may\$" "$T/deliver.log"
check "without AD: TLS without authentication (verify=none)" grep -Eq "info: tls host=ee.insecure.test .*$TLSRE verify=none policy=may\$" "$T/deliver.log"
inject s@sender.org a@insreq.test
check "without AD, dane_fallback=require, no STARTTLS: deferred and retried" wait_until 20 dlv_outcome a@insreq.test deferred "attempts=2 "
check "dane_fallback=require: logged" grep -q "info: dane-fallback host=ee2.insecure.test port=$PLAIN reason=insecure policy=require\$" "$T/deliver.log"
is "$(cat "$T/plain/log" 2>/dev/null | grep -c '@')" 0 "dane_fallback=require: nothing went to the server without STARTTLS"

inject s@sender.org a@notlsa.test
check "no TLSA records (secure NODATA), dane_fallback=verify: delivered with verify=ca" wait_until 15 dlv_outcome a@notlsa.test delivered
check "no TLSA: logged reason=no-tlsa, then verify=ca" grep -q "info: dane-fallback host=notlsa.customer.test port=$PF reason=no-tlsa policy=verify\$" "$T/deliver.log"
check "no TLSA: the session verified by the CA" grep -Eq "info: tls host=notlsa.customer.test .*verify=ca policy=verify\$" "$T/deliver.log"
inject s@sender.org a@unus.test
check "only unusable records (PKIX-EE, RFC 7672 3.1.3): the fallback, delivered" wait_until 15 dlv_outcome a@unus.test delivered
check "unusable records: logged reason=unusable" grep -q "info: dane-fallback host=unus.customer.test port=$PF reason=unusable policy=may\$" "$T/deliver.log"

inject s@sender.org a@big.test
check "eight TLSA records, truncated over UDP: asked again over TCP, delivered" wait_until 15 dlv_outcome a@big.test delivered
check "over TCP: all eight records seen, the right one matched (verify=dane)" grep -Eq "info: tls host=big.customer.test .*verify=dane policy=dane\$" "$T/deliver.log"

inject s@sender.org a@tmo.test
check "TLSA lookup unanswered: deferred (never the fallback) and retried" wait_until 30 dlv_outcome a@tmo.test deferred "attempts=2 "
check "lookup unanswered: logged" grep -q "^mxhold-remote: warning: tlsa-failed host=tmo.customer.test port=$PF reason=tlsa-lookup-failed detail=" "$T/deliver.log"
is "$(grep -c 'connect host=tmo.customer.test' "$T/deliver.log")" 0 "lookup unanswered: no connection made"
dlv_grammar "$T/deliver.log"
done_testing
