#!/usr/bin/env bash
# A music on hold class chosen per hold from the API: POST /sessions/{id}/hold {"moh":"jazz"}
# plays --moh-class jazz=FILE (its decoded audio correlates with that file, not with the
# default tune); an unknown class is a 400 and the call stays up; the next hold without a class
# plays the table's choice (the default tune) again.
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
# jazz.wav: 3 s of a 440 Hz + 660 Hz chord, 8 kHz mono 16-bit (nothing like the default tune)
python3 - "$TMP/jazz.wav" <<'PY' || fail "cannot write jazz.wav"
import math, struct, sys, wave
w = wave.open(sys.argv[1], "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * i / 8000) +
                                             4000 * math.sin(2 * math.pi * 660 * i / 8000 + 1.0)))
                       for i in range(3 * 8000)))
w.close()
PY
PROBE_PORT=$(free_port)
start_sessiond --rtp-timeout-ms 0 --moh-class "jazz=$TMP/jazz.wav"
start_sipp_uas media_uas_hold2 -set probe "$PROBE_PORT"
http POST /calls "{\"to\":\"sip:alice@127.0.0.1:$SIPP_PORT\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
wait_state "$id" Active

http POST "/sessions/$id/hold" '{"moh":"blues"}'
[ "$HTTP_STATUS" = 400 ] || fail "hold with an unknown class: $HTTP_STATUS $HTTP_BODY"
http POST "/sessions/$id/hold" '{"moh":7}'
[ "$HTTP_STATUS" = 400 ] || fail "hold with a non-string class: $HTTP_STATUS $HTTP_BODY"
http GET "/sessions/$id"; [ "$(json_str state)" = Active ] || fail "a refused hold moved the call: $HTTP_BODY"

# corr_with WAV: correlation of 2 s of what the probe hears with WAV
corr_with() {
    "$PROBE" --port "$PROBE_PORT" --seconds 2 --wav "$1" >"$TMP/probe.json" || fail "probe failed"
    probe_json correlation "$TMP/probe.json"
}
http POST "/sessions/$id/hold" '{"moh":"jazz"}'
[ "$HTTP_STATUS" = 200 ] || fail "hold jazz: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" OnHold
c=$(corr_with "$TMP/jazz.wav")
awk -v c="$c" 'BEGIN { exit !(c >= 0.9) }' || fail "the jazz class is not what plays (corr $c)"
c=$(corr_with "$SRC/media/moh-default.wav")
awk -v c="$c" 'BEGIN { exit !(c < 0.5) }' || fail "the default tune plays instead of jazz (corr $c)"

http POST "/sessions/$id/resume"; wait_state "$id" Active
http POST "/sessions/$id/hold"; wait_state "$id" OnHold
c=$(corr_with "$SRC/media/moh-default.wav")
awk -v c="$c" 'BEGIN { exit !(c >= 0.9) }' || fail "a hold without a class does not play the default tune (corr $c)"
http POST "/sessions/$id/hangup"
wait_sipp
pass
