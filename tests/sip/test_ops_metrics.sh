#!/usr/bin/env bash
# Metrics and probes: a SIPp run of N calls moves the counters exactly as the calls did
# (N uas sessions ended normal, the duration histogram counts N, N INVITEs and BYEs in, more
# only by the retransmissions absorbed), the store's writer reports its ops and commit times, every metric of the shipped dashboard and
# alert rules is in the scrape, the
# exposition passes `promtool check metrics` in both formats while scraped during the run;
# /livez goes 503 while the loop is blocked (test hook) and back to 200; /readyz is 503 with
# the reason while a readiness check fails and 200 after.
. "$(dirname "$0")/lib.sh"
N=20
export SESSIOND_TEST_HOOKS=1
start_sessiond --answer auto
# scrape during the run
( for _ in $(seq 1 40); do curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/metrics"; sleep 0.1; done ) &
SCRAPER=$!
run_sipp_load uac_bye "$N" 10 10
wait "$SCRAPER"
wait_metric 'sessioncore_sessions_ended_total{role="uas",outcome="normal"}' "$N"
[ "$(metric 'sessioncore_sessions_total{role="uas"}')" = "$N" ] || fail "sessions_total uas != $N"
[ "$(metric 'sessioncore_session_duration_seconds_count{role="uas"}')" = "$N" ] || fail "duration histogram count != $N"
[ "$(metric 'sessioncore_session_duration_seconds_bucket{role="uas",le="+Inf"}')" = "$N" ] || fail "+Inf bucket != $N"
# every INVITE and BYE counted; beyond N only SIPp's retransmissions (a loaded machine is slow to
# answer), which the retransmission counter absorbed
inv=$(metric 'sessioncore_sip_messages_total{direction="in",method="INVITE",class="request"}')
bye=$(metric 'sessioncore_sip_messages_total{direction="in",method="BYE",class="request"}')
rin=$(metric 'sessioncore_sip_retransmissions_total{direction="in",method="any"}')
[ "$inv" -ge "$N" ] && [ "$bye" -ge "$N" ] && [ $((inv + bye)) -le $((2 * N + rin)) ] ||
    fail "INVITEs in $inv, BYEs in $bye, retransmissions absorbed $rin (N = $N)"
ok_out=$(metric 'sessioncore_sip_messages_total{direction="out",method="any",class="2xx"}')
[ "$ok_out" -ge $((2 * N)) ] || fail "2xx out = $ok_out, expected >= $((2 * N))"
[ "$(metric 'sessioncore_transitions_total{event="IncomingCall",outcome="ok"}')" = "$N" ] || fail "IncomingCall transitions != $N"
tc=$(metric 'sessioncore_transition_duration_seconds_count')
[ "$tc" -ge $((4 * N)) ] || fail "transition histogram count $tc"
[ "$(metric 'sessioncore_admission_rejected_total{reason="max_sessions",source="sip"}')" = 0 ] || fail "rejections without limits"
# the ended calls are retained, not live: no time in state for them (no stuck-session alert)
[ "$(metric 'sessioncore_sessions_retained{state="Terminated",role="uas"}')" = "$N" ] || fail "retained != $N"
age=$(metric 'sessioncore_oldest_session_age_seconds{state="Terminated"}')
[ "$age" = 0 ] || fail "ended sessions counted in oldest_session_age: $age"
# the store's writer (the default store, SQLite): ops by kind and their transaction times
ap=$(metric 'sessioncore_store_operations_total{op="append",result="ok"}'); ap=${ap%.*}
[ "${ap:-0}" -ge "$N" ] || fail "store appends ok: '$ap' for $N calls"
[ "$(metric 'sessioncore_store_operations_total{op="append",result="error"}')" = 0 ] || fail "store append errors"
cc=$(metric 'sessioncore_store_operation_duration_seconds_count{op="commit"}'); cc=${cc%.*}
[ "${cc:-0}" -gt 0 ] || fail "no store commit timed: '$cc'"
[ "$(metric 'sessioncore_store_operation_duration_seconds_bucket{op="commit",le="+Inf"}')" = "$cc" ] ||
    fail "commit histogram +Inf bucket != its count"
http GET /metrics; printf '%s\n' "$HTTP_BODY" | grep -q '^sessioncore_store_queue_depth ' || fail "no store queue depth"
# every metric the shipped dashboard and alert rules use is in a live scrape (a family renamed
# or never registered would leave an empty panel or an alert that cannot fire)
http GET /metrics; printf '%s\n' "$HTTP_BODY" >"$TMP/live.txt"
for name in $(grep -oh '\b\(sessioncore\|process\)_[a-z0-9_]*' "$SRC/docs/monitoring/grafana-dashboard.json" \
    "$SRC/docs/monitoring/alerts.yml" | sort -u); do
    base=$name
    grep -q "^# TYPE $base " "$TMP/live.txt" || base=${name%_bucket}
    grep -q "^# TYPE $base " "$TMP/live.txt" || base=${name%_count}
    grep -q "^# TYPE $base " "$TMP/live.txt" || base=${name%_sum}
    grep -q "^# TYPE $base " "$TMP/live.txt" || fail "dashboard/alerts use $name: not in /metrics"
done
# promtool on both formats
if command -v promtool >/dev/null 2>&1; then
    curl -s "http://127.0.0.1:$HTTP_PORT/metrics" >"$TMP/prom.txt" || fail "scrape failed"
    [ "$(wc -l <"$TMP/prom.txt")" -gt 50 ] || fail "exposition too short"
    # promtool exits non-zero for lint remarks too; parse errors say "error while linting"
    if ! promtool check metrics <"$TMP/prom.txt" >"$TMP/promtool.log" 2>&1; then
        grep -q "error while linting" "$TMP/promtool.log" && fail "promtool: $(head -5 "$TMP/promtool.log")"
        echo "note: promtool lint remarks: $(head -3 "$TMP/promtool.log")"
    fi
    curl -s -H 'Accept: application/openmetrics-text; version=1.0.0' -D "$TMP/om.h" "http://127.0.0.1:$HTTP_PORT/metrics" >"$TMP/om.txt"
    grep -qi 'content-type: application/openmetrics-text' "$TMP/om.h" || fail "OpenMetrics not negotiated"
    tail -n 1 "$TMP/om.txt" | grep -qx '# EOF' || fail "OpenMetrics without # EOF"
else
    echo "note: promtool not installed: exposition not checked by promtool"
fi
# /livez while the loop is blocked
http GET /livez; [ "$HTTP_STATUS" = 200 ] || fail "/livez $HTTP_STATUS before the block"
curl -s -o /dev/null -X POST "http://127.0.0.1:$HTTP_PORT/debug/block-loop?ms=3500" &
BLOCKER=$!
seen503=
for _ in $(seq 1 60); do
    http GET /livez
    [ "$HTTP_STATUS" = 503 ] && { seen503=1; break; }
    sleep 0.1
done
[ -n "$seen503" ] || fail "/livez never 503 while the loop was blocked"
wait "$BLOCKER"
for _ in $(seq 1 50); do http GET /livez; [ "$HTTP_STATUS" = 200 ] && break; sleep 0.1; done
[ "$HTTP_STATUS" = 200 ] || fail "/livez $HTTP_STATUS after the block"
# /readyz
http GET /readyz; [ "$HTTP_STATUS" = 200 ] || fail "/readyz $HTTP_STATUS: $HTTP_BODY"
http POST /debug/health '{"check":"store","ok":false,"reason":"store unreachable (test)"}'
[ "$HTTP_STATUS" = 200 ] || fail "debug/health: $HTTP_STATUS $HTTP_BODY"
http GET /readyz
[ "$HTTP_STATUS" = 503 ] && printf '%s' "$HTTP_BODY" | grep -q 'store: store unreachable' || fail "/readyz while store down: $HTTP_STATUS $HTTP_BODY"
http GET /healthz
[ "$HTTP_STATUS" = 503 ] && printf '%s' "$HTTP_BODY" | grep -q '"ready":false' || fail "/healthz: $HTTP_STATUS $HTTP_BODY"
http POST /debug/health '{"check":"store","ok":true,"reason":"back"}'
http GET /readyz; [ "$HTTP_STATUS" = 200 ] || fail "/readyz after recovery: $HTTP_STATUS"
http GET /healthz; printf '%s' "$HTTP_BODY" | grep -q '"sessions":' || fail "/healthz details: $HTTP_BODY"
pass
