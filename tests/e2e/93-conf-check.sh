#!/bin/bash
# 93-conf-check: mxhold-conf check beyond the text: a file it does not know
# (`limitz`) is a warning, the count line says errors and warnings; the
# queue's and the rate-limit state's owners and modes as install-host lays
# them out (as root: each wrong owner found, exit 100); a config.cdb the
# relay's users cannot read. mxhold-conf explain IP [DOMAIN]: the limits,
# trust and SPF policy for a client and a domain, each with its file:line
# or "default", in the log's key=value grammar.
source "$(dirname "$0")/../lib.sh"
C=$T/conf
mc () {
  local rc
  mxhold-conf "$@" >"$T/cout" 2>"$T/cerr"; rc=$?
  cat "$T/cerr" >>"$T/clog"
  return $rc
}
mkconf "$C" || exit 1

mc check "$C"; is "$?:$(cat "$T/cerr")" "0:" "a clean config and queue: silent, exit 0"
echo "recipients 5" >"$C/limitz"
echo "x" >"$C/.domains.swp"
mkdir "$C/tls"
mc check "$C"; rc=$?
is "$rc" 0 "an unknown file is a warning: exit 0"
is "$(cat "$T/cerr")" "$C/limitz: warning: unknown file, not read by mxhold (a misspelt name?)
0 errors, 1 warning" "limitz named, dot files and directories skipped, the count line last"
printf 'recipientz 5\n' >"$C/limits"
mc check "$C"; rc=$?
is "$rc:$(tail -1 "$T/cerr")" "100:1 error" "an error in the text: exit 100, the count line"
printf '' >"$C/limits"
rm "$C/limitz"

# A queue that is not there yet: a warning naming it.
sed -i "s|.*|$T/noqueue|" "$C/queue"
mc check "$C"; rc=$?
is "$rc:$(head -1 "$T/cerr")" "0:$T/noqueue: warning: the queue does not exist yet (mxhold-queuectl init, as the queue's owner)" "a missing queue: a warning"
echo "$T/plain" >"$C/queue"; : >"$T/plain"
mc check "$C"; is "$?:$(head -1 "$T/cerr")" "100:$T/plain: the queue is not a directory" "a queue that is a file: an error"
mkdir "$T/half"; echo "$T/half" >"$C/queue"
mc check "$C"; rc=$?
is "$rc" 100 "a directory that is no queue: exit 100"
like "$(cat "$T/cerr")" "^$T/half/tmp: missing: not a queue yet" "and names what is missing"
is "$(tail -1 "$T/cerr")" "6 errors" "one error per missing directory"
echo "$C/q" >"$C/queue"
mc check "$C"; is "$?:$(cat "$T/cerr")" "0:" "back to the queue: clean"

# the TLS key open to others, or writable by its group
mkdir -p "$C/tls"; echo key >"$C/tls/key.pem"; chmod 644 "$C/tls/key.pem"
mc check "$C"; is "$?:$(head -1 "$T/cerr")" "100:$C/tls/key.pem: the TLS key is open to others: only mxhold-tls may read it (root:mxtls, 0640)" "tls/key.pem 0644: an error"
chmod 660 "$C/tls/key.pem"
mc check "$C"; is "$?:$(head -1 "$T/cerr")" "100:$C/tls/key.pem: the TLS key is writable by its group (0640)" "tls/key.pem 0660: an error"
chmod 640 "$C/tls/key.pem"
mc check "$C"; is "$?:$(cat "$T/cerr")" "0:" "tls/key.pem 0640: clean"
rm -r "$C/tls"
# config.cdb unreadable by the relay's users
chmod 600 "$C/config.cdb"
mc check "$C"; is "$?:$(head -1 "$T/cerr")" "100:$C/config.cdb: not readable by others: the relay's users cannot read it (mode 0644)" "config.cdb 0600: an error"
chmod 644 "$C/config.cdb"

