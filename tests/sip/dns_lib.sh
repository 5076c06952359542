#!/usr/bin/env bash
# dns_lib.sh: a dnsmasq for the RFC 3263 wire tests, sourced after lib.sh: dns_start RECORD...
# runs it in the test's directory on 127.0.0.1 and a free port (DNS_PORT), answering only for
# example.test from the records given (--naptr-record=..., --srv-host=..., --host-record=...,
# TTL 60 s) and nothing else; dns_stop ends it, and the test's exit does too.
DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
DNS_PID=
DNS_PORT=
dns_stop() {
    [ -n "$DNS_PID" ] || return 0
    kill "$DNS_PID" 2>/dev/null; wait "$DNS_PID" 2>/dev/null; DNS_PID=
}
dns_start() {
    [ -x "$DNSMASQ" ] || { echo "SKIP: dnsmasq not installed (dnsmasq-base)"; exit 77; }
    trap 'rc=$?; dns_stop; type sc_backends_cleanup >/dev/null 2>&1 && sc_backends_cleanup >/dev/null 2>&1; (exit $rc); cleanup' EXIT
    DNS_PORT=$(free_port)
    (cd "$TMP" && exec "$DNSMASQ" --no-resolv --no-hosts --no-daemon --conf-file=/dev/null --port "$DNS_PORT" \
        --listen-address 127.0.0.1 --bind-interfaces --local=/example.test/ --local-ttl=60 \
        --pid-file="$TMP/dnsmasq.pid" "$@" >"$TMP/dnsmasq.out" 2>&1) &
    DNS_PID=$!
    for _ in $(seq 1 100); do port_in_use "$DNS_PORT" && return 0; sleep 0.05; done
    fail "dnsmasq did not start: $(cat "$TMP/dnsmasq.out")"
}
