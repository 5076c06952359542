#!/usr/bin/env bash
# sessiond as a trunk of a real registrar and proxy: Kamailio (trunk_kamailio.cfg.in, run in
# this test's temporary directory) challenges the REGISTER with 401 (digest against a db_text
# subscriber table), sessiond answers and GET /trunks shows it registered (Kamailio's usrloc
# has the binding: a call to alice through it reaches sessiond); POST /calls with "trunk" sends the INVITE to Kamailio (the trunk's uri as
# outbound proxy), its 407 is answered, Kamailio relays it (record-routed) to a SIPp callee
# that answers; the call is Active and hangs up cleanly through the proxy; a bare user ("to":
# "carol") is completed with the trunk's domain. A B2BUA route
# (--route 'bo*=trunk:kam,from=any') sends a SIPp caller's call to bob through the trunk the same way
# (To completed with the trunk's domain, From the trunk's AOR). Then a wrong
# password: the trunk shows failed (401) with its backoff. Loopback only.
. "$(dirname "$0")/lib.sh"
KAMAILIO=${KAMAILIO:-/usr/sbin/kamailio}
[ -x "$KAMAILIO" ] || { echo "SKIP: kamailio not installed"; exit 77; }
KAM_PORT=$(free_port)
KAM_PID=
stop_kamailio() {
    [ -n "$KAM_PID" ] || return 0
    kill -TERM "$KAM_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$KAM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$KAM_PID" 2>/dev/null
    # its children leave with it; a straggler would hold the port
    [ -s "$TMP/kam/kamailio.pid" ] && kill -KILL "$(cat "$TMP/kam/kamailio.pid")" 2>/dev/null
    KAM_PID=
}
trap 'kam_rc=$?; stop_kamailio; (exit $kam_rc); cleanup' EXIT # cleanup takes the test's status from $?

mkdir -p "$TMP/kam/db" "$TMP/kam/run"
printf 'table_name(str) table_version(int)\nsubscriber:7\nlocation:9\n' >"$TMP/kam/db/version"
printf 'id(int,auto) username(str) domain(str) password(str) ha1(str,null) ha1b(str,null)\n1:alice:sessioncore.test:s3cret::\n' \
    >"$TMP/kam/db/subscriber"
sed -e "s|@PORT@|$KAM_PORT|g" -e "s|@UASPORT@|$SIPP_PORT|g" -e "s|@DBDIR@|$TMP/kam/db|g" "$SCEN/trunk_kamailio.cfg.in" >"$TMP/kam/kamailio.cfg"
"$KAMAILIO" -f "$TMP/kam/kamailio.cfg" -c >"$TMP/kam/check.out" 2>&1 || fail "kamailio -c: $(tail -n 5 "$TMP/kam/check.out")"
(cd "$TMP/kam" && exec "$KAMAILIO" -f "$TMP/kam/kamailio.cfg" -DD -E -w "$TMP/kam" -Y "$TMP/kam/run" \
    -P "$TMP/kam/kamailio.pid" -m 32 -M 8) >"$TMP/kamailio.log" 2>&1 &
KAM_PID=$!
for _ in $(seq 1 100); do port_in_use "$KAM_PORT" && break; kill -0 "$KAM_PID" 2>/dev/null || break; sleep 0.05; done
port_in_use "$KAM_PORT" || fail "kamailio did not start: $(tail -n 5 "$TMP/kamailio.log")"

trunk_config() { # PASSWORD
    printf '%s\n' "$1" >"$TMP/kam.pw"
    chmod 600 "$TMP/kam.pw"
    cat >"$TMP/sessiond.yaml" <<YAML
trunks:
  - name: kam
    uri: sip:127.0.0.1:$KAM_PORT
    username: alice
    password_file: $TMP/kam.pw
    register: true
    expires: 120
    retry_min_ms: 30000
YAML
}
trunk_config s3cret
start_sessiond --store memory: --config "$TMP/sessiond.yaml"
for _ in $(seq 1 100); do
    http GET /trunks/kam
    [ "$(json_str state)" = registered ] && break
    sleep 0.1
