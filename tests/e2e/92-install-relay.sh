#!/bin/bash
# 92-install-relay: the relay as README's deployment makes it. make install
# PREFIX=$T/usr, then conf/install-host.sh (users, setuid mxhold-queue,
# config, queue, logs, services) with every path under $T, then s6-svscan on
# the installed service directories, as root like init would: tcpserver
# runs each connection's chain as mxsmtpd, deliver and remote as mxqueue,
# s6-log as mxlog. A message goes through to a real downstream (the test's
# SMTP sink) with SPF asked of a real DNS server (tinydns); the SMTP user
# cannot write the queue except through mxhold-queue; queuectl as root
# writes requests deliver (mxqueue) can read; the logs read with
# s6-tai64nlocal.
source "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" != 0 ]; then
  ok "# SKIP not root: the relay's users need root"
  exit 0
fi
SINK="$TOP/tests/e2e/40-sink.py"
SV=$T/service
Q=$T/spool
C=$T/etc/mxhold
_relay_cleanup () {
  if [ -n "${SVSCAN_PID:-}" ]; then
    s6-svc -dx "$SV/smtpd" "$SV/deliver" "$SV/tls" 2>/dev/null
    s6-svscanctl -t "$SV" 2>/dev/null
    wait_until 10 eval '! kill -0 $SVSCAN_PID 2>/dev/null'
  fi
  _cleanup
}
trap _relay_cleanup EXIT
chmod 755 "$T"    # the relay's users reach their files under $T

out=$(make -s -C "$TOP" B="$B" install PREFIX="$T/usr" 2>&1); rc=$?
is "$rc" 0 "make install PREFIX=\$T/usr" || diag "$out"

# A real DNS server on an address of our own: the sender's domain has SPF.
pick () { local n a; for n in $(seq 1 40); do a=127.92.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)); ! ss -lntu | grep -q " $a:" && { echo "$a"; return; }; done; }
DNS=$(pick)
mkdir -p "$T/dns"
printf '%s\n' ".sender.example:$DNS:a" "'sender.example:v=spf1 ip4\0720.0.0.0/0 -all" >"$T/dns/data"
(cd "$T/dns" && tinydns-data) || nok "tinydns-data"
bg env IP="$DNS" ROOT="$T/dns" UID=0 GID=0 tinydns 2>"$T/tinydns.log"
dns_up () { $PY -c "import dnslib; q=dnslib.DNSRecord.question('sender.example','TXT'); print(dnslib.DNSRecord.parse(q.send('$DNS',53,timeout=1)))" 2>/dev/null | grep -q spf1; }
check "tinydns answers on $DNS" wait_until 5 dns_up

DOWN=$(free_port)
bg $PY "$SINK" "$DOWN" "$T/mbox"; SINK_PID=$LASTPID
wait_until 10 port_open "$DOWN" || nok "sink did not start"

