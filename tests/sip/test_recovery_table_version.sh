#!/usr/bin/env bash
# Recovery under the session's own table version (issue 10): sessiond starts with table v1
# (the default table), a call is established, the table is reloaded to v2 (which answers a
# remote BYE with 202 instead of 200), sessiond is killed (-9) and restarted with --table v2.
# The old call's session still reports v1's hash and answers its BYE per v1 (200); the store
# gave the restarted sessiond v1's text. A new call runs v2 (its BYE gets 202).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
T=$TMP/table.yaml
cp "$SRC/tables/default.yaml" "$T"
rec_start --answer auto --table "$T"
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_bye.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp-v1.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Active
h1=$(rec_field "$id" table_hash)
[ -n "$h1" ] || fail "session has no table_hash: $HTTP_BODY"
# v2: the universal remote-hangup row answers 202.
awk '/Remote hangup; the table answers the BYE./ { print; getline; sub(/code: 200/, "code: 202") } { print }' \
    "$SRC/tables/default.yaml" >"$T.new" && mv "$T.new" "$T"
grep -q "code: 202" "$T" || fail "could not make table v2"
http POST /table/reload
[ "$HTTP_STATUS" = 200 ] || fail "reload to v2: $HTTP_STATUS $HTTP_BODY"
rec_crash_restart
wait_state "$id" Active
[ "$(rec_field "$id" table_hash)" = "$h1" ] || fail "recovered session left v1 ($h1): $HTTP_BODY"
http GET /table
printf '%s' "$HTTP_BODY" | grep -q "$h1" || fail "v1 not a live version after the restart: $HTTP_BODY"
wait "$sipp_pid" || fail "old call's BYE not answered 200 (v1): $(tail -n 5 "$TMP/sipp-v1.out")"
wait_state "$id" Terminated
expect_history "$id" IncomingCall AcceptCall DialogACK Recovered DialogBYE
# A new call runs v2: its BYE gets 202.
sed 's|<recv response="200" crlf="true"/>|<recv response="202" crlf="true"/>|' "$SCEN/uac_bye.xml" >"$TMP/uac_bye_202.xml"
grep -q 'response="202"' "$TMP/uac_bye_202.xml" || fail "could not make the v2 scenario"
(cd "$TMP" && timeout 60 "$SIPP" -sf "$TMP/uac_bye_202.xml" -m 1 -l 1 -timeout 20s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp-v2.out" 2>&1) ||
    fail "new call's BYE not answered 202 (v2): $(tail -n 5 "$TMP/sipp-v2.out")"
new=
for i in $(session_ids); do [ "$i" != "$id" ] && new=$i; done
[ -n "$new" ] || fail "new call's session not found"
h2=$(rec_field "$new" table_hash)
[ -n "$h2" ] && [ "$h2" != "$h1" ] || fail "new call not on v2 (hash $h2, v1 $h1)"
pass
