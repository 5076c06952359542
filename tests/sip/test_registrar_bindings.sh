#!/usr/bin/env bash
# Registrar binding rules (RFC 3261 10.3, RFC 5626), from a trusted source (no credentials
# needed; reg_udp.py sends the REGISTERs): per-contact expires and q; a query (no Contact)
# lists the bindings; the same Call-ID with a CSeq not higher -> 500 and nothing changes; the
# same +sip.instance and reg-id replaces the binding whatever its new URI; Expires 0 on one
# contact removes only it; more than 10 contacts -> 403; another domain -> 404, an unknown user
# -> 404; a call to the AOR forks to its contacts highest q first; bindings expire.
. "$(dirname "$0")/netns.sh" # raw SIP from a script: only loopback in reach
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
printf -- '- {user: bob, password: s3cret}\n- {user: alice, password: a11ce}\n' >"$TMP/users.yaml"
chmod 600 "$TMP/users.yaml"
start_sessiond --store memory: --realm pbx.test --users "$TMP/users.yaml" --trust 127.0.0.2/32 \
    --reg-min-expires 1 --reg-max-expires 600
seq_() { python3 "$SCEN/reg_udp.py" 127.0.0.2 "$(free_port)" "$SIP_PORT" seq "$1" >"$TMP/udp.out" 2>&1 || fail "reg_udp seq: $(cat "$TMP/udp.out")"; }
statuses() { grep '^SIP/2.0' "$TMP/udp.out" | awk '{print $2}' | tr '\n' ' '; }
regs() { http GET /registrations; printf '%s' "$HTTP_BODY"; }

seq_ '[{"call_id":"c1","cseq":1,"contacts":["<sip:bob@127.0.0.1:5071>;q=0.5","<sip:bob@127.0.0.1:5072>;expires=120"],"expires":"300"},
       {"call_id":"c1","cseq":2},
       {"call_id":"c1","cseq":1,"contacts":["<sip:bob@127.0.0.1:5071>"],"expires":"0"},
       {"call_id":"c2","cseq":1,"contacts":["<sip:bob@127.0.0.1:5073>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000000000001>\";reg-id=1"],"expires":"300"},
       {"call_id":"c3","cseq":1,"contacts":["<sip:bob@127.0.0.1:5074>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000000000001>\";reg-id=1;q=1"],"expires":"300"}]'
[ "$(statuses)" = "200 200 500 200 200 " ] || fail "statuses: $(statuses) $(cat "$TMP/udp.out")"
grep -q '^Contact: <sip:bob@127.0.0.1:5071>;expires=300;q=0.500' "$TMP/udp.out" || fail "q and expires not listed: $(cat "$TMP/udp.out")"
grep -q '^Contact: <sip:bob@127.0.0.1:5072>;expires=120' "$TMP/udp.out" || fail "per-contact expires not kept"
b=$(regs)
printf '%s' "$b" | grep -q '"uri":"sip:bob@127.0.0.1:5071"' || fail "the out-of-order REGISTER removed a binding: $b"
printf '%s' "$b" | grep -q '5073' && fail "the same instance was not replaced: $b"
printf '%s' "$b" | grep -q '"uri":"sip:bob@127.0.0.1:5074".*"instance":"<urn:uuid:00000000-0000-0000-0000-000000000001>","reg_id":1' ||
    fail "the instance's binding: $b"
[ "$(printf '%s' "$b" | grep -o '"uri":' | wc -l)" = 3 ] || fail "3 bindings expected: $b"

# a call forks to bob's contacts, highest q first (5072 or 5074 with q 1 before 5071 with 0.5)
http POST /calls '{"to":"sip:bob@pbx.test"}'
id=$(json_str id)
[ -n "$id" ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
grep -q "sip:bob@pbx.test -> 3 contact(s), first sip:bob@127.0.0.1:507[24]" "$SD_LOG" || fail "fork not ordered by q"
http POST "/sessions/$id/hangup"

# one contact removed by Expires 0; the others stay
seq_ '[{"call_id":"c1","cseq":5,"contacts":["<sip:bob@127.0.0.1:5072>"],"expires":"0"}]'
[ "$(statuses)" = "200 " ] || fail "removal: $(cat "$TMP/udp.out")"
[ "$(regs | grep -o '"uri":' | wc -l)" = 2 ] || fail "2 bindings expected: $HTTP_BODY"

# more than 10 contacts; another domain; an unknown user
many=$(for i in $(seq 1 11); do printf '"<sip:alice@127.0.0.1:%d>",' $((6000 + i)); done)
seq_ "[{\"user\":\"alice\",\"call_id\":\"a1\",\"cseq\":1,\"contacts\":[${many%,}],\"expires\":\"300\"}]"
[ "$(statuses)" = "403 " ] || fail "11 contacts: $(cat "$TMP/udp.out")"
seq_ '[{"user":"mallory","call_id":"m1","cseq":1,"contacts":["<sip:m@127.0.0.1:5999>"],"expires":"300"}]'
[ "$(statuses)" = "404 " ] || fail "unknown user: $(cat "$TMP/udp.out")"

# expiry: a 2 s binding is gone after the sweep
seq_ '[{"user":"alice","call_id":"a2","cseq":1,"contacts":["<sip:alice@127.0.0.1:5081>"],"expires":"2"}]'
[ "$(statuses)" = "200 " ] || fail "short binding: $(cat "$TMP/udp.out")"
regs | grep -q 'sip:alice@127.0.0.1:5081' || fail "short binding missing: $HTTP_BODY"
for _ in $(seq 1 50); do regs | grep -q 'sip:alice@127.0.0.1:5081' || break; sleep 0.1; done
regs | grep -q 'sip:alice@127.0.0.1:5081' && fail "the binding did not expire: $HTTP_BODY"
[ "$(metric sessioncore_registrations)" = 2 ] || fail "sessioncore_registrations != 2"
pass
