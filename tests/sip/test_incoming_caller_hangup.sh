#!/usr/bin/env bash
# Incoming call answered automatically and hung up by the caller (SIPp sends BYE): SIPp passes,
# the session ends Terminated with outcome normal, and its history shows the whole path.
. "$(dirname "$0")/lib.sh"
start_sessiond --answer auto
run_sipp uac_bye
id=$(only_session)
wait_state "$id" Terminated
expect_outcome "$id" normal
expect_history "$id" IncomingCall AcceptCall DialogACK DialogBYE
http GET "/sessions/$id"
[ "$(json_str role)" = uas ] || fail "role is not uas"
printf '%s' "$HTTP_BODY" | grep -q '"media_direction":"' || fail "no media recorded: $HTTP_BODY"
http GET "/sessions/$id/history?format=csv"
[ "$HTTP_STATUS" = 200 ] && printf '%s' "$HTTP_BODY" | head -n 1 | grep -q '^seq,time' || fail "CSV history: $HTTP_STATUS"
[ -n "${SHOW:-}" ] && { http GET "/sessions/$id"; echo "$HTTP_BODY"; cat "$SD_LOG"; }
pass
