#!/bin/bash
# The JSON Schema and the C validator must agree: every shipped and valid table passes the
# schema, every structurally broken table of the corpus fails it. Semantic defects (names,
# parameters, reachability...) are beyond JSON Schema and are listed here as passing it.
set -u
SRC=${SC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DIR="$SRC/tests/schema"
command -v node >/dev/null && command -v npm >/dev/null || { echo "skip: node/npm not installed"; exit 77; }
if [ ! -d "$DIR/node_modules/ajv" ] || [ ! -d "$DIR/node_modules/yaml" ]; then
  (cd "$DIR" && npm install --silent --no-audit --no-fund --prefer-offline >/dev/null 2>&1) \
    || { echo "npm install failed in $DIR"; exit 1; }
fi

# Invalid-corpus files whose defect JSON Schema cannot express (they must pass the schema).
SEMANTIC="05-unknown-event 06-unknown-from-state 07-unknown-to-state 08-unknown-guard
  09-unknown-action 10-unknown-condition 11-missing-required-param 12-unknown-param
  13-wrong-param-type 14-duplicate-row 15-unreachable-state 16-no-way-out 17-missing-hangup
  18-missing-bye-for-role 19-missing-dialog-error 20-action-failed-loop 21-check-conditions-loop
  22-timer-unknown-event 29-unknown-initial 34-guard-param-missing 35-duplicate-wildcard-row
  37-migrate-unknown-target 39-migrate-terminal-target 42-migrate-terminal-source"

valid=("$SRC"/tables/*.yaml "$SRC"/tables/examples/*.yaml "$SRC"/tests/data/tables/valid/*.yaml)
invalid=()
for f in "$SRC"/tests/data/tables/invalid/*.yaml; do
  base=$(basename "$f" .yaml)
  if [[ " $(echo $SEMANTIC) " == *" $base "* ]]; then valid+=("$f"); else invalid+=("$f"); fi
done
echo "schema check: ${#valid[@]} tables must pass, ${#invalid[@]} must fail"
node "$DIR/check.js" "$SRC/schema/state-table.schema.json" --valid "${valid[@]}" --invalid "${invalid[@]}"
