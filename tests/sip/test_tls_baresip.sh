#!/usr/bin/env bash
# A real phone over TLS: baresip (its own config directory, no audio device: aufile source and
# player; sip_cafile trusting the test CA, sip_certificate for its own TLS listener) calls
# sessiond on its tls: listener (sip:...;transport=tls): established, answered, sessiond hangs
# up and the BYE goes back over the caller's connection. Then sessiond calls baresip's TLS
# listener, verifying its certificate against --tls-ca: established, hung up cleanly. Then by
# name through dnsmasq (NAPTR SIPS+D2T, SRV _sips._tcp): a name the certificate lacks is
# refused (DialogError, counted), sips:bob@pbx.example.test gets through. Plain RTP. The
# certificates are made for the run (tls_certs.sh); baresip and dnsmasq are stopped by the trap.
. "$(dirname "$0")/netns.sh" # a third-party daemon: only loopback in reach
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"
command -v baresip >/dev/null || { echo "SKIP: baresip not installed"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
MODS=/usr/lib/baresip/modules
[ -f "$MODS/aufile.so" ] && [ -f "$MODS/g711.so" ] || { echo "SKIP: baresip modules missing"; exit 77; }
BS_PID=
C=$TMP/certs
"$SCEN/tls_certs.sh" "$C" || fail "cannot make the test certificates"
TLS_PORT=$(free_port)
BS_PORT=$(free_port) # baresip: UDP and TCP on it, TLS on the port after it
# sips:bob@pbx.example.test: NAPTR SIPS+D2T -> SRV _sips._tcp -> baresip's TLS port; the name is
# in baresip's certificate. wrong.example.test leads there too, but the certificate does not
# name it.
dns_start --naptr-record=pbx.example.test,10,50,s,SIPS+D2T,,_sips._tcp.pbx.example.test \
    --srv-host=_sips._tcp.pbx.example.test,bs.example.test,$((BS_PORT + 1)),10,10 \
    --srv-host=_sips._tcp.wrong.example.test,bs.example.test,$((BS_PORT + 1)),10,10 \
    --host-record=bs.example.test,127.0.0.1
# after dns_start, whose trap this one replaces: baresip, dnsmasq, then lib.sh's cleanup
trap 'rc=$?; [ -n "$BS_PID" ] && kill "$BS_PID" 2>/dev/null && wait "$BS_PID" 2>/dev/null; dns_stop; (exit $rc); cleanup' EXIT
start_sessiond --store memory: --rtp-timeout-ms 0 --sip "tls:127.0.0.1:$TLS_PORT" --tls-cert "$C/server.pem" \
    --tls-key "$C/server.key" --tls-ca "$C/ca.pem" --dns-server "127.0.0.1:$DNS_PORT"

BS=$TMP/baresip
mkdir -p "$BS"
cat "$C/server.pem" "$C/server.key" >"$BS/cert.pem"
python3 -c "
import wave, sys
w = wave.open(sys.argv[1], 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b'\0\0' * 8000 * 30); w.close()" "$BS/silence.wav"
cat >"$BS/config" <<CFG
poll_method		epoll
sip_listen		127.0.0.1:$BS_PORT
sip_certificate		$BS/cert.pem
sip_cafile		$C/ca.pem
dns_server		127.0.0.1:53
audio_player		aufile,$BS/heard.wav
audio_source		aufile,$BS/silence.wav
audio_alert		aufile,$BS/alert.wav
module_path		$MODS
module			g711.so
module			aufile.so
module_app		account.so
module_app		menu.so
CFG
printf '<sip:bob@127.0.0.1>;regint=0;answermode=auto\n' >"$BS/accounts"
(cd "$BS" && exec timeout 60 baresip -f "$BS" -e "/dial sip:100@127.0.0.1:$TLS_PORT;transport=tls" \
    >"$TMP/baresip.out" 2>&1 </dev/null) &
BS_PID=$!

# 1. baresip calls over TLS: sessiond answers (auto), the call is up on both sides
id=$(wait_any_session 10)
wait_state "$id" Active
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"transport":"tls"' || fail "session transport is not tls: $HTTP_BODY"
for _ in $(seq 1 100); do grep -aq "Call established" "$TMP/baresip.out" && break; sleep 0.05; done
grep -aq "Call established: sip:100@127.0.0.1:$TLS_PORT;transport=tls" "$TMP/baresip.out" ||
    fail "baresip: no call established: $(tail -n 5 "$TMP/baresip.out")"
[ "$(metric sessioncore_sip_tls_handshakes_total)" -ge 1 ] || fail "no TLS handshake counted"

# sessiond hangs up: BYE over TLS, baresip answers it and closes the call
http POST "/sessions/$id/hangup"
wait_state "$id" Terminated
# (baresip 1.0 reports a BYE it received as "session closed: Connection reset by peer")
for _ in $(seq 1 100); do grep -aq "session closed" "$TMP/baresip.out" && break; sleep 0.05; done
grep -aq "sip:100@127.0.0.1:$TLS_PORT;transport=tls: session closed" "$TMP/baresip.out" ||
    fail "baresip did not see the hangup: $(tail -n 5 "$TMP/baresip.out")"
expect_history "$id" DialogACK

# 2. sessiond calls baresip's TLS listener (its certificate checked against --tls-ca)
http POST /calls "{\"to\":\"sip:bob@127.0.0.1:$((BS_PORT + 1));transport=tls\"}"
out=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$out" ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
wait_state "$out" Active
n=$(grep -ac "Call established" "$TMP/baresip.out")
[ "$n" -ge 2 ] || fail "baresip did not answer our TLS call: $(tail -n 5 "$TMP/baresip.out")"
http POST "/sessions/$out/hangup"
wait_state "$out" Terminated
for _ in $(seq 1 100); do [ "$(grep -ac "session closed" "$TMP/baresip.out")" -ge 2 ] && break; sleep 0.05; done
[ "$(grep -ac "session closed" "$TMP/baresip.out")" -ge 2 ] || fail "baresip did not see our BYE: $(tail -n 5 "$TMP/baresip.out")"
expect_outcome "$out" normal
[ "$(metric sessioncore_sip_tls_handshakes_total)" -ge 2 ] || fail "our outgoing TLS handshake not counted"

# 3. by name: a name the certificate does not carry is refused (DialogError), then
# sips:bob@pbx.example.test located by NAPTR/SRV reaches baresip over TLS, its name checked
http POST /calls '{"to":"sips:bob@wrong.example.test"}'
bad=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$bad" ] || fail "POST /calls (wrong name): $HTTP_STATUS $HTTP_BODY"
wait_metric 'sessioncore_sip_tls_failures_total{reason="certificate"}' 1 10
grep -q "TLS connection to 127.0.0.1:$((BS_PORT + 1)) closed: certificate" "$SD_LOG" ||
    fail "no log line for the refused certificate"
for _ in $(seq 1 100); do
    http GET "/sessions/$bad"; [ "$(json_str state)" = Active ] && fail "a call to a name the certificate lacks went up"
    printf '%s' "$HTTP_BODY" | grep -q '"outcome":null' || break
    sleep 0.05
done
expect_history "$bad" DialogError
http POST /calls '{"to":"sips:bob@pbx.example.test"}'
named=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$named" ] || fail "POST /calls (sips by name): $HTTP_STATUS $HTTP_BODY"
wait_state "$named" Active
http POST "/sessions/$named/hangup"
wait_state "$named" Terminated
[ "$(metric 'sessioncore_sip_tls_failures_total{reason="certificate"}')" = 1 ] || fail "certificate failures != 1"
for r in handshake plaintext truncated timeout protocol; do
    [ "$(metric "sessioncore_sip_tls_failures_total{reason=\"$r\"}")" = 0 ] || fail "TLS failure counted: $r"
done
stop_sessiond
pass
