#!/usr/bin/env bash
# Two nodes on one store (SQLite file): node B is up before bob registers with node A; a call
# that B then places to sip:bob@pbx.test misses in B's memory, reads bob's bindings from the
# store and reaches the phone registered through A.
. "$(dirname "$0")/netns.sh" # raw SIP from a script: only loopback in reach
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
printf -- '- {user: bob, password: s3cret}\n' >"$TMP/users.yaml"
chmod 600 "$TMP/users.yaml"
COMMON=(--store "sqlite:$TMP/shared.db" --realm pbx.test --users "$TMP/users.yaml" --trust 127.0.0.2/32
    --rtp-timeout-ms 0)
# node B in the background (its own ports, its own node id)
B_SIP=$(free_port); B_HTTP=$(free_port)
"$BIN/sessiond" --sip "udp:127.0.0.1:$B_SIP" --http "127.0.0.1:$B_HTTP" --sip-t1-ms 100 --node-id node-b \
    --log-level debug "${COMMON[@]}" >"$TMP/b.out" 2>"$TMP/b.log" &
B_PID=$!
trap 'rc=$?; kill "$B_PID" 2>/dev/null; sleep 0.1; kill "$B_PID" 2>/dev/null; wait "$B_PID" 2>/dev/null; (exit $rc); cleanup' EXIT
start_sessiond --node-id node-a "${COMMON[@]}"
for _ in $(seq 1 100); do grep -q "ready" "$TMP/b.log" && break; sleep 0.05; done
grep -q "0 binding(s) loaded from the store" "$TMP/b.log" || fail "node B did not start: $(tail -n 3 "$TMP/b.log")"

# bob registers with node A
python3 "$SCEN/reg_udp.py" 127.0.0.2 "$(free_port)" "$SIP_PORT" seq \
    "[{\"call_id\":\"r1\",\"cseq\":1,\"contacts\":[\"<sip:bob@127.0.0.1:$SIPP_PORT>\"],\"expires\":\"300\"}]" >"$TMP/udp.out" 2>&1
grep -q '^SIP/2.0 200' "$TMP/udp.out" || fail "REGISTER with A: $(cat "$TMP/udp.out")"
start_sipp_uas reg_uas_answer

# node B calls bob: read from the store on the miss
SAVE=$HTTP_PORT; HTTP_PORT=$B_HTTP
for _ in $(seq 1 40); do # the writer of A commits within a few ms
    http POST /calls '{"to":"sip:bob@pbx.test"}'
    [ "$HTTP_STATUS" = 201 ] && break
    sleep 0.05
done
id=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$id" ] || fail "node B's call to bob: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
http POST "/sessions/$id/hangup"
HTTP_PORT=$SAVE
wait_sipp
grep -q "sip:bob@pbx.test -> 1 contact(s), first sip:bob@127.0.0.1:$SIPP_PORT" "$TMP/b.log" || fail "B did not use the stored binding"
pass
