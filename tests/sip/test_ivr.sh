#!/usr/bin/env bash
# The IVR of tables/examples/ivr.yaml with its prompts (tables/examples/sounds), three SIPp callers
# whose media is an rtp_probe:
# 1. the welcome prompt arrives as PCMU at ~50 packets/s and is the prompt's audio (correlation
#    with welcome.flac); the probe then sends a 400 Hz tone and the RFC 4733 digits 1234: the
#    first stops the prompt (barge-in: PlaybackDone code 1) and still counts; DigitsCollected
#    with the variable digits=1234 routes to Accepted (VarEquals), whose prompt plays before the
#    IVR hangs up; the mixed recording <id>.wav exists, lasts the call and holds the caller's
#    tone (Goertzel at 400 Hz) besides our prompts.
# 2. a caller typing 9 then # (the terminator, not stored) over the welcome: digits=9 routes to
#    Invalid.
# 3. a caller that types nothing: the welcome plays to its end (PlaybackDone code 0) and the
#    collection times out (DigitsTimeout); its recording directory is a file, so RecordingFailed
#    is raised and the call goes on all the same; the goodbye prompt has been removed, so its
#    PlayFile fails: ActionFailed (with an error line naming the file) ends the call with a BYE.
# Metrics: playbacks, recordings and digit collections by result; inspection's "voice".
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
SOUNDS=$TMP/sounds
mkdir -p "$TMP/rec" && cp -r "$SRC/tables/examples/sounds" "$SOUNDS"
# the example with its recordings in the test's directory and a 1 s first-digit timeout
sed -e "s#path: /tmp#path: $TMP/rec#" -e 's/first_digit_timeout_ms: 5000/first_digit_timeout_ms: 1000/' \
    "$SRC/tables/examples/ivr.yaml" >"$TMP/ivr.yaml"
grep -q "path: $TMP/rec" "$TMP/ivr.yaml" && grep -q 'first_digit_timeout_ms: 1000' "$TMP/ivr.yaml" ||
    fail "could not adapt the example table"
start_sessiond --table "$TMP/ivr.yaml" --sounds-dir "$SOUNDS" --rtp-timeout-ms 0

# call NAME PROBE_PORT: a SIPp caller in the background (SIPP_BG) whose media is at the probe.
call() {
    (cd "$TMP" && exec timeout 30 "$SIPP" -sf "$SCEN/ivr_uac.xml" -m 1 -l 1 -timeout 20s -timeout_error \
        -trace_err -error_file "$TMP/$1.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" -set probe "$2" \
        "127.0.0.1:$SIP_PORT" >"$TMP/$1.out" 2>&1) &
    SIPP_BG=$!
}
# history_of ID: the session's history (JSON)
history_of() { http GET "/sessions/$1/history"; printf '%s' "$HTTP_BODY"; }

# ---- 1: the code 1234, its first digit over the welcome prompt --------------------------------
P1=$(free_port)
call c1 "$P1"
id=$(wait_any_session)
wait_state "$id" Welcome
# the welcome lasts 2.3 s: listen to 0.8 s of it, then type the code over the rest
"$PROBE" --port "$P1" --seconds 0.8 --wav "$SOUNDS/welcome.flac" >"$TMP/welcome.json" || fail "probe failed"
echo "welcome: $(cut -c1-200 "$TMP/welcome.json")"
pk=$(probe_json packets "$TMP/welcome.json"); corr=$(probe_json correlation "$TMP/welcome.json")
[ "$pk" -ge 30 ] || fail "too few prompt packets: $(cat "$TMP/welcome.json")"
grep -q '"payload_types":{"0":' "$TMP/welcome.json" || fail "prompt not PCMU: $(cat "$TMP/welcome.json")"
awk -v c="$corr" 'BEGIN { exit !(c >= 0.8) }' || fail "the audio is not welcome.flac (correlation $corr)"
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"voice":{[^}]*"playing":"welcome.flac"' || fail "inspection: no welcome playing: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q "\"recording\":\\[\"$TMP/rec/$id.wav\"\\]" || fail "inspection: not recording: $HTTP_BODY"
lport=$(rtp_port "$id")
"$PROBE" --port "$P1" --seconds 2.6 --to "127.0.0.1:$lport" --dtmf 1234 --dtmf-at-ms 50 \
    >"$TMP/digits.json" || fail "probe failed"
wait_sipp
wait_state "$id" Terminated
expect_history "$id" IncomingCall DialogACK DtmfReceived PlaybackDone DtmfReceived DtmfReceived DtmfReceived \
    DigitsCollected PlaybackDone Dialog200OK
h=$(history_of "$id")
printf '%s' "$h" | grep -o '"event":"PlaybackDone"[^}]*' | head -n 1 | grep -q '"event_code":1' ||
    fail "the first PlaybackDone is not a barge-in (code 1): $h"
printf '%s' "$h" | grep -q '"to":"Accepted"' || fail "1234 did not route to Accepted: $h"
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"variables":{[^}]*"digits":"1234"' || fail "variable digits: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"outcome":"normal"' || fail "outcome: $HTTP_BODY"

