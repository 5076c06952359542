#!/usr/bin/env bash
# Everything of a secure, wideband call at once, with a real phone: baresip and sessiond speak
# SIP over TLS (certificates of the run, each side checking the other's) with SRTP mandatory
# (SDES keys inside the TLS-protected SDP), with Opus only and then with G.722 only. For each
# codec baresip calls sessiond and sessiond calls baresip: the call is established with that
# codec and SRTP, sessiond puts it on hold and its music on hold reaches baresip protected
# (baresip's stream takes it: it reports RTP only once its srtp module decrypted a packet),
# no authentication failure on either side, hangup clean.
. "$(dirname "$0")/netns.sh" # a third-party daemon: only loopback in reach
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }
for m in opus g722; do [ -f "/usr/lib/baresip/modules/$m.so" ] || { echo "SKIP: baresip module $m missing"; exit 77; }; done
. "$SCEN/srtp_baresip_lib.sh"
C=$TMP/certs
"$SCEN/tls_certs.sh" "$C" || fail "cannot make the test certificates"
BS_CERTS=$C
TLS_PORT=$(free_port)
start_sessiond --store memory: --srtp mandatory --answer auto --rtp-timeout-ms 0 --rtp-latch \
    --sip "tls:127.0.0.1:$TLS_PORT" --tls-cert "$C/server.pem" \
    --tls-key "$C/server.key" --tls-ca "$C/ca.pem" --codecs pcmu,pcma,opus,g722

# check_call ID WHAT CODEC N: TLS, SRTP and the codec in force; MOH protected and taken; hangup
check_call() {
    local id=$1 what=$2 codec=$3 n=$4 p0 p1
    wait_state "$id" Active
    http GET "/sessions/$id"
    printf '%s' "$HTTP_BODY" | grep -q '"transport":"tls"' || fail "$what: not over TLS: $HTTP_BODY"
    printf '%s' "$HTTP_BODY" | grep -q '"srtp":{"active":true' || fail "$what: SRTP not active: $HTTP_BODY"
    printf '%s' "$HTTP_BODY" | grep -qi "\"codec\":\"$codec" || fail "$what: codec is not $codec: $HTTP_BODY"
    p0=$(m_protect)
    http POST "/sessions/$id/hold"
    [ "$HTTP_STATUS" = 200 ] || fail "$what: hold: $HTTP_STATUS $HTTP_BODY"
    wait_state "$id" OnHold
    for _ in $(seq 1 60); do [ "$(m_protect)" -ge $((p0 + 50)) ] && break; sleep 0.05; done
    p1=$(m_protect)
    [ "$p1" -ge $((p0 + 50)) ] || fail "$what: music on hold not protected ($p0 -> $p1)"
    for _ in $(seq 1 20); do [ "$(estab)" -ge "$n" ] && break; sleep 0.05; done # its log may lag
    http POST "/sessions/$id/hangup"
    wait_state "$id" Terminated
    expect_outcome "$id" normal
    [ "$(estab)" -ge "$n" ] || fail "$what: baresip took no RTP from us: $(grep -a -i -E 'srtp|rtp' "$TMP/baresip.out" | tail -n 3)"
    bs_decrypt_ok || fail "$what: baresip could not decrypt: $(grep -a -m 3 decrypt "$TMP/baresip.out")"
    [ "$(m_authfail)" -eq 0 ] || fail "$what: SRTP authentication failures: $(m_authfail)"
}

for codec in opus G722; do
    BS_CODEC=$codec
    : >"$TMP/baresip.out"
    bs_start -e "/dial sip:alice@127.0.0.1:$TLS_PORT;transport=tls"
    # 1. baresip calls sessiond over TLS
    id=
    for _ in $(seq 1 200); do
        id=$(session_ids | grep -vxF -e "${SEEN:-none}" | head -n 1)
        [ -n "$id" ] && break
        sleep 0.05
    done
    [ -n "$id" ] || fail "$codec: baresip's call never arrived: $(tail -n 5 "$TMP/baresip.out")"
    SEEN=$(printf '%s\n%s' "${SEEN:-}" "$id")
    check_call "$id" "$codec: baresip -> sessiond" "$codec" 1
    # 2. sessiond calls baresip's TLS listener (its certificate checked against --tls-ca)
    http POST /calls "{\"to\":\"sip:bob@127.0.0.1:$((BS_PORT + 1));transport=tls\"}"
    id=$(json_str id)
    [ "$HTTP_STATUS" = 201 ] && [ -n "$id" ] || fail "$codec: POST /calls: $HTTP_STATUS $HTTP_BODY"
    SEEN=$(printf '%s\n%s' "$SEEN" "$id")
    check_call "$id" "$codec: sessiond -> baresip" "$codec" 2
    kill "$BS_PID" 2>/dev/null; wait "$BS_PID" 2>/dev/null; BS_PID=
    BS_PORT=$(free_port)
done
[ "$(metric 'sessioncore_sip_tls_failures_total{reason="certificate"}')" = 0 ] || fail "TLS certificate failures"
grep -q -E 'inline:[A-Za-z0-9+/]{8}' "$SD_LOG" "$TMP/sessiond.out" && fail "a key is in sessiond's log"
pass
