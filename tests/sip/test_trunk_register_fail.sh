#!/usr/bin/env bash
# A trunk whose credentials the registrar refuses (trunk_reg_reject.xml: 401 to everything):
# the first challenge is answered once, the second ends the attempt (no loop); GET /trunks shows
# failed with the 401, one failure and the next attempt after the backoff (retry_min_ms 20 s
# here); the metrics count an auth_failed outcome and the gauge is 0; /readyz stays 200
# (trunks never gate readiness). `password:` in the config file is warned about.
. "$(dirname "$0")/lib.sh"
cat >"$TMP/sessiond.yaml" <<YAML
trunks:
  - name: carrier
    uri: sip:127.0.0.1:$SIPP_PORT
    username: alice
    password: wrong
    register: true
    expires: 300
    retry_min_ms: 20000
YAML
start_sipp_uas trunk_reg_reject
start_sessiond --store memory: --config "$TMP/sessiond.yaml"
for _ in $(seq 1 100); do
    http GET /trunks/carrier
    [ "$(json_str state)" = failed ] && break
    sleep 0.1
done
[ "$(json_str state)" = failed ] || fail "not failed: $HTTP_BODY"
[ "$(json_str last_outcome)" = auth_failed ] || fail "outcome: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"last_status":401' || fail "last_status: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"failures":1' || fail "failures: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"attempts":2' || fail "attempts (one answer, no loop): $HTTP_BODY"
next=$(printf '%s' "$HTTP_BODY" | grep -o '"next_attempt_ms":[0-9]*' | cut -d: -f2)
[ -n "$next" ] && [ "$next" -gt 15000 ] && [ "$next" -le 20000 ] || fail "next attempt in '$next' ms"
[ "$(metric 'sessioncore_trunk_registered{trunk="carrier"}')" = 0 ] || fail "gauge not 0"
[ "$(metric 'sessioncore_trunk_register_total{trunk="carrier",outcome="auth_failed"}')" = 1 ] || fail "auth_failed not counted"
for _ in $(seq 1 50); do # the store's check turns ok within a second of the start
    http GET /readyz
    [ "$HTTP_STATUS" = 200 ] && break
    printf '%s' "$HTTP_BODY" | grep -q trunk && break
    sleep 0.1
done
[ "$HTTP_STATUS" = 200 ] || fail "/readyz: $HTTP_STATUS $HTTP_BODY (a trunk must not gate readiness)"
for _ in $(seq 1 50); do # refreshed once a second
    http GET /healthz
    printf '%s' "$HTTP_BODY" | grep -q '"trunks":{"status":"fail[^}]*carrier: failed (auth_failed 401)' && break
    sleep 0.1
done
printf '%s' "$HTTP_BODY" | grep -q '"trunks":{"status":"fail[^}]*carrier: failed (auth_failed 401)' ||
    fail "/healthz trunks check: $HTTP_BODY"
out=$("$BIN/sessionctl" --server "http://127.0.0.1:$HTTP_PORT" trunks carrier 2>&1) || fail "sessionctl trunks: $out"
printf '%s\n' "$out" | grep -q "^carrier  *failed  *401 " || fail "sessionctl trunks carrier: $out"
grep -q "its password is written in the config file" "$SD_LOG" || fail "no warning about password:"
grep -q "wrong" "$SD_LOG" && fail "the password is in the log"
stop_sessiond
wait_sipp
pass
