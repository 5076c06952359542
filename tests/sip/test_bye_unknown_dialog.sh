#!/usr/bin/env bash
# A BYE for an unknown dialog gets 481 and creates no session.
. "$(dirname "$0")/lib.sh"
start_sessiond
run_sipp bye_unknown
[ -z "$(session_ids)" ] || fail "a session was created: $HTTP_BODY"
pass
