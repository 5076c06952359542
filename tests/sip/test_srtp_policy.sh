#!/usr/bin/env bash
# The SRTP policy on the wire (SIPp): with --srtp off an RTP/SAVP offer gets 488 as its first
# and only answer (no 100, no 180); with --srtp mandatory so does a plain RTP/AVP offer and an
# RTP/SAVP one whose every a=crypto line is unusable (an MKI, an unknown suite), while an
# RTP/SAVP offer with a usable line is answered RTP/SAVP with our own key for that line; the
# keys never show in the inspection (masked), the history or the log.
. "$(dirname "$0")/lib.sh"
KEY=PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR # RFC 4568's example key
refused() { # NAME PROFILE CRYPTO-LINE
    run_sipp srtp_uac_488 -key profile "$2" -key crypto "$3"
    session_ids | grep -q . && fail "$1: a session was created for a refused offer"
    return 0
}

start_sessiond --answer auto --srtp off
refused "off: SAVP" RTP/SAVP "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:$KEY"
grep -q "RTP/SAVP offered and SRTP is off" "$SD_LOG" || fail "no log line for the refused SAVP offer"
stop_sessiond

start_sessiond --answer auto --srtp mandatory --rtp-timeout-ms 0
refused "mandatory: plain" RTP/AVP "a=ptime:20"
refused "mandatory: MKI only" RTP/SAVP "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:$KEY|2^20|1:4"
refused "mandatory: unknown suite" RTP/SAVP "a=crypto:1 F8_128_HMAC_SHA1_80 inline:$KEY"
grep -q "plain RTP offered and SRTP is mandatory" "$SD_LOG" || fail "no log line for the refused plain offer"

(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/srtp_uac_wait_bye.xml" -key key "$KEY" -m 1 -l 1 -timeout 20s \
    -timeout_error -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Active
http GET "/sessions/$id"
body=$HTTP_BODY
printf '%s' "$body" | grep -q '"srtp":"2 AES_CM_128_HMAC_SHA1_80 tx=inline:\*\*\* rx=inline:\*\*\*"' ||
    fail "srtp field not shown masked: $body"
printf '%s' "$body" | grep -q '"suite":"AES_CM_128_HMAC_SHA1_80"' || fail "no SRTP suite in the media view: $body"
printf '%s' "$body" | grep -q 'inline:\*\*\*|2^20' || fail "the offer's key not masked in invite_offer: $body"
printf '%s' "$body" | grep -q "$KEY" && fail "the offer's key is in the inspection"
printf '%s' "$body" | grep -q -E 'inline:[A-Za-z0-9+/]{8}' && fail "a key is in the inspection: $body"
http GET "/sessions/$id/history"
printf '%s' "$HTTP_BODY" | grep -q "inline:" && fail "a key is in the history"
http POST "/sessions/$id/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup: $HTTP_STATUS $HTTP_BODY"
wait "$sipp_pid" || fail "sipp failed: $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
grep -q "$KEY" "$SD_LOG" "$TMP/sessiond.out" && fail "the offer's key is in sessiond's log"
grep -q -E 'inline:[A-Za-z0-9+/]{8}' "$SD_LOG" "$TMP/sessiond.out" && fail "a key is in sessiond's log"
pass
