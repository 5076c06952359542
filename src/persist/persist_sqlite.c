/* persist_sqlite: the "sqlite:PATH" backend (the embedded default): WAL journal, a
 * snapshots table and an append-only events table, prepared statements kept per handle. */
#include "persist/persist_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
    ST_SAVE,
    ST_SAVE_SAME,
    ST_LOAD,
    ST_DEL,
    ST_APPEND,
    ST_EVENTS,
    ST_RANGE,
    ST_AFTER,
    ST_LIST_LIVE,
    ST_LIST_LIVE_DATA,
    ST_LIST_ALL,
    ST_LIST_ALL_DATA,
    ST_CLAIM,
    ST_RELEASE,
    ST_EXPIRED,
    ST_SAVE_TABLE,
    ST_LOAD_TABLE,
    ST_SECOND,
    ST_KV_PURGE,
    ST_KV_PUT,
    ST_KV_GET,
    ST_KV_DEL,
    ST_KV_DEL_EXPIRED,
    ST_KV_LIST,
    ST_PRUNE,
    ST_PRUNE_SECONDS,
    ST_DEL_OWNED,
    ST_EXISTS,
    ST_MOVE,
    ST_LIST_OWNED,
    ST_LIST_OWNED_DATA,
    ST_OWNERS,
    ST_FLOOR,
    ST_BEGIN,
    ST_COMMIT,
    ST_APPEND_NEXT,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    /* fenced: a snapshot another non-empty node owns stays (no change: sqlite3_changes 0) */
    [ST_SAVE] = "INSERT INTO sc_sessions(id, data, node, table_hash, updated_us) VALUES(?1, ?2, ?3, ?4, ?5) "
                "ON CONFLICT(id) DO UPDATE SET data = excluded.data, node = excluded.node, "
                "table_hash = excluded.table_hash, updated_us = excluded.updated_us "
                "WHERE excluded.node = '' OR sc_sessions.node = '' OR sc_sessions.node = excluded.node",
    /* the common cases, a new snapshot or one saved again by its owner: node is not in the
     * SET list, so an update does not rewrite the owner index (sc_sessions_node) */
    [ST_SAVE_SAME] = "INSERT INTO sc_sessions(id, data, node, table_hash, updated_us) VALUES(?1, ?2, ?3, ?4, ?5) "
                     "ON CONFLICT(id) DO UPDATE SET data = excluded.data, table_hash = excluded.table_hash, "
                     "updated_us = excluded.updated_us WHERE sc_sessions.node = excluded.node",
    [ST_LOAD] = "SELECT data, node, table_hash, updated_us FROM sc_sessions WHERE id = ?1",
    [ST_DEL] = "DELETE FROM sc_sessions WHERE id = ?1",
    [ST_DEL_OWNED] = "DELETE FROM sc_sessions WHERE id = ?1 AND (node = ?2 OR node = '')",
    [ST_EXISTS] = "SELECT 1 FROM sc_sessions WHERE id = ?1",
    [ST_MOVE] = "UPDATE sc_sessions SET node = ?3 WHERE id = ?1 AND node = ?2",
    [ST_LIST_OWNED] = "SELECT id, NULL FROM sc_sessions WHERE node = ?1 ORDER BY id",
    [ST_LIST_OWNED_DATA] = "SELECT id, data FROM sc_sessions WHERE node = ?1 ORDER BY id",
    [ST_OWNERS] = "SELECT node, count(*) FROM sc_sessions WHERE node <> '' GROUP BY node ORDER BY node",
    /* gseq: above the largest in the table and above every pruned one (gseq_floor, written by
     * prune): what AUTOINCREMENT gave, without its sqlite_sequence write per insert */
    [ST_APPEND] = "INSERT OR IGNORE INTO sc_events(gseq, session_id, seq, wall_us, record) VALUES("
                  "max(coalesce((SELECT max(gseq) FROM sc_events), 0), "
                  "coalesce((SELECT CAST(value AS INTEGER) FROM sc_meta WHERE key = 'gseq_floor'), 0)) + 1, "
                  "?1, ?2, ?3, ?4)",
    /* the writer's transactions, prepared once (sqlite3_exec parses its text at every call) */
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    /* in a transaction after its first append: the number is known (the write lock is held);
     * a clash on it would be an error, never an event dropped */
    [ST_APPEND_NEXT] = "INSERT INTO sc_events(gseq, session_id, seq, wall_us, record) VALUES(?5, ?1, ?2, ?3, ?4) "
                       "ON CONFLICT(session_id, seq) DO NOTHING",
    /* before a prune: the largest gseq so far, which no new event may reuse */
    [ST_FLOOR] = "INSERT INTO sc_meta(key, value) SELECT 'gseq_floor', m FROM (SELECT max(gseq) AS m FROM sc_events) "
                 "WHERE m IS NOT NULL ON CONFLICT(key) DO UPDATE SET value = excluded.value "
                 "WHERE CAST(excluded.value AS INTEGER) > CAST(sc_meta.value AS INTEGER)",
    [ST_EVENTS] = "SELECT session_id, seq, wall_us, gseq, record FROM sc_events "
                  "WHERE session_id = ?1 AND seq >= ?2 ORDER BY seq",
    /* the seconds ?3..?4 give the gseq span to scan; the wall_us test keeps exactly the range */
    [ST_RANGE] = "SELECT session_id, seq, wall_us, gseq, record FROM sc_events WHERE gseq BETWEEN "
                 "(SELECT min(lo) FROM sc_event_seconds WHERE sec BETWEEN ?3 AND ?4) AND "
                 "(SELECT max(hi) FROM sc_event_seconds WHERE sec BETWEEN ?3 AND ?4) "
                 "AND wall_us >= ?1 AND wall_us < ?2 ORDER BY wall_us, gseq",
    [ST_AFTER] = "SELECT session_id, seq, wall_us, gseq, record FROM sc_events "
                 "WHERE gseq > ?1 ORDER BY gseq LIMIT ?2",
    [ST_LIST_LIVE] = "SELECT id, NULL FROM sc_sessions ORDER BY id",
    [ST_LIST_LIVE_DATA] = "SELECT id, data FROM sc_sessions ORDER BY id",
    [ST_LIST_ALL] = "SELECT id, NULL FROM (SELECT id FROM sc_sessions UNION "
                    "SELECT DISTINCT session_id FROM sc_events) ORDER BY id",
    [ST_LIST_ALL_DATA] = "SELECT u.id, s.data FROM (SELECT id FROM sc_sessions UNION "
                         "SELECT DISTINCT session_id FROM sc_events) u "
                         "LEFT JOIN sc_sessions s ON s.id = u.id ORDER BY u.id",
    [ST_CLAIM] = "INSERT INTO sc_leases(id, node, until_us) VALUES(?1, ?2, ?3) ON CONFLICT(id) DO UPDATE SET "
                 "node = excluded.node, until_us = excluded.until_us "
                 "WHERE sc_leases.node = excluded.node OR (?4 = 'c' AND sc_leases.until_us <= ?5)",
    [ST_RELEASE] = "DELETE FROM sc_leases WHERE id = ?1 AND node = ?2",
    [ST_EXPIRED] = "SELECT id, node, until_us FROM sc_leases WHERE until_us <= ?1 ORDER BY id",
    [ST_SAVE_TABLE] = "INSERT OR IGNORE INTO sc_tables(hash, text, saved_us) VALUES(?1, ?2, ?3)",
    [ST_LOAD_TABLE] = "SELECT text FROM sc_tables WHERE hash = ?1",
    [ST_SECOND] = "INSERT INTO sc_event_seconds(sec, lo, hi) VALUES(?1, ?2, ?3) ON CONFLICT(sec) DO UPDATE SET "
                  "lo = min(lo, excluded.lo), hi = max(hi, excluded.hi)",
    [ST_KV_PURGE] = "DELETE FROM sc_kv WHERE ns = ?1 AND expires_us > 0 AND expires_us <= ?2",
    [ST_KV_PUT] = "INSERT INTO sc_kv(ns, key, text, expires_us) VALUES(?1, ?2, ?3, ?4) ON CONFLICT(ns, key) "
                  "DO UPDATE SET text = excluded.text, expires_us = excluded.expires_us",
    [ST_KV_GET] = "SELECT text, expires_us FROM sc_kv WHERE ns = ?1 AND key = ?2",
    [ST_KV_DEL] = "DELETE FROM sc_kv WHERE ns = ?1 AND key = ?2",
    [ST_KV_DEL_EXPIRED] = "DELETE FROM sc_kv WHERE ns = ?1 AND key = ?2 AND expires_us > 0 AND expires_us <= ?3",
    [ST_KV_LIST] = "SELECT key, text, expires_us FROM sc_kv WHERE ns = ?1 ORDER BY key",
    /* ?1 = before_us, ?2 = its second (the last one that can hold a due event), ?3 = max: the
     * oldest due events of sessions without a snapshot, scanned by gseq within the span of the
     * seconds that can hold them */
    [ST_PRUNE] = "DELETE FROM sc_events WHERE gseq IN (SELECT e.gseq FROM sc_events e WHERE e.gseq BETWEEN "
                 "(SELECT min(lo) FROM sc_event_seconds WHERE sec <= ?2) AND "
                 "(SELECT max(hi) FROM sc_event_seconds WHERE sec <= ?2) "
                 "AND e.wall_us < ?1 AND NOT EXISTS (SELECT 1 FROM sc_sessions s WHERE s.id = e.session_id) "
                 "ORDER BY e.gseq LIMIT ?3)",
    /* the seconds up to ?1 whose gseq span holds no event of that second any more (at most ?2
     * of them; a span may reach past its second's events: SQ_SPAN_SLACK) */
    [ST_PRUNE_SECONDS] = "DELETE FROM sc_event_seconds WHERE sec IN (SELECT t.sec FROM sc_event_seconds t "
                         "WHERE t.sec <= ?1 AND NOT EXISTS (SELECT 1 FROM sc_events e WHERE e.gseq BETWEEN t.lo "
                         "AND t.hi AND e.wall_us >= t.sec * 1000000 AND e.wall_us < (t.sec + 1) * 1000000) "
                         "ORDER BY t.sec LIMIT ?2)",
};

