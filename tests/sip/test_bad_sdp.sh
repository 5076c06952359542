#!/usr/bin/env bash
# An offer that says application/sdp but does not parse: a new INVITE gets 400 Bad SDP and no
# session; a re-INVITE in a call gets 400 and the call goes on until the caller's BYE.
. "$(dirname "$0")/netns.sh" # hostile input: only loopback in reach
. "$(dirname "$0")/lib.sh"
start_sessiond --answer auto
run_sipp uac_bad_sdp
grep -q 'unusable SDP offer (400)' "$SD_LOG" || fail "no log line for the INVITE's bad SDP"
[ -z "$(session_ids)" ] || fail "a session for an INVITE answered 400: $(session_ids)"
run_sipp uac_bad_sdp_reinvite
id=$(session_ids)
[ -n "$id" ] || fail "no session for the call"
wait_state "$id" Terminated
expect_history "$id" IncomingCall AcceptCall DialogACK
pass
