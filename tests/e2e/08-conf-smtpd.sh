#!/bin/bash
# 08-conf-smtpd: the config through the real inbound path (tcpserver,
# mxhold-smtpd, mxhold-queue): a recompile reaches the next connection
# without a restart, a refused compile changes nothing, and domains,
# limits and clients lines take effect.
source "$(dirname "$0")/../lib.sh"
for p in mxhold-smtpd mxhold-queue mxhold-queuectl; do
  command -v $p >/dev/null || { nok "$p not built yet"; exit 1; }
done
C=$T/conf; mkdir -p "$C"
echo relay.test >"$C/me"; echo "$T/spool" >"$C/queue"
printf 'example.com 127.0.0.1:9\n' >"$C/domains"
: >"$C/limits"; : >"$C/clients"
mxhold-conf compile "$C" >/dev/null || nok "compile"
mxhold-queuectl -c "$C" init >/dev/null || nok "queuectl init"
PORT=$(free_port)
smtp_server "$PORT" "$C"

# rcpts ADDR...: one session, prints the RCPT reply codes, space-separated,
# then the EHLO SIZE value.
rcpts () {
  $PY - "$PORT" "$@" <<'X'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.ehlo("client.test")
s.mail("sender@example.org")
codes = [str(s.rcpt(a)[0]) for a in sys.argv[2:]]
print(" ".join(codes), s.esmtp_features.get("size", "-"))
s.quit()
X
}

is "$(rcpts a@example.com b@EXAMPLE.COM. c@other.example)" "250 250 550 20971520" "configured domain accepted (any case, trailing dot), other refused, default SIZE"

printf 'example.com 127.0.0.1:9\nnew.example 127.0.0.1:9\n' >"$C/domains"
echo "size 1M" >"$C/limits"
mxhold-conf compile "$C" >/dev/null || nok "recompile"
is "$(rcpts a@new.example)" "250 1048576" "after recompile, no restart: new domain and new size limit"

echo "127.0.0.1 recipients=2" >"$C/clients"
mxhold-conf compile "$C" >/dev/null || nok "recompile with clients"
is "$(rcpts a@example.com b@example.com c@example.com)" "250 250 452 1048576" "clients override for 127.0.0.1: third recipient 452"

echo "127.0.0.0/8 recipients=3" >>"$C/clients"
echo "example.org" >>"$C/domains"
mxhold-conf compile "$C" >/dev/null 2>&1; is "$?" 100 "bad edit: compile refused"
is "$(rcpts a@example.com b@example.com c@example.com)" "250 250 452 1048576" "refused compile: the running relay keeps the old limits"
is "$(rcpts a@example.org a@new.example)" "550 250 1048576" "refused compile: and the old domains"

printf 'example.com 127.0.0.1:9\n' >"$C/domains"
echo "127.0.0.0/8 recipients=3" >"$C/clients"
mxhold-conf compile "$C" >/dev/null || nok "recompile with a /8"
is "$(rcpts a@example.com b@example.com c@example.com d@example.com)" "250 250 250 452 1048576" "a /8 prefix applies"
is "$(rcpts a@new.example)" "550 1048576" "a removed domain is refused"
done_testing
