#!/bin/bash
# 05-conf: mxhold-conf check and compile on real config directories:
# every error as file:line: reason (exit 100), compile refuses and leaves
# the old config.cdb untouched, get/dump read it back, $MXHOLD_CONF.
source "$(dirname "$0")/../lib.sh"
C=$T/conf
# mc ARGS...: mxhold-conf with its stderr in $T/cerr (and added to $T/clog)
mc () {
  local rc
  mxhold-conf "$@" 2>"$T/cerr"; rc=$?
  cat "$T/cerr" >>"$T/clog"
  return $rc
}

# mkconf (tests/lib.sh): me, queue, domains, empty limits and clients, no
# spf file; compiles, then makes the queue.
mkconf "$C" && ok "mkconf compiles its config" || nok "mkconf"
is "$(mxhold-conf -c "$C" get me)" "relay.test" "get me"
is "$(mxhold-conf -c "$C" get queue)" "$C/q" "get queue"
is "$(mxhold-conf -c "$C" get d:example.net)" "127.0.0.1:9" "get d:example.net"
is "$(mxhold-conf -c "$C" get l:size)" "20971520" "limits default filled in (size)"
is "$(mxhold-conf -c "$C" get s:fail)" "reject" "spf default filled in (fail reject)"
is "$(MXHOLD_CONF=$C mxhold-conf get l:recipients)" "50" "\$MXHOLD_CONF is the default directory"
mxhold-conf -c "$C" get d:nope.example >/dev/null; is "$?" 100 "get of an absent key exits 100"
[ ! -e "$C/config.cdb.tmp" ]; is "$?" 0 "no config.cdb.tmp left behind"

