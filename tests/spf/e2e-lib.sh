# tests/spf/e2e-lib.sh: sourced by tests/e2e/6*-spf-*.sh after tests/lib.sh.
# spf_dns YAML: starts tests/spf/dnsserver.py for YAML on a free loopback
#   prefix and exports DNSCACHEIP (its first scenario's address).
# spf_send SRCIP PORT FROM [HEADERS]: one message to rcpt@example.com from
#   SRCIP, HELO client.test; prints the DATA reply "CODE TEXT" (or the
#   reply that refused it).
spf_dns () {
  local yml=$1 p
  for _ in 1 2 3 4 5; do
    p=127.$((100 + RANDOM % 150)).$((1 + RANDOM % 250))
    rm -f "$T/dns.ready"
    bg $PY "$TOP/tests/spf/dnsserver.py" "$yml" "$p" "$T/dns.ready" 2>>"$T/dns.log"
    if wait_until 10 test -e "$T/dns.ready"; then export DNSCACHEIP=$p.1; return 0; fi
  done
  nok "test DNS server did not start"; return 1
}

spf_send () {
  $PY - "$@" <<'PYEOF'
import smtplib, sys
src, port, sender = sys.argv[1], int(sys.argv[2]), sys.argv[3]
extra = sys.argv[4] if len(sys.argv) > 4 else ''
msg = (extra + 'From: <%s>\r\nTo: <rcpt@example.com>\r\nSubject: spf test\r\n\r\nbody\r\n' % sender).encode()
try:
    s = smtplib.SMTP('127.0.0.1', port, local_hostname='client.test', timeout=30, source_address=(src, 0))
    s.ehlo('client.test')
    code, text = s.mail(sender)
    if code != 250: print(code, text.decode()); sys.exit()
    code, text = s.rcpt('rcpt@example.com')
    if code != 250: print(code, text.decode()); sys.exit()
    code, text = s.data(msg)
    print(code, text.decode())
    s.quit()
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode())
except Exception as e:
    print('error', repr(e))
PYEOF
}

# spf_last_msg QUEUEDIR: the newest queued message file
spf_last_msg () {
  ls -t $(find "$1/new" "$1/mess" -type f 2>/dev/null) 2>/dev/null | head -1
}

# spf_mkconf DIR: like lib.sh's mkconf, but the queue at DIR/q (mkconf puts
# it where the `queue` file is); spf_budget 2, 127.0.0.9 a trusted relay.
spf_mkconf () {
  local d=$1
  mkdir -p "$d"
  echo relay.test >"$d/me"
  echo "$d/q" >"$d/queue"
  printf 'example.com 127.0.0.1:9\n' >"$d/domains"
  echo "spf_budget 2" >"$d/limits"
  echo "127.0.0.9 trusted" >"$d/clients"
  mxhold-conf compile "$d" >/dev/null || { nok "mxhold-conf compile $d"; return 1; }
  [ -d "$d/q/new" ] || mxhold-queuectl -q "$d/q" init >/dev/null || { nok "queuectl init $d/q"; return 1; }
}
