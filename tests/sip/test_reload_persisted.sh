#!/usr/bin/env bash
# A table applied by POST /table/reload with a body survives a restart: it is kept in the store
# and is the current table again after sessiond restarts on the same configured table. When
# the configured table changed meanwhile (another --table file), that one wins, with a log line.
# A reload from the --table file is not kept (the file is the truth at restart).
. "$(dirname "$0")/lib.sh"
STORE="sqlite:$TMP/store.db"
sed -e 's/^version: "1.0"/version: "2.0-body"/' "$SRC/tables/default.yaml" > "$TMP/body.yaml"
sed -e 's/^version: "1.0"/version: "3.0-file"/' "$SRC/tables/default.yaml" > "$TMP/file.yaml"
table_version() { http GET /table; [ "$HTTP_STATUS" = 200 ] || fail "GET /table: $HTTP_STATUS"; json_str version; }

# 1. Built-in table, then a body reload: current; still current after a restart.
start_sessiond --store "$STORE"
[ "$(table_version)" = "1.0" ] || fail "not started on the built-in table"
body=$(cat "$TMP/body.yaml")
http POST /table/reload "$body"
[ "$HTTP_STATUS" = 200 ] || fail "POST /table/reload: $HTTP_STATUS $HTTP_BODY"
[ "$(table_version)" = "2.0-body" ] || fail "the body's table is not current"
stop_sessiond
start_sessiond --store "$STORE"
[ "$(table_version)" = "2.0-body" ] || fail "after a restart the body's table is not current: $(table_version)"
grep -q "the table applied by POST /table/reload before the restart .*current again" "$SD_LOG" ||
    fail "no log line for the restored table"
stop_sessiond

# 2. Restarted on another configured table: that one wins.
start_sessiond --store "$STORE" --table "$TMP/file.yaml"
[ "$(table_version)" = "3.0-file" ] || fail "the configured table lost to the stored one: $(table_version)"
grep -q "is not restored: the configured table changed since" "$SD_LOG" || fail "no log line for the table not restored"

# 3. A body reload on top of the file, then a reload from the file: nothing kept.
http POST /table/reload "$body"
[ "$(table_version)" = "2.0-body" ] || fail "body reload on the file table"
http POST /table/reload ""
[ "$HTTP_STATUS" = 200 ] || fail "reload from the file: $HTTP_STATUS $HTTP_BODY"
[ "$(table_version)" = "3.0-file" ] || fail "the file reload did not apply"
stop_sessiond
start_sessiond --store "$STORE" --table "$TMP/file.yaml"
[ "$(table_version)" = "3.0-file" ] || fail "a file reload was kept as if it came as a body: $(table_version)"
stop_sessiond
echo ok