if [ "$(id -u)" = 0 ]; then
  id nobody >/dev/null 2>&1 || useradd --system --no-create-home nobody
  # The layout install-host makes: the queue nobody's, ratelimit.state root's
  # (the 17.6 deploy: made as root, ratelimit then fails open).
  chmod 755 "$T"
  Q=$T/iq; mkdir "$Q"; chown nobody "$Q"; chmod 755 "$Q"
  echo "$Q" >"$C/queue"
  s6-setuidgid nobody mxhold-queuectl -q "$Q" init >/dev/null || nok "init as nobody"
  u=$(getent passwd | awk -F: '$3 != 0 && $1 != "nobody" { print $1; exit }')
  # ratelimit.slots (the sessions-at-once locks) as install-host makes it
  install -o "$u" -m 0600 /dev/null "$Q/ratelimit.slots"
  mc check "$C"; rc=$?
  is "$rc:$(cat "$T/cerr")" "0:$Q/ratelimit.state: warning: missing: the SMTP user cannot make it in the queue's directory; make it that user's, mode 0600 (conf/install-host.sh), unless mxhold-ratelimit -f puts it elsewhere
0 errors, 1 warning" "no ratelimit.state on an installed queue: a warning"
  : >"$Q/ratelimit.state"
  mc check "$C"; rc=$?
  is "$rc:$(head -1 "$T/cerr")" "100:$Q/ratelimit.state: owned by root: mxhold-ratelimit runs as the SMTP user and cannot write it (chown it to that user)" "ratelimit.state root's: an error"
  chown nobody "$Q/ratelimit.state"
  mc check "$C"; rc=$?
  like "$rc:$(head -1 "$T/cerr")" "^100:$Q/ratelimit.state: owned by the queue's owner" "ratelimit.state the queue owner's: an error (the SMTP user could write the queue)"
  chown "$u" "$Q/ratelimit.state"; chmod 644 "$Q/ratelimit.state"
  mc check "$C"; like "$?:$(head -1 "$T/cerr")" "^100:$Q/ratelimit.state: mode 0644: only the SMTP user may use it" "ratelimit.state 0644: an error"
  chmod 600 "$Q/ratelimit.state"
  mc check "$C"; is "$?:$(cat "$T/cerr")" "0:" "the installed layout: clean"
  chown root "$Q/ratelimit.slots"
  mc check "$C"; is "$?:$(head -1 "$T/cerr")" "100:$Q/ratelimit.slots: owned by root: mxhold-ratelimit runs as the SMTP user and cannot write it (chown it to that user)" "ratelimit.slots root's: an error"
  chown "$u" "$Q/ratelimit.slots"
  chmod 750 "$Q"
  mc check "$C"; is "$?:$(head -1 "$T/cerr")" "100:$Q: not searchable by others: the SMTP user cannot reach ratelimit.state (mode 0755)" "a queue 0750: the SMTP user cannot reach its state"
  chmod 755 "$Q"
  # wrong owners inside: a bucket and files made by root (an init or a
  # copy as root)
  chown root "$Q/mess/3e"
  for i in 1 2 3 4 5; do : >"$Q/state/00/1.$i.1"; done
  chmod 777 "$Q/ctl"
  chmod 750 "$Q/tmp"
  mc check "$C"; rc=$?
  err=$(cat "$T/cerr")
  is "$rc" 100 "wrong owners in the queue: exit 100"
  like "$err" "$Q/mess/3e: owner root \(0\), not the queue's owner nobody \([0-9]+\)" "a root bucket found, with both owners named"
  like "$err" "$Q/state/00/1\.1\.1: owner root" "a root file found"
  like "$err" "$Q/state/00: 5 files in all not owned by the queue's owner" "many such files: a count"
  like "$err" "$Q/ctl: mode 0777: writable by others" "ctl/ writable by others found"
  like "$err" "$Q/tmp: mode 0750: only its owner may use it" "tmp/ open to the group found"
  is "$(tail -1 "$T/cerr")" "7 errors" "every finding counted"
else
  ok "# SKIP owner checks: not root"
fi
echo "$C/q" >"$C/queue"

