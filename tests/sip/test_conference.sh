#!/usr/bin/env bash
# Conference rooms (tables/examples/conference.yaml): three SIPp callers dial sip:room1@sessiond
# and are answered into room "room1" (JoinConference, the Request-URI's user); each sends its own
# tone (A 400 Hz and C 1100 Hz in PCMU, B 700 Hz in PCMA) and the RTP each receives is decoded and
# measured (tests/sip/conf_rtp.py, Goertzel): alone, A hears silence; together, each hears the
# other two and not itself; muted (the table's MuteConference), B is no longer heard by A and C
# but still hears them; unmuted over HTTP, B is heard again; parked outside the room (the table's
# Leave, guarded by InConference), B hears nothing and is not heard, and Join brings it back. A
# bridge of two participants is refused (409). C leaves with its own BYE, A and B by our hangup;
# GET /conferences, sessionctl conferences/mute/unmute, the session inspection and the metrics
# follow the room until it is freed.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
RTP=$SCEN/conf_rtp.py
PA=$(free_port); PB=$(free_port); PC=$(free_port)
PORT_A=$(free_port); PORT_B=$(free_port); PORT_C=$(free_port)
start_sessiond --rtp-timeout-ms 0 --table "$SRC/tables/examples/conference.yaml"

# call NAME SIP_PORT PROBE_PORT PT ENC: a SIPp caller to room1 in the background (its pid in
# CALLER_PID); waits for its session in InConference and sets SID to it.
declare -A CALLER
call() {
    local name=$1 port=$2 probe=$3 pt=$4 enc=$5 before ids i
    before=$(session_ids | sort)
    (cd "$TMP" && exec timeout 40 "$SIPP" -sf "$SCEN/conf_uac.xml" -m 1 -l 1 -timeout 30s -timeout_error \
        -trace_err -error_file "$TMP/conf_$name.err" -nostdin -i 127.0.0.1 -p "$port" -s room1 \
        -set probe "$probe" -set pt "$pt" -set enc "$enc" "127.0.0.1:$SIP_PORT" >"$TMP/conf_$name.out" 2>&1) &
    CALLER[$name]=$!
    SID=
    for _ in $(seq 1 200); do
        ids=$(session_ids | sort)
        i=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$ids") | head -n 1)
        [ -n "$i" ] && { SID=$i; break; }
        sleep 0.05
    done
    [ -n "$SID" ] || fail "no session for caller $name"
    wait_state "$SID" InConference
}
# amp JSON WHO HEARS: the amplitude of HEARS's tone in what WHO received
amp() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["hears"][sys.argv[3]])' "$@"; }
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' "$@"; }
hears() { # JSON WHO OTHER: WHO hears OTHER's tone (amplitude >= 1500 of 6000)
    local a; a=$(amp "$@")
    awk -v a="$a" 'BEGIN { exit !(a >= 1500) }' || fail "$2 does not hear $3 (amplitude $a): $(cat "$1")"
}
silent() { # JSON WHO OTHER: OTHER's tone is absent from what WHO hears (amplitude < 300)
    local a; a=$(amp "$@")
    awk -v a="$a" 'BEGIN { exit !(a < 300) }' || fail "$2 hears $3 (amplitude $a): $(cat "$1")"
}
room_size() { http GET /conferences/room1; printf '%s' "$HTTP_BODY" | grep -o '"id":' | wc -l; }

# ---- A alone: the room exists, A hears silence ----------------------------------------------------
call A "$PORT_A" "$PA" 0 PCMU; a=$SID
http GET /conferences
[ "$HTTP_STATUS" = 200 ] && printf '%s' "$HTTP_BODY" | grep -q "\"room\":\"room1\"" || fail "GET /conferences: $HTTP_STATUS $HTTP_BODY"
http GET "/sessions/$a"
printf '%s' "$HTTP_BODY" | grep -q '"conference":{"room":"room1","muted":false}' || fail "A's inspection: $HTTP_BODY"
la=$(rtp_port "$a")
python3 "$RTP" 1.2 "A:$PA:$la:pcmu:400" >"$TMP/alone.json" || fail "conf_rtp failed"
echo "alone: $(cat "$TMP/alone.json")"
[ "$(field "$TMP/alone.json" A packets)" -ge 40 ] || fail "A alone receives no RTP: $(cat "$TMP/alone.json")"
awk -v r="$(field "$TMP/alone.json" A rms)" 'BEGIN { exit !(r < 50) }' || fail "A alone hears something: $(cat "$TMP/alone.json")"

