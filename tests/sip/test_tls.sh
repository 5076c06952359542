#!/usr/bin/env bash
# SIP over TLS on sessiond's tls: listener (certificates made for the run by tls_certs.sh):
# openssl s_client sends OPTIONS over TLS and gets 200 OK (Via and Contact say TLS); a client
# that trusts another CA fails the handshake; plaintext SIP on the TLS port, a peer that stops
# in the middle of a record and one that never starts its handshake are each closed and counted
# in sessioncore_sip_tls_failures_total{reason}; sessiond still answers over TLS afterwards.
# Bad TLS settings refuse to start with one line.
. "$(dirname "$0")/netns.sh" # hostile input (plaintext, cut records, silent peers): loopback only
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }
C=$TMP/certs
"$SCEN/tls_certs.sh" "$C" || fail "cannot make the test certificates"
TLS_PORT=$(free_port)

# refused at start, one line each
refuse() { # expected-text flags...
    local want=$1; shift
    "$BIN/sessiond" --store memory: --http off --sip "tls:127.0.0.1:$TLS_PORT" "$@" >/dev/null 2>"$TMP/refuse.err"
    [ $? -eq 2 ] || fail "sessiond started with $*"
    [ "$(wc -l <"$TMP/refuse.err")" -eq 1 ] && grep -q "$want" "$TMP/refuse.err" ||
        fail "refusal of $*: $(cat "$TMP/refuse.err")"
}
refuse "needs --tls-cert and --tls-key"
refuse "does not match" --tls-cert "$C/server.pem" --tls-key "$C/other.key"
refuse "cannot read '$C/nope.pem'" --tls-cert "$C/nope.pem" --tls-key "$C/server.key"

start_sessiond --store memory: --sip "tls:127.0.0.1:$TLS_PORT" --tls-cert "$C/server.pem" --tls-key "$C/server.key" \
    --tls-ca "$C/ca.pem" --tls-handshake-ms 500
grep -q "listening on tls:127.0.0.1:$TLS_PORT" "$SD_LOG" || fail "no TLS listener in the log"

fails() { metric "sessioncore_sip_tls_failures_total{reason=\"$1\"}"; }

# options N CAFILE [PING]: OPTIONS over TLS with s_client (verifying sessiond's certificate
# against CAFILE and its IP), after an RFC 5626 CRLFCRLF ping when PING is set; the answer in
# $TMP/options.N.out, s_client's report in .err.
options() {
    local n=$1 ca=$2 ping=${3:+$'\r\n\r\n'} out=$TMP/options.$1.out
    rm -f "$TMP/in.$n"; mkfifo "$TMP/in.$n"
    timeout 10 openssl s_client -connect "127.0.0.1:$TLS_PORT" -CAfile "$ca" -verify_return_error \
        -verify_ip 127.0.0.1 -quiet <"$TMP/in.$n" >"$out" 2>"$TMP/options.$n.err" &
    local pid=$!
    exec 4>"$TMP/in.$n"
    printf '%sOPTIONS sip:127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-tls-%s;rport\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=t%s\r\nTo: <sip:127.0.0.1>\r\nCall-ID: tls-options-%s@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' \
        "$ping" "$TLS_PORT" "$n" "$n" "$n" >&4 2>/dev/null
    for _ in $(seq 1 100); do
        grep -q $'^Content-Length: 0\r$' "$out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    exec 4>&-
    kill "$pid" 2>/dev/null # s_client -quiet waits for the server to close
    wait "$pid" 2>/dev/null
    return 0
}

# 1. OPTIONS over TLS: 200 OK, our Via back, a Contact with transport=tls
options 1 "$C/ca.pem"
grep -q '^SIP/2.0 200 OK' "$TMP/options.1.out" || fail "no 200 to OPTIONS over TLS: $(cat "$TMP/options.1.out" "$TMP/options.1.err")"
grep -q 'Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-tls-1' "$TMP/options.1.out" || fail "Via not echoed: $(cat "$TMP/options.1.out")"
grep -qi "^Contact: <sip:127.0.0.1:$TLS_PORT;transport=tls>" "$TMP/options.1.out" || fail "Contact: $(grep -i contact "$TMP/options.1.out")"
[ "$(metric sessioncore_sip_tls_handshakes_total)" -ge 1 ] || fail "handshake not counted"

# 2. a client trusting another CA: its handshake fails, nothing reaches SIP
options 2 "$C/ca2.pem"
grep -q 'SIP/2.0' "$TMP/options.2.out" && fail "an answer over a connection the client should have refused"
grep -qi 'verify' "$TMP/options.2.err" || fail "s_client did not refuse the certificate: $(cat "$TMP/options.2.err")"
wait_metric 'sessioncore_sip_tls_failures_total{reason="certificate"}' 1 5

# 3. plaintext SIP on the TLS port: closed (the read ends), counted
exec 3<>"/dev/tcp/127.0.0.1/$TLS_PORT"
msg=$'OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-plain\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: plain@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'
(trap '' PIPE; printf '%s' "$msg" >&3) 2>/dev/null # the server may close before the last byte
got=$(timeout 5 cat <&3 2>/dev/null)
[ $? -eq 124 ] && fail "plaintext connection not closed"
exec 3<&-
[ -z "$got" ] || fail "plaintext got an answer: $got"
wait_metric 'sessioncore_sip_tls_failures_total{reason="plaintext"}' 1 5

# 4. a peer that stops in the middle of a record (a record header, then the end)
exec 3<>"/dev/tcp/127.0.0.1/$TLS_PORT"
printf '\x16\x03\x01\x00\x80\x01\x00' >&3
exec 3>&-
wait_metric 'sessioncore_sip_tls_failures_total{reason="truncated"}' 1 5

# 5. a peer that never starts its handshake: dropped at the deadline (500 ms here)
exec 3<>"/dev/tcp/127.0.0.1/$TLS_PORT"
got=$(timeout 5 cat <&3 2>/dev/null)
[ $? -eq 124 ] && fail "silent connection not closed by the handshake deadline"
exec 3<&-
wait_metric 'sessioncore_sip_tls_failures_total{reason="timeout"}' 1 5
grep -q "TLS connection from 127.0.0.1:[0-9]* closed: plaintext" "$SD_LOG" || fail "no log line for the plaintext peer"

# 6. still serving: a second OPTIONS over TLS, after a keep-alive ping answered with CRLF
options 3 "$C/ca.pem" ping
grep -q '^SIP/2.0 200 OK' "$TMP/options.3.out" || fail "no 200 after the bad peers: $(cat "$TMP/options.3.out" "$TMP/options.3.err")"
[ "$(head -c 2 "$TMP/options.3.out" | od -An -c | tr -d ' ')" = '\r\n' ] || fail "ping not answered with CRLF: $(head -c 20 "$TMP/options.3.out" | od -c)"
[ "$(metric 'sessioncore_sip_keepalives_total{kind="pong"}')" = 1 ] || fail "pong not counted"
[ "$(fails handshake)" -eq 0 ] || fail "unexpected handshake failures: $(fails handshake)"
stop_sessiond
pass
