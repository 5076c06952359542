#!/usr/bin/env bash
# The operator's way out (DELETE /sessions/{id}): a ringing incoming call is ended on the wire
# with 480 (SIPp gets it and ACKs), an answered one with BYE (SIPp gets it and answers 200);
# each session is gone (404 after, 404 for a second DELETE), its history in the store ends
# with a Killed record, the log names it; --history-size bounds each session's history.
. "$(dirname "$0")/lib.sh"
SIPP_PORT=$(free_port)
start_sessiond --answer manual --history-size 6

# run_sipp_bg NAME: a SIPp UAC in the background against sessiond (SIPP_BG).
run_sipp_bg() {
    (cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/$1.xml" -m 1 -l 1 -timeout 20s -timeout_error \
        -trace_err -error_file "$TMP/$1.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
        "127.0.0.1:$SIP_PORT" >"$TMP/$1.out" 2>&1) &
    SIPP_BG=$!
}

# ---- ringing: 480 ----
run_sipp_bg uac_killed
ID=$(wait_any_session)
wait_state "$ID" Ringing
http GET "/sessions/$ID"
printf '%s' "$HTTP_BODY" | grep -q '"history_capacity":6' || fail "--history-size 6 not in force: $HTTP_BODY"
http DELETE "/sessions/$ID"
[ "$HTTP_STATUS" = 200 ] || fail "DELETE: $HTTP_STATUS $HTTP_BODY"
[ "$(json_str state)" = Ringing ] && printf '%s' "$HTTP_BODY" | grep -q '"killed":true' || fail "DELETE body: $HTTP_BODY"
wait_sipp
http GET "/sessions/$ID"; [ "$HTTP_STATUS" = 404 ] || fail "session still there after DELETE: $HTTP_STATUS"
http DELETE "/sessions/$ID"; [ "$HTTP_STATUS" = 404 ] || fail "second DELETE: $HTTP_STATUS"
grep -q "session $ID killed by the operator in Ringing, sent 480" "$SD_LOG" || fail "no log line for the kill"
RINGING_ID=$ID

# ---- answered: BYE ----
run_sipp_bg uac_wait_bye
ID=$(wait_any_session)
wait_state "$ID" Ringing
http POST "/sessions/$ID/accept" ''
wait_state "$ID" Active
http DELETE "/sessions/$ID"
[ "$HTTP_STATUS" = 200 ] && [ "$(json_str state)" = Active ] || fail "DELETE of the answered call: $HTTP_STATUS $HTTP_BODY"
wait_sipp
grep -q "session $ID killed by the operator in Active, sent BYE" "$SD_LOG" || fail "no log line for the answered kill"
http GET /sessions
[ "$HTTP_BODY" = "[]" ] || fail "sessions left: $HTTP_BODY"

# ---- the store keeps the Killed record; the history ring held 6 records at most ----
stop_sessiond
for id in "$RINGING_ID" "$ID"; do
    "$BIN/sessionctl" history "$id" --store "sqlite:$TMP/sessiond.db" >"$TMP/hist.txt" 2>&1 ||
        fail "sessionctl history $id: $(cat "$TMP/hist.txt")"
    grep -q Killed "$TMP/hist.txt" || fail "no Killed record in the stored history of $id: $(cat "$TMP/hist.txt")"
done
pass
