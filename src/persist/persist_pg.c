/* persist_pg: the "postgresql://..." backend (libpq): a snapshots table and an append-only
 * events table whose global sequence is assigned under a transaction-scoped advisory lock,
 * so that gseq order is commit order and readers that resume by gseq never skip an event;
 * key-value entries in a bytea table. */
#include "persist/persist_int.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_LOCK_SCHEMA "7301001"
#define PG_LOCK_GSEQ "7301002"
#define PG_PAGE 1000

static const char schema_v1[] =
    "CREATE TABLE IF NOT EXISTS sc_sessions(id TEXT PRIMARY KEY, data TEXT NOT NULL, node TEXT NOT NULL, "
    "  table_hash TEXT NOT NULL, updated_us BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sc_events(gseq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "  session_id TEXT NOT NULL, seq BIGINT NOT NULL, wall_us BIGINT NOT NULL, record TEXT NOT NULL, "
    "  UNIQUE(session_id, seq));"
    "CREATE INDEX IF NOT EXISTS sc_events_time ON sc_events(wall_us, gseq);"
    "CREATE TABLE IF NOT EXISTS sc_leases(id TEXT PRIMARY KEY, node TEXT NOT NULL, until_us BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS sc_leases_until ON sc_leases(until_us);";

/* v4: key-value entries. bytea names and texts: any bytes, ordered bytewise; the partial
 * index finds a namespace's entries that can expire. */
static const char schema_v4[] =
    "CREATE TABLE IF NOT EXISTS sc_kv(ns BYTEA NOT NULL, key BYTEA NOT NULL, text BYTEA NOT NULL, "
    "  expires_us BIGINT NOT NULL, PRIMARY KEY(ns, key));"
    "CREATE INDEX IF NOT EXISTS sc_kv_expiry ON sc_kv(ns, expires_us) WHERE expires_us > 0;";

/* v5: the owner index (list_owned, owners). */
static const char schema_v5[] =
    "CREATE INDEX IF NOT EXISTS sc_sessions_node ON sc_sessions(node COLLATE \"C\", id COLLATE \"C\");";

typedef struct pg {
    PGconn *c; /* NULL while disconnected */
} pg;

static int pg_init(sc_persist *p, const char *rest)
{
    (void)rest; /* libpq parses the whole URI */
    pg *g = calloc(1, sizeof *g);
    if (!g)
        return -ENOMEM;
    p->impl = g;
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(p->url, &err);
    if (!opts) {
        int rc = sc_persist__error(p, -EINVAL, "postgresql URL: %s", err ? err : "cannot parse");
        PQfreemem(err);
        return rc;
    }
    PQconninfoFree(opts);
    return 0;
}

/* A failed query: a connection-level failure maps to -EIO (reconnect), an SQL error to
 * -EREMOTEIO. Clears res. */
static int pg_fail(sc_persist *p, PGresult *res, const char *what)
{
    pg *g = p->impl;
    bool down = PQstatus(g->c) != CONNECTION_OK;
    int rc = sc_persist__error(p, down ? -EIO : -EREMOTEIO, "postgresql %s: %s", what,
                               res ? PQresultErrorMessage(res) : PQerrorMessage(g->c));
    PQclear(res);
    return rc;
}

/* A statement's result: an error (pg_fail), or kept in *out (NULL: cleared). */
static int pg_result(sc_persist *p, PGresult *res, const char *what, PGresult **out)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return pg_fail(p, res, what);
    if (out)
        *out = res;
    else
        PQclear(res);
    return 0;
}

/* Runs sql with text params; *out receives the result (caller clears) if wanted. */
static int q(sc_persist *p, PGresult **out, const char *what, const char *sql, int n, const char *const *params)
{
    pg *g = p->impl;
    /* no parameters: the simple protocol, which also takes several statements */
    PGresult *res = n ? PQexecParams(g->c, sql, n, NULL, params, NULL, NULL, 0) : PQexec(g->c, sql);
    return pg_result(p, res, what, out);
}

static int pg_get_version(sc_persist *p, int *version)
{
    PGresult *res = NULL;
    int rc = q(p, &res, "schema version", "SELECT value FROM sc_meta WHERE key = 'schema_version'", 0, NULL);
    if (rc < 0)
        return rc;
    *version = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return 0;
}

