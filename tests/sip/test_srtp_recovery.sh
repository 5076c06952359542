#!/usr/bin/env bash
# Recovery keeps the SRTP context: baresip (mediaenc=srtp-mand) calls sessiond --srtp
# mandatory on an SQLite store; after kill -9 and restart the call is Active again with SRTP,
# and the SRTP baresip goes on sending (no re-INVITE) is decrypted with the keys restored from
# the session's srtp field, with no authentication failure; a hold then sends music on hold
# that baresip decrypts, and the hangup is clean. (SQLite only: the keys are a field like any
# other, which the recovery matrix tests on every backend.)
. "$(dirname "$0")/netns.sh" # a third-party daemon: only loopback in reach
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
. "$(dirname "$0")/srtp_baresip_lib.sh"
rec_start --answer auto --srtp mandatory --rtp-timeout-ms 0 --rtp-latch
bs_start -e "/dial sip:alice@127.0.0.1:$SIP_PORT"
id=$(wait_any_session)
wait_state "$id" Active
for _ in $(seq 1 40); do [ "$(m_unprotect)" -ge 5 ] && break; sleep 0.05; done
[ "$(m_unprotect)" -ge 5 ] || fail "no SRTP from baresip before the crash"
rec_crash_restart
wait_state "$id" Active
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"srtp":{"active":true,"suite":"AES_CM_128_HMAC_SHA1_80"' ||
    fail "SRTP not restored: $HTTP_BODY"
for _ in $(seq 1 40); do [ "$(m_unprotect)" -ge 10 ] && break; sleep 0.05; done
[ "$(m_unprotect)" -ge 10 ] || fail "baresip's SRTP not decrypted after recovery: $(m_unprotect) packets, $(m_authfail) auth failures"
[ "$(m_authfail)" -eq 0 ] || fail "authentication failures after recovery: $(m_authfail)"
http POST "/sessions/$id/hold"
[ "$HTTP_STATUS" = 200 ] || fail "hold: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" OnHold
for _ in $(seq 1 40); do [ "$(m_protect)" -ge 50 ] && break; sleep 0.05; done
[ "$(m_protect)" -ge 50 ] || fail "music on hold not protected after recovery: $(m_protect)"
sleep 0.2 # baresip's log line may lag the packets
[ "$(estab)" -ge 1 ] || fail "baresip took no RTP from us: $(grep -a -i srtp "$TMP/baresip.out" | tail -n 3)"
bs_decrypt_ok || fail "baresip could not decrypt: $(grep -a -m 3 decrypt "$TMP/baresip.out")"
http POST "/sessions/$id/hangup"
wait_state "$id" Terminated
expect_history "$id" IncomingCall AcceptCall DialogACK Recovered HoldCall DialogReINVITEAccepted HangupCall
grep -q -E 'inline:[A-Za-z0-9+/]{8}' "$SD_LOG" "$TMP"/sessiond-before-crash-*.log && fail "a key is in sessiond's log"
pass