# The example config of `make run` is clean.
# (its queue, /var/spool/mxhold, replaced by one that exists: check looks at it)
mkdir "$T/ex" && cp "$TOP"/conf/example/* "$T/ex/"
is "$(grep -v '^#' "$T/ex/queue")" /var/spool/mxhold "conf/example's queue is an absolute path"
echo "$C/q" >"$T/ex/queue"
out=$(mxhold-conf check "$T/ex" 2>&1); rc=$?
is "$rc:$out" "0:" "conf/example checks clean and silently"

# Every error, in every file, with file:line.
E=$T/bad; mkdir "$E"
printf 'relay_bad\n' >"$E/me"
printf '/q\n' >"$E/queue"
cat >"$E/domains" <<'X'
# comment
example.com 127.0.0.1:2526
bad_domain.com 127.0.0.1
example.org
example.net 1.2.3.4:99999
Example.COM. 10.0.0.1
example.info [::1 tls=require
example.biz mx tls=sometimes
example.edu mx frobs=3
X
cat >"$E/limits" <<'X'
recipients 50
recipientz 5
size 2G
messages lots
burst 18446744073709551616
X
cat >"$E/clients" <<'X'
192.0.2.0/24 trusted
192.0.2.1/24 trusted
10.0.0.0/33 trusted
2001:db8::/32 connections=unlimited
2001:db8::/32 trusted
10.1.1.1 recipients=unlimited
X
cat >"$E/spf" <<'X'
fail reject
fial reject
softfail bounce
fail mark
X
cat >"$E/aliases" <<'X'
relay2.example
bad_name!
192.0.2.9
RELAY2.example.
X
err=$(mxhold-conf check "$E" 2>&1 >/dev/null); rc=$?
is "$rc" 100 "check with errors exits 100"
like "$err" "aliases:2: bad host name or address: bad_name!" "aliases:2 bad alias"
like "$err" "aliases:4: duplicate alias \(first on line 1\)" "aliases:4 duplicate alias (case, trailing dot)"
like "$err" "$E/me:1: bad host name" "me:1 bad host name"
like "$err" "domains:3: bad domain name" "domains:3 bad domain name"
like "$err" "domains:4: missing route" "domains:4 missing route"
like "$err" "domains:5: bad port in route" "domains:5 bad port"
like "$err" "domains:6: duplicate domain \(first on line 2\)" "domains:6 duplicate domain (case, trailing dot)"
like "$err" "domains:7: bad IPv6 address in route" "domains:7 bad IPv6 route"
like "$err" "domains:8: bad tls value" "domains:8 bad tls"
like "$err" "domains:9: unknown option: frobs=3" "domains:9 unknown option"
like "$err" "limits:2: unknown limit: recipientz" "limits:2 unknown limit"
like "$err" "limits:3: value above the cap of 1073741824" "limits:3 above cap"
like "$err" "limits:4: bad number: lots" "limits:4 bad number"
like "$err" "limits:5: bad number" "limits:5 overflow"
like "$err" "clients:2: bad CIDR" "clients:2 host bits set"
like "$err" "clients:3: bad prefix length" "clients:3 bad prefix"
like "$err" "clients:5: duplicate address prefix \(first on line 4\)" "clients:5 duplicate prefix"
like "$err" "clients:6: \"unlimited\" is not allowed" "clients:6 unlimited not allowed"
like "$err" "spf:2: unknown spf result: fial" "spf:2 unknown result"
like "$err" "spf:3: unknown spf action .*: bounce" "spf:3 unknown action"
like "$err" "spf:4: duplicate spf result \(first on line 1\)" "spf:4 duplicate result"
is "$(printf '%s\n' "$err" | grep -c ':[0-9]*: ')" 21 "21 errors, one line each"
like "$(printf '%s\n' "$err" | tail -1)" "^21 errors$" "error count on the last line"
unlike "$err" "^mxhold-conf: " "check's error lines are file:line lines, no log line among them"

# compile refuses and leaves the old config.cdb alone.
G=$T/good; mkdir "$G"; cp "$C"/me "$C"/queue "$C"/domains "$G/"
mxhold-conf compile "$G" >/dev/null
sum1=$(cksum <"$G/config.cdb"); ino1=$(stat -c %i "$G/config.cdb")
echo 'broken.example' >>"$G/domains"
err=$(mxhold-conf compile "$G" 2>&1); rc=$?
is "$rc" 100 "compile with an error exits 100"
like "$err" "domains:3: missing route" "compile reports the error"
is "$(printf '%s\n' "$err" | tail -1)" "1 error" "one error: the count line says so"
is "$(cksum <"$G/config.cdb")" "$sum1" "old config.cdb unchanged"
[ ! -e "$G/config.cdb.tmp" ]; is "$?" 0 "no tmp file after a refused compile"
sed -i '$d' "$G/domains"; echo 'new.example 192.0.2.5:25 size=1M' >>"$G/domains"
out=$(mxhold-conf compile "$G"); rc=$?
is "$rc" 0 "compile after the fix"
like "$out" "config.cdb: 3 domains, 0 clients" "compile summary on stdout"
is "$(mxhold-conf -c "$G" get d:new.example)" "192.0.2.5:25 size=1048576" "new domain, size suffix expanded"
[ "$(stat -c %i "$G/config.cdb")" != "$ino1" ]; is "$?" 0 "compile replaced config.cdb by rename (new inode)"
printf 'relay2.example\n192.0.2.9\n2001:db8::25\n' >"$G/aliases"
mxhold-conf compile "$G" >/dev/null
is "$(mxhold-conf -c "$G" get aliases)" "relay2.example 192.0.2.9 2001:db8::25" "aliases compiled into one value"
rm "$G/aliases"; mxhold-conf compile "$G" >/dev/null
mxhold-conf -c "$G" get aliases >/dev/null 2>&1; is "$?" 100 "no aliases file: no aliases key"

# Missing required files; optional files may be absent; I/O errors are 111.
M=$T/missing; mkdir "$M"
err=$(mxhold-conf check "$M" 2>&1); rc=$?
is "$rc" 100 "empty directory: exit 100"
like "$err" "$M/me: required file is missing" "missing me reported"
like "$err" "$M/queue: required file is missing" "missing queue reported"
printf 'relay.test\n' >"$M/me"; printf '/q\n' >"$M/queue"
mxhold-conf check "$M"; is "$?" 0 "only me and queue: clean"
mkdir "$M/domains"
mc check "$M"; is "$?" 111 "unreadable domains (a directory): exit 111"
is "$(cat "$T/cerr")" "mxhold-conf: fatal: unable-read path=$M/domains error=\"Is a directory\"" "unreadable domains: what, path, error"
rmdir "$M/domains"
printf 'bad_name\n' >"$M/me"; mkdir "$M/domains"
mc check "$M"; is "$?" 111 "an error, then an unreadable file: exit 111"
is "$(cat "$T/cerr" | tr '\n' '|')" "$M/me:1: bad host name: bad_name|1 error|mxhold-conf: fatal: unable-read path=$M/domains error=\"Is a directory\"|" "an error, then an unreadable file: the error, its count, the fatal line"
rmdir "$M/domains"; printf 'relay.test\n' >"$M/me"
mkdir "$T/ro"; cp "$M/me" "$M/queue" "$T/ro/"; mkdir "$T/ro/config.cdb.tmp"
mc compile "$T/ro" >/dev/null; is "$?" 111 "config.cdb.tmp cannot be written: exit 111"
is "$(cat "$T/cerr")" "mxhold-conf: fatal: unable-install path=$T/ro/config.cdb error=\"Is a directory\"" "unable to install: path and error"

# CR LF line ends, comments, whitespace runs, long lines.
W=$T/ws; mkdir "$W"; cp "$M/me" "$M/queue" "$W/"
printf '  example.com\t\t127.0.0.1:25   tls=may  # the test\r\n#x\r\n\r\n' >"$W/domains"
mxhold-conf compile "$W" >/dev/null; is "$?" 0 "CRLF, tabs, comments accepted"
is "$(mxhold-conf -c "$W" get d:example.com)" "127.0.0.1:25 tls=may" "value whitespace-normalised"
{ printf 'example.com 127.0.0.1 '; head -c 5000 /dev/zero | tr '\0' ' '; echo; } >"$W/domains"
err=$(mxhold-conf check "$W" 2>&1); is "$?" 100 "overlong line refused"
like "$err" "domains:1: line too long" "overlong line: file:line"

# dump shows clients readably.
printf '192.0.2.0/24 trusted connections=unlimited\n2001:db8::/48 recipients=10\n' >"$W/clients"
printf 'example.com 127.0.0.1\n' >"$W/domains"
mxhold-conf compile "$W" >/dev/null
d=$(mxhold-conf -c "$W" dump)
like "$d" "c:192.0.2.0/24 trusted connections=18446744073709551615" "dump: IPv4 client"
like "$d" "c:2001:db8::/48 recipients=10" "dump: IPv6 client"
like "$d" "c:lens4 24" "dump: prefix lengths"

# A corrupt config.cdb is refused by readers, not crashed on.
head -c 100 "$W/config.cdb" >"$W/c2"; mv "$W/c2" "$W/config.cdb"
mc -c "$W" get me; is "$?" 100 "truncated config.cdb: EPROTO, exit 100"
is "$(cat "$T/cerr")" "mxhold-conf: fatal: unable-open path=$W/config.cdb reason=not-a-cdb" "truncated config.cdb: not a cdb"
mc -c "$T/nowhere" dump; is "$?" 111 "no config.cdb: exit 111"
is "$(cat "$T/cerr")" "mxhold-conf: fatal: unable-open path=$T/nowhere/config.cdb error=\"No such file or directory\"" "no config.cdb: path and error"
head -c 4096 /dev/urandom >"$W/config.cdb"
mxhold-conf -c "$W" get me >/dev/null 2>&1; rc=$?
[ "$rc" = 100 ] || [ "$rc" = 0 ]; is "$?" 0 "random config.cdb: lookup does not crash"

# The manual lists every limit the code knows.
missing=""
for n in $(mxhold-conf -c "$C" dump | sed -n 's/^l:\([a-z_]*\) .*/\1/p'); do
  grep -q "^| \`$n\` |" "$TOP/conf/conf.md" || missing="$missing $n"
done
is "$missing" "" "conf/conf.md documents every limit"

mc; is "$?" 100 "no command: usage, exit 100"
like "$(cat "$T/cerr")" '^mxhold-conf: fatal: usage usage="mxhold-conf ' "no command: the usage line"
mc frob; is "$?" 100 "unknown command: exit 100"
out=$($PY "$TOP/tests/log_grammar.py" "$T/clog"); rc=$?
is "$rc" 0 "mxhold-conf's log lines parse with doc/log.md's grammar ($(printf '%s\n' "$out" | tail -1 | sed 's/^# //'))"
like "$(cat "$T/clog")" '^mxhold-conf: ' "mxhold-conf logged lines to parse"
done_testing
