# tests/e2e/postfix-lib.sh: a private Postfix instance for e2e tests and
# benchmarks. Sourced after tests/lib.sh (bash). Needs root (Postfix's master
# starts as root and drops to mail_owner) and the Debian postfix package; it
# never touches /etc/postfix or /var/spool/postfix.
#
#   postfix_start DIR PORT [main.cf line...]
#       Writes DIR/etc/{main.cf,master.cf}, queue in DIR/spool, data in
#       DIR/data, log in DIR/maillog; listens on 127.0.0.1:PORT only; makes
#       the queue directories and starts its master directly (`master -c
#       DIR/etc -w`: what `postfix -c DIR/etc start` does, minus a dozen
#       postconf runs) and waits (lib.sh's wait_until, 10 s) until PORT
#       answers. Each extra
#       argument is one main.cf line ("name = value") and replaces the
#       default of the same name below. Defaults:
#       nothing ever leaves the machine (default_transport, relay_transport
#       and local_transport are discard:), no DNS (disable_dns_lookups,
#       smtp_host_lookup=native), mynetworks = 127.0.0.0/8 (a test that wants
#       an open relay passes "mynetworks = 0.0.0.0/0" and
#       "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination":
#       Postfix's smtpd refuses to start with a bare "permit" there).
#       Returns 0 once it listens; 1 (with the reason on stderr) otherwise.
#   postfix_stop DIR
#       SIGTERM to its master (as `postfix stop` does), waits for it to exit
#       (bounded) and kills what is left of that instance (by the pid in its
#       spool).
#   postfix_log DIR      the instance's log so far (cat).
#
# Every instance started is also stopped when the script exits: the first
# postfix_start chains postfix_stop of all of them in front of tests/lib.sh's
# EXIT trap (_cleanup), so a test that dies midway leaves no master behind.
#
# DIR must be reachable by the postfix user (each parent directory needs
# o+x); postfix_start makes DIR itself 0755 and chmods the parents it can.

_pf_owner=${POSTFIX_MAIL_OWNER:-postfix}
_pf_group=${POSTFIX_SETGID_GROUP:-postdrop}
_pf_dirs=""
_pf_trapped=0

_pf_exit () {
  local d
  for d in $_pf_dirs; do postfix_stop "$d"; done
  if declare -F _cleanup >/dev/null; then _cleanup; fi
}

postfix_start () {
  local dir=$1 port=$2; shift 2
  local etc="$dir/etc" spool="$dir/spool" data="$dir/data" d
  command -v postfix >/dev/null || { echo "postfix_start: postfix is not installed" >&2; return 1; }
  mkdir -p "$etc" "$spool" "$data" || return 1
  _pf_dirs="$_pf_dirs $dir"
  [ $_pf_trapped = 1 ] || { trap _pf_exit EXIT; _pf_trapped=1; }
  # the daemons chdir into the spool after dropping privileges
  d=$dir
  while [ "$d" != / ] && [ -n "$d" ]; do chmod o+x "$d" 2>/dev/null; d=$(dirname "$d"); done
  chmod 755 "$dir" "$etc" "$spool"
  chown "$_pf_owner" "$data" "$spool" && chmod 700 "$data"
  : >"$dir/maillog"; chown "$_pf_owner" "$dir/maillog"
  cat >"$etc/main.cf.defaults" <<EOF
compatibility_level = 3.6
config_directory = $etc
queue_directory = $spool
data_directory = $data
mail_owner = $_pf_owner
setgid_group = $_pf_group
myhostname = pf-$port.localhost
mydomain = localhost
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file_prefixes = $dir
maillog_file = $dir/maillog
default_transport = discard:
relay_transport = discard:
local_transport = discard:
disable_dns_lookups = yes
smtp_host_lookup = native
smtpd_banner = \$myhostname ESMTP
biff = no
alias_maps =
alias_database =
local_recipient_maps =
smtputf8_enable = no
shlib_directory = /usr/lib/postfix
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
EOF
  # the overrides replace the defaults of the same name (one awk, not one
  # postconf per line: each postconf run costs a second on a busy machine)
  local l
  for l in "$@"; do
    case $l in *=*) ;; *) echo "postfix_start: bad main.cf line: $l" >&2; return 1 ;; esac
  done
  printf '%s\n' "$@" | awk -v defaults="$etc/main.cf.defaults" '
    function name(s) { sub(/[ \t]*=.*/, "", s); gsub(/[ \t]/, "", s); return s }
    { over[name($0)] = 1; lines[++n] = $0 }
    END {
      while ((getline d < defaults) > 0) if (!(name(d) in over)) print d
      for (i = 1; i <= n; i++) print lines[i]
    }' >"$etc/main.cf" || return 1
  # only the services an SMTP-in, discard-out instance needs (tlsmgr: the
  # TLS tests' smtpd_tls_cert_file needs it for its entropy); no chroot
  # (the spool is not set up as one)
  cat >"$etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
