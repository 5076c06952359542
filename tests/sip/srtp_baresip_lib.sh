#!/usr/bin/env bash
# srtp_baresip_lib.sh: a baresip phone for the SRTP wire tests (test_srtp_*.sh), sourced after
# lib.sh: its own config directory, listening on loopback, an account with
# mediaenc=srtp-mand and PCMU only (BS_CODEC=opus|G722: that codec's module alone, and no player), no
# audio device (aufile source of silence, ALSA's null player), answering automatically; with BS_CERTS=DIR
# (tls_certs.sh's) it also listens on TLS (its SIP port + 1) with DIR's server certificate and
# trusts DIR's CA. Stopped by the cleanup trap. And the SRTP metrics.
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
    # its aufile source must match the codec's rate and channels: Opus 48 kHz stereo, G.722 16 kHz
    local rate=8000 ch=1
    case "${BS_CODEC:-PCMU}" in opus) rate=48000 ch=2 ;; G722) rate=16000 ;; esac
    python3 -c "
import wave, sys
r, c = int(sys.argv[2]), int(sys.argv[3])
w = wave.open(sys.argv[1], 'wb'); w.setnchannels(c); w.setsampwidth(2); w.setframerate(r)
w.writeframes(b'\0\0' * c * r * 30); w.close()" "$BS/silence.wav" "$rate" "$ch"
    cat >"$BS/config" <<CFG
poll_method		epoll
sip_listen		127.0.0.1:$BS_PORT
dns_server		127.0.0.1:53
audio_source		aufile,$BS/silence.wav
$( [ "${BS_CODEC:-PCMU}" = PCMU ] && printf 'audio_player\t\talsa,null' )
audio_alert		aufile,$BS/alert.wav
module_path		$MODS
$( [ "${BS_CODEC:-PCMU}" = PCMU ] && printf 'module\t\t\tg711.so' )
$( [ "${BS_CODEC:-PCMU}" = PCMU ] && printf 'module\t\t\talsa.so' )
module			aufile.so
module			srtp.so
module_app		account.so
module_app		menu.so
CFG
    case "${BS_CODEC:-PCMU}" in
    opus) echo "module			opus.so" >>"$BS/config" ;;
    G722) echo "module			g722.so" >>"$BS/config" ;;
    esac
    if [ -n "${BS_CERTS:-}" ]; then
        cat "$BS_CERTS/server.pem" "$BS_CERTS/server.key" >"$BS/cert.pem"
        printf 'sip_certificate\t\t%s\nsip_cafile\t\t%s\n' "$BS/cert.pem" "$BS_CERTS/ca.pem" >>"$BS/config"
    fi
    printf '<sip:bob@127.0.0.1:%s>;regint=0;answermode=auto;mediaenc=srtp-mand;audio_codecs=%s\n' "$BS_PORT" \
        "${BS_CODEC:-PCMU}" >"$BS/accounts"
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