# the recording: completed WAV, about the call's length, our prompts and the caller's tone
wav=$TMP/rec/$id.wav
for _ in $(seq 1 40); do [ -s "$wav" ] && python3 -c 'import wave,sys; wave.open(sys.argv[1]).getnframes() > 0 or sys.exit(1)' "$wav" 2>/dev/null && break; sleep 0.05; done
python3 - "$wav" <<'EOF' || fail "recording $wav"
import math, struct, sys, wave
w = wave.open(sys.argv[1])
assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000), w.getparams()
n = w.getnframes()
x = struct.unpack("<%dh" % n, w.readframes(n))
secs = n / 8000.0
rms = math.sqrt(sum(v * v for v in x) / max(n, 1))
# the caller's 400 Hz tone (Goertzel) in 100 ms blocks: its share of the block's energy
def share(block, f=400.0):
    k = 2 * math.cos(2 * math.pi * f / 8000.0); s1 = s2 = 0.0
    for v in block:
        s1, s2 = v + k * s1 - s2, s1
    energy = sum(v * v for v in block)
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / (len(block) * energy / 2) if energy else 0.0
tone = sum(1 for i in range(0, n - 800, 800) if share(x[i:i + 800]) > 0.05)
print("recording: %.2f s, rms %.0f, %d blocks of 100 ms with the caller's tone" % (secs, rms, tone))
assert 2.0 <= secs <= 15, secs
assert rms > 300, rms
assert tone >= 3, tone
EOF

# ---- 2: 9#, the terminator ends the code ---------------------------------------------------------
P3=$(free_port)
call c3 "$P3"
id3=$(for _ in $(seq 1 100); do
    n=$(session_ids | grep -v -x "$id" | head -n 1); [ -n "$n" ] && { echo "$n"; break; }; sleep 0.05
done)
[ -n "$id3" ] || fail "no session for the second caller"
wait_state "$id3" Welcome
lport=$(rtp_port "$id3")
"$PROBE" --port "$P3" --seconds 2 --to "127.0.0.1:$lport" --dtmf '9#' --dtmf-at-ms 50 >"$TMP/digits3.json" ||
    fail "probe failed"
wait_sipp
wait_state "$id3" Terminated
expect_history "$id3" DialogACK DtmfReceived PlaybackDone DtmfReceived DigitsCollected PlaybackDone Dialog200OK
h=$(history_of "$id3")
printf '%s' "$h" | grep -q '"to":"Invalid"' || fail "9# did not route to Invalid: $h"
printf '%s' "$h" | grep -o '"event":"DigitsCollected"[^}]*' | grep -q '"event_code":1,"event_text":"9"' ||
    fail "DigitsCollected is not the one digit 9: $h"
http GET "/sessions/$id3"
printf '%s' "$HTTP_BODY" | grep -q '"variables":{[^}]*"digits":"9"' || fail "variable digits: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"outcome":"rejected"' || fail "outcome: $HTTP_BODY"

# ---- 3: no digits; the recording cannot be written ---------------------------------------------
rm -rf "$TMP/rec" && : >"$TMP/rec" # a file where the directory should be: ENOTDIR
rm "$SOUNDS/goodbye.flac"
P2=$(free_port)
call c2 "$P2"
id2=$(for _ in $(seq 1 100); do
    n=$(session_ids | grep -v -x -e "$id" -e "$id3" | head -n 1); [ -n "$n" ] && { echo "$n"; break; }; sleep 0.05
done)
[ -n "$id2" ] || fail "no second session"
wait_sipp
wait_state "$id2" Terminated
expect_history "$id2" IncomingCall DialogACK RecordingFailed PlaybackDone DigitsTimeout ActionFailed Dialog200OK
h=$(history_of "$id2")
printf '%s' "$h" | grep -o '"event":"RecordingFailed"[^}]*' | grep -q 'Not a directory' ||
    fail "RecordingFailed does not say why: $h"
printf '%s' "$h" | grep -o '"event":"PlaybackDone"[^}]*' | head -n 1 | grep -q '"event_code":0' ||
    fail "the welcome did not play to its end: $h"
printf '%s' "$h" | grep -o '"event":"DigitsTimeout"[^}]*' | grep -q '"name":"PlayFile","result":-2' ||
    fail "DigitsTimeout's PlayFile did not fail with -ENOENT: $h"
printf '%s' "$h" | grep -o '"event":"ActionFailed"[^}]*' | grep -q '"event_text":"PlayFile"' || fail "ActionFailed: $h"
http GET "/sessions/$id2"
printf '%s' "$HTTP_BODY" | grep -q '"outcome":"failed"' || fail "outcome: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"variables":{[^}]*"digits":""' || fail "variable digits (none typed): $HTTP_BODY"
grep -q "PlayFile: cannot play $SOUNDS/goodbye.flac: No such file or directory" "$SD_LOG" || fail "no log line for the missing prompt"
grep -q "recording failed: $TMP/rec/$id2.wav" "$SD_LOG" || fail "no log line for the failed recording"

# ---- metrics -----------------------------------------------------------------------------------
for m in 'sessioncore_playbacks_total{result="barge_in"} 2' 'sessioncore_playbacks_total{result="done"} 3' \
    'sessioncore_playbacks_total{result="failed"} 1' 'sessioncore_recordings_total{result="started"} 3' \
    'sessioncore_recordings_total{result="completed"} 2' 'sessioncore_recordings_total{result="failed"} 1' \
    'sessioncore_digit_collections_total{result="collected"} 2' \
    'sessioncore_digit_collections_total{result="timeout"} 1'; do
    got=$(metric "${m% *}")
    [ "$got" = "${m##* }" ] || fail "${m% *} = $got, expected ${m##* }"
done
pass