static int pg_set_version(sc_persist *p, int version)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[] = {v};
    return q(p, NULL, "set schema version",
             "INSERT INTO sc_meta(key, value) VALUES('schema_version', $1) "
             "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
             1, params);
}

/* Creates or migrates the schema in one transaction, serialised across processes. */
static int migrate(sc_persist *p)
{
    int rc = q(p, NULL, "begin", "BEGIN", 0, NULL);
    if (rc < 0)
        return rc;
    int version = 0;
    rc = q(p, NULL, "lock", "SELECT pg_advisory_xact_lock(" PG_LOCK_SCHEMA ")", 0, NULL);
    if (rc == 0)
        rc = q(p, NULL, "create meta", "CREATE TABLE IF NOT EXISTS sc_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
               0, NULL);
    if (rc == 0)
        rc = pg_get_version(p, &version);
    if (rc == 0 && version > SC_PERSIST_SCHEMA_VERSION)
        rc = sc_persist__schema_too_new(p, version);
    if (rc == 0 && version < 1) /* version 0: empty store; later versions add steps here */
        rc = q(p, NULL, "create schema", schema_v1, 0, NULL);
    if (rc == 0 && version < 2)
        rc = q(p, NULL, "create schema v2",
               "CREATE TABLE IF NOT EXISTS sc_tables(hash TEXT PRIMARY KEY, text TEXT NOT NULL, "
               "saved_us BIGINT NOT NULL)",
               0, NULL);
    if (rc == 0 && version < 4) /* 3 changed only SQLite */
        rc = q(p, NULL, "create schema v4", schema_v4, 0, NULL);
    if (rc == 0 && version < 5)
        rc = q(p, NULL, "create schema v5", schema_v5, 0, NULL);
    if (rc == 0 && version != SC_PERSIST_SCHEMA_VERSION)
        rc = pg_set_version(p, SC_PERSIST_SCHEMA_VERSION);
    if (rc == 0)
        return q(p, NULL, "commit", "COMMIT", 0, NULL);
    PQclear(PQexec(((pg *)p->impl)->c, "ROLLBACK"));
    return rc;
}

static void pg_disconnect(sc_persist *p)
{
    pg *g = p->impl;
    if (g->c)
        PQfinish(g->c);
    g->c = NULL;
}

static int pg_connect(sc_persist *p)
{
    pg *g = p->impl;
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%u", (p->cfg.connect_timeout_ms + 999) / 1000);
    /* tcp_user_timeout bounds how long a write may hang on a dead peer (the writer thread
     * must notice a dead server rather than block forever). */
    const char *keys[] = {"dbname", "connect_timeout", "tcp_user_timeout", "keepalives_idle", NULL};
    const char *vals[] = {p->url, timeout, "10000", "5", NULL};
    g->c = PQconnectdbParams(keys, vals, 1);
    if (!g->c || PQstatus(g->c) != CONNECTION_OK) {
        int rc = sc_persist__error(p, -ECONNREFUSED, "postgresql connect: %s",
                                   g->c ? PQerrorMessage(g->c) : "out of memory");
        pg_disconnect(p);
        return rc;
    }
    int rc = q(p, NULL, "settings", "SET client_min_messages = warning", 0, NULL);
    if (rc == 0)
        rc = migrate(p);
    if (rc < 0)
        pg_disconnect(p);
    return rc;
}

static void pg_destroy(sc_persist *p)
{
    free(p->impl);
    p->impl = NULL;
}

static int pg_begin(sc_persist *p) { return q(p, NULL, "begin", "BEGIN", 0, NULL); }
static int pg_commit(sc_persist *p) { return q(p, NULL, "commit", "COMMIT", 0, NULL); }
static void pg_rollback(sc_persist *p) { PQclear(PQexec(((pg *)p->impl)->c, "ROLLBACK")); }

/* Runs the write sql: 1 if it changed no row (a WHERE that held nothing back: fenced, busy,
 * absent), 0 if it changed some, or the error. */
static int write_none(sc_persist *p, const char *what, const char *sql, int n, const char *const *params)
{
    PGresult *res = NULL;
    int rc = q(p, &res, what, sql, n, params);
    if (rc < 0)
        return rc;
    bool none = strcmp(PQcmdTuples(res), "0") == 0;
    PQclear(res);
    return none ? 1 : 0;
}