# explain
cat >"$C/clients" <<'X'
# comment
192.0.2.0/24   trusted connections=unlimited size=5M
2001:db8::/32  messages=7
X
printf 'recipients 20\n# x\nconnections 100 60\n' >"$C/limits"
printf 'fail defer\n' >"$C/spf"
cat >"$C/domains" <<'X'
example.com 127.0.0.1:2526
example.org 127.0.0.1:25,[::1]:26 tls=may size=1M retry_min=60 messages=5
X
mc -c "$C" explain 192.0.2.7 example.org; rc=$?
out=$(cat "$T/cout")
is "$rc" 0 "explain exits 0"
line () { printf '%s\n' "$out" | grep -E -- "$1" | head -1; }
is "$(line '^client ')" "client client=192.0.2.7 prefix=192.0.2.0/24 trusted=yes file=$C/clients line=2" "the client's clients line, trusted, file:line"
is "$(line '^domain ')" "domain domain=example.org route=127.0.0.1:25,[::1]:26 tls_policy=may rcpt_policy=- file=$C/domains line=2" "the domain's route, tls policy, file:line"
is "$(line '^limit name=recipients ')" "limit name=recipients value=20 source=limits file=$C/limits line=1" "a limit from limits"
is "$(line '^limit name=messages .*scope')" "limit name=messages value=5 source=domains file=$C/domains line=2 scope=none" "a domain's messages: no per-domain effect"
is "$(line '^limit name=window ')" "limit name=window value=60 source=limits file=$C/limits line=3" "connections N WINDOW sets window, same line"
is "$(line '^limit name=connections ')" "limit name=connections value=unlimited source=clients file=$C/clients line=2" "a client override, unlimited"
is "$(line '^limit name=size .*clients')" "limit name=size value=5242880 source=clients file=$C/clients line=2" "size for the client"
is "$(line '^limit name=size .*scope')" "limit name=size value=1048576 source=domains file=$C/domains line=2 scope=domain" "size for the domain, which takes effect"
is "$(line '^limit name=messages ')" "limit name=messages value=50 source=default" "a default"
is "$(line '^spf spf=fail ')" "spf spf=fail action=defer source=spf file=$C/spf line=1" "an spf line"
is "$(line '^spf spf=softfail ')" "spf spf=softfail action=mark source=default" "an spf default"
is "$(printf '%s\n' "$out" | grep -c '^limit name=[a-z_]* value=[^ ]* source=[a-z]*')" "$(( $(mxhold-conf -c "$C" dump | grep -c '^l:') + 3 ))" "every limit once, plus the domain's three"
mc -c "$C" explain 2001:db8:5::1; out=$(cat "$T/cout")
is "$(line '^client ')" "client client=2001:db8:5::1 prefix=2001:db8::/32 trusted=no file=$C/clients line=3" "an IPv6 client, its /32"
is "$(line '^limit name=messages ')" "limit name=messages value=7 source=clients file=$C/clients line=3" "its override"
unlike "$out" '^domain ' "no domain asked: no domain line"
mc -c "$C" explain 198.51.100.1 nope.example; out=$(cat "$T/cout")
is "$(line '^client ')" "client client=198.51.100.1 prefix=- trusted=no" "a client without a clients line"
is "$(line '^domain ')" "domain domain=nope.example route=- reason=not-customer" "not a customer domain"
# the output is in the log grammar (the same parser reads it, given a head)
sed 's/^/mxhold-conf: info: /' "$T/cout" >"$T/explain.txt"
out=$($PY "$TOP/tests/log_grammar.py" "$T/explain.txt"); rc=$?
is "$rc" 0 "explain's lines are in doc/log.md's grammar, keys in its table ($(printf '%s\n' "$out" | tail -1 | sed 's/^# //'))"
rm -f "$T/explain.txt"
# unhappy
mc -c "$C" explain not-an-ip; is "$?:$(cat "$T/cerr")" "100:mxhold-conf: fatal: usage reason=not-an-address value=not-an-ip" "explain of a non-address: usage, exit 100"
mc -c "$C" explain; is "$?" 100 "explain without IP: usage"
printf 'recipientz 5\n' >"$C/limits"
mc -c "$C" explain 192.0.2.7; is "$?:$(tail -1 "$T/cerr")" "100:1 error" "explain of a config with errors: the errors, exit 100"
is "$(cat "$T/cout")" "" "and nothing explained"
out=$($PY "$TOP/tests/log_grammar.py" "$T/clog"); rc=$?
is "$rc" 0 "mxhold-conf's log lines parse ($(printf '%s\n' "$out" | tail -1 | sed 's/^# //'))"
exit 0
