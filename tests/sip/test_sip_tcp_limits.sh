#!/usr/bin/env bash
# SIP over TCP has limits: past --sip-tcp-per-peer connections from one IP a new one is closed
# at once (and logged), and a connection quiet for --sip-tcp-idle-ms is closed, so idle
# connections cannot use up sessiond's file descriptors; TCP still serves requests afterwards.
. "$(dirname "$0")/netns.sh" # hostile input: only loopback in reach
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
start_sessiond --store memory: --sip "tcp:127.0.0.1:$SIP_PORT" --sip-tcp-per-peer 4 --sip-tcp-idle-ms 600
fd0=$(fd_count "$SD_PID")
python3 - "$SIP_PORT" <<'PY' || fail "TCP limits not applied (above)"
import socket, sys, time
port = int(sys.argv[1])
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(6)]
time.sleep(0.3)
def closed(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True
state = [closed(s, 0.05) for s in socks]
assert state == [False] * 4 + [True] * 2, ("per-peer limit", state)
time.sleep(2.5)  # quiet for more than 600 ms: the sweep (every second) closes them
state = [closed(s, 0.2) for s in socks[:4]]
assert all(state), ("idle timeout", state)
print("ok")
PY
grep -q "TCP connection from 127.0.0.1:[0-9]* refused: limit" "$SD_LOG" || fail "no refusal in the log"
sleep 0.2
fd1=$(fd_count "$SD_PID")
[ "$fd1" -le "$fd0" ] || fail "fds: $fd0 before, $fd1 after the connections were closed"
run_sipp options -t t1
pass