static int pg_save(sc_persist *p, const char *id, const char *data, const char *node, const char *hash,
                   int64_t updated_us)
{
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)updated_us);
    const char *params[] = {id, data, node, hash, t};
    /* fenced: a snapshot another non-empty node owns stays (no row: 0 tuples) */
    return write_none(p, "save",
                      "INSERT INTO sc_sessions(id, data, node, table_hash, updated_us) VALUES($1, $2, $3, $4, $5) "
                      "ON CONFLICT(id) DO UPDATE SET data = excluded.data, node = excluded.node, "
                      "table_hash = excluded.table_hash, updated_us = excluded.updated_us "
                      "WHERE excluded.node = '' OR sc_sessions.node = '' OR sc_sessions.node = excluded.node",
                      5, params);
}

static int pg_load(sc_persist *p, const char *id, char **data, sc_persist_snapshot_info *info)
{
    const char *params[] = {id};
    PGresult *res = NULL;
    int rc = q(p, &res, "load", "SELECT data, node, table_hash, updated_us FROM sc_sessions WHERE id = $1", 1, params);
    if (rc < 0)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return -ENOENT;
    }
    *data = strdup(PQgetvalue(res, 0, 0));
    snprintf(info->node_id, sizeof info->node_id, "%s", PQgetvalue(res, 0, 1));
    snprintf(info->table_hash, sizeof info->table_hash, "%s", PQgetvalue(res, 0, 2));
    info->updated_us = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    PQclear(res);
    return *data ? 0 : -ENOMEM;
}

/* Runs sql, a "WITH w AS (<write> RETURNING 1) SELECT (SELECT count(*) FROM w), (SELECT
 * count(*) FROM sc_sessions WHERE id = $1)": one statement, so both counts come from the same
 * snapshot of the table. Sets *wrote and *had (id has a snapshot). */
static int write_and_exists(sc_persist *p, const char *what, const char *sql, int n, const char *const *params,
                            bool *wrote, bool *had)
{
    PGresult *res = NULL;
    int rc = q(p, &res, what, sql, n, params);
    if (rc < 0)
        return rc;
    *wrote = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
    *had = strcmp(PQgetvalue(res, 0, 1), "0") != 0;
    PQclear(res);
    return 0;
}

/* The delete (fenced unless node is ""). Returns 0, 1 (fenced) or -ENOENT. */
static int pg_del(sc_persist *p, const char *id, const char *node)
{
    const char *params[] = {id, node};
    bool gone = false, had = false;
    int rc = write_and_exists(
        p, "delete",
        "WITH d AS (DELETE FROM sc_sessions WHERE id = $1 AND ($2 = '' OR node = $2 OR node = '') "
        "RETURNING 1) SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM sc_sessions WHERE id = $1)",
        2, params, &gone, &had);
    if (rc < 0)
        return rc;
    return gone ? 0 : had ? 1 : -ENOENT;
}

/* UPDATE ... WHERE node = from: of two racing moves the second waits for the first's row
 * lock and then sees the new owner (no row). */
static int pg_owner_move(sc_persist *p, const char *id, const char *from, const char *to)
{
    const char *params[] = {id, from, to};
    bool moved = false, had = false;
    int rc = write_and_exists(p, "owner move",
                              "WITH m AS (UPDATE sc_sessions SET node = $3 WHERE id = $1 AND node = $2 RETURNING 1) "
                              "SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM sc_sessions WHERE id = $1)",
                              3, params, &moved, &had);
    if (rc < 0)
        return rc;
    return moved ? 0 : had ? -EBUSY : -ENOENT;
}

/* Runs sql, whose rows are (id, data or NULL), and calls cb for each row in order. */
static int walk_id_rows(sc_persist *p, const char *what, const char *sql, int n, const char *const *params,
                        sc_persist__raw_list_cb cb, void *ud)
{
    PGresult *res = NULL;
    int rc = q(p, &res, what, sql, n, params);
    if (rc < 0)
        return rc;
    for (int i = 0; rc == 0 && i < PQntuples(res); i++)
        rc = cb(PQgetvalue(res, i, 0), PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1), ud);
    PQclear(res);
    return rc;
}

