#!/usr/bin/env bash
# RTP timeout: an answered call whose remote stops sending RTP for --rtp-timeout-ms ends with
# BYE (RtpTimeout, outcome timeout); while RTP flows (the probe sends 50 pps) it stays up.
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
PROBE_PORT=$(free_port)
start_sessiond --rtp-timeout-ms 1000
start_sipp_uas media_uas -set probe "$PROBE_PORT"
http POST /calls "{\"to\":\"sip:alice@127.0.0.1:$SIPP_PORT\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
wait_state "$id" Active
lport=$(rtp_port "$id")
"$PROBE" --port "$PROBE_PORT" --seconds 2.5 --to "127.0.0.1:$lport" >/dev/null || fail "probe failed"
http GET "/sessions/$id"
[ "$(json_str state)" = Active ] || fail "call ended while RTP flowed: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"packets_in":1[0-9][0-9]' || fail "RTP not counted: $HTTP_BODY"
wait_sipp
wait_state "$id" Terminated 10
expect_outcome "$id" timeout
expect_history "$id" MakeCall Dialog200OK RtpTimeout Dialog200OK
pass
