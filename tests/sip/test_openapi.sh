#!/usr/bin/env bash
# docs/openapi.yaml matches the server: every documented (method, path) is routed and answers
# with one of its documented statuses (for a real session and for an unknown one),
# undocumented paths are 404 "no such resource", and the required fields of the documented
# schemas are present in real answers.
. "$(dirname "$0")/lib.sh"
SPEC=$SRC/docs/openapi.yaml
[ -f "$SPEC" ] || fail "no $SPEC"

# "METHOD PATH CODE..." for each operation (resolves the &command_responses anchor).
ops=$(awk '
    /^paths:/ {inpaths=1; next}
    /^components:/ {inpaths=0}
    !inpaths {next}
    /^  \/[^ ]*:$/ {flush(); path=$1; sub(/:$/, "", path); next}
    /^    (get|post):$/ {flush(); method=toupper($1); sub(/:$/, "", method); next}
    /^      responses:/ {
        inresp=1; codes=""
        if ($0 ~ /\*command_responses/) {codes=anchor; inresp=0}
        anchoring = ($0 ~ /&command_responses/)
        next
    }
    inresp && /^        .[0-9][0-9][0-9].:/ {
        c=$1; gsub(/[^0-9]/, "", c); codes=codes " " c
        if (anchoring) anchor=codes
        next
    }
    /^      [a-zA-Z]/ {inresp=0}
    function flush() { if (method != "" && path != "") print method, path codes; method="" }
    END {flush()}
' "$SPEC")
[ "$(printf '%s\n' "$ops" | grep -c .)" -ge 12 ] || fail "could not read the operations of $SPEC: $ops"

start_sessiond --answer manual
# A real session: an outgoing call to a port nobody answers (stays Initiating).
dead=$(free_port)
http POST /calls "{\"to\":\"sip:nobody@127.0.0.1:$dead\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
sid=$(json_str id)

body_for() {
    case "$1" in
        */calls) echo "{\"to\":\"sip:nobody@127.0.0.1:$dead\"}" ;;
        */reject) echo '{"code":486}' ;;
        */dtmf) echo '{"digits":"12"}' ;;
        *) echo '' ;;
    esac
}
check_op() { # method path codes...
    local m=$1 p=$2; shift 2
    case "$p" in /events*) HTTP_TIMEOUT=1 ;; *) HTTP_TIMEOUT=10 ;; esac # a stream: read its head only
    http "$m" "$p" "$(body_for "$p")"
    case " $* " in *" $HTTP_STATUS "*) ;; *) fail "$m $p answered $HTTP_STATUS, documented: $* ($HTTP_BODY)" ;; esac
    if [ "$HTTP_STATUS" = 404 ] && printf '%s' "$HTTP_BODY" | grep -q 'no such resource'; then
        fail "$m $p is documented but not routed"
    fi
}
n=0
while read -r method path codes; do
    [ -n "$method" ] || continue
    # the real session first (hangup last, so the others see a live session), then an unknown id
    real=${path//\{id\}/$sid}
    [ "$real" != "${real%/hangup}" ] || check_op "$method" "$real" $codes
    check_op "$method" "${path//\{id\}/no-such-session}" $codes
    n=$((n + 1))
done <<< "$ops"
check_op POST "/sessions/$sid/hangup" $(printf '%s\n' "$ops" | awk '$2 ~ /hangup/ {$1=$2=""; print}')
http POST "/sessions/$sid/hold"
[ "$HTTP_STATUS" = 409 ] || fail "hold of an unanswered outgoing call: $HTTP_STATUS"

# Undocumented paths are not served.
for p in /nope /sessions/x/y/z /table.png /calls/x; do
    http GET "$p"
    [ "$HTTP_STATUS" = 404 ] || [ "$HTTP_STATUS" = 405 ] || fail "GET $p answered $HTTP_STATUS"
done
printf '%s\n' "$ops" | grep -q '^GET /sessions/{id}/bogus' && fail "spec lists a bogus path"

# Required fields of the schemas are in real answers.
required_of() { awk -v s="    $1:" '$0 == s {f=1; next} f && /required:/ {gsub(/.*\[|\].*/, ""); gsub(/,/, " "); print; exit} f && /^    [A-Za-z]/ {exit}' "$SPEC"; }
http GET /sessions
for k in $(required_of SessionSummary); do
    printf '%s' "$HTTP_BODY" | grep -q "\"$k\":" || fail "GET /sessions lacks required '$k'"
done
http GET "/sessions/$sid"
for k in $(required_of SessionSummary) conditions possible_events history fields health; do
    printf '%s' "$HTTP_BODY" | grep -q "\"$k\":" || fail "GET /sessions/{id} lacks required '$k'"
done
http GET "/sessions/$sid/history"
for k in $(required_of HistoryRecord); do
    printf '%s' "$HTTP_BODY" | grep -q "\"$k\":" || fail "history lacks required '$k'"
done
echo "checked $n documented operations"
pass