# ---- A, B, C: each hears the other two, not itself -------------------------------------------------
call B "$PORT_B" "$PB" 8 PCMA; b=$SID
call C "$PORT_C" "$PC" 0 PCMU; c=$SID
[ "$(room_size)" = 3 ] || fail "room1 should have 3 participants: $HTTP_BODY"
[ "$(metric sessioncore_conference_rooms)" = 1 ] || fail "rooms metric: $(metric sessioncore_conference_rooms)"
[ "$(metric sessioncore_conference_participants)" = 3 ] || fail "participants metric"
lb=$(rtp_port "$b"); lc=$(rtp_port "$c")
parties=("A:$PA:$la:pcmu:400" "B:$PB:$lb:pcma:700" "C:$PC:$lc:pcmu:1100")
python3 "$RTP" 2 "${parties[@]}" >"$TMP/three.json" || fail "conf_rtp failed"
echo "three: $(cat "$TMP/three.json")"
hears "$TMP/three.json" A B; hears "$TMP/three.json" A C; silent "$TMP/three.json" A A
hears "$TMP/three.json" B A; hears "$TMP/three.json" B C; silent "$TMP/three.json" B B
hears "$TMP/three.json" C A; hears "$TMP/three.json" C B; silent "$TMP/three.json" C C

# ---- a participant is not bridged ---------------------------------------------------------------------
http POST "/sessions/$a/bridge" "{\"with\":\"$b\"}"
[ "$HTTP_STATUS" = 409 ] && printf '%s' "$HTTP_BODY" | grep -q conference || fail "bridge in a room: $HTTP_STATUS $HTTP_BODY"

# ---- B muted by the table (Mute event): A and C stop hearing it, B still hears them ---------------------
http POST "/sessions/$b/send" '{"event":"Mute"}'
[ "$HTTP_STATUS" = 200 ] || fail "Mute: $HTTP_STATUS $HTTP_BODY"
http GET "/sessions/$b"
printf '%s' "$HTTP_BODY" | grep -q '"muted":true' || fail "B not shown muted: $HTTP_BODY"
python3 "$RTP" 1.5 "${parties[@]}" >"$TMP/muted.json" || fail "conf_rtp failed"
echo "muted: $(cat "$TMP/muted.json")"
silent "$TMP/muted.json" A B; hears "$TMP/muted.json" A C
silent "$TMP/muted.json" C B; hears "$TMP/muted.json" C A
hears "$TMP/muted.json" B A; hears "$TMP/muted.json" B C

# ---- unmuted over HTTP: heard again ---------------------------------------------------------------------
http POST "/sessions/$b/conference/mute" '{"mute":"no"}'
[ "$HTTP_STATUS" = 400 ] || fail "mute with a bad body: $HTTP_STATUS $HTTP_BODY"
http POST "/sessions/nope/conference/mute" '{"mute":false}'
[ "$HTTP_STATUS" = 404 ] || fail "mute of an unknown session: $HTTP_STATUS"
http POST "/sessions/$b/conference/mute" '{"mute":false}'
[ "$HTTP_STATUS" = 200 ] || fail "unmute: $HTTP_STATUS $HTTP_BODY"
python3 "$RTP" 1.2 "${parties[@]}" >"$TMP/unmuted.json" || fail "conf_rtp failed"
echo "unmuted: $(cat "$TMP/unmuted.json")"
hears "$TMP/unmuted.json" A B; hears "$TMP/unmuted.json" C B

# ---- sessionctl: the rooms, mute and unmute --------------------------------------------------------
CTL=("$BIN/sessionctl" --server "http://127.0.0.1:$HTTP_PORT")
out=$("${CTL[@]}" conferences) || fail "sessionctl conferences: $out"
printf '%s\n' "$out" | grep -q "^room1 *$b *no" && printf '%s\n' "$out" | grep -q "1 room(s), 3 participant(s)" ||
    fail "sessionctl conferences: $out"
