#!/usr/bin/env bash
# Recovery of an Opus call: its payload type is dynamic (111 here), so the record keeps it
# (codec_pt) beside the codec. A call on hold survives kill -9 + restart with its music on hold
# going out again as Opus on payload type 111 (the stream's packets_out grows; before, a
# recovered Opus stream sent nothing until a re-INVITE); the caller's BYE then ends it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
rec_start --answer auto --codecs opus,pcmu,pcma,g722
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_hold_opus.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" -mp "$(free_media_port)" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Active
[ "$(rec_field "$id" codec)" = opus/48000 ] && [ "$(rec_field "$id" codec_pt)" = 111 ] ||
    fail "codec before the crash: $(rec_field "$id" codec) pt $(rec_field "$id" codec_pt)"
http POST "/sessions/$id/hold"
[ "$HTTP_STATUS" = 200 ] || fail "hold: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" OnHold
rec_crash_restart
wait_state "$id" OnHold
out() { http GET "/sessions/$id"; printf '%s' "$HTTP_BODY" | grep -o '"packets_out":[0-9]*' | head -n 1 | cut -d: -f2; }
for _ in $(seq 1 60); do [ "$(out)" -ge 25 ] 2>/dev/null && break; sleep 0.05; done
[ "$(out)" -ge 25 ] || fail "the recovered Opus stream sends no music on hold: $HTTP_BODY"
[ "$(rec_field "$id" codec_pt)" = 111 ] || fail "codec_pt after recovery: $(rec_field "$id" codec_pt)"
wait "$sipp_pid" || fail "sipp failed: $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
expect_history "$id" IncomingCall AcceptCall DialogACK HoldCall DialogReINVITEAccepted Recovered DialogBYE
pass
