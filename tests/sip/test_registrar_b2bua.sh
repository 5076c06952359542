#!/usr/bin/env bash
# A B2BUA route to a registered user (--route 'echo=sip:bob@pbx.test'): a trusted caller's
# INVITE to echo@sessiond becomes an outgoing leg forked to bob's registered contact (a SIPp
# phone), and the caller is answered when the phone answers. With --users an untrusted caller
# reaching the same route is challenged (407) before any outgoing call is placed.
. "$(dirname "$0")/netns.sh" # raw SIP from a script: only loopback in reach
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
printf -- '- {user: bob, password: s3cret}\n' >"$TMP/users.yaml"
chmod 600 "$TMP/users.yaml"
start_sessiond --store memory: --realm pbx.test --users "$TMP/users.yaml" --trust 127.0.0.2/32 \
    --route 'echo=sip:bob@pbx.test' --rtp-timeout-ms 0
udp() { python3 "$SCEN/reg_udp.py" "$1" "$(free_port)" "$SIP_PORT" "${@:2}" >"$TMP/udp.out" 2>&1 || fail "reg_udp $*: $(cat "$TMP/udp.out")"; }
status() { sed -n "${1}p" <(grep '^SIP/2.0' "$TMP/udp.out") | awk '{print $2}'; }

# an untrusted caller: 407, and no session at all
udp 127.0.0.1 invite none
[ "$(status 1)" = 407 ] || fail "untrusted caller not challenged: $(cat "$TMP/udp.out")"
[ -z "$(session_ids)" ] || fail "a session exists for an unauthenticated caller"

# bob's phone registers (from the trusted address: no credentials needed)
udp 127.0.0.2 seq "[{\"call_id\":\"r1\",\"cseq\":1,\"contacts\":[\"<sip:bob@127.0.0.1:$SIPP_PORT>\"],\"expires\":\"300\"}]"
[ "$(status 1)" = 200 ] || fail "REGISTER: $(cat "$TMP/udp.out")"
start_sipp_uas reg_uas_answer

# the trusted caller dials echo@: routed to bob's contact and answered
udp 127.0.0.2 invite MD5
[ "$(status 1)" = 200 ] || fail "routed call not answered: $(cat "$TMP/udp.out")"
b2bua_legs
http GET "/sessions/$b"
printf '%s' "$HTTP_BODY" | grep -q '"remote_uri":"sip:bob@pbx.test"' || fail "outgoing leg not to the AOR: $HTTP_BODY"
grep -q "sip:bob@pbx.test -> 1 contact(s), first sip:bob@127.0.0.1:$SIPP_PORT" "$SD_LOG" || fail "not forked to the contact"
http POST "/sessions/$a/hangup"
wait_sipp
pass