static const char schema_v1[] =
    "CREATE TABLE IF NOT EXISTS sc_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sc_sessions(id TEXT PRIMARY KEY, data TEXT NOT NULL, node TEXT NOT NULL, "
    "  table_hash TEXT NOT NULL, updated_us INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sc_events(gseq INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, "
    "  seq INTEGER NOT NULL, wall_us INTEGER NOT NULL, record TEXT NOT NULL, UNIQUE(session_id, seq));"
    "CREATE INDEX IF NOT EXISTS sc_events_time ON sc_events(wall_us, gseq);"
    "CREATE TABLE IF NOT EXISTS sc_leases(id TEXT PRIMARY KEY, node TEXT NOT NULL, until_us INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS sc_leases_until ON sc_leases(until_us);";

static const char schema_v2[] =
    "CREATE TABLE IF NOT EXISTS sc_tables(hash TEXT PRIMARY KEY, text TEXT NOT NULL, saved_us INTEGER NOT NULL);";

/* v3: the per-event time index (a second B-tree insert for every event) gives way to one row
 * per wall-clock second with the gseq span of the events logged in it. */
static const char schema_v3[] =
    "DROP INDEX IF EXISTS sc_events_time;"
    "CREATE TABLE IF NOT EXISTS sc_event_seconds(sec INTEGER PRIMARY KEY, lo INTEGER NOT NULL, hi INTEGER NOT NULL);"
    "INSERT OR REPLACE INTO sc_event_seconds(sec, lo, hi) "
    "  SELECT wall_us / 1000000, min(gseq), max(gseq) FROM sc_events GROUP BY wall_us / 1000000;";

