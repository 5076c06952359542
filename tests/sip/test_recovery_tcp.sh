#!/usr/bin/env bash
# Recovery over TCP: an incoming call over TCP (SIPp -t t1) is established, sessiond is killed
# (-9; the TCP connection dies with it) and restarted. The caller's BYE then arrives on a new
# TCP connection (a second SIPp with the dialog's Call-ID and tags: SIPp cannot resume a call
# over a reconnected socket) and the restarted sessiond answers it 200 OK on that connection;
# the session ends. The record keeps transport tcp; history: before the crash, Recovered,
# DialogBYE.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
rec_start --answer auto --sip "tcp:127.0.0.1:$SIP_PORT"
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_wait_bye.xml" -m 1 -l 1 -timeout 40s \
    -nostdin -t t1 -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp-call.out" 2>&1) &
call_pid=$!
id=$(wait_any_session)
wait_state "$id" Active
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"transport":"tcp"' || fail "transport is not tcp before the crash: $HTTP_BODY"
rec_crash_restart
kill "$call_pid" 2>/dev/null; wait "$call_pid" 2>/dev/null
wait_state "$id" Active
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"transport":"tcp"' || fail "recovered transport is not tcp: $HTTP_BODY"
cid=$(json_str call_id); ltag=$(json_str local_tag); rtag=$(json_str remote_tag)
luri=$(json_str local_uri); ruri=$(json_str remote_uri)
[ -n "$cid" ] && [ -n "$ltag" ] && [ -n "$rtag" ] || fail "dialog ids missing after recovery: $HTTP_BODY"
run_sipp rec_tcp_bye -t t1 -cid_str "$cid" -set ftag "$rtag" -set ttag "$ltag" -set from "$ruri" -set to "$luri"
wait_state "$id" Terminated
expect_outcome "$id" normal
expect_history "$id" IncomingCall AcceptCall DialogACK Recovered DialogBYE
pass
