#!/usr/bin/env bash
# A trunk's registration against a SIPp registrar (trunk_reg_uas.xml): 423 Min-Expires is
# followed, the 401 answered (verifyauth), the granted 2 s refreshed before they lapse with the
# same Call-ID and the next CSeq, GET /trunks, `sessionctl trunks`, /healthz and the metrics
# show it registered; SIGTERM sends the un-REGISTER (Expires 0, its 401 answered too) before
# exiting. The password comes from password_file and is in no log line. Then a broken trunks
# entry refuses to start with file:line:column, and a route to an unknown trunk too.
. "$(dirname "$0")/lib.sh"
printf 's3cret\n' >"$TMP/carrier.pw"
chmod 600 "$TMP/carrier.pw"
cat >"$TMP/sessiond.yaml" <<YAML
trunks:
  - name: carrier
    uri: sip:127.0.0.1:$SIPP_PORT
    username: alice
    password_file: $TMP/carrier.pw
    register: true
    expires: 1
YAML
start_sipp_uas trunk_reg_uas
start_sessiond --store memory: --config "$TMP/sessiond.yaml"
# registered twice (the first 200, then the refresh that ends with Expires: 60)
for _ in $(seq 1 100); do
    http GET /trunks/carrier
    printf '%s' "$HTTP_BODY" | grep -q '"expires":60' && break
    sleep 0.1
done
[ "$HTTP_STATUS" = 200 ] || fail "GET /trunks/carrier: $HTTP_STATUS $HTTP_BODY"
[ "$(json_str state)" = registered ] || fail "not registered: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"expires":60' || fail "the refresh's 60 s not taken: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"attempts":5' || fail "expected 5 REGISTERs (423, 401, 200, 401, 200): $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"failures":0' || fail "failures: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"last_status":200' || fail "last_status: $HTTP_BODY"
http GET /trunks
[ "$HTTP_STATUS" = 200 ] && printf '%s' "$HTTP_BODY" | grep -q '^\[{"name":"carrier"' || fail "GET /trunks: $HTTP_BODY"
http GET /trunks/nope
[ "$HTTP_STATUS" = 404 ] || fail "GET /trunks/nope: $HTTP_STATUS"
out=$("$BIN/sessionctl" --server "http://127.0.0.1:$HTTP_PORT" trunks 2>&1) || fail "sessionctl trunks: $out"
printf '%s\n' "$out" | grep -q "^carrier  *registered  *200 " || fail "sessionctl trunks: $out"
[ "$(metric 'sessioncore_trunk_registered{trunk="carrier"}')" = 1 ] || fail "gauge not 1"
[ "$(metric 'sessioncore_trunk_register_total{trunk="carrier",outcome="registered"}')" = 2 ] ||
    fail "registered outcomes: $(metric 'sessioncore_trunk_register_total{trunk="carrier",outcome="registered"}')"
for _ in $(seq 1 30); do
    http GET /healthz
    printf '%s' "$HTTP_BODY" | grep -q '"trunks":{"status":"ok","reason":"1/1 registered"' && break
    sleep 0.1
done
printf '%s' "$HTTP_BODY" | grep -q '"trunks":{"status":"ok","reason":"1/1 registered"' || fail "/healthz trunks check: $HTTP_BODY"
for _ in $(seq 1 50); do
    http GET /readyz
    [ "$HTTP_STATUS" = 200 ] && break
    sleep 0.1
done
[ "$HTTP_STATUS" = 200 ] || fail "/readyz: $HTTP_STATUS $HTTP_BODY"
stop_sessiond
wait_sipp
grep -q "registration sip:alice@127.0.0.1: registered for 2 s" "$SD_LOG" || fail "no 2 s registration in the log"
grep -q "trunk carrier: unregistered" "$SD_LOG" || fail "no un-REGISTER in the log"
grep -q s3cret "$SD_LOG" "$TMP/sessiond.out" && fail "the password is in the log"
# broken entries: one line naming file:line:column, exit 2
printf 'trunks:\n  - name: carrier\n    uri: http://x\n    username: a\n' >"$TMP/bad.yaml"
timeout 5 "$BIN/sessiond" --store memory: --sip "udp:127.0.0.1:$(free_port)" --http "127.0.0.1:$(free_port)" \
    --config "$TMP/bad.yaml" >"$TMP/bad.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "bad.yaml:3:10: trunks: uri: expected a sip: URI" "$TMP/bad.out" || fail "bad uri ($rc): $(cat "$TMP/bad.out")"
printf 'trunks:\n  - name: carrier\n    uri: sip:127.0.0.1\n' >"$TMP/bad.yaml"
timeout 5 "$BIN/sessiond" --store memory: --sip "udp:127.0.0.1:$(free_port)" --http "127.0.0.1:$(free_port)" \
    --config "$TMP/bad.yaml" >"$TMP/bad.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "bad.yaml:2:5: trunks: this entry needs username" "$TMP/bad.out" || fail "no username ($rc): $(cat "$TMP/bad.out")"
printf 'trunks:\n  - name: c\n    uri: sip:127.0.0.1\n    username: a\n    password_file: %s/none.pw\n' "$TMP" >"$TMP/bad.yaml"
timeout 5 "$BIN/sessiond" --store memory: --sip "udp:127.0.0.1:$(free_port)" --http "127.0.0.1:$(free_port)" \
    --config "$TMP/bad.yaml" >"$TMP/bad.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "bad.yaml:5:20: trunks: password_file: cannot read" "$TMP/bad.out" || fail "no password file ($rc): $(cat "$TMP/bad.out")"
timeout 5 "$BIN/sessiond" --store memory: --sip "udp:127.0.0.1:$(free_port)" --http "127.0.0.1:$(free_port)" \
    --route '9*=trunk:nope' >"$TMP/bad.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "no trunk named 'nope'" "$TMP/bad.out" || fail "route to no trunk ($rc): $(cat "$TMP/bad.out")"
pass
