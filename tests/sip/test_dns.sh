#!/usr/bin/env bash
# RFC 3263 server location against a real DNS server: dnsmasq, started here on 127.0.0.1 and a
# free port (--dns-server points sessiond at it). A call to sip:bob@pbx.example.test follows
# NAPTR -> SRV -> A to the SIPp callee on the SRV's port; with two SRV targets the first (lower
# priority number) answers 503 and the second gets the call on a new transaction (RFC 3263
# 4.3), also for a fork branch; a NAPTR for SIP+D2T takes TCP, and a refused connection to the first target sends the
# INVITE to the second at once; an explicit port skips NAPTR/SRV (A only); a Contact named by a
# host name gets the ACK and the BYE once located; a name that does not
# exist ends the call with DialogError and "DNS: nosuch.example.test: no such name" in its
# history and inspection; a call hung up before its name is resolved ends Cancelled, unsent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"
P1=$(free_port); P2=$(free_port); P3=$(free_port); P4=$(free_port); TCP_PORT=$(free_port); DEAD=$(free_port)
dns_start --naptr-record=pbx.example.test,10,50,s,SIP+D2U,,_sip._udp.pbx.example.test \
    --srv-host=_sip._udp.pbx.example.test,uas1.example.test,"$P1",10,10 \
    --srv-host=_sip._udp.fo.example.test,a.example.test,"$P1",10,10 \
    --srv-host=_sip._udp.fo.example.test,b.example.test,"$P2",20,10 \
    --host-record=uas1.example.test,127.0.0.1 --host-record=a.example.test,127.0.0.1 \
    --host-record=b.example.test,127.0.0.1 \
    --naptr-record=tcp.example.test,10,50,s,SIP+D2T,,_sip._tcp.tcp.example.test \
    --srv-host=_sip._tcp.tcp.example.test,a.example.test,"$P3",10,10 \
    --srv-host=_sip._tcp.tcp.example.test,b.example.test,"$P4",20,10 \
    --server="/slow.example.test/127.0.0.1#$DEAD" --host-record=dlg.example.test,127.0.0.1
