#!/usr/bin/env bash
# Incoming call answered automatically and hung up by the caller (SIPp sends BYE): SIPp passes,
# the session ends Terminated with outcome normal, and its history shows the whole path; the
# ended session is retained, not active, in the metrics.
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
[ "$(metric 'sessioncore_sessions_retained{state="Terminated",role="uas"}')" = 1 ] || fail "ended session not retained"
[ "$(metric 'sessioncore_sessions_active{state="Terminated",role="uas"}')" = 0 ] || fail "ended session counted active"
[ -n "${SHOW:-}" ] && { http GET "/sessions/$id"; echo "$HTTP_BODY"; cat "$SD_LOG"; }
pass
