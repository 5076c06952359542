#!/usr/bin/env bash
# Registrar (RFC 3261 10.3) with digest authentication as a server: SIPp registers
# sip:bob@pbx.test (401 with SHA-256 and MD5 offered, then [authentication]: 200 listing the
# binding with its expiry); GET /registrations, sessionctl registrations and the metrics show
# it; POST /calls to the AOR reaches the SIPp phone at the registered contact (Request-URI the
# contact, To the AOR); a call to a user with no binding fails (480 reason in the log); the
# binding is still there after a restart on the same SQLite store; a wrong password is
# challenged again and past --auth-max-failures the source gets 403, counted in the metrics.
# The users file readable by others is warned about; no password is in any log line.
. "$(dirname "$0")/lib.sh"
PHONE=$SIPP_PORT   # the SIPp phone (start_sipp_uas)
REGP=$(free_port) # the SIPp that registers it
printf -- '- {user: bob, password: s3cret}\n- {user: carol, ha1: %s}\n' \
    "$(printf 'carol:pbx.test:pa55' | md5sum | cut -d' ' -f1)" >"$TMP/users.yaml"
chmod 644 "$TMP/users.yaml"
REG=(--store "sqlite:$TMP/reg.db" --realm pbx.test --users "$TMP/users.yaml" --auth-algorithms MD5,SHA-256
    --auth-max-failures 3 --rtp-timeout-ms 0)
start_sessiond "${REG[@]}"
grep -q "users.yaml is readable by others" "$SD_LOG" || fail "no warning about a users file readable by others"
http GET /registrations
[ "$HTTP_STATUS" = 200 ] && [ "$HTTP_BODY" = "[]" ] || fail "GET /registrations before: $HTTP_STATUS $HTTP_BODY"

# register (SIPp answers the challenge), then the binding is listed
SIPP_PORT=$REGP run_sipp reg_register_auth -s bob -au bob -ap s3cret -auth_uri pbx.test -key contact_port "$PHONE"
http GET /registrations
printf '%s' "$HTTP_BODY" | grep -q "\"aor\":\"sip:bob@pbx.test\"" || fail "no AOR in /registrations: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q "\"uri\":\"sip:bob@127.0.0.1:$PHONE\"" || fail "no contact: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -Eq '"expires":(29[0-9]|300),' || fail "expires left not ~300: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"user_agent":"sipp-registrar-test"' || fail "no user agent: $HTTP_BODY"
out=$("$BIN/sessionctl" --server "http://127.0.0.1:$HTTP_PORT" registrations)
printf '%s' "$out" | grep -q "sip:bob@pbx.test .*sip:bob@127.0.0.1:$PHONE" || fail "sessionctl registrations: $out"
[ "$(metric sessioncore_registrations)" = 1 ] || fail "sessioncore_registrations != 1"
[ "$(metric 'sessioncore_register_total{outcome="ok"}')" = 1 ] || fail "register ok != 1"
[ "$(metric 'sessioncore_register_total{outcome="challenge"}')" = 1 ] || fail "register challenge != 1"

# a call to the AOR reaches the registered phone
start_sipp_uas reg_uas_answer
http POST /calls '{"to":"sip:bob@pbx.test"}'
id=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$id" ] || fail "POST /calls to the AOR: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
http POST "/sessions/$id/hangup"
wait_sipp
wait_state "$id" Terminated
grep -q "sip:bob@pbx.test -> 1 contact(s), first sip:bob@127.0.0.1:$PHONE" "$SD_LOG" || fail "no fork line"

# a user without a binding: the call fails with a clear reason
http POST /calls '{"to":"sip:carol@pbx.test"}'
cid=$(json_str id)
[ -n "$cid" ] && [ "$HTTP_STATUS" = 409 ] || fail "POST /calls to carol: $HTTP_STATUS $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"reason":"SendInvite: the called user has no registered contact (480)"' ||
    fail "no reason in the answer: $HTTP_BODY"
wait_state "$cid" Failed
grep -q "sip:carol@pbx.test has no registered contact (480)" "$SD_LOG" || fail "no reason for carol's failed call"
# a domain that is not ours is not the registrar's: the INVITE goes there (nobody listens)
http POST /calls "{\"to\":\"sip:bob@127.0.0.1:$(free_port)\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls to another domain: $HTTP_STATUS $HTTP_BODY"
if grep -q "sip:bob@127.0.0.1.*has no registered contact" "$SD_LOG"; then fail "another domain taken as ours"; fi

# restart on the same store: the binding is loaded back
stop_sessiond
start_sessiond "${REG[@]}"
grep -q "1 binding(s) loaded from the store" "$SD_LOG" || fail "bindings not loaded at start"
http GET /registrations
printf '%s' "$HTTP_BODY" | grep -q "\"uri\":\"sip:bob@127.0.0.1:$PHONE\"" || fail "binding lost over a restart: $HTTP_BODY"

# wrong passwords: 401 again each time, then 403 once the source is blocked
SIPP_PORT=$REGP run_sipp reg_register_wrong -s bob -au bob -ap wrong -auth_uri pbx.test
SIPP_PORT=$REGP run_sipp reg_register_blocked -s bob
[ "$(metric 'sessioncore_auth_failures_total{reason="wrong_password"}')" = 3 ] || fail "wrong_password failures != 3"
[ "$(metric 'sessioncore_auth_failures_total{reason="blocked"}')" = 2 ] || fail "blocked failures != 2"
[ "$(metric sessioncore_auth_blocked_sources)" = 1 ] || fail "blocked sources != 1"
[ "$(metric 'sessioncore_register_total{outcome="blocked"}')" = 2 ] || fail "register blocked != 2"

grep -q -e s3cret -e pa55 "$SD_LOG" "$TMP/sessiond.out" && fail "a password is in the log"
pass
