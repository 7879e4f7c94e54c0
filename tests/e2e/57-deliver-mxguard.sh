# 57-deliver-mxguard: delivery by MX never connects into the relay's own
# networks (issue 17, item 2). An attacker publishes SPF +all (so its
# bounce is owed) and an MX in loopback, private or shared (CGN) space;
# the whole relay runs: client -> tcpserver -> mxhold-smtpd ->
# mxhold-spfcheck -> mxhold-queue -> mxhold-deliver -> a downstream that
# answers 550, so a DSN goes to the attacker's domain. tinydns on a
# loopback address serves the names (as in 43-deliver-mx), and a sink
# listens where the loopback MX points: nothing may arrive there.
# - loopback, RFC 1918 and RFC 6598 MX hosts, and a domain without MX whose
#   A is loopback (the implicit MX): each address refused and logged
#   (address-refused reason=...), the DSN fails for good (bounced, no
#   retry) with a clear line (route-failed reason=non-public-address);
# - a customer domain routed `mx` whose MX is loopback: the operator's
#   mistake, deferred (the mail waits), never delivered there;
# - an explicit route in `domains` to 127.0.0.1 still works (the
#   operator's word).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"

pick () { local n; for n in $(seq 1 40); do a=127.57.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)); ! ss -lntu | grep -q " $a:" && { echo "$a"; return; }; done; }
DNS=$(pick); LO=$(pick)
mkdir -p "$T/dns"
cat >"$T/dns/data" <<EOD
.example:$DNS:a
@evil.example::mx.evil.example:10
+mx.evil.example:$LO
'evil.example:v=spf1 +all:300
@priv.example::mx.priv.example:10
+mx.priv.example:10.20.30.40
'priv.example:v=spf1 +all:300
@cgn.example::mx.cgn.example:10
+mx.cgn.example:100.64.7.8
'cgn.example:v=spf1 +all:300
+bare.example:$LO
'bare.example:v=spf1 +all:300
@custmx.example::mx.custmx.example:10
+mx.custmx.example:$LO
EOD
(cd "$T/dns" && tinydns-data) || nok "tinydns-data"
bg env IP="$DNS" ROOT="$T/dns" UID=0 GID=0 tinydns 2>"$T/tinydns.log"
dnsq_mx () { $PY -c "import dnslib; q=dnslib.DNSRecord.question('evil.example','MX'); print(dnslib.DNSRecord.parse(q.send('$DNS',53,timeout=1)))" 2>/dev/null | grep -q mx.evil; }
check "tinydns answers on $DNS" wait_until 5 dnsq_mx
export DNSCACHEIP=$DNS

PD=$(free_port); S=$(free_port)
dlv_conf "$PD"
cat >"$C/domains" <<EOD
example.com 127.0.0.1:$PD
custmx.example mx
EOD
dlv_recompile
sink_start "$PD" "$T/down" --reject '^bad'
sink_start 25 "$T/lo" --host "$LO"
DLV_ENV="DNSCACHEIP=$DNS" dlv_start
smtp_server "$S" "$C" mxhold-spfcheck mxhold-queue

send () {
  $PY - "$S" "$1" "$2" <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='client.example', timeout=30)
try:
    s.sendmail(sys.argv[2], [sys.argv[3]], ('From: <%s>\r\nSubject: mxguard\r\n\r\nhello\r\n' % sys.argv[2]).encode())
    print('250')
except smtplib.SMTPException as e:
    print('refused', e)
s.quit()
PYEOF
}

# dsn_refused SENDERDOMAIN IP REASON: the bounce of a message from
# snd@SENDERDOMAIN ends refused at IP for REASON, for good
dsn_refused () {
  local d=$1 ip=$2 why=$3
  is "$(send "snd@$d" "bad.$d@example.com")" 250 "$d: accepted (SPF +all passes)"
  check "$d: bounced by the customer's server" wait_until 15 grep -q "bounced qid=[0-9.]* from=snd@$d to=bad.$d@example.com .*status=bounced" "$T/deliver.log"
  check "$d: its DSN is queued (SPF passed)" wait_until 10 grep -q "info: dsn qid=[0-9.]* to=snd@$d rcpts=1" "$T/deliver.log"
  check "$d: the address is refused: address-refused ip=$ip reason=$why" \
    wait_until 15 grep -q "mxhold-remote: info: address-refused domain=$d host=[a-z.]* ip=$ip reason=$why\$" "$T/deliver.log"
  check "$d: the route fails with reason=non-public-address" grep -q "mxhold-remote: warning: route-failed route=mx domain=$d reason=non-public-address\$" "$T/deliver.log"
  check "$d: the DSN fails for good (bounced, no retry)" \
    wait_until 10 grep -q "bounced qid=[0-9.]* from=\"\" to=snd@$d host=- error=\"the MX hosts of the domain have no public address.* attempts=1 status=bounced" "$T/deliver.log"
  unlike "$(grep "connect host=[a-z.]* ip=$ip " "$T/deliver.log")" . "$d: no connection to $ip"
}
dsn_refused evil.example "$LO" loopback
dsn_refused priv.example 10.20.30.40 private
dsn_refused cgn.example 100.64.7.8 private
dsn_refused bare.example "$LO" loopback
is "$(sink_count "$T/lo")" 0 "nothing arrived at the loopback MX (a listening sink)"
is "$(grep -c 'deferred qid=[0-9.]* from="" ' "$T/deliver.log")" 0 "no DSN was deferred: none is retried"

is "$(send alice@evil.example cust@custmx.example)" 250 "to a customer domain routed mx: accepted"
check "its MX is loopback: deferred (the operator's mistake waits to be fixed)" \
  wait_until 15 grep -q "deferred qid=[0-9.]* from=alice@evil.example to=cust@custmx.example host=- error=\"the MX hosts of the domain have no public address.* status=deferred" "$T/deliver.log"
check "and logged: address-refused domain=custmx.example reason=loopback" grep -q "address-refused domain=custmx.example host=mx.custmx.example ip=$LO reason=loopback\$" "$T/deliver.log"
is "$(sink_count "$T/lo")" 0 "still nothing at the loopback MX"

is "$(send alice@evil.example good@example.com)" 250 "to the customer's explicit route 127.0.0.1:$PD"
check "delivered there: an explicit route is the operator's word" wait_until 15 grep -q "delivered qid=[0-9.]* from=alice@evil.example to=good@example.com host=127.0.0.1\[127.0.0.1\]:$PD .*status=delivered" "$T/deliver.log"
dlv_grammar "$T/deliver.log"
done_testing
