#!/usr/bin/env bash
# srtp_baresip_lib.sh: a baresip phone for the SRTP wire tests (test_srtp_*.sh), sourced after
# lib.sh: its own config directory, listening on loopback, an account with
# mediaenc=srtp-mand and PCMU only, no audio device (aufile source of silence, ALSA's null
# player), answering automatically; stopped by the cleanup trap. And the SRTP metrics.
command -v baresip >/dev/null || { echo "SKIP: baresip not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
MODS=/usr/lib/baresip/modules
for m in aufile alsa g711 srtp; do [ -f "$MODS/$m.so" ] || { echo "SKIP: baresip module $m missing"; exit 77; }; done
BS_PID=
trap 'rc=$?; [ -n "$BS_PID" ] && kill "$BS_PID" 2>/dev/null && wait "$BS_PID" 2>/dev/null; (exit $rc); cleanup' EXIT
BS=$TMP/baresip
BS_PORT=$(free_port)

# bs_start [baresip args...]: start baresip (e.g. -e "/dial URI" to call at start).
bs_start() {
    mkdir -p "$BS"
    python3 -c "
import wave, sys
w = wave.open(sys.argv[1], 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b'\0\0' * 8000 * 30); w.close()" "$BS/silence.wav"
    cat >"$BS/config" <<CFG
poll_method		epoll
sip_listen		127.0.0.1:$BS_PORT
dns_server		127.0.0.1:53
audio_source		aufile,$BS/silence.wav
audio_player		alsa,null
audio_alert		aufile,$BS/alert.wav
module_path		$MODS
module			g711.so
module			alsa.so
module			aufile.so
module			srtp.so
module_app		account.so
module_app		menu.so
CFG
    printf '<sip:bob@127.0.0.1:%s>;regint=0;answermode=auto;mediaenc=srtp-mand;audio_codecs=PCMU\n' "$BS_PORT" >"$BS/accounts"
    (cd "$BS" && exec timeout 60 baresip -f "$BS" "$@" >"$TMP/baresip.out" 2>&1 </dev/null) &
    BS_PID=$!
}

# estab: the calls in which baresip's audio stream took RTP from us: it says so at the first
# packet its srtp module decrypted (what does not decrypt is dropped and reported before)
estab() { grep -a -c "incoming rtp for 'audio' established" "$TMP/baresip.out"; }
bs_decrypt_ok() { ! grep -aq "failed to decrypt" "$TMP/baresip.out"; }
m_protect() { metric 'sessioncore_srtp_packets_total{op="protect"}'; }
m_unprotect() { metric 'sessioncore_srtp_packets_total{op="unprotect"}'; }
m_authfail() { metric 'sessioncore_srtp_dropped_total{reason="auth_failure"}'; }
