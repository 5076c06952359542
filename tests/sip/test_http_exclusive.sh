#!/usr/bin/env bash
# The HTTP address is exclusive: a second sessiond on the same --http (another SIP port) exits
# 1 at start with one line naming the address, before it opens its store or SIP listener, and
# the first one keeps serving every request. A restart on the same address right after a stop
# (connections in TIME_WAIT) binds fine.
. "$(dirname "$0")/lib.sh"
start_sessiond --store memory:
for _ in 1 2 3; do http GET /sessions; done # leave connections in TIME_WAIT
for addr in "127.0.0.1:$HTTP_PORT" "localhost:$HTTP_PORT"; do
    sip2=$(free_port)
    out=$(cd "$TMP" && timeout 10 "$BIN/sessiond" --sip "udp:127.0.0.1:$sip2" --http "$addr" --store sqlite:second.db \
        2>&1 >/dev/null); rc=$?
    [ "$rc" -eq 1 ] || fail "second sessiond on $addr: exit $rc, expected 1 ($out)"
    [ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] || fail "second sessiond on $addr: expected one line, got: $out"
    case "$out" in *"$addr"*) ;; *) fail "second sessiond: '$out' does not name $addr" ;; esac
    [ -e "$TMP/second.db" ] && fail "the second sessiond opened its store before failing"
    port_in_use "$sip2" && fail "the second sessiond still holds its SIP port"
done
# every request still reaches the first (no second listener sharing the port)
for _ in $(seq 1 20); do
    http GET /livez
    [ "$HTTP_STATUS" = 200 ] || fail "first sessiond after the second's attempt: $HTTP_STATUS"
done
kill -0 "$SD_PID" || fail "the first sessiond died"
stop_sessiond
start_sessiond --store memory:
stop_sessiond
pass
