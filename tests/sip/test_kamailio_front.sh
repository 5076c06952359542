#!/usr/bin/env bash
# The cluster's front (deploy/kamailio/): Kamailio started by deploy/kamailio/start.sh on
# 127.0.0.1 in front of two plain sessiond nodes (127.0.0.2 and 127.0.0.3, memory store, auto
# answer) and a stand-in for a draining node (127.0.0.4: a SIPp that answers OPTIONS 503).
# - start.sh refuses bad arguments with a usage error;
# - the draining node is marked down by the OPTIONS probes and gets no call;
# - SIPp calls through the front are spread over both nodes; the INVITE a node saw carried the
#   front's Record-Route (the session's route set; the 200 carries it back to SIPp) and the BYE
#   reached the node through the front (its history);
# - two calls are placed on node B (node A disabled by kamcmd), then B is killed (-9) and calls
#   keep coming: the dispatcher marks B down within the probing time, INVITEs sent to B in the
#   meantime fail over to A (Kamailio's 1 s timer), and no call fails; the callers' BYEs of B's
#   dialogs, sent through the front, reach A, which answers 481 (plain nodes cannot take a
#   dialog over) after their 1.5 s timeout at B, one sent before B is marked down, one after;
# - B restarted is marked up again and gets calls;
# - B drains (SIGTERM) with a call up: new calls all go to A (B's 503 to INVITE fails them over,
#   or B is down once it answers OPTIONS 503), B's call ends through the front and B exits;
# - after a SIGKILL of Kamailio's main process its workers are gone (the port is free) and so is
#   its runtime directory. Loopback only.
. "$(dirname "$0")/lib.sh"
KAMAILIO=${KAMAILIO:-/usr/sbin/kamailio}
KAMCMD=${KAMCMD:-/usr/sbin/kamcmd}
[ -x "$KAMAILIO" ] && [ -x "$KAMCMD" ] || { echo "SKIP: kamailio not installed"; exit 77; }
START=$SRC/deploy/kamailio/start.sh

KAM_PORT=$(free_port)
A_SIP=$(free_port) B_SIP=$(free_port) C_SIP=$(free_port)
A_HTTP=$(free_port) B_HTTP=$(free_port)
UAC2_PORT=$(free_port) UAC3_PORT=$(free_port)
A=127.0.0.2:$A_SIP B=127.0.0.3:$B_SIP C=127.0.0.4:$C_SIP
KAM_PID= B_PID= C_PID= LONG_PID= LONG2_PID= LOAD_PID=
KAM_LOG=$TMP/kamailio.log

stop_all() {
    local p
    for p in $LONG_PID $LONG2_PID $LOAD_PID $C_PID; do kill -KILL "$p" 2>/dev/null; done
    if [ -n "$KAM_PID" ] && kill -0 "$KAM_PID" 2>/dev/null; then
        kill -TERM "$KAM_PID" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$KAM_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$KAM_PID" 2>/dev/null
    fi
    if [ -n "$B_PID" ] && kill -0 "$B_PID" 2>/dev/null; then
        kill -TERM "$B_PID" 2>/dev/null; sleep 0.1; kill -TERM "$B_PID" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$B_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$B_PID" 2>/dev/null
    fi
}
# cleanup (lib.sh) stops node A (SD_PID) and takes the test's status from $?
trap 'rc=$?; stop_all; [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && { echo "---- kamailio ----"; grep -a -v " INFO: " "$KAM_LOG" | tail -n 40; }; (exit $rc); cleanup' EXIT

# start.sh: bad arguments get a usage error (exit 2) before anything starts
for args in "" "127.0.0.1:5060" "127.0.0.1 127.0.0.2:5060" "127.0.0.1:70000 127.0.0.2:5060" "localhost:5060 127.0.0.2:5060" "127.0.0.1:5060 300.0.0.2:5060"; do
    # shellcheck disable=SC2086 # each case is a list of arguments
    bash "$START" $args >"$TMP/usage.out" 2>&1
    rc=$?
    [ "$rc" = 2 ] && grep -q "^usage: start.sh LISTEN_IP:PORT NODE_IP:PORT" "$TMP/usage.out" ||
        fail "start.sh $args: exit $rc, $(cat "$TMP/usage.out")"
