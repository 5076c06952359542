#!/usr/bin/env bash
# The basic incoming call over TCP (SIPp -t t1): answered, hung up by the caller.
. "$(dirname "$0")/lib.sh"
"$BIN/sessiond" --sip "tcp:127.0.0.1:$SIP_PORT" --http "127.0.0.1:$HTTP_PORT" --log-level debug \
    >"$TMP/sessiond.out" 2>"$SD_LOG" &
SD_PID=$!
for _ in $(seq 1 100); do http GET /livez 2>/dev/null && [ "$HTTP_STATUS" = 200 ] && break; sleep 0.05; done
run_sipp uac_bye -t t1
id=$(only_session)
wait_state "$id" Terminated
expect_outcome "$id" normal
expect_history "$id" IncomingCall AcceptCall DialogACK DialogBYE
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"transport":"tcp"' || fail "transport is not tcp: $HTTP_BODY"
pass
