#!/bin/bash
# 91-install: `make install` into a temporary DESTDIR, checked file by file
# (every file there, nothing more, each with its mode); every manual page
# renders with `man -l` (its NAME line, every section of its Markdown
# manual, no troff error); conf/install-host.sh into a DESTDIR as root:
# users, owners and modes of the config, the queue, the rate-limit state,
# the logs and the service directories; a second run keeps what is there;
# the unhappy paths (not installed, a relative path).
source "$(dirname "$0")/../lib.sh"
progs=$(cd "$BIN" && ls mxhold-* | sed 's/^mxhold-//')   # every program the build made
# manual NAME: its Markdown manual (TOOL/NAME.md), if it has one
manual () { ls "$TOP"/*/"$1.md" 2>/dev/null | grep -v "^$TOP/doc/" | head -1; }
D=$T/dest
chmod 755 "$T"    # the users install-host runs things as must reach $D
out=$(make -s -C "$TOP" B="$B" install DESTDIR="$D" PREFIX=/usr 2>&1); rc=$?
is "$rc" 0 "make install DESTDIR PREFIX=/usr exits 0" || diag "$out"

# The list of what make install puts there, with modes: exactly this.
# mxhold-queue keeps its setuid bit when the queue user exists already
qmode=755 tmode=755
[ "$(id -u)" = 0 ] && getent passwd mxqueue >/dev/null && qmode=4711
[ "$(id -u)" = 0 ] && getent group mxtls >/dev/null && tmode=2755
{
  for p in $progs; do
    case $p in queue) m=$qmode ;; tls) m=$tmode ;; *) m=755 ;; esac
    echo "$m usr/bin/mxhold-$p"
  done
  for p in $progs; do [ -z "$(manual $p)" ] || echo "644 usr/share/man/man8/mxhold-$p.8"; done
  for f in aliases clients domains limits me proxies queue redis spf; do echo "644 usr/share/mxhold/example/$f"; done
  for s in smtpd deliver tls metrics; do echo "755 usr/share/mxhold/service/$s/run"; echo "755 usr/share/mxhold/service/$s/log/run"; done
  echo "755 usr/share/mxhold/install-host.sh"
  for f in README.md design.md log.md; do echo "644 usr/share/doc/mxhold/$f"; done
} | sort >"$T/want"
(cd "$D" && find . -type f -printf '%m %P\n' | sort) >"$T/got"
is "$(diff "$T/want" "$T/got")" "" "make install: every file, with its mode, and nothing else"
is "$(cd "$D" && find . -type d ! -perm 755 | wc -l)" 0 "make install: every directory 0755"
for p in $progs; do
  is "$("$D/usr/bin/mxhold-$p" --version)" "mxhold-$p 0.3.0" "installed mxhold-$p runs"
done
is "$(grep -v '^#' "$D/usr/share/mxhold/example/queue")" /var/spool/mxhold "the example queue is an absolute path"
unlike "$(grep -h '^#' "$D"/usr/share/mxhold/service/*/run "$D"/usr/share/mxhold/service/*/log/run)" '@[A-Z_]+@' \
  "no placeholder in a template's comments (they survive the filling in)"
like "$(cat "$D/usr/share/mxhold/service/smtpd/run")" 's6-envuidgid @SMTPD_USER@' "smtpd template: s6-envuidgid"
like "$(cat "$D/usr/share/mxhold/service/smtpd/run")" 'tcpserver -U ' "smtpd template: tcpserver -U"
like "$(cat "$D/usr/share/mxhold/service/smtpd/run")" 'DNSCACHEIP=@DNSCACHEIP@' "smtpd template: DNSCACHEIP"
like "$(cat "$D/usr/share/mxhold/service/smtpd/run")" 'PATH=@BIN@:\$PATH' "smtpd template: PATH (smtpd finds mxhold-tls there)"
like "$(cat "$D/usr/share/mxhold/service/deliver/run")" 'exec s6-setuidgid @QUEUE_USER@ ' "deliver template: s6-setuidgid"
like "$(cat "$D/usr/share/mxhold/service/deliver/run")" 'DNSCACHEIP=@DNSCACHEIP@' "deliver template: DNSCACHEIP"
like "$(cat "$D/usr/share/mxhold/service/tls/run")" 'exec s6-setuidgid @SMTPD_USER@ @BIN@/mxhold-tls -d @TLS_RUN@/socket -u ' "tls template: the server as the SMTP user"

# Every page renders at 80 columns: the NAME line with the program's own
# summary, every section of its manual, and no troff error (tables are
# folded to fit, doc/man.sh; what still does not fit is a diag).
for p in $progs; do
  page=$D/usr/share/man/man8/mxhold-$p.8
  md=$(manual $p)
  if [ -z "$md" ]; then
    ok "# SKIP mxhold-$p: no Markdown manual in the tree yet, so no page"
    continue
  fi
  txt=$(MANWIDTH=80 man -l "$page" 2>"$T/man.$p.err"); rc=$?
  is "$rc" 0 "man -l mxhold-$p.8 exits 0"
  check "mxhold-$p.8: NAME has the program's summary" eval 'printf "%s" "$txt" | grep -qF -- "mxhold-$p - $("$BIN/mxhold-$p" --help | sed -n 2p | cut -c1-30)"'
  miss=""
  while IFS= read -r h; do
    printf '%s' "$txt" | grep -qF -- "$h" || miss="$miss [$h]"
  done < <(sed -n 's/^## //p' "$md" | sed 's/`//g; s/\*//g')
  is "$miss" "" "mxhold-$p.8 has every section of $md"
  is "$(grep -ci 'error' "$T/man.$p.err")" 0 "mxhold-$p.8: no troff error"
  # layout warnings (a table too wide for 80 columns, a word too long for
  # its cell) are cosmetic: counted, not failed
  n=$(grep -c 'warning' "$T/man.$p.err")
  [ "$n" = 0 ] || diag "mxhold-$p.8: $n troff layout warnings at 80 columns"
done

# install-host.sh: the unhappy paths first.
if [ "$(id -u)" != 0 ]; then
  ok "# SKIP install-host: not root"
  exit 0
fi
sh "$D/usr/share/mxhold/install-host.sh" >"$T/ih0.out" 2>&1; rc=$?
is "$rc" 100 "install-host without an installed mxhold in PREFIX exits 100"
like "$(cat "$T/ih0.out")" "run make install PREFIX=/usr/local first" "and says what to do"
DESTDIR=$D PREFIX=/usr CONF=etc/mxhold sh "$D/usr/share/mxhold/install-host.sh" >"$T/ih0.out" 2>&1; rc=$?
is "$rc:$(tail -1 "$T/ih0.out")" "100:install-host: fatal: etc/mxhold: not an absolute path" "a relative path is refused"
[ ! -e "$D/etc" ]; is "$?" 0 "and nothing was made"

DESTDIR=$D PREFIX=/usr ME=relay.test sh "$D/usr/share/mxhold/install-host.sh" >"$T/ih1.out" 2>&1; rc=$?
is "$rc" 0 "install-host into DESTDIR exits 0" || diag "$(cat "$T/ih1.out")"
for u in mxsmtpd mxqueue mxlog; do
  check "user $u exists" eval 'getent passwd "$u" >/dev/null'
  is "$(getent passwd "$u" | cut -d: -f7)" /usr/sbin/nologin "user $u has no shell"
done
# owner:group mode path, for everything install-host makes or changes
st () { stat -c '%U:%G %a' "$D/$1"; }
is "$(st usr/bin/mxhold-queue)" "mxqueue:mxqueue 4711" "mxhold-queue: setuid to the queue user"
is "$(st usr/bin/mxhold-tls)" "root:mxtls 2755" "mxhold-tls: setgid mxtls, the key's group"
check "group mxtls exists" eval "getent group mxtls >/dev/null"
is "$(st etc/mxhold)" "root:root 755" "/etc/mxhold: root's"
for f in aliases clients domains limits me queue spf config.cdb; do
  is "$(st etc/mxhold/$f)" "root:root 644" "/etc/mxhold/$f: root's, world-readable"
done
is "$(grep -v '^#' "$D/etc/mxhold/queue")" /var/spool/mxhold "/etc/mxhold/queue: the queue, absolute"
is "$(grep -v '^#' "$D/etc/mxhold/me")" relay.test "/etc/mxhold/me: ME"
is "$("$D/usr/bin/mxhold-conf" -c "$D/etc/mxhold" get queue)" /var/spool/mxhold "config.cdb compiled, with the queue's path on the host"
is "$(st var/spool/mxhold)" "mxqueue:mxqueue 755" "the queue directory: mxqueue's"
for s in new mess state ctl; do is "$(st var/spool/mxhold/$s)" "mxqueue:mxqueue 750" "queue $s/: mxqueue's, 0750"; done
is "$(st var/spool/mxhold/tmp)" "mxqueue:mxqueue 700" "queue tmp/: mxqueue's, 0700"
is "$(find "$D/var/spool/mxhold/mess" "$D/var/spool/mxhold/state" -mindepth 1 -type d ! -user mxqueue | wc -l)" 0 "every bucket mxqueue's"
is "$(find "$D/var/spool/mxhold/mess" -mindepth 1 -type d | wc -l)" 64 "64 buckets in mess/"
is "$(stat -c %U "$D/var/spool/mxhold/trigger")" mxqueue "the trigger fifodir: mxqueue's"
is "$(st var/spool/mxhold/ratelimit.state)" "mxsmtpd:mxsmtpd 600" "ratelimit.state: the SMTP user's, 0600"
is "$(st var/lib/mxhold/rcpt)" "mxsmtpd:mxqueue 2770" "the recipient cache directory: the SMTP user's, the queue user's group, setgid"
for s in smtpd deliver tls; do
  is "$(st var/log/mxhold/$s)" "mxlog:mxlog 750" "log dir $s: the log user's"
  for r in run log/run; do is "$(st var/lib/mxhold/service/$s/$r)" "root:root 755" "service $s/$r: root's, 0755"; done
done
sv=$D/var/lib/mxhold/service
unlike "$(cat "$sv"/*/run "$sv"/*/log/run)" '@[A-Z_]+@' "service run scripts: every placeholder filled in"
like "$(cat "$sv/smtpd/run")" 'exec s6-envuidgid mxsmtpd' "smtpd: tcpserver gets the SMTP user"
like "$(cat "$sv/smtpd/run")" 'tcpserver -U -c 200 -b 200 -HRl0 0 25' "smtpd: address 0, port 25, -U"
like "$(cat "$sv/smtpd/run")" 'DNSCACHEIP=127.0.0.1' "smtpd: DNSCACHEIP"
like "$(cat "$sv/smtpd/run")" '/usr/bin/mxhold-ratelimit /usr/bin/mxhold-smtpd /usr/bin/mxhold-spfcheck /usr/bin/mxhold-queue' "smtpd: the chain, installed paths"
like "$(cat "$sv/deliver/run")" 'exec s6-setuidgid mxqueue /usr/bin/mxhold-deliver' "deliver: as the queue user"
like "$(cat "$sv/smtpd/log/run")" 'exec s6-setuidgid mxlog s6-log .* /var/log/mxhold/smtpd' "smtpd log: s6-log as the log user"
like "$(cat "$sv/tls/run")" 'exec s6-setuidgid mxsmtpd /usr/bin/mxhold-tls -d /run/mxhold-tls/socket -u "\$uid" /etc/mxhold' "tls: the server as the SMTP user, its socket in /run/mxhold-tls"
like "$(cat "$sv/tls/run")" 'chown mxsmtpd:mxsmtpd /run/mxhold-tls && chmod 0700 /run/mxhold-tls' "tls: the socket's folder the SMTP user's alone (0700)"
like "$(cat "$sv/tls/log/run")" 'exec s6-setuidgid mxlog s6-log .* /var/log/mxhold/tls' "tls log: s6-log as the log user"
[ ! -e "$D/run" ]; is "$?" 0 "install-host makes nothing in /run (the tls run script does, at each start)"
like "$(cat "$sv/smtpd/run")" '# On a real relay|a real relay listens on' "smtpd run: its comments survive"
for f in "$sv"/*/run "$sv"/*/log/run; do check "sh -n ${f#"$D"}" sh -n "$f"; done

like "$(cat "$T/ih1.out")" "etc/mxhold/tls: none; STARTTLS is offered once" "no tls/: install-host says how STARTTLS comes"
[ ! -e "$D/etc/mxhold/tls" ]; is "$?" 0 "and makes no tls/ (it would turn STARTTLS on)"
# A second run keeps the config, the queue's messages and edited scripts,
# and gives a TLS key put there its owner and mode.
mkdir "$D/etc/mxhold/tls"; echo cert >"$D/etc/mxhold/tls/cert.pem"; echo key >"$D/etc/mxhold/tls/key.pem"
chmod 666 "$D/etc/mxhold/tls/key.pem"
echo "example.org 127.0.0.1:2526" >>"$D/etc/mxhold/domains"
echo "# edited" >>"$sv/smtpd/run"
sum1=$(cat "$D"/etc/mxhold/* "$sv/smtpd/run" 2>/dev/null | md5sum)
DESTDIR=$D PREFIX=/usr sh "$D/usr/share/mxhold/install-host.sh" >"$T/ih2.out" 2>&1; rc=$?
is "$rc" 0 "install-host a second time exits 0"
is "$(cat "$D"/etc/mxhold/* "$sv/smtpd/run" 2>/dev/null | md5sum)" "$sum1" "the second run changed no config file and no run script"
like "$(cat "$T/ih2.out")" "etc/mxhold: exists, kept" "and says it kept the config"
like "$(cat "$T/ih2.out")" "user mxqueue: exists" "and made no user twice"
is "$(st etc/mxhold/tls/key.pem)" "root:mxtls 640" "tls/key.pem: root's, group mxtls (mxhold-tls alone reads it)"
is "$(st etc/mxhold/tls/cert.pem)" "root:root 644" "tls/cert.pem: 0644"
is "$(cat "$D/etc/mxhold/tls/server")" /run/mxhold-tls/socket "tls/ there: tls/server names the tls service's socket"
is "$(st etc/mxhold/tls/server)" "root:root 644" "tls/server: root's, 0644"
echo /srv/other/socket >"$D/etc/mxhold/tls/server"
DESTDIR=$D PREFIX=/usr sh "$D/usr/share/mxhold/install-host.sh" >"$T/ih3.out" 2>&1
is "$(cat "$D/etc/mxhold/tls/server")" /srv/other/socket "a third run keeps the operator's tls/server"
like "$(cat "$T/ih3.out")" "tls/server: exists, kept" "and says so"
# make install again (an upgrade) keeps mxhold-queue setuid
make -s -C "$TOP" B="$B" install DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
is "$(st usr/bin/mxhold-queue)" "mxqueue:mxqueue 4711" "make install over it keeps mxhold-queue setuid"
is "$(st usr/bin/mxhold-tls)" "root:mxtls 2755" "and mxhold-tls setgid"
# the pages and docs hold example log lines: not logs of this run
rm -rf "$D/usr/share/man" "$D/usr/share/doc"
exit 0
