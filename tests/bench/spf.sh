#!/bin/bash
# tests/bench/spf.sh: issue 4's benchmark. The whole RFC 7208 suite (203
# checks) against one local DNS server (tests/spf/dnsserver.py), once per
# checker, one process per check as a mail filter would run it:
#   mxhold-spfcheck -q IP SENDER HELO        (this project)
#   spfquery -ip IP -sender S -helo H        (libspf2, Debian spfquery)
#   python3 -c 'spf.check2(...)'             (pyspf, Debian python3-spf)
# Prints suite tests passed and checks per second. "all" is over all 203
# checks, including the few whose DNS is never answered (they wait for the
# per-check timeout, SPF_BENCH_BUDGET seconds, the same for all three);
# "quick" leaves out the checks that waited (>= 0.8 x the budget). On a
# busy machine starting any process costs tens of ms, so each check is
# preceded by a /bin/true started the same way, and "net" takes that off:
# net ms (wall, DNS waits included) and net cpu (user+system, getrusage of
# the children) are the checker's own cost per check.
# libspf2 and pyspf read only /etc/resolv.conf, so suite.py runs them in a
# private mount namespace (unshare -m) with a resolv.conf bind-mounted over
# it; nothing outside that namespace changes.
set -u
TOP=${MXHOLD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${MXHOLD_BIN:-$TOP/build/bin}
PY=/usr/bin/python3
budget=${SPF_BENCH_BUDGET:-2}
[ -x "$BIN/mxhold-spfcheck" ] || { echo "# mxhold-spfcheck is not built" >&2; exit 1; }
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT

run () {
  echo "# spf: $1 ..." >&2
  $PY "$TOP/tests/spf/suite.py" --quiet --bench --impl "$1" --bin "$BIN/mxhold-spfcheck" --budget "$budget" \
    | grep '^# impl=' >"$out/$1"
}
run mxhold
command -v spfquery >/dev/null && run spfquery
$PY -c 'import spf' 2>/dev/null && run pyspf

field () { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$out/$1"; }
ratio () { awk -v m="$1" -v x="$2" 'BEGIN { if (m > 0 && x > 0) printf "%.1f", x / m; else print "-" }'; }
m_all=$(field mxhold checks_per_sec); m_quick=$(field mxhold quick_checks_per_sec)
m_net=$(field mxhold net_ms_per_quick_check); m_cpu=$(field mxhold net_cpu_ms_per_check)
echo "SPF: RFC 7208 suite (203 checks), one process per check, one local DNS server; load $(cut -d' ' -f1 /proc/loadavg), budget ${budget}s"
printf '%-20s %8s %8s %9s %9s %9s %6s %9s %6s %9s\n' checker passed seconds "all/s" "quick/s" "net ms" "x" "net cpu" "x" "start ms"
for i in mxhold spfquery pyspf; do
  [ -s "$out/$i" ] || { printf '%-20s %8s\n' "$i" "not run"; continue; }
  case $i in mxhold) name=mxhold-spfcheck ;; spfquery) name="spfquery (libspf2)" ;; *) name="pyspf" ;; esac
  n=$(field $i net_ms_per_quick_check); c=$(field $i net_cpu_ms_per_check)
  printf '%-20s %4s/%-3s %8s %9s %9s %9s %6s %9s %6s %9s\n' "$name" "$(field $i passed)" "$(field $i tests)" \
    "$(field $i seconds)" "$(field $i checks_per_sec)" "$(field $i quick_checks_per_sec)" \
    "$n" "$(ratio "$m_net" "$n")" "$c" "$(ratio "$m_cpu" "$c")" "$(field $i start_ms)"
done
echo "all/s: checks per second over all 203 (the unanswered ones wait ${budget}s); quick/s: over those that did not wait"
echo "net ms: wall time per quick check minus that of a /bin/true started just before it the same way (start ms);"
echo "net cpu: CPU ms per check minus /bin/true's; x: that checker's net figure divided by mxhold-spfcheck's (higher = slower)"
