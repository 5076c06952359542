#!/bin/bash
# docs/openapi.yaml is valid OpenAPI (swagger-parser), names every route string of
# tools/sessiond, and describes a live sessiond: tests/openapi/check.js calls every path and
# method of it, with valid input and invalid (unknown ids, bad JSON, bad bodies, no or a wrong
# token, a foreign Host or Origin, a body over 64 KiB, a form body, methods the path does not
# list), on real calls (SIPp parties that answer our calls, one that takes a transfer, two that
# call us: one answered, one rejected), and checks each status is declared for the operation
# and each body matches the spec's schema. OA_SPEC=FILE checks another spec file instead.
set -u
SRC=${SC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DIR="$SRC/tests/openapi"
SPEC=${OA_SPEC:-$SRC/docs/openapi.yaml}
command -v node >/dev/null && command -v npm >/dev/null || { echo "skip: node/npm not installed"; exit 77; }
if [ ! -d "$DIR/node_modules/@apidevtools/swagger-parser" ] || [ ! -d "$DIR/node_modules/ajv-formats" ]; then
  (cd "$DIR" && npm ci --silent --no-audit --no-fund --prefer-offline >/dev/null 2>&1) \
    || { echo "npm ci failed in $DIR"; exit 1; }
fi
node "$DIR/check.js" "$SPEC" --validate-only || { echo "FAIL: openapi: $SPEC"; exit 1; }

# The live part: a sessiond on loopback with a token, the test hooks, a registrar with a user
# store, a trunk (to a port nobody answers) and manual answering.
. "$SRC/tests/sip/lib.sh"
UAC_PORT=$(free_port)
DEAD_PORT=$(free_port)
TOKEN=openapi-test-token-$$
printf '%s\n' "$TOKEN" >"$TMP/token"
printf -- '- {user: bob, password: s3cret}\n' >"$TMP/users.yaml"
chmod 600 "$TMP/token" "$TMP/users.yaml"
cat >"$TMP/sessiond.yaml" <<YAML
trunks:
  - name: carrier
    uri: sip:127.0.0.1:$DEAD_PORT
    username: alice
    password: carrier-pw
    register: false
YAML
# SIPp parties beside the one of lib.sh (uas_hold on SIPP_PORT): SCENARIO PORT [TARGET]
BG_PIDS=()
BG_NAMES=()
start_sipp_bg() {
  (cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/$1.xml" -m 1 -l 1 -timeout 30s -timeout_error \
    -trace_err -error_file "$TMP/$1.err" -nostdin -i 127.0.0.1 -p "$2" ${3:-} >"$TMP/$1.out" 2>&1) &
  BG_PIDS+=($!)
  BG_NAMES+=("$1")
}
stop_sipps() {
  local rc=$?
  for p in $SIPP_BG "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  (exit "$rc"); cleanup
}
trap stop_sipps EXIT

XFER_PORT=$(free_port)
REJ_PORT=$(free_port)
start_sipp_uas uas_hold      # our call A: answered, held, resumed, hung up
start_sipp_bg xfer_transferee "$XFER_PORT"  # our call D: answered, transferred (REFER)
export SESSIOND_TEST_HOOKS=1
# (T1 500 ms rather than lib.sh's 100: the SIPp scenarios do not expect retransmissions, which
# a loaded machine would otherwise see)
start_sessiond --answer manual --http-token-file "$TMP/token" --config "$TMP/sessiond.yaml" \
  --realm pbx.test --users "$TMP/users.yaml" --users-store yes --trust 127.0.0.0/8 --rtp-timeout-ms 0 \
  --http-timeout-ms 1500 --sip-t1-ms 500 --cluster
start_sipp_bg uac_wait_bye "$UAC_PORT" "127.0.0.1:$SIP_PORT"  # call B: accepted, bridged, hung up
start_sipp_bg uac_rejected "$REJ_PORT" "127.0.0.1:$SIP_PORT"  # call E: rejected (486)
for _ in $(seq 1 100); do port_in_use "$XFER_PORT" && break; sleep 0.05; done

SD_URL="http://127.0.0.1:$HTTP_PORT" SD_TOKEN=$TOKEN SRC=$SRC UAS_URI="sip:alice@127.0.0.1:$SIPP_PORT" \
  XFER_URI="sip:alice@127.0.0.1:$XFER_PORT" UAC_PORT=$UAC_PORT REJ_PORT=$REJ_PORT SCTL="$BIN/sessionctl" \
  node "$DIR/check.js" "$SPEC" || fail "the live answers do not match $SPEC"
# The SIPp parties end with their calls (check.js saw each call reach its states). Their own
# verdicts are not this test's: a SIPp scenario fails on a retransmission it did not expect.
wait "$SIPP_BG" "${BG_PIDS[@]}" 2>/dev/null
SIPP_BG= BG_PIDS=()
pass
