# tests/e2e/10-smtpd-lib.bash: helpers for smtpd's tests (10-29), sourced
# after ../lib.sh. Not a test itself (run.sh only runs *.sh).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CATCHILD=$HERE/smtpd-catchild
export CATDIR=$T/cat
mkdir -p "$CATDIR"

# smconf DIR [LIMIT VALUE]...: config in DIR with customer domains
# example.com and example.net (routed to nobody), queue at DIR/q, the given
# limits; compiled, queue initialised (lib.sh's mkconf).
smconf () { mkconf -p 9 "$@"; }

# talk PORT [READ_TIMEOUT]: runs the script on stdin (see 10-smtpd-talk.py)
talk () { $PY "$HERE/10-smtpd-talk.py" "$@"; }

# catcount: messages the test child stored; catclear: forget them
catcount () { find "$CATDIR" -name 'msg.*' ! -name '*.tmp' | wc -l; }
catclear () { rm -f "$CATDIR"/*; }
# catmsg: the one stored message's path
catmsg () { find "$CATDIR" -name 'msg.*' ! -name '*.tmp' | head -1; }

# start PROG...: a fresh port with tcpserver running smtpd PROG... over $CONF
start () { PORT=$(free_port); smtp_server "$PORT" "$CONF" "$@"; }
