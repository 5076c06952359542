#!/usr/bin/env bash
# A trunk named by a host name registers through RFC 3263 against a real DNS server (dnsmasq,
# tests/sip/dns_lib.sh): SRV for _sip._udp.carrier.example.test names two registrars (SIPp);
# the first answers 503 and the same REGISTER goes to the second, which binds it; the
# un-REGISTER at shutdown reaches it too. A trunk whose name does not exist is "failed" with
# the DNS reason in GET /trunks, and sessiond carries on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"
P1=$(free_port); P2=$(free_port)
dns_start --srv-host=_sip._udp.carrier.example.test,a.example.test,"$P1",10,10 \
    --srv-host=_sip._udp.carrier.example.test,b.example.test,"$P2",20,10 \
    --host-record=a.example.test,127.0.0.1 --host-record=b.example.test,127.0.0.1
uas() { # uas PORT SCENARIO: a SIPp registrar in the background; its pid in UAS_PID
    local port=$1 name=$2
    (cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/$name.xml" -m 1 -l 1 -timeout 30s -timeout_error \
        -trace_err -error_file "$TMP/$name.err" -nostdin -i 127.0.0.1 -p "$port" >"$TMP/$name.out" 2>&1) &
    UAS_PID=$!
    for _ in $(seq 1 100); do port_in_use "$port" && return 0; sleep 0.05; done
    fail "sipp $name did not bind $port"
}
uas_wait() { wait "$1" || fail "SIPp $2 failed: $(tail -n 5 "$TMP/$2.out")"; }
uas "$P1" trunk_reg_503; u1=$UAS_PID
uas "$P2" trunk_reg_ok; u2=$UAS_PID
cat >"$TMP/sessiond.yaml" <<YAML
trunks:
  - name: carrier
    uri: sip:carrier.example.test
    username: alice
    register: true
    expires: 60
  - name: gone
    uri: sip:nosuch.example.test
    username: alice
    register: true
YAML
start_sessiond --store memory: --config "$TMP/sessiond.yaml" --dns-server "127.0.0.1:$DNS_PORT"
for _ in $(seq 1 100); do
    http GET /trunks/carrier
    [ "$(json_str state)" = registered ] && break
    sleep 0.1
done
[ "$(json_str state)" = registered ] || fail "carrier not registered: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"expires":60' || fail "expiry: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"attempts":2' || fail "expected 2 REGISTERs (503, then 200): $HTTP_BODY"
uas_wait "$u1" trunk_reg_503
grep -q "registration sip:alice@carrier.example.test: 503: REGISTER sent to the next target" "$SD_LOG" ||
    fail "no failover line in the log"
for _ in $(seq 1 100); do
    http GET /trunks/gone
    [ "$(json_str state)" = failed ] && break
    sleep 0.1
done
[ "$(json_str state)" = failed ] || fail "gone not failed: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"last_reason":"DNS: nosuch.example.test: no such name"' ||
    fail "no DNS reason for gone: $HTTP_BODY"
http GET /livez
[ "$HTTP_STATUS" = 200 ] || fail "/livez: $HTTP_STATUS"
stop_sessiond
uas_wait "$u2" trunk_reg_ok
pass
