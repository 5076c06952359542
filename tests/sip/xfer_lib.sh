#!/usr/bin/env bash
# xfer_lib.sh: helpers of the transfer wire tests, sourced after lib.sh: several sessiond
# nodes (A, B, C) on loopback, each with its own SIP and HTTP port and log, HTTP requests to a
# chosen node, polling a node's session state, and the "nothing left behind" check.

NODES=
declare -A NODE_SIP NODE_HTTP NODE_PID

# start_node NAME [flags...]: a sessiond named NAME (its log: $TMP/NAME.log).
start_node() {
    local name=$1; shift
    local sip http mp=$(( 30000 + (RANDOM % 300) * 100 ))
    sip=$(free_port); http=$(free_port)
    while [ "$http" = "$sip" ]; do http=$(free_port); done
    "$BIN/sessiond" --sip "udp:127.0.0.1:$sip" --http "127.0.0.1:$http" --sip-t1-ms 100 \
        --log-level debug --media-ports "$mp-$((mp + 99))" \
        "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
    NODE_PID[$name]=$!
    NODE_SIP[$name]=$sip
    NODE_HTTP[$name]=$http
    NODES="$NODES $name"
    for _ in $(seq 1 100); do
        kill -0 "${NODE_PID[$name]}" 2>/dev/null || fail "sessiond $name exited at start: $(tail -n 3 "$TMP/$name.log")"
        if on "$name" GET /livez 2>/dev/null && [ "$HTTP_STATUS" = 200 ]; then return 0; fi
        sleep 0.05
    done
    fail "sessiond $name did not answer /livez"
}

stop_nodes() {
    local n
    for n in $NODES; do # drain, then end the calls still up
        kill -TERM "${NODE_PID[$n]}" 2>/dev/null; sleep 0.1; kill -TERM "${NODE_PID[$n]}" 2>/dev/null
    done
    for n in $NODES; do
        for _ in $(seq 1 50); do kill -0 "${NODE_PID[$n]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${NODE_PID[$n]}" 2>/dev/null
    done
}
trap 'xrc=$?; stop_nodes; if [ "$xrc" -ne 0 ] && [ "$xrc" -ne 77 ]; then for n in $NODES; do echo "---- $n log ----"; grep -v -E "DEBUG|debug" "$TMP/$n.log" | tail -n 40; done; fi; (exit $xrc); cleanup' EXIT

# on NODE METHOD PATH [BODY]: an HTTP request to that node (sets HTTP_STATUS, HTTP_BODY).
on() {
    local name=$1; shift
    local saved=$HTTP_PORT
    HTTP_PORT=${NODE_HTTP[$name]}
    http "$@"
    local rc=$?
    HTTP_PORT=$saved
    return $rc
}

# node_ids NODE: the ids of the node's sessions, one a line.
node_ids() { on "$1" GET /sessions; printf '%s' "$HTTP_BODY" | grep -o '"id":"[^"]*"' | sed 's/"id":"\(.*\)"/\1/'; }

# wait_node_session NODE [EXCEPT_ID] [secs]: the first session id other than EXCEPT_ID.
wait_node_session() {
    local name=$1 except=${2:-} secs=${3:-10} id
    for _ in $(seq 1 $((secs * 20))); do
        for id in $(node_ids "$name"); do
            [ "$id" != "$except" ] && { printf '%s' "$id"; return 0; }
        done
        sleep 0.05
    done
    fail "no new session on $name"
}

# wait_on NODE ID STATE [secs]
wait_on() {
    local name=$1 id=$2 want=$3 secs=${4:-10} st=
    for _ in $(seq 1 $((secs * 20))); do
        on "$name" GET "/sessions/$id"
        st=$(json_str state)
        [ "$st" = "$want" ] && return 0
        sleep 0.05
    done
    fail "$name session $id: state '$st', expected '$want' ($(history_line "$name" "$id"))"
}

# history_line NODE ID: "event(code text) ..." of the session's history.
history_line() {
    on "$1" GET "/sessions/$2/history"
    printf '%s' "$HTTP_BODY" | grep -o '"event":"[^"]*","event_code":[0-9-]*,"event_text":\("[^"]*"\|null\)' |
        sed -e 's/"event_text":null/"event_text":""/' \
            -e 's/"event":"\([^"]*\)","event_code":\([0-9-]*\),"event_text":"\([^"]*\)"/\1(\2 \3)/' | tr '\n' ' '
}

# field_of NODE ID KEY: a string field of the session's record.
field_of() { on "$1" GET "/sessions/$2"; json_str "$3"; }

# expect_on NODE ID EVENT...: the node's session history has these events in order.
expect_on() {
    local name=$1 saved=$HTTP_PORT; shift
    HTTP_PORT=${NODE_HTTP[$name]}
    expect_history "$@"
    HTTP_PORT=$saved
}

# all_ended [secs]: every session on every node reaches a terminal state.
all_ended() {
    local secs=${1:-15} n id st left
    for _ in $(seq 1 $((secs * 10))); do
        left=
        for n in $NODES; do
            for id in $(node_ids "$n"); do
                on "$n" GET "/sessions/$id"
                st=$(json_str state)
                case "$st" in Terminated|Cancelled|Rejected|Failed|"") ;; *) left="$left $n:$id:$st" ;; esac
            done
        done
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    fail "sessions left non-terminal:$left"
}

# call_ab FROM TO: POST /calls on FROM to TO's SIP port; waits until both sides are Active and
# prints "caller_id callee_id".
call_ab() {
    local from=$1 to=$2 cid tid
    local except; except=$(node_ids "$to" | tr '\n' ' ')
    on "$from" POST /calls "{\"to\":\"sip:$to@127.0.0.1:${NODE_SIP[$to]}\",\"from\":\"sip:$from@127.0.0.1:${NODE_SIP[$from]}\"}"
    [ "$HTTP_STATUS" = 201 ] || fail "POST /calls on $from: $HTTP_STATUS $HTTP_BODY"
    cid=$(json_str id)
    wait_on "$from" "$cid" Active
    for _ in $(seq 1 200); do
        for tid in $(node_ids "$to"); do
            case " $except " in *" $tid "*) ;; *) wait_on "$to" "$tid" Active; printf '%s %s' "$cid" "$tid"; return 0 ;; esac
        done
        sleep 0.05
    done
    fail "no session on $to for the call from $from"
}
