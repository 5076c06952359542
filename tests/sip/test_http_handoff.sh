#!/usr/bin/env bash
# The HTTP thread hands every request to the loop and waits with a bound: while the loop is
# blocked (test hook) a request gets 503 after --http-timeout-ms instead of hanging, the server
# recovers afterwards, and 40 concurrent requests during a call are all answered correctly.
. "$(dirname "$0")/lib.sh"
export SESSIOND_TEST_HOOKS=1
start_sessiond --http-timeout-ms 300
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/uac_wait_bye.xml" -m 1 -l 1 -timeout 30s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Active

# 40 concurrent inspections of the live call.
pids=
for i in $(seq 1 40); do
    ( http GET "/sessions/$id"; printf '%s %s\n' "$HTTP_STATUS" "$(json_str id)" > "$TMP/par.$i" ) &
    pids="$pids $!"
done
wait $pids
ok=$(cat "$TMP"/par.* | grep -c "^200 $id\$")
[ "$ok" -eq 40 ] || fail "only $ok of 40 concurrent requests answered 200 with the session: $(sort "$TMP"/par.* | uniq -c)"

# Block the loop for 1.5 s: the blocking request and one made meanwhile get 503 within the bound.
( http POST "/debug/block-loop?ms=1500"; echo "$HTTP_STATUS" > "$TMP/block.status" ) &
block_pid=$!
sleep 0.1
t0=$(date +%s%N)
http GET "/sessions/$id"
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$HTTP_STATUS" = 503 ] || fail "request while the loop is blocked: $HTTP_STATUS (expected 503)"
[ "$dt" -lt 1200 ] || fail "the 503 took $dt ms (bound 300 ms)"
wait "$block_pid"
[ "$(cat "$TMP/block.status")" = 503 ] || fail "the blocking request itself: $(cat "$TMP/block.status")"
sleep 1.6
http GET "/sessions/$id"
[ "$HTTP_STATUS" = 200 ] || fail "after the block: $HTTP_STATUS"
[ "$(json_str state)" = Active ] || fail "the call did not survive the block: $(json_str state)"
http POST "/sessions/$id/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup: $HTTP_STATUS"
wait "$sipp_pid" || fail "sipp failed: $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
pass