done

# node_start NAME SIP_ADDR HTTP_PORT: a plain sessiond, a child of this shell; NODE_PID is its pid
node_start() {
    "$BIN/sessiond" --sip "udp:$2" --http "127.0.0.1:$3" --store memory: --node-id "$1" --sip-t1-ms 100 \
        --rtp-timeout-ms 0 --log-level debug >"$TMP/$1.out" 2>>"$TMP/$1.log" &
    NODE_PID=$!
}
# node_wait PID HTTP_PORT: the node answers /livez
node_wait() {
    local HTTP_PORT=$2
    for _ in $(seq 1 100); do
        kill -0 "$1" 2>/dev/null || fail "node on HTTP $2 exited at start"
        http GET /livez 2>/dev/null && [ "$HTTP_STATUS" = 200 ] && return 0
        sleep 0.05
    done
    fail "node on HTTP $2 did not answer /livez"
}
# node_metric HTTP_PORT SERIES
node_metric() { local HTTP_PORT=$1; metric "$2"; }
ENDED='sessioncore_sessions_retained{state="Terminated",role="uas"}'
ACTIVE='sessioncore_sessions_active{state="Active",role="uas"}'

SD_LOG=$TMP/nA.log
node_start nA "$A" "$A_HTTP"
SD_PID=$NODE_PID
node_start nB "$B" "$B_HTTP"
B_PID=$NODE_PID
node_wait "$SD_PID" "$A_HTTP"
node_wait "$B_PID" "$B_HTTP"
(cd "$TMP" && exec "$SIPP" -sf "$SCEN/kam_options_503.xml" -nostdin -trace_msg -message_file "$TMP/drain.msg" \
    -i 127.0.0.4 -p "$C_SIP" >"$TMP/drain.out" 2>&1) &
C_PID=$!

TMPDIR=$TMP bash "$START" "127.0.0.1:$KAM_PORT" "$A" "$B" "$C" >"$KAM_LOG" 2>&1 &
KAM_PID=$!
for _ in $(seq 1 100); do port_in_use "$KAM_PORT" && break; kill -0 "$KAM_PID" 2>/dev/null || break; sleep 0.05; done
port_in_use "$KAM_PORT" || fail "kamailio did not start: $(tail -n 5 "$KAM_LOG")"
RUN_DIR=$(sed -n 's|.*control socket unix:\(.*\)/kamailio_ctl$|\1|p' "$KAM_LOG" | head -n 1)
[ -d "$RUN_DIR" ] && [ -s "$RUN_DIR/dispatcher.list" ] || fail "no runtime directory: '$RUN_DIR'"
[ "$(cat "$RUN_DIR/kamailio.pid" 2>/dev/null)" = "$KAM_PID" ] || fail "start.sh's pid is not Kamailio's"
CTL="unix:$RUN_DIR/kamailio_ctl"

# wait_log PATTERN SECONDS: the Kamailio log gets a line matching PATTERN (grep -E)
wait_log() {
    for _ in $(seq 1 $(($2 * 20))); do grep -a -q -E "$1" "$KAM_LOG" && return 0; sleep 0.05; done
    return 1
}
# the draining stand-in: down after its first probe (sent within a second of the start)
wait_log "dispatcher: node sip:$C down" 4 || fail "the node answering OPTIONS 503 was not marked down"
"$KAMCMD" -s "$CTL" dispatcher.list >"$TMP/ds.list" 2>&1 || fail "kamcmd: $(cat "$TMP/ds.list")"

# front_calls N RATE PORT [sipp args]: N calls of kam_front_uac through the front, 0 failed
front_calls() {
    local n=$1 rate=$2 port=$3; shift 3
    (cd "$TMP" && timeout 60 "$SIPP" -sf "$SCEN/kam_front_uac.xml" -m "$n" -r "$rate" -l "$n" -d 200 -timeout 30s \
        -timeout_error -trace_err -error_file "$TMP/uac_$port.err" -nostdin -i 127.0.0.1 -p "$port" "$@" \
        "127.0.0.1:$KAM_PORT" >"$TMP/uac_$port.out" 2>&1)
}