static int pg_list_owned(sc_persist *p, const char *node, bool with_data, sc_persist__raw_list_cb cb, void *ud)
{
    const char *params[] = {node};
    return walk_id_rows(
        p, "list owned",
        with_data ? "SELECT id, data FROM sc_sessions WHERE node COLLATE \"C\" = $1 ORDER BY id COLLATE \"C\""
                  : "SELECT id, NULL FROM sc_sessions WHERE node COLLATE \"C\" = $1 ORDER BY id COLLATE \"C\"",
        1, params, cb, ud);
}

static int pg_owners(sc_persist *p, sc_persist_owner_cb cb, void *ud)
{
    PGresult *res = NULL;
    int rc = q(p, &res, "owners",
               "SELECT node COLLATE \"C\" AS n, count(*) FROM sc_sessions WHERE node <> '' "
               "GROUP BY n ORDER BY n",
               0, NULL);
    if (rc < 0)
        return rc;
    for (int i = 0; rc == 0 && i < PQntuples(res); i++)
        rc = cb(PQgetvalue(res, i, 0), (size_t)strtoull(PQgetvalue(res, i, 1), NULL, 10), ud);
    PQclear(res);
    return rc;
}

static int pg_list(sc_persist *p, sc_persist_list_mode mode, bool with_data, sc_persist__raw_list_cb cb, void *ud)
{
    const char *sql =
        mode == SC_PERSIST_LIST_ALL
            ? (with_data ? "SELECT u.id, s.data FROM (SELECT id FROM sc_sessions UNION "
                           "SELECT DISTINCT session_id FROM sc_events) u LEFT JOIN sc_sessions s ON s.id = u.id "
                           "ORDER BY u.id COLLATE \"C\""
                         : "SELECT id, NULL FROM (SELECT id FROM sc_sessions UNION "
                           "SELECT DISTINCT session_id FROM sc_events) u ORDER BY id COLLATE \"C\"")
            : (with_data ? "SELECT id, data FROM sc_sessions ORDER BY id COLLATE \"C\""
                         : "SELECT id, NULL FROM sc_sessions ORDER BY id COLLATE \"C\"");
    return walk_id_rows(p, "list", sql, 0, NULL, cb, ud);
}

static int pg_append(sc_persist *p, const char *id, uint64_t seq, int64_t wall_us, const char *rec, uint64_t *gseq)
{
    char s[32], w[32];
    snprintf(s, sizeof s, "%lld", (long long)seq);
    snprintf(w, sizeof w, "%lld", (long long)wall_us);
    const char *params[] = {id, s, w, rec};
    PGresult *res = NULL;
    /* One statement, so one transaction outside a batch; the lock is held until commit. */
    int rc = q(p, &res, "append",
               "WITH l AS (SELECT pg_advisory_xact_lock(" PG_LOCK_GSEQ ")) "
               "INSERT INTO sc_events(session_id, seq, wall_us, record) SELECT $1, $2, $3, $4 FROM l "
               "ON CONFLICT(session_id, seq) DO NOTHING RETURNING gseq",
               4, params);
    if (rc < 0)
        return rc;
    bool dup = PQntuples(res) == 0;
    *gseq = dup ? 0 : strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return dup ? 1 : 0;
}

/* Hands each row (session_id, seq, wall_us, gseq, record) to cb; *n gets the row count and
 * *last the last row's values for keyset paging. */
static int walk(PGresult *res, sc_persist__raw_event_cb cb, void *ud, int *n, sc_persist__raw_event *last)
{
    int rc = 0;
    *n = PQntuples(res);
    for (int i = 0; rc == 0 && i < *n; i++) {
        sc_persist__raw_event ev = {
            PQgetvalue(res, i, 0),
            strtoull(PQgetvalue(res, i, 1), NULL, 10),
            strtoll(PQgetvalue(res, i, 2), NULL, 10),
            strtoull(PQgetvalue(res, i, 3), NULL, 10),
            PQgetvalue(res, i, 4),
        };
        rc = cb(&ev, ud);
        *last = ev;
    }
    return rc;
}

#define EV_COLS "SELECT session_id, seq, wall_us, gseq, record FROM sc_events "

