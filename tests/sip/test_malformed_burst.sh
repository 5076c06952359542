#!/usr/bin/env bash
# A burst of malformed input (raw garbage, binary, truncated and oversized datagrams, then
# requests with a bad version or bad headers that get 505/400), followed by a valid call that
# still works: sessiond stays alive and creates no session for the garbage.
. "$(dirname "$0")/netns.sh" # hostile input: only loopback in reach
. "$(dirname "$0")/lib.sh"
start_sessiond
send_udp() { printf "$1" > "/dev/udp/127.0.0.1/$SIP_PORT"; }
for _ in $(seq 1 20); do
    send_udp 'garbage\r\n\r\n'
    send_udp '\x00\x01\x02\xff\xfe SIP/2.0 \r\n\r\n'
    send_udp 'INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKx\r\nCall-ID: trunc'
    send_udp 'INVITE sip:bob@127.0.0.1 SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n'
    send_udp 'SIP/2.0 200 OK\r\nCall-ID: stray\r\n\r\n'
    send_udp '\r\n\r\n'
done
head -c 60000 /dev/zero | tr '\0' 'A' > "/dev/udp/127.0.0.1/$SIP_PORT"
run_sipp malformed
http GET /livez
[ "$HTTP_STATUS" = 200 ] || fail "sessiond not live after the burst"
[ -z "$(session_ids)" ] || fail "garbage created a session: $HTTP_BODY"
run_sipp uac_bye
id=$(only_session)
wait_state "$id" Terminated
expect_history "$id" IncomingCall AcceptCall DialogACK DialogBYE
kill -0 "$SD_PID" || fail "sessiond died"
pass
