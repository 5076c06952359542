#!/usr/bin/env bash
# Overload: with --max-sessions 5, SIPp making 20 concurrent calls gets 503 with Retry-After
# for the surplus (SIPp's scenario checks the header) and no admitted call fails; with
# --max-cps the rate limit refuses the same way; POST /calls gets HTTP 503 with Retry-After;
# every refusal is counted in sessioncore_admission_rejected_total{reason,source}.
. "$(dirname "$0")/lib.sh"
start_sessiond --answer auto --max-sessions 5
run_sipp_load uac_overload 20 200 20
rej=$(metric 'sessioncore_admission_rejected_total{reason="max_sessions",source="sip"}')
ok=$(metric 'sessioncore_sessions_ended_total{role="uas",outcome="normal"}')
[ "$rej" -gt 0 ] || fail "no max_sessions rejection counted"
[ "$ok" -gt 0 ] && [ "$ok" -le 20 ] || fail "admitted calls ended normal: $ok"
[ $((ok + rej)) -eq 20 ] || fail "admitted ($ok) + refused ($rej) != 20"
# POST /calls while full: keep 5 calls up, then ask for one more
(cd "$TMP" && timeout 60 "$SIPP" -sf "$SCEN/uac_overload.xml" -m 5 -r 50 -l 5 -timeout 30s -nostdin -i 127.0.0.1 \
    -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/hold.out" 2>&1) &
HOLD=$!
for _ in $(seq 1 50); do
    [ "$(metric 'sessioncore_sessions_active{state="Active",role="uas"}')" = 5 ] && break; sleep 0.05
done
hdr=$(curl -s -D - -o "$TMP/calls.json" -X POST -H 'Content-Type: application/json' \
      -d "{\"to\":\"sip:x@127.0.0.1:$SIPP_PORT\"}" "http://127.0.0.1:$HTTP_PORT/calls")
printf '%s' "$hdr" | head -n 1 | grep -q ' 503' || fail "POST /calls while full: $(head -n 1 <<<"$hdr")"
printf '%s' "$hdr" | grep -qi '^Retry-After: [0-9]' || fail "POST /calls 503 without Retry-After"
[ "$(metric 'sessioncore_admission_rejected_total{reason="max_sessions",source="api"}')" = 1 ] || fail "API refusal not counted"
wait "$HOLD" || fail "the 5 admitted calls failed"
kill -TERM "$SD_PID"; wait "$SD_PID" 2>/dev/null; SD_PID=
# --max-cps: 30 calls offered at 30/s, 5 admitted per second
start_sessiond --answer auto --max-cps 5
run_sipp_load uac_overload 30 30 30
rej=$(metric 'sessioncore_admission_rejected_total{reason="max_cps",source="sip"}')
ok=$(metric 'sessioncore_sessions_ended_total{role="uas",outcome="normal"}')
[ "$rej" -gt 0 ] || fail "no max_cps rejection counted"
[ $((ok + rej)) -eq 30 ] || fail "admitted ($ok) + refused ($rej) != 30"
pass
