#!/bin/sh
# tests/run.sh [PATTERN...]: runs the unit tests ($B/tests/unit/*_test), the
# library check and the end-to-end scripts (tests/e2e/*.sh). Every test
# prints TAP-style lines ("ok - ..." / "not ok - ..."); this counts them and
# ends with "N passed, N failed". A test that exits non-zero without a
# "not ok" line, or prints nothing, counts as one failure.
# PATTERN limits the run to tests whose name contains it.
# Every e2e test keeps the logs it made (tests/lib.sh) in MXHOLD_LOG_DIR
# (default $B/test-logs, emptied first), with its own output as
# TEST/test.out; after the e2e tests, one more test, log-grammar, runs
# tests/log_grammar.py over all of them: every line of our programs in the
# grammar of doc/log.md.
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
export MXHOLD_TOP="$top" MXHOLD_BIN="$top/$B/bin" B
export PATH="$top/$B/bin:$PATH"
limit=${MXHOLD_TEST_SECS:-300}
passed=0 failed=0 failures=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ -n "${MXHOLD_LOG_DIR:-}" ]; then
  mkdir -p "$MXHOLD_LOG_DIR" || exit 1
else
  MXHOLD_LOG_DIR=$top/$B/test-logs
  rm -rf "$MXHOLD_LOG_DIR" && mkdir -p "$MXHOLD_LOG_DIR" || exit 1
fi
export MXHOLD_LOG_DIR
ne2e=0

want () {
  n=$1; shift
  [ $# -eq 0 ] && return 0
  for p in "$@"; do case "$n" in *"$p"*) return 0 ;; esac; done
  return 1
}

runone () {
  name=$1; shift
  start=$(date +%s)
  timeout -k 5 "$limit" "$@" >"$log" 2>&1
  rc=$?
  p=$(grep -c '^ok' "$log")
  f=$(grep -c '^not ok' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1; echo "not ok - $name exited $rc" >>"$log"
  fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    f=1; echo "not ok - $name ran no test" >>"$log"
  fi
  passed=$((passed + p)); failed=$((failed + f))
  printf '%-40s %3d passed %3d failed %4ss\n' "$name" "$p" "$f" "$(( $(date +%s) - start ))"
  if [ "$f" -ne 0 ]; then
    failures="$failures $name"
    grep -v '^ok' "$log" | tail -40 | sed 's/^/    /'
  fi
}

for t in "$top/$B"/tests/unit/*_test; do
  [ -x "$t" ] || continue
  n=unit/$(basename "$t"); want "$n" "$@" && runone "$n" "$t"
done
want check-libs "$@" && runone check-libs "$top/tests/check-libs.sh" "$top/$B/bin"
for t in "$top"/tests/e2e/*.sh; do
  [ -f "$t" ] || continue
  b=$(basename "$t" .sh)
  n=e2e/$b
  want "$n" "$@" || continue
  export MXHOLD_TEST_NAME=$b
  runone "$n" bash "$t"
  mkdir -p "$MXHOLD_LOG_DIR/$b" && cp "$log" "$MXHOLD_LOG_DIR/$b/test.out"
  ne2e=$((ne2e + 1))
done
if [ "$ne2e" -gt 0 ] || want log-grammar "$@"; then
  runone log-grammar /usr/bin/python3 "$top/tests/log_grammar.py" "$MXHOLD_LOG_DIR"
  cp "$log" "$MXHOLD_LOG_DIR.out"
  [ "$f" -eq 0 ] || echo "    (all of it: $MXHOLD_LOG_DIR.out)"
fi
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
