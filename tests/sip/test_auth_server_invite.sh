#!/usr/bin/env bash
# Challenging incoming requests (--users): an out-of-dialog INVITE from a source not in --trust
# gets 407 (Proxy-Authenticate, SHA-256 and MD5); sent again with Proxy-Authorization it is
# answered (auto answer), the session records the user it authenticated as (auth_user), and a
# REFER in that authenticated dialog passes the REFER policy (202) although its source is not
# trusted. An INVITE from a trusted source is not challenged. Raw UDP client: reg_udp.py.
. "$(dirname "$0")/netns.sh" # hostile input: only loopback in reach
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
printf -- '- {user: bob, password: s3cret}\n' >"$TMP/users.yaml"
chmod 600 "$TMP/users.yaml"
DEAD=$(free_port)
start_sessiond --store memory: --realm pbx.test --users "$TMP/users.yaml" --trust 127.0.0.2/32 \
    --refer-allow "*@127.0.0.1:$DEAD" --rtp-timeout-ms 0
udp() { python3 "$SCEN/reg_udp.py" "$1" "$(free_port)" "$SIP_PORT" "${@:2}" >"$TMP/udp.out" 2>&1 || fail "reg_udp $*: $(cat "$TMP/udp.out")"; }
status() { sed -n "${1}p" <(grep '^SIP/2.0' "$TMP/udp.out") | awk '{print $2}'; }

udp 127.0.0.1 invite SHA-256 "sip:carol@127.0.0.1:$DEAD"
[ "$(status 1)" = 407 ] && grep -q '^Proxy-Authenticate: Digest realm="pbx.test".*algorithm=SHA-256' "$TMP/udp.out" &&
    grep -q '^Proxy-Authenticate: .*algorithm=MD5' "$TMP/udp.out" || fail "no 407 challenge: $(cat "$TMP/udp.out")"
[ "$(status 2)" = 200 ] || fail "authenticated INVITE not answered: $(cat "$TMP/udp.out")"
[ "$(status 3)" = 202 ] || fail "REFER in an authenticated dialog refused: $(cat "$TMP/udp.out")"
id=$(wait_any_session)
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"auth_user":"bob"' || fail "no auth_user on the session: $HTTP_BODY"
grep -q "call $id: authenticated as bob" "$SD_LOG" || fail "no authenticated line in the log"
[ "$(metric 'sessioncore_refer_refused_total{reason="untrusted"}')" = 0 ] || fail "the REFER was counted as refused"

# a trusted source is not challenged
udp 127.0.0.2 invite MD5
[ "$(status 1)" = 200 ] || fail "trusted INVITE challenged: $(cat "$TMP/udp.out")"
http GET /livez
[ "$HTTP_STATUS" = 200 ] || fail "sessiond not live"
pass
