#!/usr/bin/env bash
# Incoming call answered automatically and hung up by the caller (SIPp sends BYE): SIPp passes,
# the session ends Terminated with outcome normal, and its history shows the whole path; the
# ended session is retained, not active, in the metrics; the SQLite store sessiond created is
# private (0600, its WAL too).
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
for f in "$TMP/sessiond.db" "$TMP/sessiond.db-wal"; do
    [ ! -e "$f" ] || [ "$(stat -c %a "$f")" = 600 ] || fail "$(basename "$f") is mode $(stat -c %a "$f"), not 600"
done
[ -e "$TMP/sessiond.db" ] || fail "no sessiond.db in the working directory"
[ -n "${SHOW:-}" ] && { http GET "/sessions/$id"; echo "$HTTP_BODY"; cat "$SD_LOG"; }
pass