# 1. calls are spread over both nodes, record-routed, the BYE through the front
front_calls 20 40 "$SIPP_PORT" || fail "calls through the front failed: $(grep -h -m 5 -iE 'error|failed|unexpected' "$TMP/uac_$SIPP_PORT.out" "$TMP/uac_$SIPP_PORT.err")"
a1=$(node_metric "$A_HTTP" "$ENDED")
b1=$(node_metric "$B_HTTP" "$ENDED")
[ "$a1" -ge 1 ] && [ "$b1" -ge 1 ] && [ $((a1 + b1)) = 20 ] || fail "calls not spread over both nodes: A $a1, B $b1"
HTTP_PORT=$B_HTTP
id=$(session_ids | head -n 1)
expect_history "$id" IncomingCall AcceptCall DialogACK DialogBYE
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q "\"route_set\":\"<sip:127.0.0.1:$KAM_PORT;lr" || fail "the INVITE lacked the front's Record-Route: $HTTP_BODY"
grep -q '^INVITE' "$TMP/drain.msg" && fail "a call reached the draining node"
grep -q '^OPTIONS' "$TMP/drain.msg" || fail "the draining node was not probed"

# 2. two calls owned by B (A disabled while they are placed), then B dies under load. The first
# call's BYE comes before B can be marked down (< 1 s after the kill: a probe or an INVITE needs
# 1 s to time out), the second's after: both go to B first (a node marked down may be draining,
# and still own its calls), time out there and are walked to A.
"$KAMCMD" -s "$CTL" dispatcher.set_state d 1 "sip:$A" >/dev/null || fail "kamcmd set_state"
long_call() { # PORT HOLD_MS: a call whose BYE must get 481, in the background; its Call-ID is 1-PID@127.0.0.1
    (cd "$TMP" && exec "$SIPP" -sf "$SCEN/kam_front_uac_481.xml" -m 1 -l 1 -d "$2" -timeout 30s -timeout_error \
        -trace_err -error_file "$TMP/long_$1.err" -nostdin -i 127.0.0.1 -p "$1" "127.0.0.1:$KAM_PORT" >"$TMP/long_$1.out" 2>&1) &
}
long_call "$UAC2_PORT" 900
LONG_PID=$!
long_call "$UAC3_PORT" 3500
LONG2_PID=$!
HTTP_PORT=$B_HTTP wait_metric "$ACTIVE" 2 10
"$KAMCMD" -s "$CTL" dispatcher.set_state ap 1 "sip:$A" >/dev/null || fail "kamcmd set_state"
kill -KILL "$B_PID"
t_kill=$(date +%s%N)
B_PID=
LOAD_PORT=$(free_port)
front_calls 40 20 "$LOAD_PORT" &
LOAD_PID=$!
wait_log "dispatcher: node sip:$B down" 5 || fail "the dead node was not marked down"
detect_ms=$((($(date +%s%N) - t_kill) / 1000000))
[ "$detect_ms" -le 3000 ] || fail "the dead node was marked down after $detect_ms ms"
wait "$LOAD_PID" || fail "calls failed while node B died: $(grep -h -m 5 -iE 'error|failed|unexpected' "$TMP/uac_$LOAD_PORT.out" "$TMP/uac_$LOAD_PORT.err")"
LOAD_PID=
grep -a -q "no answer from node sip:$B, marked inactive" "$KAM_LOG" &&
    grep -a -q "failover to node sip:$A" "$KAM_LOG" || fail "no INVITE failed over from the dead node"
