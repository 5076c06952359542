#!/usr/bin/env bash
# Without a token (the loopback default) a web page in a browser cannot drive sessiond: a POST
# whose body is not application/json (a cross-site "simple request": a form, text/plain) gets
# 415 and does not run; a request with an Origin other than the server's own gets 403; a Host
# that is not one of the server's names (its address with or without the port, localhost on
# loopback, --http-host names) gets 421 (DNS rebinding); no CORS header is ever sent. Requests
# without Origin (curl, sessionctl) keep working, and the probes answer any Host.
. "$(dirname "$0")/netns.sh" # hostile input: only loopback in reach
. "$(dirname "$0")/lib.sh"
start_sessiond --answer manual --store memory: --shutdown-timeout-ms 500
dead=$(free_port)
CALL="{\"to\":\"sip:nobody@127.0.0.1:$dead\"}"
H="Host: 127.0.0.1:$HTTP_PORT"
HEADS=

# expect CODE METHOD PATH BODY HEADER...: the status, and no CORS header in the answer.
expect() {
    local want=$1; shift
    http_req "$@"
    HEADS+=$HTTP_HEAD$'\n'
    [ "$HTTP_STATUS" = "$want" ] || fail "$1 $2 [${*:4}]: $HTTP_STATUS, expected $want ($HTTP_BODY)"
}
calls_made() { http GET /sessions; printf '%s' "$HTTP_BODY" | grep -o '"id":' | wc -l; }

# CSRF: the content types a form or a no-cors fetch can send.
for ct in "text/plain" "text/plain;charset=UTF-8" "application/x-www-form-urlencoded" "multipart/form-data; boundary=x"; do
    expect 415 POST /calls "$CALL" "$H" "Content-Type: $ct"
done
expect 415 POST /calls "$CALL" "$H"                                          # a body without a type
expect 415 POST /calls "" "$H" "Content-Type: text/plain"                    # an empty text/plain form
expect 415 POST /table/validate "x: 1" "$H" "Content-Type: text/plain"
[ "$(calls_made)" -eq 0 ] || fail "a refused POST made a call: $HTTP_BODY"
expect 201 POST /calls "$CALL" "$H" "Content-Type: application/json; charset=utf-8"
sid=$(json_str id)
expect 201 POST /calls "$CALL" "$H" "Content-Type: Application/JSON"
expect 422 POST /table/validate "x: 1" "$H" "Content-Type: application/yaml"
expect 404 POST /sessions/no-such/hangup "" "$H"                             # curl -X POST: no body, no type

# Cross-origin pages: 403 and nothing runs; the server's own origins pass.
for o in "http://evil.example" "null" "http://evil.example:$HTTP_PORT" "https://127.0.0.1:$HTTP_PORT" \
    "http://127.0.0.1:$dead" "http://127.0.0.1" "http://127.0.0.1.evil.example:$HTTP_PORT"; do
    expect 403 POST /calls "$CALL" "$H" "Content-Type: application/json" "Origin: $o"
    expect 403 GET /sessions "" "$H" "Origin: $o"
done
[ "$(calls_made)" -eq 2 ] || fail "a cross-origin POST made a call: $HTTP_BODY"
for o in "http://127.0.0.1:$HTTP_PORT" "http://localhost:$HTTP_PORT" "http://127.0.0.1:$HTTP_PORT/"; do
    expect 200 GET "/sessions/$sid/history" "" "$H" "Origin: $o"
done
# a CORS preflight gets no permission
expect 403 OPTIONS /calls "" "$H" "Origin: http://evil.example" "Access-Control-Request-Method: POST"
expect 405 OPTIONS /calls "" "$H" "Origin: http://127.0.0.1:$HTTP_PORT" "Access-Control-Request-Method: POST"

# DNS rebinding: a name of the attacker's that resolves to 127.0.0.1.
for host in evil.example "evil.example:$HTTP_PORT" "127.0.0.1:$dead" "localhost:$dead" "[::1]:$HTTP_PORT" \
    "127.0.0.1.evil.example" "api.example.test.evil:$HTTP_PORT"; do
    expect 421 GET /sessions "" "Host: $host"
    expect 421 POST /calls "$CALL" "Host: $host" "Content-Type: application/json"
    expect 421 GET /metrics "" "Host: $host"
done
[ "$(calls_made)" -eq 2 ] || fail "a POST with a foreign Host made a call: $HTTP_BODY"
for host in 127.0.0.1 "127.0.0.1:$HTTP_PORT" localhost "LocalHost:$HTTP_PORT"; do
    expect 200 GET /sessions "" "Host: $host"
done
# an HTTP/1.0 client without Host (not a browser)
exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
printf 'GET /sessions HTTP/1.0\r\n\r\n' >&3
st=$(timeout 5 head -n 1 <&3 | awk '{print $2}'); exec 3<&-
[ "$st" = 200 ] || fail "HTTP/1.0 request without Host: $st"
# the probes answer any Host and Origin; /healthz keeps its details for its own names
expect 200 GET /livez "" "Host: evil.example" "Origin: http://evil.example"
http_req GET /healthz "" "Host: evil.example" # 200, or 503 while the store is still connecting
printf '%s' "$HTTP_BODY" | grep -q '"checks"' || fail "/healthz under a foreign Host: $HTTP_STATUS $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"details"' && fail "/healthz under a foreign Host shows details: $HTTP_BODY"
http_req GET /healthz "" "$H"
printf '%s' "$HTTP_BODY" | grep -q '"details"' || fail "/healthz lacks details: $HTTP_STATUS $HTTP_BODY"

# No CORS header in any answer.
printf '%s' "$HEADS" | grep -i 'Access-Control-' && fail "a CORS header was sent"

# sessionctl (no Origin, Host with the port, JSON on every POST) works, over localhost too.
for srv in "http://127.0.0.1:$HTTP_PORT" "http://localhost:$HTTP_PORT"; do
    out=$("$BIN/sessionctl" --server "$srv" --json call "sip:nobody@127.0.0.1:$dead") || fail "sessionctl call ($srv): $out"
    id=$(printf '%s' "$out" | grep -o '"id":"[^"]*"' | sed 's/"id":"\(.*\)"/\1/')
    out=$("$BIN/sessionctl" --server "$srv" hangup "$id") || fail "sessionctl hangup ($srv): $out"
    out=$("$BIN/sessionctl" --server "$srv" --json events --session "$id") || fail "sessionctl events ($srv): $out"
    printf '%s' "$out" | grep -q '"seq"' || fail "sessionctl events ($srv) printed no event: $out"
done
stop_sessiond

# --http-host adds names (Host and Origin); the others stay refused.
start_sessiond --store memory: --http-host api.example.test --http-host 192.0.2.7
for host in api.example.test "API.example.test:$HTTP_PORT" 192.0.2.7 127.0.0.1 localhost; do
    expect 200 GET /sessions "" "Host: $host"
done
expect 200 GET /sessions "" "Host: api.example.test:$HTTP_PORT" "Origin: http://api.example.test:$HTTP_PORT"
expect 421 GET /sessions "" "Host: evil.example"
expect 403 GET /sessions "" "$H" "Origin: http://evil.example:$HTTP_PORT"
printf '%s' "$HEADS" | grep -i 'Access-Control-' && fail "a CORS header was sent"
pass