/* v4: key-value entries. Names and texts are BLOBs: stored byte for byte, ordered bytewise;
 * the partial index finds a namespace's entries that can expire. */
static const char schema_v4[] =
    "CREATE TABLE IF NOT EXISTS sc_kv(ns BLOB NOT NULL, key BLOB NOT NULL, text BLOB NOT NULL, "
    "  expires_us INTEGER NOT NULL, PRIMARY KEY(ns, key)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS sc_kv_expiry ON sc_kv(ns, expires_us) WHERE expires_us > 0;";

/* v5: the owner index (list_owned, owners: one index range, never a scan of every row). */
static const char schema_v5[] = "CREATE INDEX IF NOT EXISTS sc_sessions_node ON sc_sessions(node, id);";

/* v6: gseq without AUTOINCREMENT (its sqlite_sequence row was one more page written by every
 * commit that logs an event): the append takes max(gseq) + 1, never below gseq_floor in
 * sc_meta, which a prune sets to the largest gseq before it deletes, so a pruned number is
 * never given again. The table is rebuilt with its rows and the old sequence as the floor. */
static const char schema_v6[] =
    "CREATE TABLE sc_events_v6(gseq INTEGER PRIMARY KEY, session_id TEXT NOT NULL, "
    "  seq INTEGER NOT NULL, wall_us INTEGER NOT NULL, record TEXT NOT NULL, UNIQUE(session_id, seq));"
    "INSERT INTO sc_events_v6(gseq, session_id, seq, wall_us, record) "
    "  SELECT gseq, session_id, seq, wall_us, record FROM sc_events ORDER BY gseq;"
    "INSERT OR REPLACE INTO sc_meta(key, value) SELECT 'gseq_floor', seq FROM sqlite_sequence "
    "  WHERE name = 'sc_events' AND seq > 0;"
    "DROP TABLE sc_events;"
    "ALTER TABLE sc_events_v6 RENAME TO sc_events;";

#define SQ_US_PER_SEC 1000000 /* the bucket of sc_event_seconds; same division in SQL and C */
/* A transaction's sc_event_seconds row gets a span this many gseqs past its last event, so
 * that the following transactions' events of the same second are covered already and need no
 * write of that row (one page less per commit); reads filter by wall_us, so a wider span only
 * costs the scan of a few more rows. */
#define SQ_SPAN_SLACK 256

typedef struct sq {
    char *path;                 /* owned */
    sqlite3 *db;                /* NULL while disconnected */
    sqlite3_stmt *st[ST_COUNT]; /* prepared lazily */
    bool in_tx;                 /* between begin and commit/rollback */
    bool span_set;              /* span_* hold appends not yet in sc_event_seconds */
    int64_t span_sec;           /* their second */
    int64_t span_lo, span_hi;   /* their gseq span */
    bool kept_set;              /* kept_*: a row this connection wrote, known to be there */
    int64_t kept_sec;           /* its second */
    int64_t kept_lo, kept_hi;   /* a gseq span it covers */
    unsigned data_version;      /* SQLITE_FCNTL_DATA_VERSION after this connection's commit */
    int64_t next_gseq;          /* in a transaction: the next event's gseq (0: not known yet) */
    sc_persist__ckpt *ckpt;     /* WAL checkpoints off this thread */
} sq;

static int sq_fail(sc_persist *p, int code, const char *what)
{
    sq *s = p->impl;
    int rc = code == SQLITE_NOMEM ? -ENOMEM : (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? -EBUSY : -EIO;
    return sc_persist__error(p, rc, "sqlite %s: %s", what, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(code));
}

static int sq_init(sc_persist *p, const char *rest)
{
    if (!*rest)
        return sc_persist__error(p, -EINVAL, "sqlite: needs a path (sqlite:PATH)");
    sq *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(rest)) || sc_persist__ckpt_new(&s->ckpt, rest)) {
        if (s)
            free(s->path);
        free(s);
        return -ENOMEM;
    }
    p->impl = s;
    return 0;
}

