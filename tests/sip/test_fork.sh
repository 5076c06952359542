#!/usr/bin/env bash
# Parallel fork (POST /calls "targets"): one INVITE per target (Request-URI the target, To the
# callee's URI, the same Call-ID, From tag and CSeq, a new branch each). One SIPp branch rings,
# the other answers: the call is Active with the answering branch's dialog and the ringing one
# gets CANCEL (its 487 is ACKed). Both branches reject (486, 603): the call fails with the best
# response (603, RFC 3261 16.7). Both ring and the call is hung up: every branch is CANCELled.
. "$(dirname "$0")/lib.sh"
P1=$(free_port); P2=$(free_port)
uas() { # uas PORT SCENARIO [args]: a SIPp UAS in the background; its pid in UAS_PID
    local port=$1 name=$2; shift 2
    (cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/$name.xml" -m 1 -l 1 -timeout 30s -timeout_error \
        -trace_err -error_file "$TMP/$name.$port.err" -trace_msg -message_file "$TMP/$name.$port.msg" -nostdin \
        -i 127.0.0.1 -p "$port" "$@" >"$TMP/$name.$port.out" 2>&1) &
    UAS_PID=$!
    for _ in $(seq 1 100); do port_in_use "$port" && return 0; sleep 0.05; done
    fail "sipp UAS did not bind $port"
}
uas_wait() { wait "$1" || fail "SIPp $2 failed: $(tail -n 5 "$TMP/$2.out"; cat "$TMP"/*.err 2>/dev/null | tail -n 5)"; }
header_of() { grep -m1 -i "^$2:" "$1" | tr -d '\r'; } # first such header line in a message log
start_sessiond --store memory: --rtp-timeout-ms 0
# one rings (and is cancelled), the other answers
uas "$P1" fork_uas_cancel -set user phone1; u1=$UAS_PID
uas "$P2" fork_uas_answer -set user phone2; u2=$UAS_PID
http POST /calls "{\"to\":\"sip:bob@example.test\",\"targets\":[\"sip:phone1@127.0.0.1:$P1\",\"sip:phone2@127.0.0.1:$P2\"]}"
id=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$id" ] || fail "POST /calls with targets: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
uas_wait "$u1" "fork_uas_cancel.$P1"
for h in Call-ID CSeq; do
    a=$(header_of "$TMP/fork_uas_cancel.$P1.msg" "$h"); b=$(header_of "$TMP/fork_uas_answer.$P2.msg" "$h")
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "the branches' $h differ: '$a' vs '$b'"
done
fa=$(header_of "$TMP/fork_uas_cancel.$P1.msg" From); fb=$(header_of "$TMP/fork_uas_answer.$P2.msg" From)
[ "$fa" = "$fb" ] || fail "the branches' From differ: '$fa' vs '$fb'"
va=$(header_of "$TMP/fork_uas_cancel.$P1.msg" Via); vb=$(header_of "$TMP/fork_uas_answer.$P2.msg" Via)
[ "$va" != "$vb" ] || fail "the branches share a Via branch: $va"
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q "SIPpTagF2" || fail "the call's dialog is not the answering branch's: $HTTP_BODY"
http POST "/sessions/$id/hangup"
uas_wait "$u2" "fork_uas_answer.$P2"
wait_state "$id" Terminated
grep -q "answered on one fork branch, 1 cancelled" "$SD_LOG" || fail "no fork cancel line in the log"
# both reject: the best response (603 over 486) ends the call
rm -f "$TMP"/*.err
uas "$P1" b2bua_uas_busy; u1=$UAS_PID
uas "$P2" fork_uas_decline; u2=$UAS_PID
http POST /calls "{\"to\":\"sip:bob@example.test\",\"targets\":[\"sip:phone1@127.0.0.1:$P1\",\"sip:phone2@127.0.0.1:$P2\"]}"
id=$(json_str id)
uas_wait "$u1" "b2bua_uas_busy.$P1"
uas_wait "$u2" "fork_uas_decline.$P2"
for _ in $(seq 1 100); do
    http GET "/sessions/$id"
    case "$(json_str state)" in Idle | Initiating | Ringing) sleep 0.05 ;; *) break ;; esac
done
expect_history "$id" MakeCall Dialog6xx
grep -q "every fork branch failed, best 603" "$SD_LOG" || fail "no best-response line in the log"
# both ring, the caller hangs up: both branches get CANCEL
rm -f "$TMP"/*.err
uas "$P1" fork_uas_cancel -set user phone1; u1=$UAS_PID
uas "$P2" fork_uas_cancel -set user phone2; u2=$UAS_PID
http POST /calls "{\"to\":\"sip:bob@example.test\",\"targets\":[\"sip:phone1@127.0.0.1:$P1\",\"sip:phone2@127.0.0.1:$P2\"]}"
id=$(json_str id)
wait_state "$id" Ringing
sleep 0.3
http POST "/sessions/$id/hangup"
uas_wait "$u1" "fork_uas_cancel.$P1"
uas_wait "$u2" "fork_uas_cancel.$P2"
# bad targets
http POST /calls '{"to":"sip:bob@example.test","targets":["mailto:x@y"]}'
[ "$HTTP_STATUS" = 400 ] || fail "a mailto: target: $HTTP_STATUS $HTTP_BODY"
http POST /calls '{"to":"sip:bob@example.test","targets":[]}'
[ "$HTTP_STATUS" = 400 ] || fail "no targets: $HTTP_STATUS $HTTP_BODY"
stop_sessiond
pass
