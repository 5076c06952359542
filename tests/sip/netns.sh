#!/usr/bin/env bash
# netns.sh: sourced first by the wire tests that send hostile input (malformed bursts, connection
# floods, injected RTP) or bind wildcard addresses: the test re-runs itself in a network
# namespace of its own with only loopback up (127.0.0.1 and 127.0.0.2), so whatever sessiond or
# the sender does, no packet can leave the machine. Skips (77) where namespaces cannot be made.
if [ -z "${SC_IN_NETNS:-}" ]; then
    command -v unshare >/dev/null && command -v ip >/dev/null || { echo "SKIP: unshare or ip missing"; exit 77; }
    unshare -n true 2>/dev/null || { echo "SKIP: cannot create a network namespace"; exit 77; }
    exec unshare -n env SC_IN_NETNS=1 bash -c 'ip link set lo up && ip addr add 127.0.0.2/8 dev lo && exec bash "$0" "$@"' \
        "$0" "$@"
fi
