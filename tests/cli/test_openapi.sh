#!/bin/bash
# docs/openapi.yaml is valid OpenAPI (swagger-parser), names every route string of
# tools/sessiond, and describes a live sessiond: tests/openapi/check.js calls every path and
# method of it, with valid input and invalid (unknown ids, bad JSON, bad bodies, no or a wrong
# token, a foreign Host or Origin, a body over 64 KiB, a form body, methods the path does not
# list), on real calls (a SIPp UAS that answers our call, a SIPp UAC whose call we answer), and
# checks each status is declared for the operation and each body matches the spec's schema.
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
UAC_BG=
stop_sipps() {
  local rc=$?
  for p in $SIPP_BG $UAC_BG; do kill "$p" 2>/dev/null; done
  (exit "$rc"); cleanup
}
trap stop_sipps EXIT

start_sipp_uas uas_hold
export SESSIOND_TEST_HOOKS=1
start_sessiond --answer manual --http-token-file "$TMP/token" --config "$TMP/sessiond.yaml" \
  --realm pbx.test --users "$TMP/users.yaml" --users-store yes --trust 127.0.0.0/8 --rtp-timeout-ms 0
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/uac_wait_bye.xml" -m 1 -l 1 -timeout 30s -timeout_error \
  -trace_err -error_file "$TMP/uac_wait_bye.err" -nostdin -i 127.0.0.1 -p "$UAC_PORT" \
  "127.0.0.1:$SIP_PORT" >"$TMP/uac_wait_bye.out" 2>&1) &
UAC_BG=$!

SD_URL="http://127.0.0.1:$HTTP_PORT" SD_TOKEN=$TOKEN UAS_URI="sip:alice@127.0.0.1:$SIPP_PORT" SRC=$SRC \
  node "$DIR/check.js" "$SPEC" || fail "the live answers do not match $SPEC"
# both calls were real: the SIPp scenarios ran to their end (hold, resume, BYE)
wait_sipp
wait "$UAC_BG" || fail "sipp uac_wait_bye failed: $(grep -h -i -m 3 -E 'error|unexpected|aborted' "$TMP"/uac_wait_bye.out 2>/dev/null)"
UAC_BG=
pass