static int exec(sc_persist *p, const char *sql)
{
    sq *s = p->impl;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : sq_fail(p, rc, "exec");
}

static int read_version(sc_persist *p, int *version)
{
    sq *s = p->impl;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM sc_meta WHERE key = 'schema_version'", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(p, rc, "read schema version");
    *version = 0;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = atoi((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(p, rc, "read schema version");
}

static int write_version(sc_persist *p, int version)
{
    char sql[160];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO sc_meta(key, value) VALUES('schema_version', '%d')", version);
    return exec(p, sql);
}

/* Creates or migrates the schema inside one transaction. */
static int migrate(sc_persist *p)
{
    int rc = exec(p, "BEGIN IMMEDIATE");
    if (rc < 0)
        return rc;
    int version = 0;
    rc = exec(p, "CREATE TABLE IF NOT EXISTS sc_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    if (rc == 0)
        rc = read_version(p, &version);
    if (rc == 0 && version > SC_PERSIST_SCHEMA_VERSION)
        rc = sc_persist__schema_too_new(p, version);
    if (rc == 0 && version < 1) /* version 0: empty store; later versions add steps here */
        rc = exec(p, schema_v1);
    if (rc == 0 && version < 2)
        rc = exec(p, schema_v2);
    if (rc == 0 && version < 3)
        rc = exec(p, schema_v3);
    if (rc == 0 && version < 4)
        rc = exec(p, schema_v4);
    if (rc == 0 && version < 5)
        rc = exec(p, schema_v5);
    if (rc == 0 && version < 6)
        rc = exec(p, schema_v6);
    if (rc == 0 && version != SC_PERSIST_SCHEMA_VERSION)
        rc = write_version(p, SC_PERSIST_SCHEMA_VERSION);
    if (rc == 0)
        return exec(p, "COMMIT");
    sqlite3_exec(((sq *)p->impl)->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static void sq_disconnect(sc_persist *p)
{
    sq *s = p->impl;
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
        s->st[i] = NULL;
    }
    sqlite3_close(s->db);
    s->db = NULL;
    s->kept_set = false;
}

/* A database file we create is private (0600): sessions hold Call-IDs, URIs and DTMF digits.
 * SQLite gives its -wal and -shm files the database file's permissions. An existing file keeps
 * its mode (the operator's choice). */
static void create_private(const char *path)
{
    if (!strcmp(path, ":memory:") || !strncmp(path, "file:", 5))
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
}

static int sq_connect_once(sc_persist *p)
{
    sq *s = p->impl;
    create_private(s->path);
    /* strict: synchronous=FULL below, which the WAL-gathering VFS needs (a sync per commit) */
    bool strict = p->cfg.durability == SC_PERSIST_STRICT;
    const char *vfs = strict ? sc_persist__walbuf_vfs() : NULL;
    int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs);
    if (rc != SQLITE_OK) {
        int err = sc_persist__error(p, -EIO, "sqlite open %s: %s", s->path,
                                    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        sq_disconnect(p);
        return err;
    }
    sqlite3_busy_timeout(s->db, 5000);
    const char *sync = strict ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
    int r = exec(p, "PRAGMA journal_mode=WAL");
    if (r == 0)
        r = exec(p, sync);
    if (r == 0) /* the writer's batches touch the same index pages: keep them cached */
        r = exec(p, "PRAGMA cache_size=-4096");
    if (r == 0) /* a WAL reset by a checkpoint is cut back to this size */
        r = exec(p, "PRAGMA journal_size_limit=67108864");
    if (r == 0)
        sc_persist__ckpt_attach(s->ckpt, s->db);
    if (r == 0)
        r = migrate(p);
    if (r < 0)
        sq_disconnect(p);
    return r;
}

/* Two nodes opening one new store at once: switching it to WAL takes an exclusive lock that
 * SQLite does not wait for (SQLITE_BUSY at once, whatever the busy timeout), so the loser
 * tries again, for up to 5 s. A store still locked then is unreachable (-EIO): the caller
 * retries later. */
static int sq_connect(sc_persist *p)
{
    int r = sq_connect_once(p);
    for (int tries = 0; r == -EBUSY && tries < 100; tries++) {
        struct timespec pause = {0, (20 + (tries % 5) * 10) * 1000000L};
        nanosleep(&pause, NULL);
        r = sq_connect_once(p);
    }
    return r == -EBUSY ? -EIO : r;
}

static void sq_destroy(sc_persist *p)
{
    sq *s = p->impl;
    sc_persist__ckpt_free(s->ckpt);
    free(s->path);
    free(s);
    p->impl = NULL;
}

static int flush_span(sc_persist *p);
static int note_second(sc_persist *p, int64_t sec, int64_t gseq);

static unsigned data_version(sq *s)
{
    unsigned v = 0;
    if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK)
        v = 0;
    return v;
}

static sqlite3_stmt *stmt(sc_persist *p, int i, int *err);
static int step_done(sc_persist *p, sqlite3_stmt *st, const char *what);

/* Runs the prepared statement i, which takes no parameter. */
static int run_stmt(sc_persist *p, int i, const char *what)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, i, &err);
    return st ? step_done(p, st, what) : err;
}

static int sq_begin(sc_persist *p)
{
    sq *s = p->impl;
    s->span_set = false;
    s->next_gseq = 0;
    int rc = run_stmt(p, ST_BEGIN, "begin");
    s->in_tx = rc == 0;
    /* another connection committed since ours (a prune may have removed the kept row) */
    if (rc == 0 && s->kept_set && data_version(s) != s->data_version)
        s->kept_set = false;
    return rc;
}

static int sq_commit(sc_persist *p)
{
    sq *s = p->impl;
    int rc = flush_span(p);
    if (rc == 0)
        rc = run_stmt(p, ST_COMMIT, "commit");
    s->in_tx = false;
    if (rc == 0)
        s->data_version = data_version(s);
    else
        s->kept_set = false;
    return rc;
}

static void sq_rollback(sc_persist *p)
{
    sq *s = p->impl;
    s->span_set = false;
    s->kept_set = false; /* its row may have been written in this transaction */
    s->next_gseq = 0;
    s->in_tx = false;
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The prepared statement i, reset and with bindings cleared; NULL on error (message set). */
static sqlite3_stmt *stmt(sc_persist *p, int i, int *err)
{
    sq *s = p->impl;
    if (!s->st[i]) {
        int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
        if (rc != SQLITE_OK) {
            *err = sq_fail(p, rc, "prepare");
            return NULL;
        }
    }
    sqlite3_reset(s->st[i]);
    sqlite3_clear_bindings(s->st[i]);
    return s->st[i];
}

static int step_done(sc_persist *p, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(p, rc, what);
}

/* The prepared statement i (as stmt) with ?1 bound to the text a1. */
static sqlite3_stmt *stmt_bind1(sc_persist *p, int i, const char *a1, int *err)
{
    sqlite3_stmt *st = stmt(p, i, err);
    if (st)
        sqlite3_bind_text(st, 1, a1, -1, SQLITE_STATIC);
    return st;
}

/* Steps st, whose rows are (id, data or NULL), calling cb for each row until it returns
 * non-zero (its value is returned). */
static int walk_id_rows(sc_persist *p, sqlite3_stmt *st, const char *what, sc_persist__raw_list_cb cb, void *ud)
{
    int rc, out = 0;
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        out = cb((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1), ud);
    sqlite3_reset(st);
    if (out)
        return out;
    return rc == SQLITE_DONE ? 0 : sq_fail(p, rc, what);
}

/* Runs save statement which (ST_SAVE_SAME or ST_SAVE); the rows it changed, or < 0. */
static int save_step(sc_persist *p, int which, const char *id, const char *data, const char *node, const char *hash,
                     int64_t updated_us)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, which, &err);
    if (!st)
        return err;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, data, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, node, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, updated_us);
    int rc = step_done(p, st, "save");
    return rc < 0 ? rc : sqlite3_changes(((sq *)p->impl)->db);
}