static int pg_read_events(sc_persist *p, const char *id, uint64_t from_seq, sc_persist__raw_event_cb cb, void *ud)
{
    char from[32], lim[16];
    snprintf(from, sizeof from, "%lld", (long long)from_seq);
    snprintf(lim, sizeof lim, "%d", PG_PAGE);
    for (;;) {
        const char *params[] = {id, from, lim};
        PGresult *res = NULL;
        int rc = q(p, &res, "read events", EV_COLS "WHERE session_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3", 3,
                   params);
        if (rc < 0)
            return rc;
        int n = 0;
        sc_persist__raw_event last = {0};
        rc = walk(res, cb, ud, &n, &last);
        if (n)
            snprintf(from, sizeof from, "%lld", (long long)last.seq + 1);
        PQclear(res);
        if (rc != 0 || n < PG_PAGE)
            return rc;
    }
}

static int pg_read_range(sc_persist *p, int64_t since_us, int64_t until_us, sc_persist__raw_event_cb cb, void *ud)
{
    char since[32], until[32], after[32] = "0", lim[16];
    snprintf(since, sizeof since, "%lld", (long long)since_us);
    snprintf(until, sizeof until, "%lld", (long long)until_us);
    snprintf(lim, sizeof lim, "%d", PG_PAGE);
    bool first = true;
    for (;;) {
        const char *params[] = {since, until, after, lim};
        PGresult *res = NULL;
        int rc = q(p, &res, "read range",
                   first ? EV_COLS "WHERE wall_us >= $1 AND wall_us < $2 AND gseq > $3 ORDER BY wall_us, gseq LIMIT $4"
                         : EV_COLS "WHERE (wall_us, gseq) > ($1, $3) AND wall_us < $2 ORDER BY wall_us, gseq LIMIT $4",
                   4, params);
        if (rc < 0)
            return rc;
        int n = 0;
        sc_persist__raw_event last = {0};
        rc = walk(res, cb, ud, &n, &last);
        if (n) {
            snprintf(since, sizeof since, "%lld", (long long)last.wall_us);
            snprintf(after, sizeof after, "%llu", (unsigned long long)last.gseq);
        }
        PQclear(res);
        first = false;
        if (rc != 0 || n < PG_PAGE)
            return rc;
    }
}

static int pg_read_after(sc_persist *p, uint64_t after, size_t limit, sc_persist__raw_event_cb cb, void *ud)
{
    char from[32], lim[32];
    size_t seen = 0;
    snprintf(from, sizeof from, "%llu", (unsigned long long)after);
    for (;;) {
        size_t want = PG_PAGE;
        if (limit && limit - seen < want)
            want = limit - seen;
        if (want == 0)
            return 0;
        snprintf(lim, sizeof lim, "%zu", want);
        const char *params[] = {from, lim};
        PGresult *res = NULL;
        int rc = q(p, &res, "read after", EV_COLS "WHERE gseq > $1 ORDER BY gseq LIMIT $2", 2, params);
        if (rc < 0)
            return rc;
        int n = 0;
        sc_persist__raw_event last = {0};
        rc = walk(res, cb, ud, &n, &last);
        if (n)
            snprintf(from, sizeof from, "%llu", (unsigned long long)last.gseq);
        PQclear(res);
        seen += (size_t)n;
        if (rc != 0 || (size_t)n < want)
            return rc;
    }
}

/* The oldest due events of sessions without a snapshot, found by the (wall_us, gseq) index. */
static int pg_prune(sc_persist *p, int64_t before_us, size_t max, size_t *removed)
{
    char before[32], lim[32];
    snprintf(before, sizeof before, "%lld", (long long)before_us);
    snprintf(lim, sizeof lim, "%zu", max);
    const char *params[] = {before, lim};
    PGresult *res = NULL;
    int rc = q(p, &res, "prune",
               "DELETE FROM sc_events WHERE gseq IN (SELECT e.gseq FROM sc_events e WHERE e.wall_us < $1 "
               "AND NOT EXISTS (SELECT 1 FROM sc_sessions s WHERE s.id = e.session_id) "
               "ORDER BY e.wall_us, e.gseq LIMIT $2)",
               2, params);
    if (rc < 0)
        return rc;
    *removed = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return *removed >= max ? 1 : 0;
}

