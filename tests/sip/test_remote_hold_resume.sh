#!/usr/bin/env bash
# Remote hold and resume: SIPp re-INVITEs with a=sendonly and checks our answer is
# a=recvonly, then resumes with a=sendrecv; the session passes OnHold and back to Active.
. "$(dirname "$0")/lib.sh"
start_sessiond
run_sipp uac_remote_hold
id=$(only_session)
wait_state "$id" Terminated
expect_outcome "$id" normal
expect_history "$id" IncomingCall AcceptCall DialogACK DialogReINVITE DialogReINVITE DialogBYE
http GET "/sessions/$id/history"
printf '%s' "$HTTP_BODY" | grep -q '"from":"Active","event":"DialogReINVITE".*"to":"OnHold"' ||
    fail "no Active -> OnHold on the hold re-INVITE"
printf '%s' "$HTTP_BODY" | grep -q '"from":"OnHold","event":"DialogReINVITE".*"to":"Active"' ||
    fail "no OnHold -> Active on the resume re-INVITE"
pass
