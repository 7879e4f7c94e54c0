#!/bin/bash
# 94-deliver-hold: mxhold-queuectl hold/release against a running
# mxhold-deliver (under s6) and a real downstream: a held domain's
# recipients are not tried while the other domains' are, a flush does not
# release them, the hold survives a restart of deliver, release sends them
# at once; the same for one message; list and show say held. The unhappy
# paths: an unknown id, a release of what is not held, a bad domain.
# Then the DSN to a sender whose domain does not exist (NXDOMAIN from a
# real DNS server, tinydns) fails for good at its first attempt, while one
# to a domain that exists without any address waits to be retried.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
qc () { mxhold-queuectl -c "$C" "$@" 2>>"$T/qc.log"; }
P=$(free_port)
P2=$(free_port)
dlv_conf "$P" retry_min 600 retry_max 3600
printf 'example.com 127.0.0.1:%s\nexample.net 127.0.0.1:%s\n' "$P" "$P2" >"$C/domains"
dlv_recompile
sink_start "$P" "$T/mbox"
S1=$SINK_PID
sink_start "$P2" "$T/mbox2"
dlv_start
delivered () { grep -q "delivered qid=$1 .*to=$2 .*status=delivered" "$T/deliver.log"; }

is "$(qc hold Example.COM.)" "requested request=hold domain=example.com" "hold a domain: its output"
check "deliver took the hold" wait_until 5 grep -q "mxhold-deliver: info: ctl request=hold domain=example.com\$" "$T/deliver.log"
is "$(ls "$Q/hold")" "@example.com" "the hold is a file, Q/hold/@example.com"
inject snd@example.org a@example.com b@example.net; A=$(dlv_qid)
check "the other domain's recipient is delivered" wait_until 10 delivered "$A" b@example.net
out=$(qc list)
like "$out" "rcpt qid=$A index=0 to=a@example.com state=held attempts=0 next=held" "list: the held recipient"
like "$out" "rcpt qid=$A index=1 to=b@example.net state=delivered" "list: the delivered one"
like "$(qc list -s held)" "^message qid=$A " "list -s held finds it"
unlike "$(qc list -s held)" "to=b@example.net" "list -s held shows only held recipients"
like "$(qc show "$A")" "rcpt qid=$A index=0 to=a@example.com state=held attempts=0 next=held last=- expires_in=\+[0-9]+s expires=" "show: held, with its expiry"
# a flush does not release it: flush, then a message to the free domain
# goes through; a@ would have gone in the same turn as that flush
qc flush >/dev/null
check "flush processed" wait_until 5 grep -q "ctl request=flush\$" "$T/deliver.log"
inject snd@example.org c@example.net; Cq=$(dlv_qid)
check "later mail to the free domain is delivered" wait_until 10 delivered "$Cq" c@example.net
unlike "$(grep "to=a@example.com" "$T/deliver.log")" . "the held recipient was never tried, flush or not"
is "$(find "$T/mbox" -name '*.eml' | wc -l)" 0 "nothing reached the held domain's server"

# the hold survives deliver's restart (it reads Q/hold/ at start)
dlv_stop
s6-svc -u "$T/svc/deliver"
check "deliver back" wait_until 10 eval '[ "$(logcount "info: started")" -ge 2 ]'
inject snd@example.org d@example.net; D=$(dlv_qid)
check "after the restart: the free domain delivered" wait_until 10 delivered "$D" d@example.net
unlike "$(grep "to=a@example.com" "$T/deliver.log")" . "after the restart: the held one still not tried"

is "$(qc release example.com)" "requested request=release domain=example.com" "release the domain"
check "release: a@ delivered at once" wait_until 10 delivered "$A" a@example.com
check "release: deliver logged it" grep -q "ctl request=release domain=example.com\$" "$T/deliver.log"
is "$(ls "$Q/hold" | wc -l)" 0 "no hold file left"

# one message
kill "$S1"; wait "$S1" 2>/dev/null
inject snd@example.org e@example.com; E=$(dlv_qid)
check "with its server down, e@ is deferred" wait_until 10 grep -q "deferred qid=$E .*to=e@example.com" "$T/deliver.log"
is "$(qc hold "$E")" "requested request=hold qid=$E" "hold a message"
check "deliver took it" wait_until 5 grep -q "ctl request=hold qid=$E\$" "$T/deliver.log"
like "$(qc list)" "message qid=$E in=mess .* held=yes" "list: the message is held"
sink_start "$P" "$T/mbox"
qc flush example.com >/dev/null
check "flush example.com processed" wait_until 5 grep -q "ctl request=flush domain=example.com\$" "$T/deliver.log"
inject snd@example.org f@example.com; F=$(dlv_qid)
check "another message to the same domain is delivered" wait_until 10 delivered "$F" f@example.com
unlike "$(grep "delivered qid=$E" "$T/deliver.log")" . "the held message is not"
like "$(cat "$Q"/state/*/"$E")" "^0 p 1 18446744073709551614 " "its state line: NEXT is QUEUE_NEXT_HELD"
qc release "$E" >/dev/null
check "release: the message delivered" wait_until 10 delivered "$E" e@example.com

