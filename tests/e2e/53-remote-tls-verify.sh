# 53-remote-tls-verify: tls=verify. A real Postfix with the test CA's
# certificate for *.customer.test is delivered to, checked against
# tls_ca=FILE (verify=ca); against the system CA store (which does not hold
# the test CA), a wrong-name, an expired and a self-signed certificate, and
# a server without STARTTLS, nothing is delivered: each is retried and
# logged with OpenSSL's reason. mxhold-conf check names file and line of a
# bad tls_ca / tls value.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
source "$(dirname "$0")/52-tls-lib.bash"

tls_pki || exit 1
PF=$(free_port); WRONG=$(free_port); EXP=$(free_port); SELF=$(free_port); PLAIN=$(free_port)
tls_postfix "$T/pf" "$PF" || { nok "postfix with STARTTLS did not start"; exit 1; }
tls_sink "$WRONG" "$T/wrong" --cert "$T/pki/wrongname.pem" --key "$T/pki/wrongname.key"
tls_sink "$EXP" "$T/exp" --cert "$T/pki/expired.pem" --key "$T/pki/expired.key"
tls_sink "$SELF" "$T/self" --cert "$T/pki/self.pem" --key "$T/pki/self.key"
sink_start "$PLAIN" "$T/plain"
tls_zone "$T/zone.yml" mx.customer.test sys.customer.test wrong.customer.test exp.customer.test \
  self.customer.test plain.customer.test other.example </dev/null
tls_dns "$T/zone.yml" || exit 1
CA=$T/pki/ca.pem

dlv_conf 9
cat >"$C/domains" <<EOD
ok.test     mx.customer.test:$PF      tls=verify tls_ca=$CA
ip.test     127.0.0.1:$PF             tls=verify tls_ca=$CA
sys.test    sys.customer.test:$PF     tls=verify
name.test   other.example:$PF         tls=verify tls_ca=$CA
wrong.test  wrong.customer.test:$WRONG tls=verify tls_ca=$CA
exp.test    exp.customer.test:$EXP    tls=verify tls_ca=$CA
self.test   self.customer.test:$SELF  tls=verify tls_ca=$CA
plain.test  plain.customer.test:$PLAIN tls=verify tls_ca=$CA
EOD
dlv_recompile
DLV_ENV="DNSCACHEIP=$DNSCACHEIP" dlv_start

inject s@sender.org a@ok.test
check "tls=verify, chain to tls_ca and the route's name in the certificate: delivered" wait_until 15 dlv_outcome a@ok.test delivered "host=mx.customer.test"
check "logged verify=ca" grep -Eq "^mxhold-remote: info: tls host=mx.customer.test ip=127.0.0.1 port=$PF tls=TLSv1\.[23]/[A-Z0-9_-]+ verify=ca policy=verify\$" "$T/deliver.log"
inject s@sender.org a@ip.test
check "tls=verify on an address route: the address checked against the certificate's IP name, delivered" wait_until 15 dlv_outcome a@ip.test delivered
check "address route: logged verify=ca" grep -q "info: tls host=127.0.0.1 ip=127.0.0.1 port=$PF .*verify=ca" "$T/deliver.log"

# each refusal: deferred, retried (a second attempt), logged with the reason
refused () {   # RCPT HOST REASON-RE WHAT
  check "$4: deferred and retried" wait_until 20 dlv_outcome "$1" deferred "attempts=2 "
  check "$4: the result says the certificate is not trusted" dlv_outcome "$1" deferred "$3"
  check "$4: remote logs it (stage=starttls)" grep -Eq "warning: disconnect host=$2 .*stage=starttls reason=$5" "$T/deliver.log"
}
inject s@sender.org b@sys.test
inject s@sender.org c@name.test
inject s@sender.org d@wrong.test
inject s@sender.org e@exp.test
inject s@sender.org f@self.test
inject s@sender.org g@plain.test
refused b@sys.test sys.customer.test "not trusted .*self-signed certificate in certificate chain" "system CA store without the test CA" "cert-untrusted detail=\"self-signed certificate in certificate chain\""
refused c@name.test other.example "hostname mismatch" "route name not in the certificate" "cert-untrusted detail=\"hostname mismatch\""
refused d@wrong.test wrong.customer.test "hostname mismatch" "wrong-name certificate" "cert-untrusted detail=\"hostname mismatch\""
refused e@exp.test exp.customer.test "certificate has expired" "expired certificate" "cert-untrusted detail=\"certificate has expired\""
refused f@self.test self.customer.test "self-signed certificate" "self-signed certificate" "cert-untrusted detail=\"self-signed certificate\""
refused g@plain.test plain.customer.test "STARTTLS" "no STARTTLS offered" "no-starttls"
for s in wrong exp self plain; do
  is "$(cat "$T/$s/log" 2>/dev/null | grep -c '@')" 0 "nothing was delivered to the $s server"
done
check "six messages stay queued" [ "$(queue_count "$Q")" -eq 6 ]

# the config check: a bad tls_ca or tls value names its file and line
mkdir -p "$T/bad"; cp "$C/me" "$C/queue" "$C/limits" "$C/clients" "$T/bad/"
printf 'a.test mx tls=verify\nb.test mx tls=verify tls_ca=relative.pem\nc.test mx tls=verify tls_ca=%s\nd.test mx tls=sometimes\ne.test mx tls=dane dane_fallback=dane\n' "$T/missing.pem" >"$T/bad/domains"
out=$(mxhold-conf check "$T/bad" 2>&1)
like "$out" "domains:2: bad tls_ca \(want an absolute path\)" "conf check: a relative tls_ca, with file and line"
like "$out" "domains:3: bad tls_ca \(file not readable\)" "conf check: an unreadable tls_ca, with file and line"
like "$out" "domains:4: bad tls value \(want none, may, require, verify or dane\)" "conf check: a bad tls value, with file and line"
like "$out" "domains:5: bad dane_fallback value" "conf check: a bad dane_fallback, with file and line"
unlike "$out" "domains:1:" "conf check: tls=verify alone is good"
dlv_grammar "$T/deliver.log"
done_testing
