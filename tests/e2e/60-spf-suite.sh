#!/bin/bash
# 60-spf-suite: the whole RFC 7208 test suite (tests/spf/rfc7208-tests.yml,
# 203 tests) against mxhold-spfcheck -q, with the zone data served by
# tests/spf/dnsserver.py on 127.x.y.N:53 (one address per scenario).
# TIMEOUT entries are never answered: those checks end at the -t budget.
source "$(dirname "$0")/../lib.sh"
[ -x "$BIN/mxhold-spfcheck" ] || { nok "mxhold-spfcheck is not built"; exit 1; }
$PY "$TOP/tests/spf/suite.py" --bin "$BIN/mxhold-spfcheck" --budget 3