# a hold that comes while the recipient is in a session: its result (a
# deferral) does not let it escape; it waits until the release
sink_stop
sink_start "$P" "$T/mbox4" --delay 1 --tempfail '^busy'
inject snd@example.org busy@example.com; Bq=$(dlv_qid)
check "the session to the slow server has begun" wait_until 10 eval '[ "$(grep -c "mxhold-remote: info: connect host=127.0.0.1 .*port=$P" "$T/deliver.log")" -ge 3 ]'
qc hold example.com >/dev/null
check "the hold taken while busy@ is in its session" wait_until 5 eval '[ "$(grep -c "ctl request=hold domain=example.com" "$T/deliver.log")" -ge 2 ]'
check "its attempt ends deferred (451)" wait_until 20 grep -q "deferred qid=$Bq .*to=busy@example.com .*attempts=1 status=deferred" "$T/deliver.log"
nf=$(logcount "ctl request=flush")
qc flush >/dev/null
check "a flush after it processed" wait_until 5 eval '[ "$(logcount "ctl request=flush")" -gt "$nf" ]'
like "$(qc list -s held)" "to=busy@example.com state=held attempts=1 next=held reply=\"451 " "list: held, with the reply that deferred it"
qc release example.com >/dev/null
check "release: tried again at once" wait_until 20 grep -q "deferred qid=$Bq .*to=busy@example.com .*attempts=2 status=deferred" "$T/deliver.log"
qc delete "$Bq" >/dev/null

# unhappy paths
mxhold-queuectl -c "$C" hold 1795800000.9.9 >/dev/null 2>"$T/err"; rc=$?
is "$rc:$(cat "$T/err")" "100:mxhold-queuectl: fatal: no-message qid=1795800000.9.9 path=$Q" "hold of an unknown message: exit 100"
mxhold-queuectl -c "$C" release example.net >/dev/null 2>"$T/err"; rc=$?
is "$rc:$(cat "$T/err")" "100:mxhold-queuectl: fatal: not-held domain=example.net" "release of what is not held: exit 100"
mxhold-queuectl -c "$C" hold "$(printf 'a\tb')" >/dev/null 2>"$T/err"; rc=$?
is "$rc:$(cat "$T/err")" '100:mxhold-queuectl: fatal: bad-domain domain="a\x09b" reason=bad-byte' "hold of a bad domain: exit 100"
is "$(ls "$Q/hold" | wc -l)" 0 "refused holds leave no file"

# DSNs to a domain that does not exist: one attempt, permanent
pick () { local n a; for n in $(seq 1 40); do a=127.94.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)); ! ss -lntu | grep -q " $a:" && { echo "$a"; return; }; done; }
DNS=$(pick)
mkdir -p "$T/dns"
printf '%s\n' ".example:$DNS:a" "'noaddr.example:exists, with no address" >"$T/dns/data"
(cd "$T/dns" && tinydns-data) || nok "tinydns-data"
bg env IP="$DNS" ROOT="$T/dns" UID=0 GID=0 tinydns 2>"$T/tinydns.log"
dns_up () { $PY -c "import dnslib; q=dnslib.DNSRecord.question('noaddr.example','TXT'); print(dnslib.DNSRecord.parse(q.send('$DNS',53,timeout=1)))" 2>/dev/null | grep -q exists; }
check "tinydns answers on $DNS" wait_until 5 dns_up
dlv_stop
sink_stop
sink_start "$P" "$T/mbox3" --reject '^bad'
nstart=$(logcount "info: started")
DLV_ENV="DNSCACHEIP=$DNS" dlv_start
s6-svc -u "$T/svc/deliver"
check "deliver back, asking $DNS" wait_until 10 eval '[ "$(logcount "info: started")" -gt "$nstart" ]'
inject snd@nx.example bad@example.com; N=$(dlv_qid)
check "the recipient is refused (550): bounced" wait_until 10 grep -q "bounced qid=$N .*to=bad@example.com .*status=bounced" "$T/deliver.log"
check "a DSN is queued to the sender" wait_until 10 grep -q "dsn qid=$N to=snd@nx.example" "$T/deliver.log"
check "its route fails: nxdomain" wait_until 10 grep -q "route-failed route=mx domain=nx.example reason=nxdomain" "$T/deliver.log"
check "the DSN fails for good at its first attempt" wait_until 10 grep -q "bounced qid=[0-9.]* from=\"\" to=snd@nx.example host=- error=\"the domain does not exist (NXDOMAIN)\" .*attempts=1 status=bounced" "$T/deliver.log"
unlike "$(grep "to=snd@nx.example" "$T/deliver.log")" "status=deferred" "never deferred"
check "nothing left in the queue" wait_until 10 queue_empty
inject snd@noaddr.example bad2@example.com; M2=$(dlv_qid)
check "a DSN to a domain that exists without an address" wait_until 10 grep -q "dsn qid=$M2 to=snd@noaddr.example" "$T/deliver.log"
check "is deferred, to be retried (no-address is temporary)" wait_until 10 grep -q "deferred qid=[0-9.]* from=\"\" to=snd@noaddr.example .*status=deferred" "$T/deliver.log"
dlv_grammar "$T/deliver.log"
exit 0
