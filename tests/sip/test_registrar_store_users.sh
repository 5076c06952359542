#!/usr/bin/env bash
# Registrar users kept in the store (--users-store yes): POST /users adds carol with a password
# (only her MD5 and SHA-256 HA1s are stored, never the password), SIPp registers as carol and
# answers the digest challenge; after a restart on the same SQLite store she is loaded back and
# registers again; a user of the users file cannot be replaced through the API (409); bad
# names get 400; POST /users/carol/delete removes her and her REGISTER is then refused. Allow
# lists REGISTER while the registrar runs.
. "$(dirname "$0")/lib.sh"
REGP=$(free_port)
printf -- '- {user: bob, password: s3cret}\n' >"$TMP/users.yaml"
chmod 600 "$TMP/users.yaml"
SD=(--store "sqlite:$TMP/reg.db" --realm pbx.test --users "$TMP/users.yaml" --users-store yes
    --auth-algorithms MD5,SHA-256 --rtp-timeout-ms 0)
start_sessiond "${SD[@]}"
http GET /users
[ "$HTTP_BODY" = '[{"user":"bob","source":"file"}]' ] || fail "GET /users before: $HTTP_STATUS $HTTP_BODY"
# a registrar lists REGISTER among the methods it allows (an OPTIONS answer's Allow)
LP=$(free_port)
printf 'OPTIONS sip:pbx.test@127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%s;branch=z9hG4bK-opt-%s;rport\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=o%s\r\nTo: <sip:pbx.test@127.0.0.1>\r\nCall-ID: opt-%s@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' \
    "$SIP_PORT" "$LP" "$LP" "$LP" "$LP" >"$TMP/options.msg"
"${SC_BINARY_DIR:-$BIN/..}/tests/sip_raw" "$LP" "$SIP_PORT" "$TMP/options.msg" 300 >"$TMP/options.out"
grep -a -q '^Allow: .*REGISTER' "$TMP/options.out" || fail "REGISTER not in Allow: $(grep -a '^Allow' "$TMP/options.out")"
http POST /users '{"user":"carol","password":"c4rol-pw"}'
[ "$HTTP_STATUS" = 201 ] || fail "POST /users carol: $HTTP_STATUS $HTTP_BODY"
http POST /users '{"user":"bob","password":"other"}'
[ "$HTTP_STATUS" = 409 ] || fail "POST /users over a file user: $HTTP_STATUS $HTTP_BODY"
http POST /users '{"user":"no body","password":"x"}'
[ "$HTTP_STATUS" = 400 ] || fail "POST /users with a bad name: $HTTP_STATUS $HTTP_BODY"
http POST /users '{"user":"dave","ha1":"abc"}'
[ "$HTTP_STATUS" = 400 ] || fail "POST /users with a bad ha1: $HTTP_STATUS $HTTP_BODY"
SIPP_PORT=$REGP run_sipp reg_register_auth -s carol -au carol -ap c4rol-pw -auth_uri pbx.test -key contact_port "$(free_port)"
http GET /registrations
printf '%s' "$HTTP_BODY" | grep -q '"aor":"sip:carol@pbx.test"' || fail "carol not registered: $HTTP_BODY"
stop_sessiond
grep -q "c4rol-pw" "$TMP/reg.db"* && fail "the password is in the store"
grep -q "c4rol-pw" "$SD_LOG" "$TMP/sessiond.out" && fail "the password is in the log"
start_sessiond "${SD[@]}"
grep -q "1 user(s) loaded from the store" "$SD_LOG" || fail "carol not loaded back"
http GET /users
printf '%s' "$HTTP_BODY" | grep -q '{"user":"carol","source":"store"}' || fail "GET /users after restart: $HTTP_BODY"
SIPP_PORT=$REGP run_sipp reg_register_auth -s carol -au carol -ap c4rol-pw -auth_uri pbx.test -key contact_port "$(free_port)"
http POST /users/bob/delete
[ "$HTTP_STATUS" = 409 ] || fail "deleting a file user: $HTTP_STATUS $HTTP_BODY"
http POST /users/carol/delete
[ "$HTTP_STATUS" = 200 ] || fail "deleting carol: $HTTP_STATUS $HTTP_BODY"
http POST /users/carol/delete
[ "$HTTP_STATUS" = 404 ] || fail "deleting carol twice: $HTTP_STATUS $HTTP_BODY"
before=$(metric 'sessioncore_auth_failures_total{reason="unknown_user"}')
( SIPP_PORT=$REGP run_sipp reg_register_auth -s carol -au carol -ap c4rol-pw -auth_uri pbx.test \
    -key contact_port "$(free_port)" ) >/dev/null 2>&1 && fail "carol still registers after her removal"
[ "$(metric 'sessioncore_auth_failures_total{reason="unknown_user"}')" -gt "${before:-0}" ] ||
    fail "the removed user's REGISTER was not refused as unknown"
pass
