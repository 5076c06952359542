#!/usr/bin/env bash
# start.sh: runs Kamailio in the foreground as the front of a sessiond cluster, with the shipped
# kamailio.cfg beside this script, listening on LISTEN (UDP) and dispatching to the nodes given.
# Its runtime files (dispatcher list, pid file, control socket) live in a temporary directory
# that is removed when Kamailio exits. The script execs Kamailio: its pid is Kamailio's main
# process (stop it with SIGTERM or Ctrl-C; its worker processes leave with it; after a SIGKILL
# of the main process, the watcher that removes the directory ends the workers within a second).
#
#   deploy/kamailio/start.sh LISTEN_IP:PORT NODE_IP:PORT...
#   deploy/kamailio/start.sh 127.0.0.1:5060 127.0.0.2:5060 127.0.0.3:5060 127.0.0.4:5060
#
# IPv6 addresses go in brackets: [::1]:5060. Environment: KAMAILIO (the binary, default
# /usr/sbin/kamailio or the one in PATH), KAMAILIO_ARGS (more options, e.g. "-n 8" for eight
# UDP workers), TMPDIR (where the temporary directory goes). The control socket's path is
# printed at start; use it as `kamcmd -s unix:PATH dispatcher.list`.
set -euo pipefail

usage() {
    echo "usage: $(basename "$0") LISTEN_IP:PORT NODE_IP:PORT..." >&2
    echo "  e.g. $(basename "$0") 127.0.0.1:5060 127.0.0.2:5060 127.0.0.3:5060" >&2
    [ -n "${1:-}" ] && echo "error: $1" >&2
    exit 2
}

# valid_hostport ARG: an IPv4 address or a bracketed IPv6 address, a colon, a port 1-65535.
valid_hostport() {
    local hp=$1 host port o
    case "$hp" in
        \[*\]:*) host=${hp%]:*}; host=${host#[}; port=${hp##*]:}
                 [[ "$host" =~ ^[0-9A-Fa-f:.]+$ ]] && [[ "$host" == *:* ]] || return 1 ;;
        *:*) host=${hp%:*}; port=${hp##*:}
             [[ "$host" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || return 1
             for o in ${host//./ }; do [ "$((10#$o))" -le 255 ] || return 1; done ;;
        *) return 1 ;;
    esac
    [[ "$port" =~ ^[0-9]{1,5}$ ]] && [ "$((10#$port))" -ge 1 ] && [ "$((10#$port))" -le 65535 ]
}

[ $# -ge 2 ] || usage "a listen address and at least one node are needed"
for a in "$@"; do
    valid_hostport "$a" || usage "'$a' is not IP:PORT (IPv4, or [IPv6]:PORT)"
done
LISTEN=$1
shift

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CFG=$HERE/kamailio.cfg
[ -r "$CFG" ] || { echo "error: $CFG not found" >&2; exit 1; }
KAM=${KAMAILIO:-}
if [ -z "$KAM" ]; then
    if [ -x /usr/sbin/kamailio ]; then KAM=/usr/sbin/kamailio; else KAM=$(command -v kamailio || true); fi
fi
[ -n "$KAM" ] && [ -x "$KAM" ] || { echo "error: kamailio not found (Debian: apt-get install kamailio)" >&2; exit 1; }

RUN=$(mktemp -d "${TMPDIR:-/tmp}/kamailio-front-XXXXXX")
# A watcher outside Kamailio's process tree (Kamailio's main process treats any child that exits
# as a dead worker and shuts down) waits for Kamailio's main process (this pid, after the exec)
# to be gone, then removes the directory. It also notes the main process's children (the
# workers): if the main process was killed with SIGKILL, they are left running on the port,
# and the watcher ends them, by pid, if their command line still names this directory.
# shellcheck disable=SC2016 # the watcher's script is expanded by its own shell
( setsid bash -c '
    main=$1 run=$2 kids="" now="" st=""
    while kill -0 "$main" 2>/dev/null; do
        read -r _ _ st _ </proc/"$main"/stat 2>/dev/null
        [ "$st" = Z ] && break # killed, not reaped yet: its workers went to init already
        now=$(cat /proc/"$main"/task/*/children 2>/dev/null)
        [ -n "$now" ] && kids=$now
        sleep 0.5
    done
    for k in $kids; do
        grep -q -a -F -- "$run" /proc/"$k"/cmdline 2>/dev/null && kill -KILL "$k" 2>/dev/null
    done
    rm -rf "$run"' _ "$$" "$RUN" </dev/null >/dev/null 2>&1 & )
trap 'rm -rf "$RUN"' EXIT # until the exec, on errors

{
    echo "# set URI (sessiond nodes, probed with OPTIONS)"
    for n in "$@"; do echo "1 sip:$n"; done
} >"$RUN/dispatcher.list"

"$KAM" -c -f "$CFG" -l "udp:$LISTEN" -A "DS_LIST=\"$RUN/dispatcher.list\"" \
    -A "CTL_SOCK=\"unix:$RUN/kamailio_ctl\"" >"$RUN/check.out" 2>&1 ||
    { echo "error: kamailio rejected the configuration:" >&2; tail -n 20 "$RUN/check.out" >&2; exit 1; }

echo "kamailio front: listening on udp:$LISTEN, nodes: $*; control socket unix:$RUN/kamailio_ctl" >&2
trap - EXIT
cd "$RUN"
# shellcheck disable=SC2086 # KAMAILIO_ARGS is a list of options
exec "$KAM" -f "$CFG" -DD -E -l "udp:$LISTEN" -w "$RUN" -Y "$RUN" -P "$RUN/kamailio.pid" \
    -A "DS_LIST=\"$RUN/dispatcher.list\"" -A "CTL_SOCK=\"unix:$RUN/kamailio_ctl\"" \
    ${KAMAILIO_ARGS:-}
