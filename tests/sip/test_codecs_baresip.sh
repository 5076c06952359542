#!/usr/bin/env bash
# Codecs on the wire with a real phone: baresip with only Opus, then with only G.722, calls
# sessiond (auto answer, --codecs pcmu,pcma,opus,g722): the call is established with that codec
# (sessiond's session shows it), a hold plays music on hold to baresip (sessiond's packets_out
# rises; baresip's audio_debug, asked through its ctrl_tcp module, shows its decoder is that
# codec and its RTCP session counts the packets received from our stream), hangup is clean. Then a SIPp
# offer with only GSM gets 488 as its first answer, no 180 before it. baresip runs in a temp
# directory and is stopped by the cleanup trap.
. "$(dirname "$0")/netns.sh" # a third-party daemon: only loopback in reach
. "$(dirname "$0")/lib.sh"
command -v baresip >/dev/null || { echo "SKIP: baresip not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
MODS=/usr/lib/baresip/modules
for m in aufile opus g722 menu account ctrl_tcp; do
    [ -f "$MODS/$m.so" ] || { echo "SKIP: baresip module $m missing"; exit 77; }
done
BS_PID=
stop_baresip() { [ -n "$BS_PID" ] && kill "$BS_PID" 2>/dev/null && wait "$BS_PID" 2>/dev/null; BS_PID=; }
trap 'rc=$?; stop_baresip; (exit $rc); cleanup' EXIT
start_sessiond --store memory: --answer auto --rtp-timeout-ms 0 --codecs pcmu,pcma,opus,g722

# baresip's aufile source must match the codec's rate and channels: Opus 48 kHz stereo, G.722 16 kHz
silence() {
    python3 -c "
import wave, sys
r, c = int(sys.argv[2]), int(sys.argv[3])
w = wave.open(sys.argv[1], 'wb'); w.setnchannels(c); w.setsampwidth(2); w.setframerate(r)
w.writeframes(b'\0\0' * c * r * 20); w.close()" "$@"
}

# call CODEC_MODULE SDP_NAME RATE CHANNELS: one call from baresip with only that codec
call() {
    local mod=$1 name=$2 bs=$TMP/bs-$1 port ctrl lport
    port=$(free_port)
    ctrl=$(free_port)
    mkdir -p "$bs"
    silence "$bs/silence.wav" "$3" "$4"
    cat >"$bs/config" <<CFG
poll_method		epoll
sip_listen		127.0.0.1:$port
net_interface		lo
dns_server		127.0.0.1:53
audio_source		aufile,$bs/silence.wav
audio_alert		aufile,$bs/alert.wav
module_path		$MODS
module			$mod.so
module			aufile.so
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$ctrl
CFG
    printf '<sip:alice@127.0.0.1:%s>;regint=0;answermode=auto\n' "$port" >"$bs/accounts"
    (cd "$bs" && exec timeout 60 baresip -f "$bs" -e "/dial sip:moh@127.0.0.1:$SIP_PORT" >"$bs/out" 2>&1 </dev/null) &
    BS_PID=$!
    local id=
    for _ in $(seq 1 200); do # the new call's session (the ended ones are still listed)
        id=$(session_ids | grep -vxF -e "${SEEN:-none}" | head -n 1)
        [ -n "$id" ] && break
        sleep 0.05
    done
    [ -n "$id" ] || fail "$mod: no session for baresip's call: $(tail -n 5 "$bs/out")"
    SEEN="$SEEN${SEEN:+
}$id"
    wait_state "$id" Active
    http GET "/sessions/$id"
    printf '%s' "$HTTP_BODY" | grep -q "\"codec\":\"$name/" || fail "$mod: session codec is not $name: $HTTP_BODY"
    lport=$(json_str local_rtp | sed 's/.*://')
    # hold: music on hold toward baresip, encoded with its codec
    http POST "/sessions/$id/hold"
    [ "$HTTP_STATUS" = 200 ] || fail "$mod: hold: $HTTP_STATUS $HTTP_BODY"
    wait_state "$id" OnHold
    local out=0
    for _ in $(seq 1 40); do
        http GET "/sessions/$id"
        out=$(printf '%s' "$HTTP_BODY" | grep -o '"packets_out":[0-9]*' | cut -d: -f2)
        [ "${out:-0}" -ge 60 ] && break
        sleep 0.1
    done
    [ "${out:-0}" -ge 60 ] || fail "$mod: music on hold not sent (packets_out $out): $HTTP_BODY"
    printf '%s' "$HTTP_BODY" | grep -q '"moh":true' || fail "$mod: inspection does not show MOH: $HTTP_BODY"
    # baresip's view (ctrl_tcp's audio_debug): it decodes with that codec, and its RTCP session
    # counts the RTP it received from our stream
    python3 - "$ctrl" "$2" "$lport" <<'PY' || fail "$mod: baresip did not receive the music: $(tail -n 5 "$bs/out")"
import socket, json, sys, re, time
port, name, lport = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(('127.0.0.1', port), timeout=3)
m = json.dumps({"command": "audio_debug", "token": "t"}).encode()
s.sendall(b'%d:%s,' % (len(m), m))
data = b''
while not data.endswith(b','):
    d = s.recv(65536)
    if not d:
        break
    data += d
text = json.loads(data[data.index(b':') + 1:-1])["data"]
dec = re.search(r'rx:\s+decode: (\S+)', text)
rcvd = re.search(r'IP=127\.0\.0\.1:%s\s+psent=\d+ rcvd=(\d+)' % lport, text)
print('baresip: decoder %s, received %s RTP packets from us' % (dec and dec.group(1), rcvd and rcvd.group(1)))
sys.exit(0 if dec and dec.group(1).lower() == name.lower() and rcvd and int(rcvd.group(1)) >= 50 else 1)
PY
    # our hold re-INVITE kept the payload type baresip's offer gave the codec (RFC 3264 8.3.2)
    tr '\r' '\n' <"$bs/out" | grep -q 'decoder changed payload' && fail "$mod: the re-INVITE moved the payload type"
    http POST "/sessions/$id/hangup"
    wait_state "$id" Terminated
    expect_outcome "$id" normal
    stop_baresip
    grep -q "rejecting\|cannot" "$SD_LOG" 2>/dev/null && fail "$mod: sessiond refused something: $(grep 'rejecting\|cannot' "$SD_LOG")"
    return 0
}

SEEN=
call opus opus 48000 2
call g722 G722 16000 1

# An offer with only a codec we lack: 488 before any provisional (SIPp fails on a 100/180).
run_sipp uac_unsupported_codec
http GET /sessions
printf '%s' "$HTTP_BODY" | grep -q '"state":"Ringing"' && fail "a session rang for the refused offer: $HTTP_BODY"
pass
