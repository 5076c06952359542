#!/usr/bin/env bash
# A B2BUA route is not open to every caller by default: an INVITE for it from a source outside
# --trust (and no registrar to authenticate it) gets 403 before any call exists, nothing is sent
# to the route's target, and sessioncore_route_refused_total counts it; a route marked
# ",from=any" is reached by the same caller; a bad from= refuses to start with one line.
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/lib.sh"
RAW=${SC_BINARY_DIR:-$BIN/..}/tests/sip_raw
TARGET=$(free_port)
start_sessiond --rtp-timeout-ms 0 --route "paid*=sip:gw@127.0.0.1:$TARGET" \
    --route "open*=sip:gw@127.0.0.1:$TARGET,from=any"
grep -q "route paid\* -> sip:gw@127.0.0.1:$TARGET, for trusted or authenticated callers" "$SD_LOG" ||
    fail "the route's policy is not in the log"
invite() { # invite USER: an INVITE for USER from a raw sender; the status of the first answer past 100
    local lp; lp=$(free_port)
    cat > "$TMP/$1.msg" <<MSG
INVITE sip:$1@127.0.0.1:$SIP_PORT SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:$lp;branch=z9hG4bK-$1-$lp;rport
Max-Forwards: 70
From: <sip:mallory@127.0.0.1>;tag=m-$lp
To: <sip:$1@127.0.0.1>
Call-ID: $1-$lp@127.0.0.1
CSeq: 1 INVITE
Contact: <sip:mallory@127.0.0.1:$lp>
Content-Length: 0

MSG
    sed -i 's/$/\r/' "$TMP/$1.msg"
    "$RAW" "$lp" "$SIP_PORT" "$TMP/$1.msg" 300 > "$TMP/$1.out"
    grep -a -E '^SIP/2.0 [0-9]{3}' "$TMP/$1.out" | awk '$2 != 100 {print $2; exit}'
}
st=$(invite paid900)
[ "$st" = 403 ] || fail "INVITE for a trusted-only route from an untrusted source: got '$st', expected 403"
[ "$(metric sessioncore_route_refused_total)" = 1 ] || fail "refusal not counted: $(metric sessioncore_route_refused_total)"
grep -q "INVITE for route paid\* refused (403): its source is not trusted" "$SD_LOG" || fail "no refusal in the log"
http GET /sessions
[ "$HTTP_BODY" = "[]" ] || fail "a session exists for the refused INVITE: $HTTP_BODY"
st=$(invite open900)
[[ "$st" =~ ^(1[0-9][0-9]|2[0-9][0-9]|4[0-9][0-9]|5[0-9][0-9])$ ]] && [ "$st" != 403 ] ||
    fail "INVITE for a from=any route: got '$st'"
grep -q "to 'open900' matches route open\*" "$SD_LOG" || fail "the open route was not taken"
stop_sessiond
"$BIN/sessiond" --http off --sip "udp:127.0.0.1:$(free_port)" --route "x*=sip:x@127.0.0.1,from=everyone" \
    >"$TMP/bad.out" 2>&1
[ $? = 2 ] && grep -q -- "--route: from= is 'trusted' (the default) or 'any', got 'everyone'" "$TMP/bad.out" ||
    fail "bad from=: $(cat "$TMP/bad.out")"
pass