/* A new snapshot or the owner's update first (no owner index write); a change of owner or a
 * fenced one then goes through the full upsert, which changes nothing when fenced (1). */
static int sq_save(sc_persist *p, const char *id, const char *data, const char *node, const char *hash,
                   int64_t updated_us)
{
    int n = save_step(p, ST_SAVE_SAME, id, data, node, hash, updated_us);
    if (n == 0)
        n = save_step(p, ST_SAVE, id, data, node, hash, updated_us);
    return n < 0 ? n : n == 0 ? 1 : 0;
}

static int sq_load(sc_persist *p, const char *id, char **data, sc_persist_snapshot_info *info)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_LOAD, &err);
    if (!st)
        return err;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *data = strdup((const char *)sqlite3_column_text(st, 0));
        snprintf(info->node_id, sizeof info->node_id, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(info->table_hash, sizeof info->table_hash, "%s", (const char *)sqlite3_column_text(st, 2));
        info->updated_us = sqlite3_column_int64(st, 3);
        sqlite3_reset(st);
        return *data ? 0 : -ENOMEM;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? -ENOENT : sq_fail(p, rc, "load");
}

/* After a write that changed nothing: -ENOENT if id has no snapshot, else busy (it is
 * another node's). */
static int absent_or(sc_persist *p, const char *id, int busy)
{
    int err = 0;
    sqlite3_stmt *st = stmt_bind1(p, ST_EXISTS, id, &err);
    if (!st)
        return err;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return busy;
    return rc == SQLITE_DONE ? -ENOENT : sq_fail(p, rc, "exists");
}

/* Steps the fenced write st on id: 0 if it changed a row, else what absent_or says (busy
 * when another node owns id). */
static int step_fenced(sc_persist *p, sqlite3_stmt *st, const char *what, const char *id, int busy)
{
    int rc = step_done(p, st, what);
    if (rc == 0 && sqlite3_changes(((sq *)p->impl)->db) == 0)
        return absent_or(p, id, busy);
    return rc;
}

static int sq_del(sc_persist *p, const char *id, const char *node)
{
    int err = 0;
    sqlite3_stmt *st = stmt_bind1(p, node[0] ? ST_DEL_OWNED : ST_DEL, id, &err);
    if (!st)
        return err;
    if (node[0]) {
        sqlite3_bind_text(st, 2, node, -1, SQLITE_STATIC);
        return step_fenced(p, st, "delete", id, 1);
    }
    int rc = step_done(p, st, "delete");
    if (rc == 0 && sqlite3_changes(((sq *)p->impl)->db) == 0)
        return -ENOENT;
    return rc;
}

