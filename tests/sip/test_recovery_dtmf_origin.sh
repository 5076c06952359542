#!/usr/bin/env bash
# Recovery keeps the negotiated media parameters: a caller offers PCMA and telephone-event on
# payload type 96 (not our 101); after kill -9 + restart the caller's RFC 4733 digits on 96
# still become DtmfReceived, digits we send go out on 96, and the hold re-INVITE keeps our SDP
# origin (RFC 3264 8: same sess-id, version = the last one we sent + 1) and offers
# telephone-event on 96 again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
PROBE_PORT=$(free_port)
rec_start --answer auto --rtp-timeout-ms 0
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_dtmf_origin.xml" -m 1 -l 1 -timeout 50s -timeout_error \
    -trace_err -trace_msg -message_file "$TMP/msgs.log" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
    -mp "$(free_media_port)" -set probe "$PROBE_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Active

# Our o= lines, in the order sent (a retransmitted 200 repeats the first one).
our_origins() { grep -a -o -E '^o=- [0-9]+ [0-9]+ ' "$TMP/msgs.log" | awk '{print $2, $3}' | uniq; }
[ "$(rec_field "$id" dtmf_pt)" = 96 ] || fail "dtmf_pt before the crash: '$(rec_field "$id" dtmf_pt)'"
[ "$(rec_field "$id" codec)" = PCMA/8000 ] || fail "codec before the crash: '$(rec_field "$id" codec)'"
first=$(our_origins | head -n 1)
[ -n "$first" ] || fail "no o= line of ours in the trace"
[ "$(rec_field "$id" sdp_origin)" = "$first" ] || fail "sdp_origin '$(rec_field "$id" sdp_origin)' is not the o= line sent ($first)"
rtp=$(rec_field "$id" local_rtp)

rec_crash_restart
wait_state "$id" Active
[ "$(rec_field "$id" local_rtp)" = "$rtp" ] || fail "RTP address changed: $rtp -> $(rec_field "$id" local_rtp)"
[ "$(rec_field "$id" dtmf_pt)" = 96 ] || fail "dtmf_pt after recovery: '$(rec_field "$id" dtmf_pt)'"
lport=${rtp##*:}

# DTMF both ways on payload type 96: the probe (the caller's RTP) sends 4 and 7, we send 1 2 #.
"$PROBE" --port "$PROBE_PORT" --seconds 3 --to "127.0.0.1:$lport" --dtmf 47 --dtmf-pt 96 --dtmf-at-ms 300 \
    >"$TMP/dtmf.json" &
probe_pid=$!
sleep 0.3
http POST "/sessions/$id/dtmf" '{"digits":"12#"}'
[ "$HTTP_STATUS" = 200 ] || fail "dtmf: $HTTP_STATUS $HTTP_BODY"
wait "$probe_pid" || fail "probe failed"
echo "probe: $(cat "$TMP/dtmf.json")"
[ "$(probe_json dtmf "$TMP/dtmf.json")" = "12#" ] || fail "DTMF events at the probe: $(cat "$TMP/dtmf.json")"
grep -q '"96":' "$TMP/dtmf.json" || fail "our telephone-events are not on payload type 96: $(cat "$TMP/dtmf.json")"
grep -q '"101":' "$TMP/dtmf.json" && fail "telephone-events sent on 101 after recovery: $(cat "$TMP/dtmf.json")"
http GET "/sessions/$id/history"
got=$(printf '%s' "$HTTP_BODY" | grep -o '"event":"DtmfReceived"[^}]*' | grep -o '"event_text":"[^"]*"' | sed 's/"event_text":"\(.*\)"/\1/' | tr -d '\n')
[ "$got" = 47 ] || fail "DtmfReceived digits '$got' after recovery, expected 47: $HTTP_BODY"

# Hold: the re-INVITE continues our SDP origin (SIPp checks its telephone-event 96 and sendonly).
http POST "/sessions/$id/hold"
[ "$HTTP_STATUS" = 200 ] || fail "hold: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" OnHold
second=$(our_origins | sed -n 2p)
echo "o= before the crash: $first; in the re-INVITE after it: $second"
[ -n "$second" ] || fail "no second o= line of ours in the trace: $(our_origins | tr '\n' ';')"
[ "${second% *}" = "${first% *}" ] || fail "sess-id changed across recovery: $first -> $second"
[ "${second#* }" = $((${first#* } + 1)) ] || fail "o= version $first -> $second, expected +1"
[ "$(rec_field "$id" sdp_origin)" = "$second" ] || fail "sdp_origin after the re-INVITE: '$(rec_field "$id" sdp_origin)'"

http POST "/sessions/$id/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup: $HTTP_STATUS $HTTP_BODY"
wait "$sipp_pid" || fail "sipp failed: $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
expect_history "$id" IncomingCall AcceptCall DialogACK Recovered DtmfReceived DtmfReceived HoldCall \
    DialogReINVITEAccepted HangupCall
pass
