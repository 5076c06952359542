#!/bin/bash
# sessionctl simulate walks calls through the shipped table with no I/O: a full incoming call
# and a full outgoing call reach Terminated, a refused event exits 1, bad usage exits 2.
set -u
BIN=${1:?usage: test_simulate.sh BIN_DIR}
SRC=${SC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CTL="$BIN/sessionctl"
[ -x "$CTL" ] || { echo "skip: $CTL not built"; exit 77; }
T="$SRC/tables/default.yaml"
fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

out=$("$CTL" simulate "$T" --role uas IncomingCall AcceptCall DialogACK DialogBYE); rc=$?
[ $rc -eq 0 ] || bad "incoming call: rc=$rc"
echo "$out" | grep -q "Idle --IncomingCall.*--> Ringing (taken)" || bad "incoming: no Idle->Ringing: $out"
echo "$out" | grep -q "publish CallEstablished" || bad "incoming: CallEstablished not published: $out"
[ "$(echo "$out" | tail -1)" = "final Terminated" ] || bad "incoming: not Terminated: $out"

out=$("$CTL" simulate "$T" --role uac MakeCall Dialog180Ringing Dialog200OK HangupCall Dialog200OK); rc=$?
[ $rc -eq 0 ] || bad "outgoing call: rc=$rc"
echo "$out" | grep -q "Active --HangupCall/SendBye.*--> Terminating (taken)" || bad "outgoing: no BYE: $out"
[ "$(echo "$out" | tail -1)" = "final Terminated" ] || bad "outgoing: not Terminated: $out"

# cancel before answer, with the 487 the INVITE gets
out=$("$CTL" simulate "$T" --role uac MakeCall Dialog180Ringing HangupCall Dialog487RequestTerminated); rc=$?
[ $rc -eq 0 ] && [ "$(echo "$out" | tail -1)" = "final Cancelled" ] || bad "cancel: rc=$rc $out"

# an event the state does not accept is reported and exits 1
out=$("$CTL" simulate "$T" --role uas IncomingCall DialogACK); rc=$?
[ $rc -eq 1 ] || bad "not accepted: rc=$rc"
echo "$out" | grep -q "not_accepted" || bad "not accepted: outcome not shown: $out"

"$CTL" simulate "$T" --role nobody IncomingCall >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "bad role: rc=$rc"

[ $fail -eq 0 ] && echo "simulate: all checks passed"
exit $((fail > 0))
