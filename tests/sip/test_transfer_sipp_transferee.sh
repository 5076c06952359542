#!/usr/bin/env bash
# Transferor against an independent transferee: sessiond calls SIPp, transfers it (blind) with
# the HTTP API; SIPp checks the REFER's Refer-To and Referred-By, answers 202 and sends two
# sipfrag NOTIFYs (Trying, then 200 OK with Subscription-State terminated); sessiond answers
# them 200, reports TransferAccepted/Progress/Succeeded and ends its call with BYE.
. "$(dirname "$0")/lib.sh"
start_sessiond
start_sipp_uas xfer_transferee
http POST /calls "{\"to\":\"sip:alice@127.0.0.1:$SIPP_PORT\",\"from\":\"sip:bob@127.0.0.1:$SIP_PORT\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
wait_state "$id" Active
http POST "/sessions/$id/transfer" '{"target":"sip:carol@127.0.0.1:5999"}'
[ "$HTTP_STATUS" = 200 ] || fail "transfer: $HTTP_STATUS $HTTP_BODY"
wait_sipp
wait_state "$id" Terminated
expect_outcome "$id" transferred
expect_history "$id" BlindTransfer TransferAccepted DialogNOTIFY TransferProgress DialogNOTIFY TransferSucceeded Dialog200OK
http GET "/sessions/$id/history"
printf '%s' "$HTTP_BODY" | grep -q '"event":"TransferProgress","event_code":100,"event_text":"Trying"' ||
    fail "no TransferProgress 100 Trying: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"event":"TransferSucceeded","event_code":200' || fail "no TransferSucceeded 200"
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"refer_to":"sip:carol@127.0.0.1:5999"' || fail "refer_to not recorded: $HTTP_BODY"
# bad requests
http POST "/sessions/$id/transfer" '{"mode":"sideways","target":"sip:x@127.0.0.1:5"}'
[ "$HTTP_STATUS" = 400 ] || fail "bad mode: expected 400, got $HTTP_STATUS"
http POST "/sessions/$id/transfer" '{"target":"sip:"}'
[ "$HTTP_STATUS" = 400 ] || fail "target without a host: expected 400, got $HTTP_STATUS"
http POST "/sessions/nosuch/transfer" '{"target":"sip:carol@127.0.0.1:5999"}'
[ "$HTTP_STATUS" = 404 ] || fail "unknown session: expected 404, got $HTTP_STATUS"
http POST "/sessions/$id/transfer" '{"target":"sip:carol@127.0.0.1:5999"}'
[ "$HTTP_STATUS" = 409 ] || fail "transfer of an ended call: expected 409, got $HTTP_STATUS"
pass
