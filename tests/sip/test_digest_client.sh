#!/usr/bin/env bash
# Digest authentication as a client: a callee (SIPp) answers our INVITE with 401 (MD5,
# qop=auth); sessiond sends it again with Authorization from the --credentials file (SIPp's
# verifyauth checks the answer), and the call is established. With a wrong password the second
# 401 ends the call instead of looping; a BYE that is challenged is sent again with the
# credentials too. The password is in no log line. (407 and Proxy-Authorization take the same
# path: tests/unit/sip/test_auth.c.)
. "$(dirname "$0")/lib.sh"
printf -- '- {realm: carrier.test, user: alice, password: s3cret}\n' >"$TMP/creds.yaml"
chmod 600 "$TMP/creds.yaml"
start_sessiond --store memory: --credentials "$TMP/creds.yaml"
start_sipp_uas uas_auth
http POST /calls "{\"to\":\"sip:bob@127.0.0.1:$SIPP_PORT\"}"
id=$(json_str id)
[ -n "$id" ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
http POST "/sessions/$id/hangup"
wait "$SIPP_BG" || fail "SIPp (verifyauth) failed: $(tail -n 5 "$TMP/uas_auth.out")"
grep -q "Successful call.*| *1 " "$TMP/uas_auth.out" || true
grep -q "INVITE sent again with Authorization" "$SD_LOG" || fail "no retry with credentials in the log"
grep -q s3cret "$SD_LOG" "$TMP/sessiond.out" && fail "the password is in the log"
kill -TERM "$SD_PID"; sleep 0.1; kill -TERM "$SD_PID" 2>/dev/null; wait "$SD_PID"; SD_PID=
# a wrong password: the second challenge ends the call
printf -- '- {realm: carrier.test, user: alice, password: wrong}\n' >"$TMP/creds.yaml"
start_sessiond --store memory: --credentials "$TMP/creds.yaml"
start_sipp_uas uas_auth
http POST /calls "{\"to\":\"sip:bob@127.0.0.1:$SIPP_PORT\"}"
id=$(json_str id)
for _ in $(seq 1 100); do
    http GET "/sessions/$id"
    case "$(json_str state)" in Idle | Initiating | Ringing) sleep 0.05 ;; *) break ;; esac
done
st=$(json_str state)
[ "$st" != Active ] && [ "$st" != Initiating ] || fail "state $st after a refused answer"
expect_history "$id" MakeCall Dialog4xx
grep -q "again after our credentials: giving up" "$SD_LOG" || fail "no give-up line"
wait "$SIPP_BG" || fail "SIPp (second 407) failed: $(tail -n 5 "$TMP/uas_auth.out")"
kill -TERM "$SD_PID"; sleep 0.1; kill -TERM "$SD_PID" 2>/dev/null; wait "$SD_PID"; SD_PID=
# a challenged BYE: sent again with Authorization (SIPp checks it, 403 and a failed run if not)
printf -- '- {realm: carrier.test, user: alice, password: s3cret}\n' >"$TMP/creds.yaml"
start_sessiond --store memory: --credentials "$TMP/creds.yaml"
start_sipp_uas uas_bye_auth
http POST /calls "{\"to\":\"sip:bob@127.0.0.1:$SIPP_PORT\"}"
id=$(json_str id)
wait_state "$id" Active
http POST "/sessions/$id/hangup"
wait "$SIPP_BG" || fail "SIPp (challenged BYE) failed: $(tail -n 5 "$TMP/uas_bye_auth.out")"
grep -q "401: BYE sent again with Authorization" "$SD_LOG" || fail "BYE not sent again with credentials"
wait_state "$id" Terminated
# a broken credentials file refuses to start with one line naming file:line:col
printf -- '- {realm: x}\n' >"$TMP/bad.yaml"
timeout 5 "$BIN/sessiond" --store memory: --sip "udp:127.0.0.1:$(free_port)" --http "127.0.0.1:$(free_port)" \
    --credentials "$TMP/bad.yaml" >"$TMP/bad.out" 2>&1
[ $? = 2 ] && grep -q "bad.yaml:1:3: an entry needs user and password" "$TMP/bad.out" || fail "bad file: $(cat "$TMP/bad.out")"
pass
