#!/usr/bin/env bash
# A second sessiond on the same SIP address (UDP, then TCP) fails to start with exit status 1
# and a line naming the address; the first keeps all of its traffic (an OPTIONS still gets
# its answer from it). Without exclusive binding both bound and split the datagrams.
. "$(dirname "$0")/lib.sh"
start_sessiond --store memory: --sip "tcp:127.0.0.1:$SIP_PORT"
for spec in "udp:127.0.0.1:$SIP_PORT" "tcp:127.0.0.1:$SIP_PORT"; do
    other=$(free_port)
    timeout 10 "$BIN/sessiond" --store memory: --sip "$spec" --http "127.0.0.1:$other" >"$TMP/second.out" 2>&1
    rc=$?
    [ "$rc" = 1 ] || fail "second sessiond on $spec: exit $rc (expected 1): $(tail -n 3 "$TMP/second.out")"
    grep -q "$spec" "$TMP/second.out" || fail "no line names $spec: $(cat "$TMP/second.out")"
done
run_sipp options
pass