static int sq_owner_move(sc_persist *p, const char *id, const char *from, const char *to)
{
    int err = 0;
    sqlite3_stmt *st = stmt_bind1(p, ST_MOVE, id, &err);
    if (!st)
        return err;
    sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
    return step_fenced(p, st, "owner move", id, -EBUSY);
}

static int sq_list_owned(sc_persist *p, const char *node, bool with_data, sc_persist__raw_list_cb cb, void *ud)
{
    int err = 0;
    sqlite3_stmt *st = stmt_bind1(p, with_data ? ST_LIST_OWNED_DATA : ST_LIST_OWNED, node, &err);
    if (!st)
        return err;
    return walk_id_rows(p, st, "list owned", cb, ud);
}

static int sq_owners(sc_persist *p, sc_persist_owner_cb cb, void *ud)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_OWNERS, &err);
    if (!st)
        return err;
    int rc, out = 0;
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        out = cb((const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_int64(st, 1), ud);
    sqlite3_reset(st);
    if (out)
        return out;
    return rc == SQLITE_DONE ? 0 : sq_fail(p, rc, "owners");
}

static int sq_list(sc_persist *p, sc_persist_list_mode mode, bool with_data, sc_persist__raw_list_cb cb, void *ud)
{
    int which = mode == SC_PERSIST_LIST_ALL ? (with_data ? ST_LIST_ALL_DATA : ST_LIST_ALL)
                                            : (with_data ? ST_LIST_LIVE_DATA : ST_LIST_LIVE);
    int err = 0;
    sqlite3_stmt *st = stmt(p, which, &err);
    if (!st)
        return err;
    return walk_id_rows(p, st, "list", cb, ud);
}

static int sq_append(sc_persist *p, const char *id, uint64_t seq, int64_t wall_us, const char *rec, uint64_t *gseq)
{
    sq *s = p->impl;
    bool next = s->in_tx && s->next_gseq > 0;
    int err = 0;
    sqlite3_stmt *st = stmt(p, next ? ST_APPEND_NEXT : ST_APPEND, &err);
    if (!st)
        return err;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    sqlite3_bind_int64(st, 3, wall_us);
    sqlite3_bind_text(st, 4, rec, -1, SQLITE_STATIC);
    if (next)
        sqlite3_bind_int64(st, 5, s->next_gseq);
    int rc = step_done(p, st, "append");
    if (rc < 0)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return 1;
    *gseq = (uint64_t)sqlite3_last_insert_rowid(s->db);
    if (s->in_tx)
        s->next_gseq = (int64_t)*gseq + 1;
    return note_second(p, wall_us / SQ_US_PER_SEC, (int64_t)*gseq);
}

/* Writes the pending second's gseq span to sc_event_seconds. */
static int flush_span(sc_persist *p)
{
    sq *s = p->impl;
    if (!s->span_set)
        return 0;
    s->span_set = false;
    /* in a transaction: skip the write when the row this connection wrote covers the span
     * already, else widen it by the slack for the transactions to come */
    bool tx = s->in_tx;
    if (tx && s->kept_set && s->kept_sec == s->span_sec && s->span_lo >= s->kept_lo && s->span_hi <= s->kept_hi)
        return 0;
    int64_t hi = s->span_hi + (tx ? SQ_SPAN_SLACK : 0);
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_SECOND, &err);
    if (!st)
        return err;
    sqlite3_bind_int64(st, 1, s->span_sec);
    sqlite3_bind_int64(st, 2, s->span_lo);
    sqlite3_bind_int64(st, 3, hi);
    int rc = step_done(p, st, "index second");
    if (tx && rc == 0) {
        bool same = s->kept_set && s->kept_sec == s->span_sec;
        s->kept_lo = same && s->kept_lo < s->span_lo ? s->kept_lo : s->span_lo;
        s->kept_hi = hi;
        s->kept_sec = s->span_sec;
        s->kept_set = true;
    }
    return rc;
}

/* Adds event gseq of second sec to the pending span: at most one sc_event_seconds write per
 * second per transaction, not one per event, and none while the row written by an earlier
 * transaction covers it (flush_span). Outside a transaction it is written at once. */
static int note_second(sc_persist *p, int64_t sec, int64_t gseq)
{
    sq *s = p->impl;
    if (s->span_set && s->span_sec == sec) {
        s->span_lo = gseq < s->span_lo ? gseq : s->span_lo;
        s->span_hi = gseq > s->span_hi ? gseq : s->span_hi;
    } else {
        int rc = flush_span(p);
        if (rc < 0)
            return rc;
        s->span_set = true;
        s->span_sec = sec;
        s->span_lo = s->span_hi = gseq;
    }
    return s->in_tx ? 0 : flush_span(p);
}

/* Steps an event query and hands each row to cb. */
static int walk_events(sc_persist *p, sqlite3_stmt *st, sc_persist__raw_event_cb cb, void *ud)
{
    int rc, out = 0;
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        sc_persist__raw_event ev = {
            (const char *)sqlite3_column_text(st, 0),
            (uint64_t)sqlite3_column_int64(st, 1),
            sqlite3_column_int64(st, 2),
            (uint64_t)sqlite3_column_int64(st, 3),
            (const char *)sqlite3_column_text(st, 4),
        };
        out = cb(&ev, ud);
    }
    sqlite3_reset(st);
    if (out)
        return out;
    return rc == SQLITE_DONE ? 0 : sq_fail(p, rc, "read events");
}