done
[ "$(json_str state)" = registered ] || fail "not registered at Kamailio: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"last_status":200' || fail "last status: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"expires":120' || fail "granted expiry: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"attempts":2' || fail "401 then 200 expected: $HTTP_BODY"
[ "$(metric 'sessioncore_trunk_registered{trunk="kam"}')" = 1 ] || fail "gauge not 1"
# Kamailio really has the binding: a call to alice through it reaches sessiond (answered)
UAC_PORT=$(free_port)
(cd "$TMP" && timeout 60 "$SIPP" -sf "$SCEN/trunk_uac_alice.xml" -m 1 -l 1 -timeout 20s -timeout_error -trace_err \
    -error_file "$TMP/uac_alice.err" -nostdin -i 127.0.0.1 -p "$UAC_PORT" "127.0.0.1:$KAM_PORT" >"$TMP/uac_alice.out" 2>&1) ||
    fail "a call to the registered alice failed: $(tail -n 5 "$TMP/uac_alice.out")"
wait_any_session
http GET /sessions
printf '%s' "$HTTP_BODY" | grep -q '"role":"uas"' || fail "no incoming session from Kamailio: $HTTP_BODY"

# a call through the trunk: 407 from Kamailio answered, relayed to the SIPp callee
start_sipp_uas trunk_uas
http POST /calls "{\"to\":\"sip:carol@127.0.0.1:$SIPP_PORT\",\"trunk\":\"kam\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls through the trunk: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
wait_state "$id" Active
grep -q "407: INVITE sent again with Proxy-Authorization" "$SD_LOG" || fail "the 407 was not answered"
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"trunk":"kam"' || fail "the session does not name its trunk: $HTTP_BODY"
http POST "/sessions/$id/hangup"
wait_state "$id" Terminated
wait_sipp
# a bare user: the trunk's domain completes it (sip:carol@127.0.0.1:KAM_PORT, which Kamailio
# sends to the callee)
start_sipp_uas trunk_uas
http POST /calls '{"to":"carol","trunk":"kam"}'
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls to a bare user: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
wait_state "$id" Active
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q "\"remote_uri\":\"sip:carol@127.0.0.1:$KAM_PORT\"" || fail "To not completed: $HTTP_BODY"
http POST "/sessions/$id/hangup"
wait_state "$id" Terminated
wait_sipp
http POST /calls '{"to":"sip:carol@127.0.0.1:5","trunk":"nope"}'
[ "$HTTP_STATUS" = 404 ] || fail "unknown trunk: $HTTP_STATUS $HTTP_BODY"
stop_sessiond

# a B2BUA route through the trunk: a SIPp caller dials bob@sessiond
start_sessiond --store memory: --config "$TMP/sessiond.yaml" --rtp-timeout-ms 0 --route 'bo*=trunk:kam,from=any'
for _ in $(seq 1 100); do
    http GET /trunks/kam
    [ "$(json_str state)" = registered ] && break
    sleep 0.1
done
start_sipp_uas trunk_uas
UAC_PORT=$(free_port)
(cd "$TMP" && timeout 60 "$SIPP" -sf "$SCEN/uac_bye.xml" -m 1 -l 1 -timeout 20s -timeout_error -trace_err \
    -error_file "$TMP/uac_bye.err" -nostdin -i 127.0.0.1 -p "$UAC_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/uac_bye.out" 2>&1) ||
    fail "the B2BUA caller failed: $(tail -n 5 "$TMP/uac_bye.out")"
wait_sipp
grep -q "through trunk kam" "$SD_LOG" || fail "the routed call did not go through the trunk"
grep -q "to sip:bob@127.0.0.1:$KAM_PORT through trunk kam" "$SD_LOG" || fail "To not completed with the trunk's domain"
stop_sessiond
grep -q "trunk kam: unregistered (unregistered, 200 OK)" "$SD_LOG" || fail "no un-REGISTER at Kamailio"
grep -q s3cret "$SD_LOG" "$TMP/sessiond.out" && fail "the password is in the log"

# a wrong password: 401 again after our answer -> failed, next attempt after the backoff
trunk_config wrong
start_sessiond --store memory: --config "$TMP/sessiond.yaml"
for _ in $(seq 1 100); do
    http GET /trunks/kam
    [ "$(json_str state)" = failed ] && break
    sleep 0.1
done
[ "$(json_str state)" = failed ] || fail "wrong password not failed: $HTTP_BODY"
[ "$(json_str last_outcome)" = auth_failed ] || fail "outcome: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"last_status":401' || fail "last status: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"failures":1' || fail "failures: $HTTP_BODY"
next=$(printf '%s' "$HTTP_BODY" | grep -o '"next_attempt_ms":[0-9]*' | cut -d: -f2)
[ -n "$next" ] && [ "$next" -gt 20000 ] && [ "$next" -le 30000 ] || fail "next attempt in '$next' ms"
[ "$(metric 'sessioncore_trunk_registered{trunk="kam"}')" = 0 ] || fail "gauge not 0"
stop_sessiond
pass