a2=$(node_metric "$A_HTTP" "$ENDED")
[ "$a2" = $((a1 + 40)) ] || fail "node A ended $((a2 - a1)) of the 40 calls placed after B died"
for p in "$LONG_PID:$UAC2_PORT" "$LONG2_PID:$UAC3_PORT"; do
    wait "${p%%:*}" || fail "the BYE of a dialog of B did not get 481 through the front: $(grep -h -m 5 -iE 'error|unexpected|timeout' "$TMP/long_${p#*:}.out" "$TMP/long_${p#*:}.err")"
done
for p in $LONG_PID $LONG2_PID; do
    grep -a -q "in-dialog BYE 1-$p@127.0.0.1: no answer from the previous node, trying node sip:$A" "$KAM_LOG" ||
        fail "the BYE of call 1-$p was not walked to A after its timeout at B"
done
LONG_PID= LONG2_PID=
echo "node B marked down $detect_ms ms after kill -9"

# 3. B back: marked up at its first answered probe, and it gets calls again
node_start nB "$B" "$B_HTTP"
B_PID=$NODE_PID
node_wait "$B_PID" "$B_HTTP"
wait_log "dispatcher: node sip:$B up" 4 || fail "the restarted node was not marked up"
front_calls 20 40 "$SIPP_PORT" || fail "calls after B came back failed"
b3=$(node_metric "$B_HTTP" "$ENDED")
[ "$b3" -ge 1 ] || fail "node B back up got no call"
grep -q '^INVITE' "$TMP/drain.msg" && fail "a call reached the draining node"

# 4. B drains (SIGTERM) with a call up: its new INVITEs get 503 and the front sends them to A
# (or, once B answers the probes 503, B is down and gets none); B's call ends through the front
"$KAMCMD" -s "$CTL" dispatcher.set_state d 1 "sip:$A" >/dev/null || fail "kamcmd set_state"
(cd "$TMP" && exec "$SIPP" -sf "$SCEN/kam_front_uac.xml" -m 1 -l 1 -d 1500 -timeout 30s -timeout_error \
    -trace_err -error_file "$TMP/drain_call.err" -nostdin -i 127.0.0.1 -p "$UAC2_PORT" "127.0.0.1:$KAM_PORT" >"$TMP/drain_call.out" 2>&1) &
LONG_PID=$!
HTTP_PORT=$B_HTTP wait_metric "$ACTIVE" 1 10
"$KAMCMD" -s "$CTL" dispatcher.set_state ap 1 "sip:$A" >/dev/null || fail "kamcmd set_state"
a4=$(node_metric "$A_HTTP" "$ENDED")
b4=$(node_metric "$B_HTTP" "$ENDED")
kill -TERM "$B_PID"
for _ in $(seq 1 100); do grep -q "draining: no new calls" "$TMP/nB.log" && break; sleep 0.05; done
grep -q "draining: no new calls" "$TMP/nB.log" || fail "node B did not start draining"
front_calls 20 40 "$SIPP_PORT" || fail "calls while B drains failed: $(grep -h -m 5 -iE 'error|failed|unexpected' "$TMP/uac_$SIPP_PORT.out" "$TMP/uac_$SIPP_PORT.err")"
[ "$(node_metric "$A_HTTP" "$ENDED")" = $((a4 + 20)) ] || fail "node A did not take the 20 calls placed while B drains"
[ "$(node_metric "$B_HTTP" "$ENDED")" = "$b4" ] || fail "a call reached node B while it drains"
wait "$LONG_PID" || fail "the call on the draining node did not end cleanly: $(grep -h -m 5 -iE 'error|unexpected|timeout' "$TMP/drain_call.out" "$TMP/drain_call.err")"
LONG_PID=
wait "$B_PID" || fail "node B exited $? after its drain"
B_PID=
grep -a -q "node sip:$B answered 503" "$KAM_LOG" && echo "INVITEs to the draining node got 503 and failed over"

# Kamailio's runtime directory goes with it, and its workers too when its main process is
# killed with SIGKILL (start.sh's watcher ends them)
kill -KILL "$KAM_PID"
wait "$KAM_PID" 2>/dev/null
KAM_PID=
for _ in $(seq 1 40); do [ -d "$RUN_DIR" ] || port_in_use "$KAM_PORT" || break; sleep 0.1; done
port_in_use "$KAM_PORT" && fail "Kamailio's workers still hold the port after a SIGKILL of its main process"
for _ in $(seq 1 20); do [ -d "$RUN_DIR" ] || break; sleep 0.1; done
[ -d "$RUN_DIR" ] && fail "start.sh's runtime directory $RUN_DIR is still there"
pass