static int sq_read_events(sc_persist *p, const char *id, uint64_t from_seq, sc_persist__raw_event_cb cb, void *ud)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_EVENTS, &err);
    if (!st)
        return err;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)from_seq);
    return walk_events(p, st, cb, ud);
}

static int sq_read_range(sc_persist *p, int64_t since_us, int64_t until_us, sc_persist__raw_event_cb cb, void *ud)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_RANGE, &err);
    if (!st)
        return err;
    if (until_us <= since_us)
        return 0;
    sqlite3_bind_int64(st, 1, since_us);
    sqlite3_bind_int64(st, 2, until_us);
    sqlite3_bind_int64(st, 3, since_us / SQ_US_PER_SEC);
    sqlite3_bind_int64(st, 4, (until_us - 1) / SQ_US_PER_SEC);
    return walk_events(p, st, cb, ud);
}

static int sq_read_after(sc_persist *p, uint64_t after, size_t limit, sc_persist__raw_event_cb cb, void *ud)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_AFTER, &err);
    if (!st)
        return err;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
    sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
    return walk_events(p, st, cb, ud);
}

/* The second of wall_us (floor division, as the SQL's for non-negative times). */
static int64_t second_of(int64_t wall_us)
{
    return wall_us >= 0 ? wall_us / SQ_US_PER_SEC : -((-wall_us + SQ_US_PER_SEC - 1) / SQ_US_PER_SEC);
}

static int prune_step(sc_persist *p, int which, int64_t a, int64_t b, int64_t c, int n, int *changes)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, which, &err);
    if (!st)
        return err;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    if (n > 2)
        sqlite3_bind_int64(st, 3, c);
    int rc = step_done(p, st, "prune");
    *changes = sqlite3_changes(((sq *)p->impl)->db);
    return rc;
}

/* One transaction: the events, then the index rows of the seconds they emptied. */
static int sq_prune(sc_persist *p, int64_t before_us, size_t max, size_t *removed)
{
    int64_t sec = second_of(before_us - 1), lim = max > INT32_MAX ? INT32_MAX : (int64_t)max;
    int gone = 0, secs = 0;
    ((sq *)p->impl)->kept_set = false; /* its row may go */
    int rc = exec(p, "BEGIN IMMEDIATE");
    if (rc < 0)
        return rc;
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_FLOOR, &err);
    rc = st ? step_done(p, st, "gseq floor") : err;
    if (rc == 0)
        rc = prune_step(p, ST_PRUNE, before_us, sec, lim, 3, &gone);
    if (rc == 0)
        rc = prune_step(p, ST_PRUNE_SECONDS, sec, lim, 0, 2, &secs);
    if (rc == 0)
        rc = exec(p, "COMMIT");
    if (rc < 0) {
        sqlite3_exec(((sq *)p->impl)->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    *removed = (size_t)gone;
    return (int64_t)gone >= lim || secs >= lim ? 1 : 0;
}

static int sq_claim(sc_persist *p, const char *id, const char *node, int64_t now_us, int64_t until_us, char mode)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_CLAIM, &err);
    if (!st)
        return err;
    char m[2] = {mode, 0};
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, node, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, until_us);
    sqlite3_bind_text(st, 4, m, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, now_us);
    int rc = step_done(p, st, "claim");
    if (rc == 0 && sqlite3_changes(((sq *)p->impl)->db) == 0)
        return -EBUSY;
    return rc;
}

static int sq_release(sc_persist *p, const char *id, const char *node)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_RELEASE, &err);
    if (!st)
        return err;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, node, -1, SQLITE_STATIC);
    int rc = step_done(p, st, "release");
    if (rc == 0 && sqlite3_changes(((sq *)p->impl)->db) == 0)
        return -ENOENT;
    return rc;
}

static int sq_expired(sc_persist *p, int64_t now_us, sc_persist_lease_cb cb, void *ud)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_EXPIRED, &err);
    if (!st)
        return err;
    sqlite3_bind_int64(st, 1, now_us);
    int rc, out = 0;
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        out = cb((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
                 sqlite3_column_int64(st, 2), ud);
    sqlite3_reset(st);
    if (out)
        return out;
    return rc == SQLITE_DONE ? 0 : sq_fail(p, rc, "expired leases");
}

static int sq_save_table(sc_persist *p, const char *hash, const char *text, int64_t saved_us)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_SAVE_TABLE, &err);
    if (!st)
        return err;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, saved_us);
    return step_done(p, st, "save table");
}

static int sq_load_table(sc_persist *p, const char *hash, char **text)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_LOAD_TABLE, &err);
    if (!st)
        return err;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *text = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        return *text ? 0 : -ENOMEM;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? -ENOENT : sq_fail(p, rc, "load table");
}

/* ---- key-value entries ---- */

static void bind_name(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_blob(st, i, s, (int)strlen(s), SQLITE_STATIC);
}

/* A BLOB column as NUL-terminated bytes (sqlite3_column_text adds the NUL, no conversion). */
static const char *col_bytes(sqlite3_stmt *st, int i, size_t *len)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    *len = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
    return t ? t : "";
}

