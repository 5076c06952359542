#!/usr/bin/env bash
# sessiond --metrics yes|no (on|off accepted with a warning): a bad value, and --statsd with metrics off (flag or config file),
# exit 2 with one line; with --metrics off (flag or config key) calls still work while GET
# /metrics answers 404 with a JSON error and the event stream still counts; --metrics on (the
# default) serves the transition counters the calls moved.
. "$(dirname "$0")/lib.sh"
N=5
expect_exit2() { # expected-substring args...
    local want=$1; shift
    local out rc
    out=$("$BIN/sessiond" "$@" 2>&1 >/dev/null); rc=$?
    [ "$rc" -eq 2 ] || fail "sessiond $*: exit $rc, expected 2 ($out)"
    [ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] || fail "sessiond $*: expected one line, got: $out"
    case "$out" in *"$want"*) ;; *) fail "sessiond $*: '$out' does not mention '$want'" ;; esac
}
expect_exit2 "--metrics: expected yes or no, got 'maybe'" --metrics maybe
expect_exit2 "--statsd: needs metrics, but --metrics is off" --metrics no --statsd 127.0.0.1:8125
printf 'metrics: no\nstatsd: 127.0.0.1:8125\n' >"$TMP/statsd.yaml"
expect_exit2 "--statsd: needs metrics, but --metrics is off" --config "$TMP/statsd.yaml"
printf 'metrics: sometimes\n' >"$TMP/bad.yaml"
expect_exit2 "bad.yaml:1:10: metrics: expected yes or no" --config "$TMP/bad.yaml"

# stop_sd: SIGTERM and a clean exit.
stop_sd() {
    kill -TERM "$SD_PID"; wait "$SD_PID"; local rc=$?; SD_PID=
    [ "$rc" -eq 0 ] || fail "sessiond exit $rc after SIGTERM"
}

# Metrics off (flag): N calls pass, /metrics is 404 with a JSON error, the rest answers.
start_sessiond --answer auto --store memory: --metrics off
run_sipp_load uac_bye "$N" 10 "$N"
http GET /metrics
[ "$HTTP_STATUS" = 404 ] || fail "GET /metrics with --metrics off: $HTTP_STATUS"
[ "$(json_str error)" = "metrics are off (sessiond --metrics off)" ] || fail "GET /metrics body: $HTTP_BODY"
http GET /sessions
[ "$HTTP_STATUS" = 200 ] || fail "GET /sessions with --metrics off: $HTTP_STATUS"
ended=$(printf '%s' "$HTTP_BODY" | grep -o '"state":"Terminated"' | grep -c .)
[ "$ended" -eq "$N" ] || fail "expected $N terminated sessions with --metrics off, got $ended: $HTTP_BODY"
http GET /readyz
[ "$HTTP_STATUS" = 200 ] || fail "/readyz with --metrics off: $HTTP_STATUS"
stop_sd

# Metrics off (config key, a flag overriding it back on is tested below).
printf 'metrics: "off"\n' >"$TMP/off.yaml"
start_sessiond --answer auto --store memory: --config "$TMP/off.yaml"
http GET /metrics
[ "$HTTP_STATUS" = 404 ] || fail "GET /metrics with metrics: off in the config: $HTTP_STATUS"
stop_sd

# The flag wins over the config key; metrics on counts the calls' transitions exactly.
start_sessiond --answer auto --store memory: --config "$TMP/off.yaml" --metrics on
run_sipp_load uac_bye "$N" 10 "$N"
wait_metric 'sessioncore_sessions_ended_total{role="uas",outcome="normal"}' "$N"
[ "$(metric 'sessioncore_transitions_total{event="IncomingCall",outcome="ok"}')" = "$N" ] ||
    fail "IncomingCall transitions != $N with --metrics on"
stop_sd
pass
