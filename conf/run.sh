#!/bin/sh
# conf/run.sh (make run): a supervised relay on 127.0.0.1 with the example
# config, everything under ./run/:
#   run/conf/      the example config (conf/example), queue path set to run/queue
#   run/queue/     the queue
#   run/service/   s6 service directories: smtpd (tcpserver on 127.0.0.1:2525),
#                  deliver, and downstream (the tour's customer server on
#                  127.0.0.1:2526, storing mail in run/mailbox/new)
#   run/log/       s6-log directories, one per service (run/log/*/current)
# s6-svscan runs in the background; `make stop` ends it all.
set -eu
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
r=$top/run
bin=$top/$B/bin
port=${MXHOLD_PORT:-2525}
downport=${MXHOLD_DOWNPORT:-2526}

if [ -f "$r/svscan.pid" ] && kill -0 "$(cat "$r/svscan.pid")" 2>/dev/null; then
  echo "run: already running (s6-svscan pid $(cat "$r/svscan.pid")); make stop first"
  exit 0
fi
mkdir -p "$r/conf" "$r/log" "$r/mailbox"
for f in "$top"/conf/example/*; do
  n=$(basename "$f")
  [ -e "$r/conf/$n" ] || cp "$f" "$r/conf/$n"
done
echo "$r/queue" >"$r/conf/queue"
sed -i "s/:2526/:$downport/" "$r/conf/domains"
"$bin/mxhold-conf" compile "$r/conf"
"$bin/mxhold-queuectl" -c "$r/conf" init

# The tour runs everything as the user who ran make: the templates' user
# changes (tcpserver -U, s6-setuidgid) are left out, and DNS is the first
# name server of /etc/resolv.conf unless $DNSCACHEIP says otherwise.
dns=${DNSCACHEIP:-$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null)}
rm -rf "$r/service"
mkdir -p "$r/service"
for s in smtpd deliver downstream; do
  cp -R "$top/conf/service/$s" "$r/service/$s"
  mkdir -p "$r/log/$s"
  for f in "$r/service/$s/run" "$r/service/$s/log/run"; do
    sed -i -e 's|s6-envuidgid @SMTPD_USER@ ||' -e 's|tcpserver -U |tcpserver |' \
      -e 's|s6-setuidgid @[A-Z_]*@ ||' \
      -e "s|@CONF@|$r/conf|g" -e "s|@BIN@|$bin|g" -e "s|@ADDR@|127.0.0.1|g" \
      -e "s|@PORT@|$port|g" -e "s|@DOWNPORT@|$downport|g" -e "s|@TOP@|$top|g" \
      -e "s|@DNSCACHEIP@|${dns:-127.0.0.1}|g" \
      -e "s|@MAILDIR@|$r/mailbox|g" -e "s|@LOGDIR@|$r/log|g" "$f"
  done
done
setsid s6-svscan "$r/service" </dev/null >"$r/svscan.log" 2>&1 &
echo $! >"$r/svscan.pid"

i=0
while ! /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; do
  i=$((i + 1))
  [ $i -lt 100 ] || { echo "run: smtpd did not come up; see run/log/smtpd/current"; exit 1; }
  sleep 0.1
done
cat <<TXT
run: mxhold is up (s6-svscan pid $(cat "$r/svscan.pid"))
  inbound     127.0.0.1:$port   (tcpserver mxhold-ratelimit mxhold-smtpd mxhold-spfcheck mxhold-queue)
  deliver     supervised by s6, routes example.com and example.net to 127.0.0.1:$downport
  downstream  127.0.0.1:$downport, mail lands in run/mailbox/new
  config      run/conf    queue  run/queue    logs  run/log/*/current
try:  swaks --server 127.0.0.1:$port --from you@example.org --to postmaster@example.com
stop: make stop
TXT