static int kv_purge(sc_persist *p, const char *ns, int64_t now_us)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_KV_PURGE, &err);
    if (!st)
        return err;
    bind_name(st, 1, ns);
    sqlite3_bind_int64(st, 2, now_us);
    return step_done(p, st, "kv purge");
}

static int sq_kv_put(sc_persist *p, const char *ns, const char *key, const char *text, size_t len, int64_t expires_us,
                     int64_t now_us)
{
    int err = kv_purge(p, ns, now_us);
    sqlite3_stmt *st = err ? NULL : stmt(p, ST_KV_PUT, &err);
    if (!st)
        return err;
    bind_name(st, 1, ns);
    bind_name(st, 2, key);
    sqlite3_bind_blob(st, 3, text, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, expires_us);
    return step_done(p, st, "kv put");
}

/* Removes ns/key if it has expired by now_us (another node may have renewed it since). */
static int kv_drop_expired(sc_persist *p, const char *ns, const char *key, int64_t now_us)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_KV_DEL_EXPIRED, &err);
    if (!st)
        return err;
    bind_name(st, 1, ns);
    bind_name(st, 2, key);
    sqlite3_bind_int64(st, 3, now_us);
    return step_done(p, st, "kv expire");
}

static int sq_kv_get(sc_persist *p, const char *ns, const char *key, int64_t now_us, char **text)
{
    int err = 0;
    sqlite3_stmt *st = stmt(p, ST_KV_GET, &err);
    if (!st)
        return err;
    bind_name(st, 1, ns);
    bind_name(st, 2, key);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : sq_fail(p, rc, "kv get");
    }
    int64_t exp = sqlite3_column_int64(st, 1);
    if (exp && exp <= now_us) {
        sqlite3_reset(st);
        rc = kv_drop_expired(p, ns, key, now_us);
        return rc < 0 ? rc : -ENOENT;
    }
    size_t len = 0;
    const char *t = col_bytes(st, 0, &len);
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, t, len);
        copy[len] = '\0';
    }
    sqlite3_reset(st);
    *text = copy;
    return copy ? 0 : -ENOMEM;
}

static int sq_kv_del(sc_persist *p, const char *ns, const char *key, int64_t now_us)
{
    int err = kv_purge(p, ns, now_us); /* an expired entry counts as absent */
    sqlite3_stmt *st = err ? NULL : stmt(p, ST_KV_DEL, &err);
    if (!st)
        return err;
    bind_name(st, 1, ns);
    bind_name(st, 2, key);
    int rc = step_done(p, st, "kv delete");
    if (rc == 0 && sqlite3_changes(((sq *)p->impl)->db) == 0)
        return -ENOENT;
    return rc;
}

static int sq_kv_list(sc_persist *p, const char *ns, int64_t now_us, sc_persist_kv_cb cb, void *ud)
{
    int err = kv_purge(p, ns, now_us);
    sqlite3_stmt *st = err ? NULL : stmt(p, ST_KV_LIST, &err);
    if (!st)
        return err;
    bind_name(st, 1, ns);
    int rc, out = 0;
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t klen = 0, tlen = 0;
        const char *k = col_bytes(st, 0, &klen);
        const char *t = col_bytes(st, 1, &tlen);
        out = cb(k, t, tlen, sqlite3_column_int64(st, 2), ud);
    }
    sqlite3_reset(st);
    if (out)
        return out;
    return rc == SQLITE_DONE ? 0 : sq_fail(p, rc, "kv list");
}

static int sq_ping(sc_persist *p) { return exec(p, "SELECT 1"); }
static int sq_get_version(sc_persist *p, int *version) { return read_version(p, version); }
static int sq_set_version(sc_persist *p, int version) { return write_version(p, version); }

static int sq_wipe(sc_persist *p)
{
    ((sq *)p->impl)->kept_set = false;
    int rc = exec(p, "BEGIN IMMEDIATE");
    if (rc < 0)
        return rc;
    rc = exec(p, "DELETE FROM sc_sessions; DELETE FROM sc_events; DELETE FROM sc_event_seconds; DELETE FROM sc_leases; "
                 "DELETE FROM sc_tables; DELETE FROM sc_kv; DELETE FROM sc_meta WHERE key = 'gseq_floor'");
    if (rc == 0)
        rc = write_version(p, SC_PERSIST_SCHEMA_VERSION);
    if (rc == 0)
        return exec(p, "COMMIT");
    sq_rollback(p);
    return rc;
}

const sc_persist__backend sc_persist__sqlite = {
    .name = "sqlite",
    .init = sq_init,
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .destroy = sq_destroy,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .save = sq_save,
    .load = sq_load,
    .del = sq_del,
    .list = sq_list,
    .owner_move = sq_owner_move,
    .list_owned = sq_list_owned,
    .owners = sq_owners,
    .append = sq_append,
    .read_events = sq_read_events,
    .read_range = sq_read_range,
    .read_after = sq_read_after,
    .prune = sq_prune,
    .claim = sq_claim,
    .release = sq_release,
    .expired = sq_expired,
    .ping = sq_ping,
    .get_version = sq_get_version,
    .set_version = sq_set_version,
    .wipe = sq_wipe,
    .save_table = sq_save_table,
    .load_table = sq_load_table,
    .kv_put = sq_kv_put,
    .kv_get = sq_kv_get,
    .kv_del = sq_kv_del,
    .kv_list = sq_kv_list,
};
