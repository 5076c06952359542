#!/usr/bin/env bash
# The RFC 4475 torture set (tests/sip/torture/: our messages, written from the RFC's
# descriptions, and EXPECT: the reaction each must get): each message goes to sessiond in one
# datagram, the first answer past 100 Trying (or none) is compared with the expected one, and
# sessiond must be alive after all of them and still take a normal call. Runs in a network
# namespace with only loopback: no answer can leave the machine, whatever Via a message names.
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/lib.sh"
RAW=${SC_BINARY_DIR:-$BIN/..}/tests/sip_raw
DIR=$SRC/tests/sip/torture
start_sessiond
bad=0
while read -r name expect _; do
    case "$name" in ''|'#'*) continue ;; esac
    LP=$(free_port) # a port of its own: an INVITE's final answer is retransmitted until ACKed
    sed -e "s/@PORT@/$SIP_PORT/g; s/@LP@/$LP/g" "$DIR/$name" > "$TMP/$name.msg"
    "$RAW" "$LP" "$SIP_PORT" "$TMP/$name.msg" 300 > "$TMP/$name.out"
    got=$(grep -a -E '^SIP/2.0 [0-9]{3}' "$TMP/$name.out" | awk '$2 != 100 {print $2; exit}')
    [ -n "$got" ] || got=drop
    verdict=$got
    [[ "$got" =~ ^[12][0-9][0-9]$ ]] && [ "$(head -c 7 "$TMP/$name.msg")" = "INVITE " ] && verdict=ok
    ok=no
    IFS='|' read -ra alts <<< "$expect"
    for a in "${alts[@]}"; do [ "$a" = "$verdict" ] || [ "$a" = "$got" ] && ok=yes; done
    printf '%-11s expected %-9s got %s\n' "$name" "$expect" "$got"
    [ "$ok" = yes ] || { echo "  MISMATCH: $name"; bad=$((bad + 1)); }
    kill -0 "$SD_PID" 2>/dev/null || fail "sessiond died on $name"
done < "$DIR/EXPECT"
[ "$bad" = 0 ] || fail "$bad torture message(s) got the wrong reaction"
run_sipp uac_bye
pass
