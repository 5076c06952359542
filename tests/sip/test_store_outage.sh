#!/usr/bin/env bash
# Strict durability through a store outage (Redis killed mid-call, then started again): an
# OPTIONS is answered at once (it reveals nothing stored), a new INVITE gets 503 at once
# (admission: store_unavailable), and the caller's BYE is answered only once its record is
# committed, i.e. after Redis is back; no 200 for it leaves while the store is down.
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/lib.sh"
. "$SRC/scripts/backends.sh"
sc_have_redis || { echo "SKIP: redis-server not installed"; exit 77; }
trap 'rc=$?; sc_backends_cleanup >/dev/null 2>&1; (exit $rc); cleanup' EXIT
RAW=${SC_BINARY_DIR:-$BIN/..}/tests/sip_raw
port=$(sc_free_port)
sc_redis_start "$port" || fail "redis did not start"
start_sessiond --store "redis://127.0.0.1:$port/0" --rtp-timeout-ms 0
# the caller: answered, 2.5 s later its BYE (retransmitted for long enough to outlive the outage)
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/uac_pause_bye.xml" -m 1 -l 1 -d 2500 -max_retrans 40 \
    -timeout 30s -timeout_error -trace_err -trace_msg -message_file "$TMP/caller.msg" -error_file "$TMP/caller.err" \
    -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/caller.out" 2>&1) &
caller=$!
for _ in $(seq 1 100); do
    http GET /sessions
    printf '%s' "$HTTP_BODY" | grep -q '"state":"Active"' && break
    sleep 0.05
done
printf '%s' "$HTTP_BODY" | grep -q '"state":"Active"' || fail "the call is not Active: $HTTP_BODY"
kill -9 "$(cat "$SC_BK_DIR/redis-$port.pid")"
raw() { # raw NAME METHOD [USER]: one request from a raw sender; prints the first status past 100
    local lp; lp=$(free_port)
    printf '%s sip:%s@127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%s;branch=z9hG4bK-%s-%s;rport\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p%s\r\nTo: <sip:%s@127.0.0.1>\r\nCall-ID: %s-%s@127.0.0.1\r\nCSeq: 1 %s\r\nContact: <sip:probe@127.0.0.1:%s>\r\nContent-Length: 0\r\n\r\n' \
        "$2" "${3:-bob}" "$SIP_PORT" "$lp" "$1" "$lp" "$lp" "${3:-bob}" "$1" "$lp" "$2" "$lp" > "$TMP/$1.msg"
    "$RAW" "$lp" "$SIP_PORT" "$TMP/$1.msg" 300 > "$TMP/$1.out"
    grep -a -E '^SIP/2.0 [0-9]{3}' "$TMP/$1.out" | awk '$2 != 100 {print $2; exit}'
}
st=$(raw opt1 OPTIONS)
[ "$st" = 200 ] || fail "OPTIONS during the outage: '$st' (expected 200 at once)"
sleep 3 # the BYE has been sent (and retransmitted) meanwhile
kill -0 "$caller" 2>/dev/null || fail "the caller finished while the store was down: $(tail -n 3 "$TMP/caller.out")"
grep -q "SIP/2.0 200 OK" <(sed -n '/BYE sip:/,$p' "$TMP/caller.msg") && fail "a 200 for the BYE left while the store was down"
st=
for i in $(seq 1 10); do
    st=$(raw "inv$i" INVITE)
    [ "$st" = 503 ] && break
    sleep 0.2
done
[ "$st" = 503 ] || fail "a new INVITE during the outage got '$st' (expected 503)"
[ "$(metric 'sessioncore_admission_rejected_total{reason="store_unavailable",source="sip"}')" -ge 1 ] ||
    fail "store_unavailable not counted"
st=$(raw opt2 OPTIONS)
[ "$st" = 200 ] || fail "OPTIONS later in the outage: '$st'"
sc_redis_start "$port" || fail "redis did not start again"
wait "$caller" || fail "the caller did not get its 200 after the store came back: $(tail -n 5 "$TMP/caller.out")"
http GET /sessions
printf '%s' "$HTTP_BODY" | grep -q '"state":"Terminated"' || fail "the call did not end: $HTTP_BODY"
# the outage and the recovery were published: StoreHealthChanged down (with the reason), then up
curl -sN --max-time 1 "http://127.0.0.1:$HTTP_PORT/events?since=0&type=StoreHealthChanged" >"$TMP/health.sse" 2>/dev/null
got=$(grep -o '"ok":[a-z]*,"reason":"[^"]*"' "$TMP/health.sse" | tr '\n' ' ')
echo "store health events: $got"
case "$got" in
    '"ok":false,"reason":"redis: '?*'" "ok":true,"reason":"redis: connected" ') ;;
    *) fail "StoreHealthChanged events: '$got': $(cat "$TMP/health.sse")" ;;
esac
pass
