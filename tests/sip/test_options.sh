#!/usr/bin/env bash
# OPTIONS out of dialog: 200 with Allow (SIPp checks the header); no session is created.
. "$(dirname "$0")/lib.sh"
start_sessiond
run_sipp options
[ -z "$(session_ids)" ] || fail "a session was created: $HTTP_BODY"
pass