uas() { # uas PORT SCENARIO: a SIPp UAS in the background; its pid in UAS_PID
    local port=$1 name=$2; shift 2
    (cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/$name.xml" -m 1 -l 1 -timeout 30s -timeout_error \
        -trace_err -error_file "$TMP/$name.$port.err" -nostdin -i 127.0.0.1 -p "$port" "$@" \
        >"$TMP/$name.$port.out" 2>&1) &
    UAS_PID=$!
    for _ in $(seq 1 100); do port_in_use "$port" && return 0; sleep 0.05; done
    fail "sipp UAS did not bind $port"
}
uas_wait() { wait "$1" || fail "SIPp $2 failed: $(tail -n 5 "$TMP/$2.out")"; }
call() { # call URI: POST /calls; the id in $id
    http POST /calls "{\"to\":\"$1\"}"
    id=$(json_str id)
    [ "$HTTP_STATUS" = 201 ] && [ -n "$id" ] || fail "POST /calls to $1: $HTTP_STATUS $HTTP_BODY"
}
start_sessiond --store memory: --rtp-timeout-ms 0 --dns-server "127.0.0.1:$DNS_PORT" --sip "tcp:127.0.0.1:$TCP_PORT"
# NAPTR -> SRV -> A: the callee on the SRV's port
uas "$P1" uas_answer; u1=$UAS_PID
call sip:bob@pbx.example.test
wait_state "$id" Active
http POST "/sessions/$id/hangup"
uas_wait "$u1" "uas_answer.$P1"
wait_state "$id" Terminated
grep -q "locating sip:bob@pbx.example.test" "$SD_LOG" || fail "the call did not wait for DNS"
# two SRV targets: the first answers 503, the second gets the call
uas "$P1" uas_503; u1=$UAS_PID
uas "$P2" uas_answer; u2=$UAS_PID
call sip:bob@fo.example.test
wait_state "$id" Active
uas_wait "$u1" "uas_503.$P1"
grep -q "503 Service Unavailable from 127.0.0.1:$P1: INVITE sent to the next target" "$SD_LOG" ||
    fail "no failover line in the log"
http POST "/sessions/$id/hangup"
uas_wait "$u2" "uas_answer.$P2"
wait_state "$id" Terminated
# a fork branch whose target is a name: located, and its 503 sends it to the next SRV target
uas "$P1" uas_503; u1=$UAS_PID
uas "$P2" uas_answer; u2=$UAS_PID
http POST /calls '{"to":"sip:bob@example.test","targets":["sip:bob@fo.example.test"]}'
id=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$id" ] || fail "POST /calls with a named target: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
uas_wait "$u1" "uas_503.$P1"
grep -q "fork branch to sip:bob@fo.example.test: next target" "$SD_LOG" || fail "no failover on the fork branch"
http POST "/sessions/$id/hangup"
uas_wait "$u2" "uas_answer.$P2"
# NAPTR SIP+D2T: TCP; the first SRV target's port is closed (connection refused), the second
# gets the call at once (no Timer B wait)
uas "$P4" uas_answer -t t1; u4=$UAS_PID
call sip:bob@tcp.example.test
wait_state "$id" Active 3
grep -q "transport error from 127.0.0.1:$P3: INVITE sent to the next target" "$SD_LOG" ||
    fail "no failover after the refused connection"
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"transport":"tcp"' || fail "transport is not tcp: $HTTP_BODY"
http POST "/sessions/$id/hangup"
uas_wait "$u4" "uas_answer.$P4"
# an explicit port: A/AAAA only (the SRV records of uas1 do not exist)
uas "$P2" uas_answer; u2=$UAS_PID
call "sip:bob@uas1.example.test:$P2"
wait_state "$id" Active
http POST "/sessions/$id/hangup"
uas_wait "$u2" "uas_answer.$P2"
# a Contact known by name: ACK and BYE go where the name and its port lead (the other SIPp)
uas "$P1" uas_contact_name -set peer "$P2"; u1=$UAS_PID
uas "$P2" uas_ack_bye; u2=$UAS_PID
call "sip:bob@127.0.0.1:$P1"
wait_state "$id" Active
http POST "/sessions/$id/hangup"
uas_wait "$u2" "uas_ack_bye.$P2"
uas_wait "$u1" "uas_contact_name.$P1"
wait_state "$id" Terminated
# NXDOMAIN: a clear failure in the history and the inspection
call sip:bob@nosuch.example.test
for _ in $(seq 1 100); do
    http GET "/sessions/$id"
    case "$(json_str state)" in Idle | Initiating) sleep 0.05 ;; *) break ;; esac
done
expect_history "$id" MakeCall DialogError
printf '%s' "$HTTP_BODY" | grep -q "DNS: nosuch.example.test: no such name" ||
    fail "no DNS reason in the history: $HTTP_BODY"
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q "DNS: nosuch.example.test: no such name" ||
    fail "no DNS reason in the inspection: $HTTP_BODY"
# hung up while its name is still being looked up (slow.example.test is forwarded to a server
# that never answers): nothing was sent, the call ends Cancelled with a 487 of its own
call sip:bob@slow.example.test
sleep 0.3
http GET "/sessions/$id"
[ "$(json_str state)" = Initiating ] || fail "not waiting for the DNS: $HTTP_BODY"
http POST "/sessions/$id/hangup"
wait_state "$id" Cancelled
expect_history "$id" MakeCall HangupCall Dialog487RequestTerminated
# stopped with a lookup in flight: a clean exit
call sip:bob@slow.example.test
kill -TERM "$SD_PID"; sleep 0.2; kill -TERM "$SD_PID" 2>/dev/null
wait "$SD_PID"; rc=$?; SD_PID=
[ "$rc" = 0 ] || fail "sessiond exited $rc when stopped with a DNS lookup in flight"
# a bad --dns-server: exit 2 with one line
timeout 5 "$BIN/sessiond" --store memory: --sip "udp:127.0.0.1:$(free_port)" --http "127.0.0.1:$(free_port)" \
    --dns-server "dns.example.test" >"$TMP/bad.out" 2>&1
[ $? = 2 ] && grep -q -- "--dns-server: expected IP\[:PORT\]" "$TMP/bad.out" || fail "bad --dns-server: $(cat "$TMP/bad.out")"
pass
