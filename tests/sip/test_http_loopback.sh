#!/usr/bin/env bash
# Whether --http is loopback (no token needed) is decided on the addresses its host resolves to,
# every one of them, not on how it is spelled: 127.x.example is a name (it does not resolve:
# sessiond refuses to start with one line naming it), 0177.0.0.1 is 127.0.0.1 written in octal
# (loopback: starts without a token), 0.0.0.0 and [::] are not loopback (token required).
. "$(dirname "$0")/lib.sh"
expect_exit2() { # expected-substring args...
    local want=$1; shift
    local out rc
    out=$("$BIN/sessiond" --store memory: --sip "udp:127.0.0.1:$SIP_PORT" "$@" 2>&1 >/dev/null); rc=$?
    [ "$rc" -eq 2 ] || fail "sessiond $*: exit $rc, expected 2 ($out)"
    [ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] || fail "sessiond $*: expected one line, got: $out"
    case "$out" in *"$want"*) ;; *) fail "sessiond $*: '$out' does not mention '$want'" ;; esac
}
expect_exit2 "--http: cannot resolve '127.x.example'" --http "127.x.example:$HTTP_PORT"
expect_exit2 "--http: cannot resolve '127.0.0.1.invalid'" --http "127.0.0.1.invalid:$HTTP_PORT"
expect_exit2 "is not a loopback address (0.0.0.0): --http-token is required" --http "0.0.0.0:$HTTP_PORT"
expect_exit2 "is not a loopback address (::): --http-token is required" --http "[::]:$HTTP_PORT"

# Loopback however written: no token needed; the numeric address and the spelling are Host names.
start_sessiond --store memory: --http "0177.0.0.1:$HTTP_PORT"
grep -q "listening on http://0177.0.0.1:$HTTP_PORT" "$SD_LOG" || fail "not listening on 0177.0.0.1: $(grep http "$SD_LOG")"
for host in 127.0.0.1 "0177.0.0.1:$HTTP_PORT" localhost; do
    http_req GET /sessions "" "Host: $host"
    [ "$HTTP_STATUS" = 200 ] || fail "GET /sessions (Host: $host) on 0177.0.0.1: $HTTP_STATUS $HTTP_BODY"
done
stop_sessiond
start_sessiond --store memory: --http "localhost:$HTTP_PORT"
http_req GET /sessions "" "Host: localhost:$HTTP_PORT"
[ "$HTTP_STATUS" = 200 ] || fail "GET /sessions on localhost: $HTTP_STATUS $HTTP_BODY"
stop_sessiond
pass