PORT=$(free_port)
# The config, made as install-host would, but with the recipient cache
# under $T (its default is the host's /var/lib/mxhold/rcpt): install-host
# keeps a config that is there.
mkdir -p "$C" && cp "$T"/usr/share/mxhold/example/* "$C/"
echo "$Q" >"$C/queue"
echo relay.test >"$C/me"
echo "$T/rcpt" >"$C/rcptcache"
PREFIX=$T/usr CONF=$C QUEUE=$Q LOGDIR=$T/log SERVICE=$SV ADDR=127.0.0.1 PORT=$PORT \
  TLS_RUN=$T/run-tls DNSCACHEIP=$DNS ME=relay.test sh "$T/usr/share/mxhold/install-host.sh" >"$T/ih.out" 2>&1; rc=$?
is "$rc" 0 "install-host with every path under \$T" || diag "$(cat "$T/ih.out")"
like "$(cat "$T/ih.out")" "mxhold-conf check: clean" "install-host ends with a clean mxhold-conf check"
# the customer domain, routed to the sink (the admin's edit)
printf 'example.com 127.0.0.1:%s\n' "$DOWN" >"$C/domains"
printf 'retry_min 60\n' >"$C/limits"
"$T/usr/bin/mxhold-conf" compile "$C" >/dev/null || nok "compile"

bg s6-svscan "$SV"; SVSCAN_PID=$LASTPID
check "smtpd listens on 127.0.0.1:$PORT" wait_until 10 port_open "$PORT"
check "deliver started" wait_until 10 grep -q 'mxhold-deliver: info: started' "$T/log/deliver/current"

# Who runs what: hold a session open and look at its processes.
user_of () { ps -o user= -p "$1" 2>/dev/null | tr -d ' '; }
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
read -r -t 10 greeting <&3
like "$greeting" '^220 relay.test' "the installed relay greets"
smtpd_pid () { pgrep -f "^$T/usr/bin/mxhold-smtpd" | head -1; }
wait_until 5 smtpd_pid >/dev/null
is "$(user_of "$(smtpd_pid)")" mxsmtpd "mxhold-smtpd runs as mxsmtpd"
is "$(user_of "$(pgrep -f "^tcpserver .* 127.0.0.1 $PORT" | head -1)")" mxsmtpd "tcpserver itself dropped root once it had bound the port (-U)"
exec 3>&- 3<&-
is "$(user_of "$(s6-svstat -p "$SV/deliver")")" mxqueue "mxhold-deliver runs as mxqueue"
is "$(user_of "$(s6-svstat -p "$SV/smtpd/log")")" mxlog "smtpd's s6-log runs as mxlog"
is "$(user_of "$(s6-svstat -p "$SV/deliver/log")")" mxlog "deliver's s6-log runs as mxlog"

# A message through the whole chain to the downstream.
swaks --server "127.0.0.1:$PORT" --from you@sender.example --to postmaster@example.com \
  --h-Subject "installed relay" --silent 2 >"$T/swaks.out" 2>&1; rc=$?
is "$rc" 0 "swaks: the message is accepted" || diag "$(tail -5 "$T/swaks.out")"
check "the downstream got it" wait_until 15 grep -q 'installed relay' -r "$T/mbox"
# the metrics' counters, written by both users (install-host's Q/counters)
swaks --server "127.0.0.1:$PORT" --from you@sender.example --to someone@elsewhere.test --silent 2 >/dev/null 2>&1
m=$(s6-setuidgid mxqueue "$T/usr/bin/mxhold-queuectl" -c "$C" metrics - 2>&1)
like "$m" 'mxhold_refusals_total\{program="smtpd",reason="relay"\} 1' "mxsmtpd's smtpd counted its relay refusal"
like "$m" 'mxhold_delivered_total\{domain="example\.com"\} 1' "mxqueue's deliver counted the delivery"
check "deliver logged it delivered" wait_until 10 grep -q ' delivered .*to=postmaster@example.com .*status=delivered' "$T/log/deliver/current"
like "$(grep -h 'spf' "$T/log/smtpd/current" | tail -1)" 'spf=pass' "spfcheck asked the DNS server in DNSCACHEIP (spf=pass)"
is "$(find "$Q/new" "$Q/mess" -type f | wc -l)" 0 "the queue is empty again"
unlike "$(cat "$T/log/smtpd/current")" ': (warning|fatal): ' "no warning inbound: mxsmtpd can use the rate-limit state"

# The recipient cache: both users write it (smtpd and rcptcheck as
# mxsmtpd, deliver's learning as mxqueue); nobody else reads it.
R=$T/rcpt
is "$(stat -c '%U:%G %a' "$R")" "mxsmtpd:mxqueue 2770" "the recipient cache directory: mxsmtpd's, group mxqueue, setgid"
is "$(stat -c '%U:%G %a' "$R/data.mdb" "$R/lock.mdb" | sort -u)" "mxsmtpd:mxqueue 660" "its files, made at install: mxsmtpd's, group mxqueue, 0660"
s6-setuidgid mxqueue "$T/usr/bin/mxhold-rcptctl" -c "$C" forget a@example.com >/dev/null 2>&1; is "$?" 0 "mxqueue (deliver) writes the cache"
s6-setuidgid mxsmtpd "$T/usr/bin/mxhold-rcptctl" -c "$C" forget a@example.com >/dev/null 2>&1; is "$?" 0 "mxsmtpd (smtpd, rcptcheck) writes the cache"
! s6-setuidgid mxlog ls "$R" >/dev/null 2>&1; is "$?" 0 "another user cannot look into it"

# The SMTP user can reach the queue only through mxhold-queue.
! s6-setuidgid mxsmtpd sh -c ": >'$Q/new/x'" 2>/dev/null; is "$?" 0 "mxsmtpd cannot write Q/new"
! s6-setuidgid mxsmtpd sh -c ": >'$Q/tmp/x'" 2>/dev/null; is "$?" 0 "mxsmtpd cannot write Q/tmp"
! s6-setuidgid mxsmtpd ls "$Q/mess/00" >/dev/null 2>&1; is "$?" 0 "mxsmtpd cannot read Q/mess"
! s6-setuidgid mxqueue sh -c ": >>'$Q/ratelimit.state'" 2>/dev/null; is "$?" 0 "mxqueue cannot write the rate-limit state"
s6-svc -d "$SV/deliver"
wait_until 10 eval '[ "$(s6-svstat -o up "$SV/deliver")" = false ]' || nok "deliver did not stop"
printf 'Subject: by hand\r\n\r\nhi\r\n' >"$T/msg"
printf 'Fyou@sender.example\0Tsales@example.com\0\0' >"$T/env"
chmod 644 "$T/msg" "$T/env"
s6-setuidgid mxsmtpd sh -c "MXHOLD_CONF=$C $T/usr/bin/mxhold-queue <'$T/msg' 1<'$T/env'" 2>"$T/q.log"; rc=$?
is "$rc" 0 "mxsmtpd queues through the setuid mxhold-queue"
f=$(find "$Q/new" -type f | head -1)
is "$(stat -c '%U %a' "$f" 2>/dev/null)" "mxqueue 600" "the queued file is mxqueue's, 0600"
# queuectl as root: its request must be readable by deliver (mxqueue)
"$T/usr/bin/mxhold-queuectl" -c "$C" flush example.com >/dev/null || nok "queuectl flush"
is "$(find "$Q/ctl" -type f ! -user mxqueue | wc -l)" 0 "root's queuectl request belongs to mxqueue"
s6-svc -u "$SV/deliver"
check "deliver (mxqueue) delivers it" wait_until 15 grep -q 'by hand' -r "$T/mbox"
check "and acts on root's request" wait_until 10 grep -q 'ctl .*request=flush' "$T/log/deliver/current"
unlike "$(cat "$T/log/deliver/current")" 'ctl-refused|unable-read' "deliver could read every request"

# STARTTLS on the installed relay: the key root:mxtls 0640 (install-host,
# run again), mxhold-tls found in PATH, setgid mxtls: the one process of
# the SMTP user that can read the key.
source "$TOP/tests/certs.sh"
make_certs "$T/pki" || nok "make_certs"
mkdir -p "$C/tls"
cp "$T/pki/chain.pem" "$C/tls/cert.pem"
cp "$T/pki/server.key" "$C/tls/key.pem"
PREFIX=$T/usr CONF=$C QUEUE=$Q LOGDIR=$T/log SERVICE=$SV ADDR=127.0.0.1 PORT=$PORT \
  TLS_RUN=$T/run-tls DNSCACHEIP=$DNS ME=relay.test sh "$T/usr/share/mxhold/install-host.sh" >"$T/ih2.out" 2>&1 || nok "install-host again"
is "$(stat -c '%U:%G %a' "$C/tls/key.pem")" "root:mxtls 640" "the TLS key: root's, group mxtls, 0640"
! s6-setuidgid mxsmtpd cat "$C/tls/key.pem" >/dev/null 2>&1; is "$?" 0 "the SMTP user (smtpd) cannot read the TLS key"
! s6-setuidgid mxqueue cat "$C/tls/key.pem" >/dev/null 2>&1; is "$?" 0 "the queue user cannot read it either"
swaks --server "127.0.0.1:$PORT" --tls --from you@sender.example --to postmaster@example.com \
  --h-Subject "over tls" --silent 2 >"$T/swaks-tls.out" 2>&1; rc=$?
is "$rc" 0 "swaks --tls: STARTTLS and the message accepted" || diag "$(tail -5 "$T/swaks-tls.out")"
check "the downstream got the TLS message" wait_until 15 grep -q 'over tls' -r "$T/mbox"
like "$(grep -h 'tls=' "$T/log/smtpd/current" | tail -1)" 'tls=TLSv1\.[23]/' "smtpd logged the TLS protocol and cipher"
# The mxhold-tls server (SERVICE/tls): install-host named its socket in
# tls/server once tls/ was there; smtpd hands STARTTLS to it.
is "$(cat "$C/tls/server")" "$T/run-tls/socket" "install-host wrote tls/server: the tls service's socket"
is "$(user_of "$(s6-svstat -p "$SV/tls")")" mxsmtpd "the mxhold-tls server runs as mxsmtpd"
is "$(user_of "$(s6-svstat -p "$SV/tls/log")")" mxlog "its s6-log runs as mxlog"
check "the server loaded the pair put there after its start" wait_until 10 grep -q ' tls-loaded ' "$T/log/tls/current"
is "$(stat -c %U "$T/log/tls/current")" mxlog "its log file is mxlog's"
is "$(stat -c '%U %a' "$T/run-tls")" "mxsmtpd 700" "the socket's folder: mxsmtpd's alone, 0700"
! s6-setuidgid mxqueue ls "$T/run-tls" >/dev/null 2>&1; is "$?" 0 "another user cannot reach the socket"
like "$(grep -h ' starttls ' "$T/log/smtpd/current" | tail -1)" 'via=server' "STARTTLS went through the server (via=server)"
unlike "$(cat "$T/log/smtpd/current")" 'tls-fallback' "no fallback while the server is up"
s6-svc -d "$SV/tls"
wait_until 10 eval '[ "$(s6-svstat -o up "$SV/tls")" = false ]' || nok "the tls service did not stop"
swaks --server "127.0.0.1:$PORT" --tls --from you@sender.example --to postmaster@example.com \
  --h-Subject "tls server down" --silent 2 >"$T/swaks-tls2.out" 2>&1; rc=$?
is "$rc" 0 "the tls service down: swaks --tls still goes through" || diag "$(tail -5 "$T/swaks-tls2.out")"
check "the downstream got it" wait_until 15 grep -q 'tls server down' -r "$T/mbox"
like "$(grep -h ' starttls ' "$T/log/smtpd/current" | tail -1)" 'via=spawn' "smtpd spawned mxhold-tls (via=spawn)"
like "$(grep -h 'tls-fallback' "$T/log/smtpd/current" | tail -1)" ": warning: tls-fallback .*$T/run-tls/socket" "and logged the fallback as a warning, with the socket"
s6-svc -u "$SV/tls"

# The logs: TAI64N stamps that s6-tai64nlocal turns into local time.
like "$(head -1 "$T/log/smtpd/current")" '^@4[0-9a-f]{23} mxhold-' "smtpd's log lines start with a TAI64N stamp"
like "$(s6-tai64nlocal <"$T/log/smtpd/current" | head -1)" '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ mxhold-' "s6-tai64nlocal shows local times"
is "$(stat -c %U "$T/log/smtpd/current")" mxlog "the log file is mxlog's"
rm -rf "$T/usr/share/man" "$T/usr/share/doc"   # example log lines, not this run's
exit 0
