#!/usr/bin/env bash
# B2BUA codec choice: with --codecs opus,g722,pcmu,pcma a SIPp caller offering PCMU and G.722 is
# routed to a SIPp callee; the callee is offered G.722 first (the codec our answer to the caller
# carries, ahead of Opus which leads our list: codecs_uas_g722.xml checks the m= line), answers
# G.722, and the caller gets G.722 alone: both legs show G722/8000 and are bridged, so the
# bridge relays without transcoding. The caller's BYE ends both legs.
. "$(dirname "$0")/lib.sh"
UAS_PORT=$(free_port); PB=$(free_port)
start_sessiond --rtp-timeout-ms 0 --codecs opus,g722,pcmu,pcma --route "bo*=sip:carol@127.0.0.1:$UAS_PORT" \
    --trust 127.0.0.1
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS_PORT
start_sipp_uas codecs_uas_g722 -set probe "$PB"
SIPP_PORT=$SIPP_PORT_SAVE
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/codecs_uac_g722.xml" -m 1 -l 1 -timeout 20s -timeout_error \
    -trace_err -error_file "$TMP/codecs_uac_g722.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
    "127.0.0.1:$SIP_PORT" >"$TMP/codecs_uac_g722.out" 2>&1) &
uac=$!
b2bua_legs
wait_state "$a" Bridged
wait_state "$b" Bridged
for leg in "$a" "$b"; do
    http GET "/sessions/$leg"
    printf '%s' "$HTTP_BODY" | grep -q '"codec":"G722/8000"' || fail "leg $leg is not G.722: $HTTP_BODY"
    printf '%s' "$HTTP_BODY" | grep -q '"bridged":true' || fail "leg $leg not bridged: $HTTP_BODY"
done
wait "$uac" || fail "sipp caller failed: $(tail -n 5 "$TMP/codecs_uac_g722.out")"
wait_sipp
wait_state "$a" Terminated
wait_state "$b" Terminated
pass