static int pg_claim(sc_persist *p, const char *id, const char *node, int64_t now_us, int64_t until_us, char mode)
{
    char until[32], now[32], m[2] = {mode, 0};
    snprintf(until, sizeof until, "%lld", (long long)until_us);
    snprintf(now, sizeof now, "%lld", (long long)now_us);
    const char *params[] = {id, node, until, m, now};
    int rc = write_none(p, "claim",
                        "INSERT INTO sc_leases(id, node, until_us) VALUES($1, $2, $3) ON CONFLICT(id) DO UPDATE SET "
                        "node = excluded.node, until_us = excluded.until_us "
                        "WHERE sc_leases.node = excluded.node OR ($4 = 'c' AND sc_leases.until_us <= $5::bigint)",
                        5, params);
    return rc == 1 ? -EBUSY : rc;
}

static int pg_release(sc_persist *p, const char *id, const char *node)
{
    const char *params[] = {id, node};
    int rc = write_none(p, "release", "DELETE FROM sc_leases WHERE id = $1 AND node = $2", 2, params);
    return rc == 1 ? -ENOENT : rc;
}

static int pg_expired(sc_persist *p, int64_t now_us, sc_persist_lease_cb cb, void *ud)
{
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)now_us);
    const char *params[] = {now};
    PGresult *res = NULL;
    int rc = q(p, &res, "expired leases",
               "SELECT id, node, until_us FROM sc_leases WHERE until_us <= $1 ORDER BY id COLLATE \"C\"", 1, params);
    if (rc < 0)
        return rc;
    for (int i = 0; rc == 0 && i < PQntuples(res); i++)
        rc = cb(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), strtoll(PQgetvalue(res, i, 2), NULL, 10), ud);
    PQclear(res);
    return rc;
}

static int pg_save_table(sc_persist *p, const char *hash, const char *text, int64_t saved_us)
{
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)saved_us);
    const char *params[] = {hash, text, t};
    return q(p, NULL, "save table",
             "INSERT INTO sc_tables(hash, text, saved_us) VALUES($1, $2, $3) ON CONFLICT(hash) DO NOTHING", 3, params);
}

static int pg_load_table(sc_persist *p, const char *hash, char **text)
{
    const char *params[] = {hash};
    PGresult *res = NULL;
    int rc = q(p, &res, "load table", "SELECT text FROM sc_tables WHERE hash = $1", 1, params);
    if (rc < 0)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return -ENOENT;
    }
    *text = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return *text ? 0 : -ENOMEM;
}

/* ---- key-value entries ---- */

/* Every kv statement gets the same typed parameters, used or not: $1 = ns, $2 = key, $4 =
 * text (bytea, sent binary), $3 = now_us, $5 = expires_us (int8, sent as text). Results
 * come back binary: bytea columns are the raw bytes; expires_us is selected as text.
 * libpq ends every value with a NUL. */
#define KV_PURGE(key_cond) "DELETE FROM sc_kv WHERE ns = $1 AND expires_us > 0 AND expires_us <= $3" key_cond
#define KV_LIVE "(expires_us = 0 OR expires_us > $3)"
#define PG_OID_BYTEA 17
#define PG_OID_INT8 20

static int kv_q(sc_persist *p, PGresult **out, const char *what, const char *sql, const char *ns, const char *key,
                int64_t now_us, const char *text, size_t len, int64_t expires_us)
{
    pg *g = p->impl;
    char now[32], exp[32];
    snprintf(now, sizeof now, "%lld", (long long)now_us);
    snprintf(exp, sizeof exp, "%lld", (long long)expires_us);
    static const Oid types[] = {PG_OID_BYTEA, PG_OID_BYTEA, PG_OID_INT8, PG_OID_BYTEA, PG_OID_INT8};
    static const int fmts[] = {1, 1, 0, 1, 0};
    const char *vals[] = {ns, key, now, text, exp};
    int lens[] = {(int)strlen(ns), (int)strlen(key), 0, (int)len, 0};
    PGresult *res = PQexecParams(g->c, sql, 5, types, vals, lens, fmts, 1);
    return pg_result(p, res, what, out);
}

