#!/usr/bin/env bash
# Incoming call cancelled by the caller before it is answered: 200 for the CANCEL, 487 for the
# INVITE; the session ends Cancelled.
. "$(dirname "$0")/lib.sh"
start_sessiond --answer manual
run_sipp uac_cancel
id=$(only_session)
wait_state "$id" Cancelled
expect_outcome "$id" cancelled
expect_history "$id" IncomingCall DialogCANCEL
pass
