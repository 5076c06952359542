#!/usr/bin/env bash
# Recovery over IPv6 ([::1]): established call, kill -9 + restart, the caller's BYE is
# answered (test_recovery_remote_bye.sh with an IPv6 listener and SIPp on ::1).
python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null ||
    { echo "SKIP: no IPv6 loopback"; exit 77; }
export REC_IPV6=1
exec bash "$(dirname "$0")/test_recovery_remote_bye.sh" "$@"
