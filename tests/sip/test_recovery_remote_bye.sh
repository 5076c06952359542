#!/usr/bin/env bash
# Recovery: an established incoming call survives kill -9 + restart; the caller's BYE then
# gets 200 OK from the restarted sessiond and the session ends. History: the transitions
# before the crash, Recovered, then DialogBYE. REC_BACKEND selects the store (sqlite default).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
if [ -n "${REC_IPV6:-}" ]; then # IPv6: the listener and SIPp on [::1]
    rec_start --answer auto --sip "udp:[::1]:$SIP_PORT"
    REC_SIPP_IP=::1 REC_TARGET=[::1]
else
    rec_start --answer auto
fi
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_bye.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -nostdin -i ${REC_SIPP_IP:-127.0.0.1} -p "$SIPP_PORT" ${REC_SIPP_ARGS:-} \
    "${REC_TARGET:-127.0.0.1}:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Active
rec_crash_restart
wait_state "$id" Active
[ -n "$(rec_field "$id" call_id)" ] || fail "recovered session has no call_id"
wait "$sipp_pid" || fail "sipp failed (BYE after restart not answered 200?): $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
expect_outcome "$id" normal
expect_history "$id" IncomingCall AcceptCall DialogACK Recovered DialogBYE
pass
