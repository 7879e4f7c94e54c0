# tests/e2e/52-tls-lib.bash: helpers for the outbound TLS tests (52-55),
# sourced after ../lib.sh and 40-deliver-lib.bash. Not a test itself.
#   tls_pki                   a fresh test PKI in $T/pki (tests/certs.sh)
#   tls_postfix DIR PORT [CERT KEY]  a real Postfix on 127.0.0.1:PORT
#                             offering STARTTLS with CERT (a chain) and KEY
#                             (default the PKI's chain.pem, server.key)
#   tls_sink PORT DIR [52-tls-sink.py options]  the scripted TLS sink
#   tls_dns YAML              tests/spf/dnsserver.py for YAML, $DNSCACHEIP set
#   pf_tls_count DIR          TLS sessions Postfix in DIR logged
source "$TOP/tests/certs.sh"
source "$TOP/tests/spf/e2e-lib.sh"
source "$TOP/tests/e2e/postfix-lib.sh"
TLS_SINK="$TOP/tests/e2e/52-tls-sink.py"

tls_pki () { make_certs "$T/pki" || { nok "make_certs: $(tail -3 "$T/pki/openssl.log")"; return 1; }; }

tls_postfix () {
  local dir=$1 port=$2 cert=${3:-$T/pki/chain.pem} key=${4:-$T/pki/server.key}
  postfix_start "$dir" "$port" \
    "smtpd_tls_cert_file = $cert" "smtpd_tls_key_file = $key" \
    "smtpd_tls_security_level = may" "smtpd_tls_loglevel = 1" \
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
}
pf_tls_count () { grep -c 'TLS connection established from' "$1/maillog" 2>/dev/null || true; }

tls_sink () {
  local port=$1 dir=$2; shift 2
  bg $PY "$TLS_SINK" "$port" "$dir" "$@"; LAST_SINK=$LASTPID
  wait_until 10 port_open "$port" || nok "tls sink on $port did not start"
}

tls_dns () { spf_dns "$1"; }

# Postfix's EXIT trap would replace 40-deliver-lib's: one trap for both.
_tls_exit () {
  local d
  for d in $_pf_dirs; do postfix_stop "$d"; done
  _dlv_cleanup
}
_pf_trapped=1
trap _tls_exit EXIT

# tls_zone FILE NAME...: a zone (dnsserver.py's YAML) where each NAME has
# the address 127.0.0.1; more YAML lines (TLSA entries, secure:) from stdin
tls_zone () {
  local f=$1 n; shift
  {
    echo "description: outbound TLS tests"
    echo "tests: {}"
    cat
    echo "zonedata:"
    for n in "$@"; do printf '  %s:\n    - A: 127.0.0.1\n' "$n"; done
  } >"$f"
}

# dlv_outcome RCPT STATUS [MORE RE]: deliver logged RCPT's outcome STATUS
dlv_outcome () { grep -Eq "to=$1 .*${3:-}.*status=$2" "$T/deliver.log"; }
