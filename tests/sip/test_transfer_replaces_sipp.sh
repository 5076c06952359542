#!/usr/bin/env bash
# sessiond as the target of an attended transfer, meeting SIPp (RFC 3891 section 3): a SIPp
# call to sessiond is the dialog to replace; a second SIPp sends an INVITE with Replaces (and
# Require: replaces) naming it: sessiond answers 200 and BYEs the old dialog (the first SIPp
# receives the BYE). While that call still rings (an early dialog we did not initiate) a Replaces
# naming it gets 481. Then Replaces naming an unknown dialog gets 481 and one naming the
# now terminated dialog gets 603. Nothing is left behind.
. "$(dirname "$0")/lib.sh"
start_sessiond --ring-delay-ms 2500
# the dialog to replace: SIPp calls sessiond and waits for a BYE
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/uac_wait_bye.xml" -m 1 -l 1 -timeout 30s -timeout_error \
    -trace_err -error_file "$TMP/old.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" \
    >"$TMP/old.out" 2>&1) &
OLD=$!
old=$(wait_any_session)
wait_state "$old" Ringing
P2=$(free_port)
replaces() { # replaces SCENARIO CID TOTAG FROMTAG
    (cd "$TMP" && timeout 60 "$SIPP" -sf "$1" -m 1 -l 1 -timeout 20s -timeout_error -trace_err \
        -error_file "$TMP/new.err" -nostdin -i 127.0.0.1 -p "$P2" -set cid "$2" -set totag "$3" -set fromtag "$4" \
        "127.0.0.1:$SIP_PORT" >"$TMP/new.out" 2>&1)
}
sed 's/REJECT_CODE/481/' "$SCEN/xfer_uac_replaces_reject.xml" >"$TMP/rej481.xml"
http GET "/sessions/$old"
cid=$(json_str call_id); ltag=$(json_str local_tag); rtag=$(json_str remote_tag)
[ -n "$cid" ] && [ -n "$ltag" ] && [ -n "$rtag" ] || fail "early dialog of $old incomplete: $HTTP_BODY"
replaces "$TMP/rej481.xml" "$cid" "$ltag" "$rtag" || fail "early dialog: $(head -c 600 "$TMP/new.err")"
[ "$(session_ids | grep -c .)" = 1 ] || fail "the refused INVITE left a session"
wait_state "$old" Active
http GET "/sessions/$old"
[ "$(json_str local_tag)" = "$ltag" ] || fail "local tag changed on answer: $HTTP_BODY"
replaces "$SCEN/xfer_uac_replaces.xml" "$cid" "$ltag" "$rtag" || fail "SIPp with Replaces failed: $(cat "$TMP/new.err" 2>/dev/null | head -c 600)"
wait "$OLD" || fail "the replaced dialog's SIPp did not get its BYE: $(head -c 600 "$TMP/old.err" 2>/dev/null)"
wait_state "$old" Terminated
expect_outcome "$old" transferred
expect_history "$old" IncomingCall ReplacesReceived Dialog200OK
new=
for id in $(session_ids); do [ "$id" != "$old" ] && new=$id; done
[ -n "$new" ] || fail "no session for the replacing INVITE"
wait_state "$new" Terminated
http GET "/sessions/$new"
printf '%s' "$HTTP_BODY" | grep -q "\"replaces_id\":\"$old\"" || fail "new call does not name the replaced one: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"referred_by":"<sip:transferor@127.0.0.1>"' || fail "no Referred-By: $HTTP_BODY"
expect_history "$new" IncomingCall DialogACK DialogBYE
# an unknown dialog: 481 (no session kept)
replaces "$TMP/rej481.xml" "nosuchcall@127.0.0.1" "abc" "def" || fail "bogus Replaces: $(head -c 600 "$TMP/new.err")"
# right call-id, wrong tags: 481
replaces "$TMP/rej481.xml" "$cid" "$rtag" "$ltag" || fail "swapped tags: $(head -c 600 "$TMP/new.err")"
# the terminated dialog: 603
sed 's/REJECT_CODE/603/' "$SCEN/xfer_uac_replaces_reject.xml" >"$TMP/rej603.xml"
replaces "$TMP/rej603.xml" "$cid" "$ltag" "$rtag" || fail "terminated dialog: $(head -c 600 "$TMP/new.err")"
n=$(session_ids | grep -c .)
[ "$n" = 2 ] || fail "rejected INVITEs left sessions: $(session_ids | tr '\n' ' ')"
pass
