#!/usr/bin/env bash
# Recovery: an incoming call still ringing (manual answer) at kill -9; after the restart the
# caller CANCELs it. The rebuilt INVITE server transaction (from invite_vias) matches the
# CANCEL: SIPp gets 200 for it and 487 for the INVITE, and its ACK (INVITE's branch) is
# absorbed; the session ends Cancelled.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
rec_start --answer manual
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_ring_cancel.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Ringing
rec_crash_restart
wait_state "$id" Ringing
wait "$sipp_pid" || fail "sipp failed (CANCEL after restart not answered 200 + 487?): $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Cancelled
expect_outcome "$id" cancelled
expect_history "$id" IncomingCall Recovered DialogCANCEL
pass
