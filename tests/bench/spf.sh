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
# "quick" leaves out the checks that waited (>= 0.8 x the budget). "cpu ms"
# is user+system CPU per check of the checker's processes (getrusage of the
# children), the figure least disturbed by a busy machine. "net ms" is the
# quick checks' wall time per check minus that of starting /bin/true the
# same way (the baseline row): the checker's own time, DNS waits included.
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
  $PY "$TOP/tests/spf/suite.py" --quiet --impl "$1" --bin "$BIN/mxhold-spfcheck" --budget "$budget" \
    | grep '^# impl=' >"$out/$1"
}
run baseline
run mxhold
command -v spfquery >/dev/null && run spfquery
$PY -c 'import spf' 2>/dev/null && run pyspf

field () { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$out/$1"; }
m_all=$(field mxhold checks_per_sec); m_quick=$(field mxhold quick_checks_per_sec)
echo "SPF: RFC 7208 suite, one process per check, local DNS; load $(cut -d' ' -f1 /proc/loadavg), budget ${budget}s"
m_cpu=$(field mxhold cpu_ms_per_check)
base=$(awk -v q="$(field baseline quick_seconds)" -v n="$(field baseline quick)" 'BEGIN { printf "%.2f", (n > 0 ? 1000 * q / n : 0) }')
net () { awk -v q="$(field $1 quick_seconds)" -v n="$(field $1 quick)" -v b="$base" 'BEGIN { printf "%.2f", (n > 0 ? 1000 * q / n - b : 0) }'; }
m_net=$(net mxhold)
printf '%-22s %9s %9s %11s %13s %9s %11s %8s %7s %8s %7s\n' checker passed seconds "all chk/s" "quick chk/s" "x all" "x quick" "cpu ms" "x cpu" "net ms" "x net"
for i in mxhold spfquery pyspf; do
  [ -s "$out/$i" ] || { printf '%-22s %9s\n' "$i" "not run"; continue; }
  case $i in mxhold) name=mxhold-spfcheck ;; spfquery) name="spfquery (libspf2)" ;; *) name="pyspf" ;; esac
  a=$(field $i checks_per_sec); q=$(field $i quick_checks_per_sec)
  c=$(field $i cpu_ms_per_check); nt=$(net $i)
  printf '%-22s %5s/%-3s %9s %11s %13s %9s %11s %8s %7s %8s %7s\n' "$name" "$(field $i passed)" "$(field $i tests)" "$(field $i seconds)" "$a" "$q" \
    "$(awk -v m="$m_all" -v x="$a" 'BEGIN { if (x > 0) printf "%.1f", m / x; else print "-" }')" \
    "$(awk -v m="$m_quick" -v x="$q" 'BEGIN { if (x > 0) printf "%.1f", m / x; else print "-" }')" \
    "$c" "$(awk -v m="$m_cpu" -v x="$c" 'BEGIN { if (m > 0) printf "%.1f", x / m; else print "-" }')" \
    "$nt" "$(awk -v m="$m_net" -v x="$nt" 'BEGIN { if (m > 0) printf "%.1f", x / m; else print "-" }')"
done
printf '%-22s %9s %9s %11s %13s %9s %11s %8s %7s %8s\n' "baseline (/bin/true)" - "$(field baseline seconds)" "$(field baseline checks_per_sec)" \
  "$(field baseline quick_checks_per_sec)" - - "$(field baseline cpu_ms_per_check)" - "0 ($base)"
echo "(x all / x quick: mxhold-spfcheck's checks per second divided by that checker's; x cpu, x net: that checker's CPU / net time per check divided by mxhold-spfcheck's)"
