#!/usr/bin/env bash
# A real phone: baresip (its own config directory, listening on loopback, no audio device:
# aufile source and player) registers sip:bob@pbx.test with a password through its outbound
# proxy setting (sessiond), then answers a call that POST /calls sends to the AOR.
# baresip 1.0 (libre 1.1) aborts on a SHA-256 challenge, even listed second, so this runs
# with --auth-algorithms MD5 (docs/operations.md). baresip is stopped by the cleanup trap.
. "$(dirname "$0")/netns.sh" # a third-party daemon: only loopback in reach
. "$(dirname "$0")/lib.sh"
command -v baresip >/dev/null || { echo "SKIP: baresip not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
MODS=/usr/lib/baresip/modules
[ -f "$MODS/aufile.so" ] && [ -f "$MODS/g711.so" ] || { echo "SKIP: baresip modules missing"; exit 77; }
BS_PID=
trap 'rc=$?; [ -n "$BS_PID" ] && kill "$BS_PID" 2>/dev/null && wait "$BS_PID" 2>/dev/null; (exit $rc); cleanup' EXIT
printf -- '- {user: bob, password: b0bs-secret}\n' >"$TMP/users.yaml"
chmod 600 "$TMP/users.yaml"
start_sessiond --store memory: --realm pbx.test --users "$TMP/users.yaml" --auth-algorithms MD5 --rtp-timeout-ms 0

BS=$TMP/baresip
BS_PORT=$(free_port)
mkdir -p "$BS"
python3 -c "
import wave, sys
w = wave.open(sys.argv[1], 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b'\0\0' * 8000 * 30); w.close()" "$BS/silence.wav"
cat >"$BS/config" <<CFG
poll_method		epoll
sip_listen		127.0.0.1:$BS_PORT
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
printf '<sip:bob@pbx.test>;auth_pass=b0bs-secret;outbound="sip:127.0.0.1:%s";answermode=auto;regint=300\n' \
    "$SIP_PORT" >"$BS/accounts"
chmod 600 "$BS/accounts"
(cd "$BS" && exec timeout 60 baresip -f "$BS" >"$TMP/baresip.out" 2>&1 </dev/null) &
BS_PID=$!

# registered: the binding's user agent is baresip's
for _ in $(seq 1 100); do
    http GET /registrations
    printf '%s' "$HTTP_BODY" | grep -q '"user_agent":"baresip' && break
    sleep 0.1
done
printf '%s' "$HTTP_BODY" | grep -q '"user_agent":"baresip' || fail "baresip did not register: $HTTP_BODY $(tail -n 5 "$TMP/baresip.out")"
printf '%s' "$HTTP_BODY" | grep -q "@127.0.0.1:$BS_PORT" || fail "binding not at baresip's port: $HTTP_BODY"
[ "$(metric 'sessioncore_register_total{outcome="ok"}')" -ge 1 ] || fail "no successful REGISTER counted"

# a call to the AOR: baresip answers it
http POST /calls '{"to":"sip:bob@pbx.test"}'
id=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$id" ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
grep -aq "answering call" "$TMP/baresip.out" || fail "baresip did not answer: $(tail -n 5 "$TMP/baresip.out")"
http POST "/sessions/$id/hangup"
wait_state "$id" Terminated
grep -q b0bs-secret "$SD_LOG" "$TMP/sessiond.out" && fail "the password is in sessiond's log"
pass
