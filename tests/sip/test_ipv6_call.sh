#!/usr/bin/env bash
# The basic incoming call over IPv6 loopback, UDP then TCP, with the HTTP API on [::1] too.
. "$(dirname "$0")/lib.sh"
[ -f /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6 || { echo "SKIP: no ::1"; exit 77; }
http() { # the lib's helper, on [::1]
    local method=$1 path=$2 body=${3:-} resp
    HTTP_STATUS=000 HTTP_BODY=
    exec 3<>"/dev/tcp/::1/$HTTP_PORT" || return 1
    printf '%s %s HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s' \
        "$method" "$path" "${#body}" "$body" >&3
    resp=$(timeout 10 cat <&3)
    exec 3<&-
    HTTP_STATUS=$(printf '%s' "$resp" | head -n 1 | awk '{print $2}')
    HTTP_BODY=${resp#*$'\r\n\r\n'}
}
"$BIN/sessiond" --sip "udp:[::1]:$SIP_PORT" --sip "tcp:[::1]:$SIP_PORT" --http "[::1]:$HTTP_PORT" \
    --log-level debug >"$TMP/sessiond.out" 2>"$SD_LOG" &
SD_PID=$!
for _ in $(seq 1 100); do http GET /livez 2>/dev/null && [ "$HTTP_STATUS" = 200 ] && break; sleep 0.05; done
[ "$HTTP_STATUS" = 200 ] || fail "sessiond on [::1] did not start"
for tp in u1 t1; do
    (cd "$TMP" && timeout 60 "$SIPP" -sf "$SCEN/uac_bye.xml" -t "$tp" -m 1 -l 1 -timeout 20s -timeout_error \
        -trace_err -nostdin -i ::1 -p "$SIPP_PORT" "[::1]:$SIP_PORT" >"$TMP/sipp-$tp.out" 2>&1) ||
        fail "sipp over IPv6 ($tp) failed: $(tail -n 5 "$TMP/sipp-$tp.out")"
    SIPP_PORT=$(free_port)
done
ids=$(session_ids)
[ "$(printf '%s\n' "$ids" | grep -c .)" -eq 2 ] || fail "expected two sessions: $ids"
for id in $ids; do wait_state "$id" Terminated; expect_history "$id" IncomingCall AcceptCall DialogACK DialogBYE; done
out=$("$BIN/sessionctl" --server "http://[::1]:$HTTP_PORT" --json sessions) || fail "sessionctl over IPv6: $out"
pass
