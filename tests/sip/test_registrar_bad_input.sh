#!/usr/bin/env bash
# Registrar and digest authentication as a server, bad input on the wire (a raw UDP client,
# reg_udp.py): malformed Authorization (no response; garbage) -> 400; an unknown algorithm ->
# 401 with a fresh challenge; a huge nonce -> 400; the right password on an expired nonce
# (--auth-nonce-ttl 1) -> 401 stale=true, on a fresh one -> 200 (SHA-256 and MD5); from a
# trusted source (--trust): Expires below --reg-min-expires -> 423 with Min-Expires, Contact: *
# without Expires: 0 -> 400, Contact: * with Expires: 0 -> 200 and every binding gone.
# sessiond stays up throughout and counts the failures. Bad users files and flags refuse to
# start (exit 2) with one line naming file:line:col, never a password.
. "$(dirname "$0")/netns.sh" # hostile input: only loopback in reach
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
printf -- '- {user: bob, password: s3cret}\n' >"$TMP/users.yaml"
chmod 600 "$TMP/users.yaml"
start_sessiond --store memory: --realm pbx.test --users "$TMP/users.yaml" --auth-nonce-ttl 1 \
    --reg-min-expires 60 --trust 127.0.0.2/32
grep -q "readable by others" "$SD_LOG" && fail "a 0600 users file was warned about"
udp() { python3 "$SCEN/reg_udp.py" "$1" "$(free_port)" "$SIP_PORT" "${@:2}" >"$TMP/udp.out" 2>&1 || fail "reg_udp $*: $(cat "$TMP/udp.out")"; }
status() { sed -n "${1}p" <(grep '^SIP/2.0' "$TMP/udp.out") | awk '{print $2}'; }

udp 127.0.0.1 malformed
[ "$(status 1)" = 400 ] || fail "Authorization without response: $(cat "$TMP/udp.out")"
udp 127.0.0.1 garbage
[ "$(status 1)" = 400 ] || fail "garbage Authorization: $(cat "$TMP/udp.out")"
udp 127.0.0.1 algorithm
[ "$(status 1)" = 401 ] && grep -q 'WWW-Authenticate: Digest realm="pbx.test".*algorithm=SHA-256' "$TMP/udp.out" ||
    fail "unknown algorithm: $(cat "$TMP/udp.out")"
udp 127.0.0.1 huge_nonce
[ "$(status 1)" = 400 ] || fail "huge nonce: $(cat "$TMP/udp.out")"
[ "$(metric 'sessioncore_auth_failures_total{reason="algorithm"}')" = 1 ] || fail "algorithm failure not counted"

# expired nonce: stale=true (the right password); fresh: 200, with either algorithm
udp 127.0.0.1 register SHA-256 s3cret 300 2.2
[ "$(status 2)" = 401 ] && grep -q 'stale=true' "$TMP/udp.out" || fail "expired nonce: $(cat "$TMP/udp.out")"
udp 127.0.0.1 register SHA-256
[ "$(status 2)" = 200 ] || fail "SHA-256 REGISTER: $(cat "$TMP/udp.out")"
udp 127.0.0.1 register MD5
[ "$(status 2)" = 200 ] || fail "MD5 REGISTER: $(cat "$TMP/udp.out")"
grep -q "^Contact: <sip:bob@127.0.0.1:[0-9]*>;expires=300" "$TMP/udp.out" || fail "200 without the binding: $(cat "$TMP/udp.out")"
http GET /registrations
[ "$(printf '%s' "$HTTP_BODY" | grep -o '"uri":' | wc -l)" = 2 ] || fail "two bindings expected: $HTTP_BODY"

# a trusted source registers without credentials; interval and Contact: * rules
udp 127.0.0.2 plain "<sip:bob@127.0.0.2:5999>" 10
[ "$(status 1)" = 423 ] && grep -q "^Min-Expires: 60" "$TMP/udp.out" || fail "too brief: $(cat "$TMP/udp.out")"
udp 127.0.0.2 plain "*" 300
[ "$(status 1)" = 400 ] || fail "Contact: * with Expires 300: $(cat "$TMP/udp.out")"
udp 127.0.0.2 plain "*" -
[ "$(status 1)" = 400 ] || fail "Contact: * without Expires: $(cat "$TMP/udp.out")"
udp 127.0.0.2 plain "*" 0
[ "$(status 1)" = 200 ] && ! grep -q "^Contact:" "$TMP/udp.out" || fail "Contact: * Expires 0: $(cat "$TMP/udp.out")"
http GET /registrations
[ "$HTTP_BODY" = "[]" ] || fail "bindings left after Contact: *: $HTTP_BODY"
[ "$(metric sessioncore_registrations)" = 0 ] || fail "sessioncore_registrations != 0"
http GET /livez
[ "$HTTP_STATUS" = 200 ] || fail "sessiond not live"

# bad users files and flags refuse to start with one line (file:line:col), no secret in it
bad_start() { # bad_start EXPECTED-TEXT FLAGS...: exit 2 and the line
    local want=$1; shift
    timeout 5 "$BIN/sessiond" --store memory: --sip "udp:127.0.0.1:$(free_port)" --http "127.0.0.1:$(free_port)" \
        "$@" >"$TMP/bad.out" 2>&1
    local rc=$?
    [ $rc = 2 ] && grep -q -- "$want" "$TMP/bad.out" || fail "bad start ($*): rc $rc $(cat "$TMP/bad.out")"
}
printf -- '- {user: bob}\n' >"$TMP/u1.yaml"
bad_start "u1.yaml:1:3: an entry needs password or ha1" --realm pbx.test --users "$TMP/u1.yaml"
printf -- '- {user: bob, password: hunter2, ha1: 00}\n' >"$TMP/u2.yaml"
bad_start "u2.yaml:1:3: give password or ha1, not both" --realm pbx.test --users "$TMP/u2.yaml"
grep -q hunter2 "$TMP/bad.out" && fail "a password in the error"
printf -- '- {user: bob, ha1: xyz}\n' >"$TMP/u3.yaml"
bad_start "ha1 must be 32 hex digits" --realm pbx.test --users "$TMP/u3.yaml"
printf -- '- {user: bob, password: a}\n- {user: bob, password: b}\n' >"$TMP/u4.yaml"
bad_start "u4.yaml:2:3: this user is listed twice" --realm pbx.test --users "$TMP/u4.yaml"
bad_start "--users needs --realm" --users "$TMP/users.yaml"
bad_start "--auth-algorithms: expected" --auth-algorithms SHA-512
pass
