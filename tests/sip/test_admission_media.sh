#!/usr/bin/env bash
# Media-capacity admission: with an RTP range of 3 pairs (6 ports) and no session cap given
# (the automatic one comes from memory), SIPp offers 6 concurrent calls: 3 are admitted and
# work, the other 3 get 503 with Retry-After as their first answer (the scenario fails on a
# 100 or 180 before it), counted as sessioncore_admission_rejected_total{reason="media_ports"};
# POST /calls meanwhile gets HTTP 503 naming the reason. After the calls end new calls are
# admitted again. A B2BUA-routed INVITE needs two pairs: with one pair left it is refused
# while a plain call still gets in. The effective caps are in /metrics, /healthz and the log.
. "$(dirname "$0")/lib.sh"
range_free() { # P: the 6 ports P..P+5 are unused
    local i; for i in 0 1 2 3 4 5; do port_in_use $(($1 + i)) && return 1; done; return 0
}
for _ in $(seq 1 100); do
    RTP=$(( (40000 + RANDOM % 20000) & ~1 )); range_free "$RTP" && break
done
start_sessiond --answer auto --ring-delay-ms 0 --media-ports "$RTP-$((RTP + 5))" \
    --route "carol=sip:carol@127.0.0.1:$(free_port),from=any"
refused() { metric "sessioncore_admission_rejected_total{reason=\"media_ports\",source=\"$1\"}"; }
normal() { metric 'sessioncore_sessions_ended_total{role="uas",outcome="normal"}'; }
wait_active() { # N: N incoming calls Active
    for _ in $(seq 1 100); do
        [ "$(metric 'sessioncore_sessions_active{state="Active",role="uas"}')" = "$1" ] && return 0; sleep 0.05
    done
    fail "expected $1 active calls, have $(metric 'sessioncore_sessions_active{state="Active",role="uas"}')"
}
sipp_bg() { # NAME CALLS HOLD_MS [args]: admission_media_uac in the background (SIPP_BG_PID), own port
    local name=$1 calls=$2 hold=$3 port; shift 3; port=$(free_port)
    (cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/admission_media_uac.xml" -m "$calls" -l "$calls" -r 100 \
        -d "$hold" -timeout 30s -timeout_error -trace_err -error_file "$TMP/$name.err" -nostdin -i 127.0.0.1 \
        -p "$port" "$@" "127.0.0.1:$SIP_PORT" >"$TMP/$name.out" 2>&1) &
    SIPP_BG_PID=$!
}
sipp_wait() { wait "$SIPP_BG_PID" || fail "sipp $1 failed: $(grep -h -i -m 5 -E 'error|unexpected|aborted|failed' "$TMP/$1.out" "$TMP"/*errors.log 2>/dev/null)"; }

# The caps in force: the automatic session cap (from memory), 3 RTP pairs, in the log too.
[ "$(metric 'sessioncore_admission_limit{kind="media_pairs"}')" = 3 ] || fail "media_pairs limit not 3"
[ "$(metric 'sessioncore_admission_limit{kind="sessions"}')" -gt 0 ] || fail "no automatic session cap"
grep -q 'admission limits: max_sessions [0-9]* (auto).*RTP pairs 3 (range 3' "$SD_LOG" || fail "caps not logged"

# 6 concurrent calls on 3 pairs: 3 admitted, 3 refused with 503 + Retry-After first.
sipp_bg full 6 4000 -s bob
wait_active 3
http POST /calls "{\"to\":\"sip:x@127.0.0.1:$(free_port)\"}"
[ "$HTTP_STATUS" = 503 ] || fail "POST /calls with no RTP pair left: $HTTP_STATUS $HTTP_BODY"
[ "$(json_str reason)" = media_ports ] || fail "POST /calls 503 without the reason: $HTTP_BODY"
[ "$(refused api)" = 1 ] || fail "API refusal not counted as media_ports"
http GET '/healthz?details=1'
printf '%s' "$HTTP_BODY" | grep -q '"admission_media_pairs":3' || fail "/healthz lacks the media cap: $HTTP_BODY"
sipp_wait full
[ "$(refused sip)" = 3 ] || fail "media_ports refusals: $(refused sip), expected 3"
[ "$(normal)" = 3 ] || fail "admitted calls ended normal: $(normal), expected 3"

# The calls ended, their pairs are free: 3 new calls are all admitted.
sipp_bg again 3 500 -s bob
sipp_wait again
[ "$(refused sip)" = 3 ] || fail "calls refused after the pairs were freed: $(refused sip)"
[ "$(normal)" = 6 ] || fail "second round ended normal: $(normal), expected 6"

# Two calls up, one pair left: a routed INVITE (it would bring an outgoing leg) is refused,
# a plain one still gets the last pair.
sipp_bg hold 2 4000 -s bob
HOLD_PID=$SIPP_BG_PID
wait_active 2
sipp_bg routed 1 500 -s carol
sipp_wait routed
[ "$(refused sip)" = 4 ] || fail "routed INVITE with one pair left not refused: $(refused sip)"
grep -q 'refusing INVITE .*: media_ports' "$SD_LOG" || fail "refusal not logged"
sipp_bg last 1 500 -s bob
sipp_wait last
SIPP_BG_PID=$HOLD_PID; sipp_wait hold
[ "$(refused sip)" = 4 ] || fail "plain call with one pair left refused"
[ "$(normal)" = 9 ] || fail "third round ended normal: $(normal), expected 9"
stop_sessiond

# Explicit 0 still means no cap.
start_sessiond --max-sessions 0 --max-memory 0 --media-ports "$RTP-$((RTP + 5))"
[ "$(metric 'sessioncore_admission_limit{kind="sessions"}')" = 0 ] || fail "--max-sessions 0 is not 'none'"
[ "$(metric 'sessioncore_admission_limit{kind="memory_bytes"}')" = 0 ] || fail "--max-memory 0 is not 'none'"
grep -q 'admission limits: max_sessions none, max_memory none' "$SD_LOG" || fail "explicit none not logged"
pass
