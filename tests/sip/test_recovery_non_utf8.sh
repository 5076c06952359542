#!/usr/bin/env bash
# A caller whose Call-ID, From tag and display name carry bytes that are not UTF-8 (SIP allows
# them): the API lists and inspects the session (its text keeps the bytes losslessly, as
# private-use code points), the JSON log keeps its lines, and after kill -9 and a restart on the
# same store the recovered dialog still has the exact bytes: the caller's BYE (same bytes) is
# answered 200 and ends the call. Runs on SQLite, Redis and PostgreSQL (recovery_lib.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
RAW=${SC_BINARY_DIR:-$BIN/..}/tests/sip_raw
[ -x "$RAW" ] || fail "sip_raw not built ($RAW)"
CID=$'nu\xff\xfe8-'$RANDOM$'@h\xe9'
FTAG=$'t\xc3g'$RANDOM
LP=$(free_port)

SDP=$'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio '$(free_port)$' RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n'

# msg FILE METHOD CSEQ [TO_TAG]: a request of the caller, byte for byte (the INVITE with an offer).
msg() {
    local to=${4:+;tag=$4} body= ctype=
    [ "$2" = INVITE ] && body=$SDP && ctype=$'Content-Type: application/sdp\r\n'
    printf '%s sip:svc@127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%s;branch=z9hG4bK-%s-%s\r\nMax-Forwards: 70\r\nFrom: "Caf\xe9 \xff" <sip:alice@127.0.0.1:%s>;tag=%s\r\nTo: <sip:svc@127.0.0.1:%s>%s\r\nCall-ID: %s\r\nCSeq: %s %s\r\nContact: <sip:alice@127.0.0.1:%s>\r\n%sContent-Length: %d\r\n\r\n%s' \
        "$2" "$SIP_PORT" "$LP" "$RANDOM" "$3" "$LP" "$FTAG" "$SIP_PORT" "$to" "$CID" "$3" "$2" "$LP" "$ctype" \
        "${#body}" "$body" > "$1"
}

rec_start --answer auto --log-format json
msg "$TMP/invite" INVITE 1
"$RAW" "$LP" "$SIP_PORT" "$TMP/invite" 1500 > "$TMP/invite.out"
grep -a -q '^SIP/2.0 200' "$TMP/invite.out" || fail "no 200 for the INVITE: $(head -c 300 "$TMP/invite.out")"
grep -a -qF "Call-ID: $CID" "$TMP/invite.out" || fail "the 200 does not carry the Call-ID's exact bytes"
TOTAG=$(awk '/^SIP\/2.0 200/ {f = 1} f && /^To:/ {print; exit}' "$TMP/invite.out" | sed -n 's/.*;tag=\([^;[:space:]]*\).*/\1/p' | tr -d '\r')
[ -n "$TOTAG" ] || fail "no To tag in the 200"
msg "$TMP/ack" ACK 1 "$TOTAG"
"$RAW" "$LP" "$SIP_PORT" "$TMP/ack" 200 > /dev/null

http GET /sessions
[ "$HTTP_STATUS" = 200 ] || fail "GET /sessions: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
[ -n "$id" ] || fail "no session listed: $HTTP_BODY"
wait_state "$id" Active
http GET "/sessions/$id"
[ "$HTTP_STATUS" = 200 ] || fail "GET /sessions/$id: $HTTP_STATUS"
# The bytes as text: 0xFF -> U+F7FF (EF 9F BF), 0xFE -> U+F7FE, 0xE9 (a lone Latin-1 e-acute) -> U+F7E9.
printf '%s' "$HTTP_BODY" | grep -qF $'"call_id":"nu\xef\x9f\xbf\xef\x9f\xbe8-' || fail "call_id not as lossless text: $HTTP_BODY"
grep -a -q '"msg":"call [0-9a-f]* created (uas)' "$SD_LOG" || fail "the JSON log lost the call's line"

rec_crash_restart
http GET "/sessions/$id"
[ "$HTTP_STATUS" = 200 ] || fail "recovered session not inspectable: $HTTP_STATUS"
[ "$(json_str state)" = Active ] || fail "recovered in state $(json_str state)"
msg "$TMP/bye" BYE 2 "$TOTAG"
"$RAW" "$LP" "$SIP_PORT" "$TMP/bye" 1500 > "$TMP/bye.out"
grep -a -q '^SIP/2.0 200' "$TMP/bye.out" || fail "the BYE after recovery was not matched: $(head -n 1 "$TMP/bye.out")"
wait_state "$id" Terminated
expect_history "$id" IncomingCall DialogACK Recovered DialogBYE
stop_sessiond
echo ok