tlsmgr    unix  - - n 1000? 1 tlsmgr
EOF
  # The queue directories `postfix start` would make (post-install), then
  # master itself: postfix-script's checks run a dozen postconf processes,
  # 6-10 s on a loaded machine, for nothing a fresh private instance needs.
  local q
  for q in active bounce corrupt defer deferred flush hold incoming private saved trace; do
    mkdir -p "$spool/$q" && chown "$_pf_owner" "$spool/$q" && chmod 700 "$spool/$q" || return 1
  done
  mkdir -p "$spool/pid" "$spool/maildrop" "$spool/public" || return 1
  chown "$_pf_owner:$_pf_group" "$spool/maildrop" "$spool/public"
  chmod 730 "$spool/maildrop"; chmod 710 "$spool/public"
  if ! /usr/lib/postfix/sbin/master -c "$etc" -w >"$dir/start.log" 2>&1; then
    echo "postfix_start: postfix master did not start:" >&2
    cat "$dir/start.log" "$dir/maillog" >&2
    postfix -c "$etc" check >&2
    return 1
  fi
  wait_until 10 port_open "$port" && return 0
  echo "postfix_start: nothing listens on 127.0.0.1:$port after 10 s" >&2
  cat "$dir/maillog" >&2
  return 1
}

postfix_stop () {
  local dir=$1 pid=""
  [ -f "$dir/spool/pid/master.pid" ] && pid=$(tr -dc 0-9 <"$dir/spool/pid/master.pid")
  # what `postfix stop` does, without its second of postconf: TERM to
  # master, and a bounded wait for it to go
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null
    # master kills its children when it exits; a stuck one goes by force
    wait_until 5 eval '! alive "$pid"' || { pkill -KILL -P "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; }
  fi
  return 0
}

postfix_log () { cat "$1/maillog" 2>/dev/null; }

# Run directly (tests/run.sh runs every tests/e2e/*.sh), it tests itself:
# an instance starts, relays per its overrides, answers, and stops cleanly.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  source "$(dirname "$0")/../lib.sh"
  _p=$(free_port)
  if postfix_start "$T/pf" "$_p" "smtpd_banner = \$myhostname ESMTP selftest"; then
    ok "postfix_start: private instance listens on 127.0.0.1:$_p"
    _b=$($PY -c "import socket; s=socket.create_connection(('127.0.0.1',$_p),5); s.settimeout(5); print(s.recv(200).decode().strip())")
    like "$_b" "^220 pf-$_p\.localhost ESMTP selftest" "main.cf override applied (banner)"
    like "$(postfix_log "$T/pf")" "daemon started" "instance logs to its own maillog"
    _m=$(tr -dc 0-9 <"$T/pf/spool/pid/master.pid")
    postfix_stop "$T/pf"
    if alive "$_m"; then nok "postfix_stop: master $_m still runs"; else ok "postfix_stop: master gone"; fi
    port_open "$_p" && nok "port $_p still open after stop" || ok "port closed after stop"
  else
    nok "postfix_start failed"
  fi
  done_testing
fi
