# 49-deliver-reload: a running deliver picks up a recompiled config.cdb
# (checked every second): a domain's route moves from a dead host to a
# live one, and the deferred message goes there on its next retry.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/40-deliver-lib.bash"
PA=$(free_port); PB=$(free_port)
dlv_conf "$PA"
sink_start "$PB" "$T/mbox"
dlv_start
inject snd@example.net moved@example.com
check "deferred at the old route" wait_until 30 grep -q "to=moved@example.com .*status=deferred" "$T/deliver.log"
printf 'example.com 127.0.0.1:%s\nexample.net 127.0.0.1:%s\n' "$PB" "$PB" >"$C/domains"
dlv_recompile
check "reload logged" wait_until 5 grep -q "mxhold-deliver: info: config-reloaded path=$C\$" "$T/deliver.log"
check "delivered at the new route" wait_until 10 grep -q "to=moved@example.com host=127.0.0.1\[127.0.0.1\]:$PB .*status=delivered" "$T/deliver.log"
is "$(grep -c moved@example.com "$T/mbox/log")" 1 "exactly once"
dlv_grammar "$T/deliver.log"
done_testing