"${CTL[@]}" mute "$b" | grep -q "muted in room room1" || fail "sessionctl mute"
"${CTL[@]}" conferences room1 | grep -q "^room1 *$b *yes" || fail "sessionctl conferences room1 after mute"
"${CTL[@]}" unmute "$b" >/dev/null || fail "sessionctl unmute"
"${CTL[@]}" conferences nope >/dev/null 2>&1 && fail "sessionctl conferences of an unknown room succeeded"

# ---- B parked outside the room (Leave), then back (Join): the InConference guard ---------------------
http POST "/sessions/$b/send" '{"event":"Leave"}'
[ "$HTTP_STATUS" = 200 ] || fail "Leave: $HTTP_STATUS $HTTP_BODY"
[ "$(room_size)" = 2 ] || fail "room1 should have 2 participants with B parked: $HTTP_BODY"
python3 "$RTP" 1.2 "${parties[@]}" >"$TMP/parked.json" || fail "conf_rtp failed"
echo "parked: $(cat "$TMP/parked.json")"
silent "$TMP/parked.json" A B; hears "$TMP/parked.json" A C
[ "$(field "$TMP/parked.json" B packets)" -le 2 ] || fail "B hears the room while parked: $(cat "$TMP/parked.json")"
http POST "/sessions/$b/send" '{"event":"Leave"}'
[ "$HTTP_STATUS" = 409 ] && printf '%s' "$HTTP_BODY" | grep -q guards_failed || fail "Leave out of the room: $HTTP_STATUS $HTTP_BODY"
http POST "/sessions/$b/send" '{"event":"Join"}'
[ "$HTTP_STATUS" = 200 ] || fail "Join: $HTTP_STATUS $HTTP_BODY"
[ "$(room_size)" = 3 ] || fail "room1 should have 3 participants with B back: $HTTP_BODY"

# ---- C leaves with its own BYE (a SIP INFO from POST /dtmf tells SIPp to) ---------------------------
http POST "/sessions/$c/dtmf" '{"digits":"1"}'
[ "$HTTP_STATUS" = 200 ] || fail "dtmf to C: $HTTP_STATUS $HTTP_BODY"
wait_state "$c" Terminated
wait "${CALLER[C]}" || fail "caller C (SIPp) failed: $(cat "$TMP/conf_C.out" | tail -n 5)"
expect_history "$c" DialogBYE
[ "$(room_size)" = 2 ] || fail "room1 should have 2 participants after C's BYE: $HTTP_BODY"
http POST "/sessions/$c/conference/mute" '{"mute":true}'
[ "$HTTP_STATUS" = 409 ] || fail "mute of a session in no room: $HTTP_STATUS $HTTP_BODY"

# ---- A and B hung up by us: the room is freed ------------------------------------------------------------
http POST "/sessions/$a/hangup"; http POST "/sessions/$b/hangup"
wait_state "$a" Terminated; wait_state "$b" Terminated
wait "${CALLER[A]}" || fail "caller A (SIPp) failed"
wait "${CALLER[B]}" || fail "caller B (SIPp) failed"
http GET /conferences
[ "$HTTP_BODY" = "[]" ] || fail "rooms left after everyone left: $HTTP_BODY"
http GET /conferences/room1
[ "$HTTP_STATUS" = 404 ] || fail "room1 still exists: $HTTP_STATUS $HTTP_BODY"
[ "$(metric sessioncore_conference_rooms)" = 0 ] || fail "rooms metric after the last leave"
[ "$(metric sessioncore_conference_participants)" = 0 ] || fail "participants metric after the last leave"
[ "$(metric sessioncore_conference_joins_total)" = 4 ] || fail "joins metric: $(metric sessioncore_conference_joins_total)"
ticks=$(metric sessioncore_conference_mix_ticks_total)
[ "$ticks" -ge 200 ] || fail "mix ticks: $ticks"
echo "mixing: $ticks ticks in $(metric sessioncore_conference_mix_seconds_total) s, the longest $(metric sessioncore_conference_mix_max_seconds) s"
expect_history "$a" IncomingCall DialogACK HangupCall
pass
