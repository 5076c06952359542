#!/usr/bin/env bash
# Migration of a live call on reload (docs/reload.md): sessiond runs table v1 (the default
# table) and a call held by SIPp is established; v2 answers a remote BYE with 202 instead of
# 200 and declares `migrate: {Active: Active}`. After the reload the call's session is on v2
# (its table_hash), v1 is gone from GET /table, the history shows the Migrated record and the
# report and the metric count it. sessiond is then killed (-9) and restarted on the same store:
# the session comes back under v2, and SIPp's BYE gets v2's 202.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
T=$TMP/table.yaml
cp "$SRC/tables/default.yaml" "$T"
rec_start --answer auto --table "$T"
# The call: BYE 10 s after the ACK, answered 202 (v2's rule) for the test to pass.
sed -e 's|<pause milliseconds="6000"/>|<pause milliseconds="10000"/>|' \
    -e 's|<recv response="200" crlf="true" timeout="20000"/>|<recv response="202" crlf="true" timeout="20000"/>|' \
    "$SCEN/rec_uac_bye.xml" >"$TMP/uac_bye_202.xml"
grep -q 'response="202"' "$TMP/uac_bye_202.xml" && grep -q 'milliseconds="10000"' "$TMP/uac_bye_202.xml" ||
    fail "could not make the scenario"
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$TMP/uac_bye_202.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Active
h1=$(rec_field "$id" table_hash)
[ -n "$h1" ] || fail "session has no table_hash: $HTTP_BODY"

# v2: the universal remote-hangup row answers 202; established calls migrate.
awk '/Remote hangup; the table answers the BYE./ { print; getline; sub(/code: 200/, "code: 202") } { print }' \
    "$SRC/tables/default.yaml" >"$T.new"
printf '\nmigrate: {Active: Active}\n' >>"$T.new"
mv "$T.new" "$T"
grep -q "code: 202" "$T" || fail "could not make table v2"
http POST /table/reload
[ "$HTTP_STATUS" = 200 ] || fail "reload to v2: $HTTP_STATUS $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"migrated": *1' || fail "report does not count the migration: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"migrated_states": *{"Active": *1}' || fail "report lacks the per-state count: $HTTP_BODY"

http GET "/sessions/$id"
h2=$(json_str table_hash)
[ -n "$h2" ] && [ "$h2" != "$h1" ] || fail "session still on v1 ($h1): $HTTP_BODY"
[ "$(json_str state)" = Active ] || fail "migrated session not in Active: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"event":"Migrated"' || fail "GET /sessions/$id shows no Migrated record: $HTTP_BODY"
http GET /table
printf '%s' "$HTTP_BODY" | grep -q "$h2" || fail "v2 not listed: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q "$h1" && fail "v1 still a live version after its only session migrated: $HTTP_BODY"
expect_history "$id" IncomingCall AcceptCall DialogACK Migrated
http GET "/sessions/$id/history"
printf '%s' "$HTTP_BODY" | grep -q "\"event_text\":\"v1 $h1 -> v2 $h2\"" || fail "Migrated record lacks the versions: $HTTP_BODY"
[ "$(metric sessioncore_table_sessions_migrated_total)" = 1 ] || fail "migrated metric: $(metric sessioncore_table_sessions_migrated_total)"

# Crash and restart on the same store and table file: the session is restored under v2.
rec_crash_restart
wait_state "$id" Active
[ "$(rec_field "$id" table_hash)" = "$h2" ] || fail "recovered session not on v2 ($h2): $HTTP_BODY"
http GET /table
printf '%s' "$HTTP_BODY" | grep -q "$h1" && fail "v1 came back after the restart: $HTTP_BODY"

# SIPp's BYE gets v2's answer.
wait "$sipp_pid" || fail "BYE not answered 202 (v2): $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
expect_history "$id" IncomingCall AcceptCall DialogACK Migrated Recovered DialogBYE
pass
