#!/usr/bin/env bash
# SRTP with a real phone: baresip (srtp and g711 modules, an account with mediaenc=srtp-mand,
# no audio device; tests/sip/srtp_baresip_lib.sh) and sessiond --srtp mandatory. sessiond calls
# baresip, then baresip calls sessiond; each call is established with SRTP, put on hold by
# sessiond so that music on hold goes to baresip, and hung up. Checked: sessiond protects and
# unprotects packets with no authentication failure; baresip reports SRTP on, takes the music
# (its stream reports RTP only once its srtp module decrypted a packet) and reports no
# decryption failure.
. "$(dirname "$0")/netns.sh" # a third-party daemon: only loopback in reach
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/srtp_baresip_lib.sh"
# --rtp-latch: baresip announces 127.0.0.2 but sends from 127.0.0.1 (an SRTP packet must
# authenticate before it can latch)
start_sessiond --store memory: --srtp mandatory --answer auto --rtp-timeout-ms 0 --rtp-latch
bs_start -e "/dial sip:alice@127.0.0.1:$SIP_PORT"

# one call (session $1): SRTP in force, hold, the music reaches baresip decrypted, hangup
check_call() {
    local id=$1 what=$2 n=$3 p0 p1
    wait_state "$id" Active
    http GET "/sessions/$id"
    printf '%s' "$HTTP_BODY" | grep -q '"srtp":{"active":true' || fail "$what: SRTP not active: $HTTP_BODY"
    p0=$(m_protect)
    http POST "/sessions/$id/hold"
    [ "$HTTP_STATUS" = 200 ] || fail "$what: hold: $HTTP_STATUS $HTTP_BODY"
    wait_state "$id" OnHold
    for _ in $(seq 1 40); do [ "$(m_protect)" -ge $((p0 + 50)) ] && break; sleep 0.05; done
    p1=$(m_protect)
    [ "$p1" -ge $((p0 + 50)) ] || fail "$what: music on hold not protected ($p0 -> $p1)"
    [ "$(estab)" -lt "$n" ] && sleep 0.2 # its log line may lag the packets
    http POST "/sessions/$id/hangup"
    wait_state "$id" Terminated
    [ "$(estab)" -ge "$n" ] || fail "$what: baresip took no RTP from us: $(grep -a -i srtp "$TMP/baresip.out" | tail -n 3)"
    bs_decrypt_ok || fail "$what: baresip could not decrypt: $(grep -a -m 3 decrypt "$TMP/baresip.out")"
    [ "$(m_authfail)" -eq 0 ] || fail "$what: SRTP authentication failures: $(m_authfail)"
}

# 1. baresip calls sessiond (its RTP/SAVP offer; -e dials at start)
id=$(wait_any_session)
check_call "$id" "baresip -> sessiond" 1
http GET "/sessions/$id"
[ "$(m_unprotect)" -ge 1 ] || fail "no SRTP from baresip was decrypted: $HTTP_BODY"
grep -aq "SRTP is Enabled" "$TMP/baresip.out" || fail "baresip: SRTP not enabled: $(tail -n 5 "$TMP/baresip.out")"

# 2. sessiond calls baresip (our RTP/SAVP offer)
http POST /calls "{\"to\":\"sip:bob@127.0.0.1:$BS_PORT\"}"
id=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$id" ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
check_call "$id" "sessiond -> baresip" 2
[ "$(grep -ac "SRTP is Enabled" "$TMP/baresip.out")" -ge 2 ] || fail "baresip: SRTP not enabled on the second call"
[ "$(m_authfail)" -eq 0 ] || fail "SRTP authentication failures"
http GET "/metrics"
printf '%s' "$HTTP_BODY" | grep -q 'sessioncore_srtp_dropped_total{reason="replay"} 0' || fail "replays counted or metric missing"
grep -q -E 'inline:[A-Za-z0-9+/]{8}' "$SD_LOG" "$TMP/sessiond.out" && fail "a key is in sessiond's log"
pass
