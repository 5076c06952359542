#!/usr/bin/env bash
# A transaction-table flood from one source (127.0.0.2) while another (127.0.0.1) makes a
# normal call: OPTIONS are answered statelessly (no transaction left behind; a retransmission
# gets the same To tag); past --sip-tx-per-source live transactions the flooding source gets
# 503 with Retry-After (counted as SOURCE_LIMIT) while the SIPp call from the other source is
# answered and completes during the flood; afterwards the transaction count falls back to ~0
# and the agent gives the memory back (sessioncore_sip_memory_reclaims_total).
. "$(dirname "$0")/netns.sh" # hostile input: only loopback in reach
. "$(dirname "$0")/lib.sh"
FLOOD=${SC_BINARY_DIR:-$BIN/..}/tests/sip_flood
[ -x "$FLOOD" ] || fail "sip_flood not built ($FLOOD)"
# T1 50 ms: transactions linger 64*T1 = 3.2 s after their answer
start_sessiond --answer auto --store memory: --sip-t1-ms 50 --sip-tx-per-source 2500

# OPTIONS out of dialog, each sent twice: answered 200 twice with the same tag, nothing kept
"$FLOOD" -x -m OPTIONS -w 500 127.0.0.2 127.0.0.1 "$SIP_PORT" 300 >"$TMP/options.txt" || fail "sip_flood failed"
grep -qx '200 300' "$TMP/options.txt" || fail "OPTIONS not all answered 200: $(tr '\n' ' ' <"$TMP/options.txt")"
grep -qx 'same_tag 300' "$TMP/options.txt" || fail "retransmitted OPTIONS answered differently: $(tr '\n' ' ' <"$TMP/options.txt")"
tx=$(metric sessioncore_sip_transactions_active)
[ "$tx" -le 2 ] || fail "OPTIONS left $tx transactions behind"

# The flood: 8000 distinct requests in ~3.2 s, 4 in 5 needing a transaction (REGISTER, INVITE)
"$FLOOD" -r 2500 -w 1000 -m REGISTER,OPTIONS,REGISTER,INVITE,REGISTER 127.0.0.2 127.0.0.1 "$SIP_PORT" 8000 \
    >"$TMP/flood.txt" &
FLOOD_PID=$!
for _ in $(seq 1 40); do # until the flooding source is at its limit
    [ "$(metric 'sessioncore_sip_malformed_total{reason="SOURCE_LIMIT"}')" -gt 0 ] && break; sleep 0.05
done
[ "$(metric 'sessioncore_sip_malformed_total{reason="SOURCE_LIMIT"}')" -gt 0 ] || fail "the flood never met its limit"
kill -0 "$FLOOD_PID" 2>/dev/null || fail "the flood ended before the call could start (too fast to test)"
run_sipp uac_bye # from 127.0.0.1: answered and hung up while 127.0.0.2 floods
kill -0 "$FLOOD_PID" 2>/dev/null || echo "note: the flood ended during the call"
wait "$FLOOD_PID" || fail "sip_flood failed"
n503=$(awk '$1 == 503 {print $2}' "$TMP/flood.txt")
[ "${n503:-0}" -gt 0 ] || fail "the flooding source got no 503: $(tr '\n' ' ' <"$TMP/flood.txt")"
lim=$(metric 'sessioncore_sip_malformed_total{reason="SOURCE_LIMIT"}')
[ "$lim" -ge "$n503" ] || fail "SOURCE_LIMIT counted $lim, the flood saw $n503 503s"
grep -qx '200 [0-9]*' "$TMP/flood.txt" || fail "nothing of the flood was served before its limit"

# After the flood: transactions back to ~0, the memory given back once, sessiond alive
for _ in $(seq 1 150); do
    [ "$(metric sessioncore_sip_transactions_active)" -le 2 ] && break; sleep 0.1
done
tx=$(metric sessioncore_sip_transactions_active)
[ "$tx" -le 2 ] || fail "$tx transactions still alive 15 s after the flood"
for _ in $(seq 1 40); do
    [ "$(metric sessioncore_sip_memory_reclaims_total)" -ge 1 ] && break; sleep 0.1
done
[ "$(metric sessioncore_sip_memory_reclaims_total)" -ge 1 ] || fail "no memory reclaim after the flood"
[ "$(metric sessioncore_sip_transaction_sources)" -le 1 ] || fail "per-source counts left behind"
http GET /livez
[ "$HTTP_STATUS" = 200 ] || fail "sessiond not live after the flood"
kill -0 "$SD_PID" || fail "sessiond died"
pass