static int pg_kv_put(sc_persist *p, const char *ns, const char *key, const char *text, size_t len, int64_t expires_us,
                     int64_t now_us)
{
    /* the purge leaves key alone: the upsert below replaces it either way */
    return kv_q(
        p, NULL, "kv put",
        "WITH gone AS (" KV_PURGE(
            " AND key <> $2") ") "
                              "INSERT INTO sc_kv(ns, key, text, expires_us) VALUES($1, $2, $4, $5) "
                              "ON CONFLICT(ns, key) DO UPDATE SET text = excluded.text, expires_us = excluded.expires_us",
        ns, key, now_us, text, len, expires_us);
}

/* One statement: the entry if live; if it has expired it is removed. */
static int pg_kv_get(sc_persist *p, const char *ns, const char *key, int64_t now_us, char **text)
{
    PGresult *res = NULL;
    int rc = kv_q(p, &res, "kv get",
                  "WITH gone AS (" KV_PURGE(
                      " AND key = $2") ") "
                                       "SELECT text FROM sc_kv WHERE ns = $1 AND key = $2 AND " KV_LIVE,
                  ns, key, now_us, "", 0, 0);
    if (rc < 0)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return -ENOENT;
    }
    size_t len = (size_t)PQgetlength(res, 0, 0);
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, PQgetvalue(res, 0, 0), len);
        copy[len] = '\0';
    }
    PQclear(res);
    *text = copy;
    return copy ? 0 : -ENOMEM;
}

static int pg_kv_del(sc_persist *p, const char *ns, const char *key, int64_t now_us)
{
    PGresult *res = NULL;
    int rc = kv_q(p, &res, "kv delete",
                  "WITH gone AS (" KV_PURGE(
                      " AND key <> $2") ") "
                                        "DELETE FROM sc_kv WHERE ns = $1 AND key = $2 RETURNING " KV_LIVE "::int::text",
                  ns, key, now_us, "", 0, 0);
    if (rc < 0)
        return rc;
    bool live = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "1") == 0;
    PQclear(res);
    return live ? 0 : -ENOENT;
}

static int pg_kv_list(sc_persist *p, const char *ns, int64_t now_us, sc_persist_kv_cb cb, void *ud)
{
    PGresult *res = NULL;
    int rc = kv_q(p, &res, "kv list",
                  "WITH gone AS (" KV_PURGE(
                      "") ") "
                          "SELECT key, text, expires_us::text FROM sc_kv WHERE ns = $1 AND " KV_LIVE " ORDER BY key",
                  ns, "", now_us, "", 0, 0);
    if (rc < 0)
        return rc;
    for (int i = 0; rc == 0 && i < PQntuples(res); i++)
        rc = cb(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1),
                strtoll(PQgetvalue(res, i, 2), NULL, 10), ud);
    PQclear(res);
    return rc;
}

static int pg_ping(sc_persist *p) { return q(p, NULL, "ping", "SELECT 1", 0, NULL); }

static int pg_wipe(sc_persist *p)
{
    int rc = q(p, NULL, "wipe", "TRUNCATE sc_sessions, sc_events, sc_leases, sc_tables, sc_kv RESTART IDENTITY", 0,
               NULL);
    return rc == 0 ? pg_set_version(p, SC_PERSIST_SCHEMA_VERSION) : rc;
}

const sc_persist__backend sc_persist__pg = {
    .name = "postgresql",
    .init = pg_init,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .destroy = pg_destroy,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .save = pg_save,
    .load = pg_load,
    .del = pg_del,
    .list = pg_list,
    .owner_move = pg_owner_move,
    .list_owned = pg_list_owned,
    .owners = pg_owners,
    .append = pg_append,
    .read_events = pg_read_events,
    .read_range = pg_read_range,
    .read_after = pg_read_after,
    .prune = pg_prune,
    .claim = pg_claim,
    .release = pg_release,
    .expired = pg_expired,
    .ping = pg_ping,
    .get_version = pg_get_version,
    .set_version = pg_set_version,
    .wipe = pg_wipe,
    .save_table = pg_save_table,
    .load_table = pg_load_table,
    .kv_put = pg_kv_put,
    .kv_get = pg_kv_get,
    .kv_del = pg_kv_del,
    .kv_list = pg_kv_list,
};
