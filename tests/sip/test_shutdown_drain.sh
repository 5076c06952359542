#!/usr/bin/env bash
# SIGTERM drains (the default): readiness turns false, new calls get 503, the call that is up
# goes on (sessiond sends no BYE) until the caller hangs up, then sessiond exits 0 at once. With
# a short --drain-timeout-ms the calls still up are ended through the table when it runs out,
# and a second SIGTERM ends them at once.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
URL="http://127.0.0.1:$HTTP_PORT"
sipp_call() { # scenario, extra args: a call from SIPp in the background (PID in SIPP_PID)
    local name=$1; shift
    (cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/$name.xml" -m 1 -l 1 -timeout 30s -timeout_error \
        -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "$@" "127.0.0.1:$SIP_PORT" >"$TMP/$name.out" 2>&1) &
    SIPP_PID=$!
}

# 1. the caller hangs up during the drain: no BYE from us, exit 0 right after
start_sessiond --answer auto --drain-timeout-ms 20000
sipp_call uac_pause_bye -d 2500
id=$(wait_any_session)
wait_state "$id" Active
t0=$(date +%s%N)
kill -TERM "$SD_PID"
sleep 0.3
code=$(curl -s -o "$TMP/ready.json" -w '%{http_code}' "$URL/readyz")
[ "$code" = 503 ] && grep -q draining "$TMP/ready.json" || fail "/readyz while draining: $code $(cat "$TMP/ready.json")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d "{\"to\":\"sip:x@127.0.0.1:$SIPP_PORT\"}" "$URL/calls")
[ "$code" = 503 ] || fail "POST /calls while draining: $code"
kill -0 "$SD_PID" || fail "sessiond exited while a call was up"
wait "$SIPP_PID" || fail "the call did not go on during the drain: $(tail -n 5 "$TMP/uac_pause_bye.out")"
wait "$SD_PID"; rc=$?; SD_PID=
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 0 ] || fail "exit $rc after the drain"
[ "$dt" -ge 1500 ] && [ "$dt" -lt 8000 ] || fail "exited after $dt ms (the call ended about 2.2 s after SIGTERM)"
grep -q "draining" "$SD_LOG" && grep -q "all calls ended" "$SD_LOG" || fail "no drain in the log"
grep -q "Active --Shutdown-->" "$SD_LOG" && fail "the call was ended by us during the drain"

# 2. the drain runs out: the call is ended through the table (BYE), then exit 0
start_sessiond --answer auto --drain-timeout-ms 700 --shutdown-timeout-ms 3000
sipp_call uac_wait_bye
id=$(wait_any_session)
wait_state "$id" Active
kill -TERM "$SD_PID"
wait "$SIPP_PID" || fail "no BYE after the drain timeout: $(tail -n 5 "$TMP/uac_wait_bye.out")"
wait "$SD_PID"; rc=$?; SD_PID=
[ "$rc" = 0 ] || fail "exit $rc after the drain timeout"
grep -q "drain timeout" "$SD_LOG" || fail "no drain timeout in the log"

# 3. a second SIGTERM ends the calls at once
start_sessiond --answer auto --drain-timeout-ms 60000
sipp_call uac_wait_bye
id=$(wait_any_session)
wait_state "$id" Active
t0=$(date +%s%N)
kill -TERM "$SD_PID"; sleep 0.3; kill -TERM "$SD_PID"
wait "$SIPP_PID" || fail "no BYE after the second SIGTERM"
wait "$SD_PID"; rc=$?; SD_PID=
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 0 ] && [ "$dt" -lt 5000 ] || fail "second SIGTERM: exit $rc after $dt ms"
pass
