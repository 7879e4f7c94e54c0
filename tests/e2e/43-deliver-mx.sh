# 43-deliver-mx: `mx` routes against a real DNS server (tinydns on a
# loopback address, port 53): MX hosts by preference, the relay's own name
# and its aliases skipped, and with them every MX not better than the relay
# (RFC 5321 5.1: a backup MX would hand the mail back); a route that leads
# only back to the relay is logged and never looped; a DSN to a non-customer sender goes by the
# sender's MX; an IPv6 route ([::1]:PORT).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"

# addresses of our own in 127.0.0.0/8, picked so parallel tests do not collide
pick () { local n; for n in $(seq 1 40); do a=127.40.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)); ! ss -lntu | grep -q " $a:" && { echo "$a"; return; }; done; }
DNS=$(pick); MXIP=$(pick); ALIAS=$(pick); ALIAS2=$(pick)
P6=$(free_port)
mkdir -p "$T/dns"
cat >"$T/dns/data" <<EOD
.example:$DNS:a
@mxtest.example::relay.test:30
@backup.example::relay.test:10
@backup.example::mx2.mxtest.example:20
@mxtest.example::mx2.mxtest.example:20
@mxtest.example::mx9.mxtest.example:90
+mx2.mxtest.example:$MXIP
+mx9.mxtest.example:127.0.0.1
@loop.example::relay.test:10
@alias.example::mx.alias.example:10
+mx.alias.example:$ALIAS
@alias2.example::mx.alias2.example:10
+mx.alias2.example:$ALIAS2
@alias3.example::mx.byname.example:10
+mx.byname.example:$MXIP
@sender.example::mail.sender.example:10
+mail.sender.example:$MXIP
EOD
(cd "$T/dns" && tinydns-data) || nok "tinydns-data"
bg env IP="$DNS" ROOT="$T/dns" UID=0 GID=0 tinydns 2>"$T/tinydns.log"
dnsq_mx () { $PY -c "import dnslib; q=dnslib.DNSRecord.question('mxtest.example','MX'); print(dnslib.DNSRecord.parse(q.send('$DNS',53,timeout=1)))" 2>/dev/null | grep -q mx2; }
check "tinydns answers on $DNS" wait_until 2 dnsq_mx

dlv_conf 9
cat >"$C/domains" <<EOD
mxtest.example mx
loop.example mx
backup.example mx
alias.example mx
alias2.example mx
alias3.example mx
v6.example [::1]:$P6
EOD
# the config's aliases file (an address and a name), beside $MXHOLD_ME_ALIASES
printf '%s\n' "$ALIAS2" MX.ByName.example. >"$C/aliases"
dlv_recompile
sink_start 25 "$T/mbox" --host "$MXIP" --reject '^bad'
sink_start "$P6" "$T/mbox6" --host ::1
# the MX hosts here are on 127.x: TEST ONLY, mxhold-remote lets an MX
# lookup lead to loopback (deliver/remote_guard.h; 57-deliver-mxguard
# tests the rule without it)
DLV_ENV="DNSCACHEIP=$DNS MXHOLD_ME_ALIASES=$ALIAS MXHOLD_TEST_MX_LOOPBACK=1" dlv_start

inject snd@sender.example a@mxtest.example; A=$(dlv_qid)
check "mx route: delivered to the best MX that is not the relay" wait_until 15 grep -q "qid=$A from=[^ ]* to=a@mxtest.example .*host=mx2.mxtest.example\[$MXIP\]:25 reply=.* status=delivered" "$T/deliver.log"
is "$(grep -c ' a@mxtest.example ' "$T/mbox/log" 2>/dev/null)" 1 "arrived once at the MX host"

inject snd@sender.example l@loop.example; L=$(dlv_qid)
check "MX only the relay itself: logged as a loop" wait_until 10 grep -q "qid=$L from=[^ ]* to=l@loop.example .*route leads back to this relay.* status=deferred" "$T/deliver.log"
check "remote logs the route's failure" grep -q "mxhold-remote: warning: route-failed route=mx domain=loop.example reason=loop\$" "$T/deliver.log"
inject snd@sender.example l@backup.example; L3=$(dlv_qid)
check "relay is MX 10, a backup MX 20: not sent to the backup (RFC 5321 5.1), logged as a loop" wait_until 10 grep -q "qid=$L3 from=[^ ]* to=l@backup.example .*route leads back to this relay.* status=deferred" "$T/deliver.log"
inject snd@sender.example l@alias.example; L2=$(dlv_qid)
check "MX at an alias address of the relay: logged as a loop" wait_until 10 grep -q "qid=$L2 from=[^ ]* to=l@alias.example .*route leads back to this relay.* status=deferred" "$T/deliver.log"
inject snd@sender.example l@alias2.example; L4=$(dlv_qid)
check "MX at an address in the config's aliases file: logged as a loop" wait_until 10 grep -q "qid=$L4 from=[^ ]* to=l@alias2.example .*route leads back to this relay.* status=deferred" "$T/deliver.log"
inject snd@sender.example l@alias3.example; L5=$(dlv_qid)
check "MX named in the config's aliases file (any case, trailing dot): logged as a loop" wait_until 10 grep -q "qid=$L5 from=[^ ]* to=l@alias3.example .*route leads back to this relay.* status=deferred" "$T/deliver.log"
is "$(grep -c 'l@alias3.example' "$T/mbox/log" 2>/dev/null)" 0 "nothing reached the host named as an alias (it listens)"
check "looping mail stays queued (5 messages)" [ "$(queue_count "$Q")" -ge 5 ]
is "$(grep -c 'l@backup.example' "$T/mbox/log" 2>/dev/null)" 0 "nothing reached the backup MX"

inject snd@sender.example bad@mxtest.example; B=$(dlv_qid)
check "5xx via MX: bounced" wait_until 10 grep -q "qid=$B from=[^ ]* to=bad@mxtest.example .*status=bounced" "$T/deliver.log"
check "the DSN to a non-customer sender went by the sender's MX" wait_until 15 grep -q "delivered qid=[0-9.]* from=\"\" to=snd@sender.example host=mail.sender.example\[$MXIP\]:25 .*status=delivered" "$T/deliver.log"

inject snd@sender.example six@v6.example; S=$(dlv_qid)
check "IPv6 route [::1]:port: delivered" wait_until 10 grep -q "qid=$S from=[^ ]* to=six@v6.example .*host=::1\[::1\]:$P6 reply=.* status=delivered" "$T/deliver.log"
is "$(grep -c 'six@v6.example' "$T/mbox6/log" 2>/dev/null)" 1 "arrived once over IPv6"
check "remote logs the IPv6 connection" grep -q "mxhold-remote: info: connect host=::1 ip=::1 port=$P6\$" "$T/deliver.log"
dlv_grammar "$T/deliver.log"
done_testing
