/* Tests for persist: the storage contract against "sqlite:" in a temporary directory,
 * including a store that cannot be opened until its directory appears, strict durability
 * seen from an independent connection, and two nodes opening one new store at once. */
#include "unit/persist/persist_contract.h"

#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "persist/persist_int.h"

static char tmpdir[256];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void turn_flag(int status, void *ud) { *(int *)ud = status == 0 ? 1 : -1; }

/* Strict mode: once the loop hears "durable", a separately opened handle sees the change. */
static void test_strict_commit_visible_to_new_connection(void **state)
{
    (void)state;
    char url[400];
    snprintf(url, sizeof url, "sqlite:%s/strict.db", tmpdir);
    sc_persist *p = NULL;
    sc_persist_config pc = {.durability = SC_PERSIST_STRICT};
    assert_int_equal(sc_persist_open(&p, url, &pc, NULL, 0), 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {.durability = SC_PERSIST_STRICT, .loop = &loop};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    json_t *snap = json_pack("{s:s, s:s}", "id", "call-1", "state", "established");
    json_t *rec = json_pack("{s:s, s:i}", "session", "call-1", "n", 1);
    assert_int_equal(sc_persist_writer_save(w, "call-1", snap, "node-a", "t", NULL), 0);
    assert_int_equal(sc_persist_writer_append(w, "call-1", 1, 77, rec, NULL), 0);
    json_decref(snap);
    json_decref(rec);
    int flag = 0;
    assert_int_equal(sc_persist_writer_commit_turn(w, turn_flag, &flag), 0);
    while (!flag)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(flag, 1);
    sc_persist *q = NULL; /* a fresh open: a new connection, not a clone */
    assert_int_equal(sc_persist_open(&q, url, NULL, NULL, 0), 0);
    json_t *got = NULL;
    sc_persist_snapshot_info info;
    assert_int_equal(sc_persist_load(q, "call-1", &got, &info), 0);
    assert_string_equal(json_string_value(json_object_get(got, "state")), "established");
    assert_string_equal(info.node_id, "node-a");
    json_decref(got);
    sc_persist_close(q);
    sc_persist_writer_free(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    sc_persist_close(p);
}

/* The writer's text ring (writer.c): ops of many sizes wrap the 4 MiB ring many times; blocks
 * too large for it, or that do not fit while the writer is held up (another connection holds
 * the database's write lock, so nothing completes), are malloc'd. Every record reads back
 * whole and in order. */
typedef struct ring_check {
    int next;
    int bad;
} ring_check;

static size_t ring_pad_len(int i) { return i % 97 == 0 ? (size_t)(1200000 + i) : (size_t)(17 + (i * 7919) % 90000); }

static int ring_event(const sc_persist_event *ev, void *ud)
{
    ring_check *c = ud;
    const char *pad = json_string_value(json_object_get(ev->record, "pad"));
    int n = (int)json_integer_value(json_object_get(ev->record, "n"));
    if (n != c->next || ev->seq != (uint64_t)n + 1 || !pad || strlen(pad) != ring_pad_len(n) ||
        pad[0] != (char)('a' + n % 26) || pad[strlen(pad) - 1] != (char)('a' + n % 26))
        c->bad++;
    c->next++;
    return 0;
}

static void ring_submit(sc_persist_writer *w, char *text, int i)
{
    size_t n = ring_pad_len(i);
    int len = snprintf(text, 64, "{\"n\":%d,\"pad\":\"", i);
    memset(text + len, 'a' + i % 26, n);
    memcpy(text + len + n, "\"}", 3);
    sc_persist_text_op op = {.kind = SC_PERSIST_OP_APPEND,
                             .session_id = "ring",
                             .text = text,
                             .text_len = (size_t)len + n + 2,
                             .seq = (uint64_t)i + 1,
                             .wall_us = 1000 + i};
    assert_int_equal(sc_persist_writer_submit_text(w, &op, NULL), 0);
}

/* One commit turn of w, waited for on loop: it must succeed. */
static void wait_turn(uv_loop_t *loop, sc_persist_writer *w)
{
    int flag = 0;
    assert_int_equal(sc_persist_writer_commit_turn(w, turn_flag, &flag), 0);
    while (!flag)
        uv_run(loop, UV_RUN_ONCE);
    assert_int_equal(flag, 1);
}

/* A strict store at tmpdir/name (its path in path) and a writer on it with loop (made here). */
static sc_persist_writer *strict_writer(const char *name, char *path, size_t n, sc_persist **p, uv_loop_t *loop,
                                        unsigned retry_initial_ms)
{
    char url[460];
    snprintf(path, n, "%s/%s", tmpdir, name);
    snprintf(url, sizeof url, "sqlite:%s", path);
    sc_persist_config pc = {.durability = SC_PERSIST_STRICT};
    assert_int_equal(sc_persist_open(p, url, &pc, NULL, 0), 0);
    uv_loop_init(loop);
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {.durability = SC_PERSIST_STRICT,
                                    .loop = loop,
                                    .retry_initial_ms = retry_initial_ms};
    assert_int_equal(sc_persist_writer_new(&w, *p, &cfg), 0);
    return w;
}

static void test_writer_text_ring_wraps(void **state)
{
    (void)state;
    char path[400];
    sc_persist *p = NULL;
    uv_loop_t loop;
    sc_persist_writer *w = strict_writer("ring.db", path, sizeof path, &p, &loop, 50);
    enum { HELD = 150, OPS = 400 };
    char *text = malloc(1300000 + 64);
    assert_non_null(text);
    sqlite3 *db = NULL; /* holds the write lock: the first HELD ops all stay queued */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000); /* the writer's and checkpointer's first reads may hold it */
    assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    for (int i = 0; i < HELD; i++)
        ring_submit(w, text, i);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    wait_turn(&loop, w);
    for (int i = HELD; i < OPS; i++) { /* a commit now and then: the ring holds ~37 ops */
        ring_submit(w, text, i);
        if (i % 37 == 36)
            wait_turn(&loop, w);
    }
    free(text);
    wait_turn(&loop, w);
    sc_persist_writer_free(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    ring_check c = {0, 0};
    assert_int_equal(sc_persist_read_events(p, "ring", 1, ring_event, &c), 0);
    assert_int_equal(c.bad, 0);
    assert_int_equal(c.next, OPS);
    sc_persist_close(p);
}

static void test_open_reports_unwritable_path(void **state)
{
    (void)state;
    char url[400], err[512] = "";
    snprintf(url, sizeof url, "sqlite:%s/no/such/dir/x.db", tmpdir);
    sc_persist *p = NULL;
    assert_int_equal(sc_persist_open(&p, url, NULL, err, sizeof err), -EIO);
    assert_null(p);
    assert_non_null(strstr(err, "no/such/dir"));
}

/* Two nodes starting at once on one new store (a shared file): both opens succeed, however
 * their journal-mode switch and schema creation interleave. */
typedef struct opener {
    char url[400];
    int rc;
    pthread_barrier_t *go;
} opener;

static void *open_one(void *arg)
{
    opener *o = arg;
    sc_persist *p = NULL;
    pthread_barrier_wait(o->go);
    o->rc = sc_persist_open(&p, o->url, NULL, NULL, 0);
    sc_persist_close(p);
    return NULL;
}

static void test_two_nodes_open_a_new_store_at_once(void **state)
{
    (void)state;
    for (int round = 0; round < 40; round++) {
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        opener o[2];
        pthread_t th[2];
        for (int i = 0; i < 2; i++) {
            snprintf(o[i].url, sizeof o[i].url, "sqlite:%s/shared%d.db", tmpdir, round);
            o[i].go = &go;
            assert_int_equal(pthread_create(&th[i], NULL, open_one, &o[i]), 0);
        }
        for (int i = 0; i < 2; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(o[i].rc, 0);
        }
        pthread_barrier_destroy(&go);
    }
}

static int collect_gseq(const sc_persist_event *ev, void *ud)
{
    json_t *arr = ud;
    json_array_append_new(arr, json_integer((json_int_t)ev->seq));
    return 0;
}

static json_t *range(sc_persist *p, int64_t since, int64_t until)
{
    json_t *seqs = json_array();
    assert_int_equal(sc_persist_read_events_range(p, since, until, collect_gseq, seqs), 0);
    return seqs;
}

/* A schema-2 store (events under the old per-event time index) is migrated on open: the
 * seconds index is built from the events already there, time queries find them, and events
 * appended afterwards (one with the wall clock stepped back a minute) are found as well. */
static void test_migrates_v2_time_index(void **state)
{
    (void)state;
    char path[400], url[420];
    snprintf(path, sizeof path, "%s/v2.db", tmpdir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    const char *v2 = "CREATE TABLE sc_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                     "CREATE TABLE sc_sessions(id TEXT PRIMARY KEY, data TEXT NOT NULL, node TEXT NOT NULL, "
                     "  table_hash TEXT NOT NULL, updated_us INTEGER NOT NULL);"
                     "CREATE TABLE sc_events(gseq INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, "
                     "  seq INTEGER NOT NULL, wall_us INTEGER NOT NULL, record TEXT NOT NULL, UNIQUE(session_id, seq));"
                     "CREATE INDEX sc_events_time ON sc_events(wall_us, gseq);"
                     "CREATE TABLE sc_leases(id TEXT PRIMARY KEY, node TEXT NOT NULL, until_us INTEGER NOT NULL);"
                     "CREATE TABLE sc_tables(hash TEXT PRIMARY KEY, text TEXT NOT NULL, saved_us INTEGER NOT NULL);"
                     "INSERT INTO sc_meta VALUES('schema_version', '2');"
                     "INSERT INTO sc_events(session_id, seq, wall_us, record) VALUES"
                     "  ('a', 1, 10000000, '{}'), ('a', 2, 10500000, '{}'), ('b', 1, 12000000, '{}');";
    assert_int_equal(sqlite3_exec(db, v2, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    sc_persist *p = NULL;
    assert_int_equal(sc_persist_open(&p, url, NULL, NULL, 0), 0);
    int v = 0;
    assert_int_equal(sc_persist_schema_version(p, &v), 0);
    assert_int_equal(v, SC_PERSIST_SCHEMA_VERSION);
    json_t *got = range(p, 10000000, 11000000); /* a1, a2 */
    assert_int_equal(json_array_size(got), 2);
    json_decref(got);
    got = range(p, 10500000, 12000001); /* a2, b1: the bounds are exact, not whole seconds */
    assert_int_equal(json_array_size(got), 2);
    json_decref(got);
    json_t *rec = json_object();
    assert_int_equal(sc_persist_append_event(p, "c", 1, 70000000, rec, NULL), 0);
    assert_int_equal(sc_persist_append_event(p, "c", 2, 10700000, rec, NULL), 0); /* clock stepped back */
    json_decref(rec);
    got = range(p, 10000000, 11000000); /* a1, a2, c2 in wall-clock order */
    assert_int_equal(json_array_size(got), 3);
    assert_int_equal(json_integer_value(json_array_get(got, 2)), 2);
    json_decref(got);
    got = range(p, 69999999, 70000001);
    assert_int_equal(json_array_size(got), 1);
    json_decref(got);
    got = range(p, 13000000, 69000000);
    assert_int_equal(json_array_size(got), 0);
    json_decref(got);
    sc_persist_close(p);
}

/* A schema-3 file (before key-value entries) is upgraded on open: sc_kv appears, its data
 * stays, and key-value entries work. */
/* True if SQLite's plan for sql reads the index named index (the owner queries of
 * persist_sqlite.c: an index range, not a scan of every snapshot). */
static bool plan_uses(const char *path, const char *sql, const char *index)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char q[512];
    snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", sql);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    bool found = false, scan = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 3);
        found = found || (d && strstr(d, index));
        scan = scan || (d && strstr(d, "SCAN") && !strstr(d, "INDEX"));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return found && !scan;
}

/* A version-3 file gains the key-value table and (5) the owner index. */
static void test_migrates_v3_adds_kv(void **state)
{
    (void)state;
    char path[400], url[420];
    snprintf(path, sizeof path, "%s/v3.db", tmpdir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    sc_persist *p = NULL;
    assert_int_equal(sc_persist_open(&p, url, NULL, NULL, 0), 0);
    json_t *snap = json_pack("{s:s}", "state", "up");
    assert_int_equal(sc_persist_save(p, "old-call", snap, "n1", "t"), 0);
    json_decref(snap);
    sc_persist_close(p);
    sqlite3 *db = NULL; /* make it a version-3 file: no sc_kv */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TABLE sc_kv; DROP INDEX sc_sessions_node; "
                                  "UPDATE sc_meta SET value = '3' WHERE key = 'schema_version';",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sc_persist_open(&p, url, NULL, NULL, 0), 0);
    int v = 0;
    assert_int_equal(sc_persist_schema_version(p, &v), 0);
    assert_int_equal(v, SC_PERSIST_SCHEMA_VERSION);
    assert_int_equal(sc_persist_kv_put(p, "reg", "k", "v", 1, 0), 0);
    char *text = NULL;
    assert_int_equal(sc_persist_kv_get(p, "reg", "k", &text), 0);
    assert_string_equal(text, "v");
    free(text);
    json_t *got = NULL;
    assert_int_equal(sc_persist_load(p, "old-call", &got, NULL), 0);
    json_decref(got);
    sc_persist_close(p);
    assert_true(plan_uses(path, "SELECT id, data FROM sc_sessions WHERE node = 'n1' ORDER BY id", "sc_sessions_node"));
    assert_true(plan_uses(path, "SELECT node, count(*) FROM sc_sessions WHERE node <> '' GROUP BY node ORDER BY node",
                          "sc_sessions_node"));
}

static int count_rows(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Pruning also drops the rows of the seconds index whose events are all gone (and only
 * those): the file stops growing once the log is pruned; time queries stay exact. */
static void test_prune_drops_empty_seconds(void **state)
{
    (void)state;
    char path[400], url[420];
    snprintf(path, sizeof path, "%s/prune.db", tmpdir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    sc_persist *p = NULL;
    assert_int_equal(sc_persist_open(&p, url, NULL, NULL, 0), 0);
    json_t *rec = json_object();
    for (int sec = 1; sec <= 4; sec++) {
        char id[16];
        snprintf(id, sizeof id, "s%d", sec);
        assert_int_equal(sc_persist_append_event(p, id, 1, sec * 1000000LL, rec, NULL), 0);
        assert_int_equal(sc_persist_append_event(p, id, 2, sec * 1000000LL + 600000, rec, NULL), 0);
    }
    assert_int_equal(sc_persist_save(p, "s1", rec, "n", "t"), 0); /* s1 is live: second 1 stays */
    json_decref(rec);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sc_event_seconds"), 4);
    size_t removed = 0;
    /* due: s2's two, s3's first (3.0 s); s3's second (3.6 s) and s4 are not */
    assert_int_equal(sc_persist_prune_events(p, 3500000, 100, &removed), 0);
    assert_int_equal(removed, 3);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sc_event_seconds"), 3); /* 1, 3, 4 */
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sc_event_seconds WHERE sec = 2"), 0);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sc_events"), 5);
    json_t *got = range(p, 0, 10000000);
    assert_int_equal(json_array_size(got), 5);
    json_decref(got);
    assert_int_equal(sc_persist_prune_events(p, 10000000, 100, &removed), 0);
    assert_int_equal(removed, 3);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sc_event_seconds"), 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sc_events"), 2);
    sc_persist_close(p);
}

/* Event numbers never go back without AUTOINCREMENT (schema 6): a prune that removes the
 * newest events leaves a floor, and a schema-5 file keeps its old sequence as the floor (its
 * last events deleted before the upgrade). */
static void test_gseq_never_reused(void **state)
{
    (void)state;
    char path[400], url[420];
    snprintf(path, sizeof path, "%s/gseq.db", tmpdir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    sc_persist *p = NULL;
    assert_int_equal(sc_persist_open(&p, url, NULL, NULL, 0), 0);
    json_t *rec = json_object();
    uint64_t g1 = 0, g2 = 0, g3 = 0;
    assert_int_equal(sc_persist_append_event(p, "a", 1, 1000000, rec, &g1), 0);
    assert_int_equal(sc_persist_append_event(p, "a", 2, 1000001, rec, &g2), 0);
    assert_true(g2 > g1);
    size_t removed = 0;
    assert_int_equal(sc_persist_prune_events(p, 5000000, 100, &removed), 0);
    assert_int_equal(removed, 2);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sc_events"), 0);
    assert_int_equal(sc_persist_append_event(p, "b", 1, 6000000, rec, &g3), 0);
    assert_true(g3 > g2);
    sc_persist_close(p);

    /* a schema-5 file whose newest event was deleted: sqlite_sequence says 3, max(gseq) 2 */
    snprintf(path, sizeof path, "%s/v5.db", tmpdir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    assert_int_equal(sc_persist_open(&p, url, NULL, NULL, 0), 0);
    sc_persist_close(p);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TABLE sc_events; DELETE FROM sc_meta WHERE key = 'gseq_floor';"
                                  "CREATE TABLE sc_events(gseq INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT "
                                  "NOT NULL, seq INTEGER NOT NULL, wall_us INTEGER NOT NULL, record TEXT NOT NULL, "
                                  "UNIQUE(session_id, seq));"
                                  "INSERT INTO sc_events(session_id, seq, wall_us, record) VALUES"
                                  "  ('a', 1, 1000000, '{}'), ('a', 2, 1000001, '{}'), ('a', 3, 1000002, '{}');"
                                  "DELETE FROM sc_events WHERE gseq = 3;"
                                  "UPDATE sc_meta SET value = '5' WHERE key = 'schema_version';",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sc_persist_open(&p, url, NULL, NULL, 0), 0);
    int v = 0;
    assert_int_equal(sc_persist_schema_version(p, &v), 0);
    assert_int_equal(v, SC_PERSIST_SCHEMA_VERSION);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sc_events"), 2);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%AUTOINCREMENT%'"), 0);
    assert_int_equal(sc_persist_append_event(p, "b", 1, 2000000, rec, &g3), 0);
    assert_int_equal(g3, 4);
    json_decref(rec);
    sc_persist_close(p);
}

static void flag_done(int status, void *ud) { *(int *)ud = status == 0 ? 1 : -1; }

/* Events logged by the writer over many transactions (the seconds' rows written with a
 * slack, most transactions writing none): time queries stay exact, and pruning still drops
 * exactly the seconds whose events are gone. */
static void test_writer_seconds_exact(void **state)
{
    (void)state;
    char path[400];
    sc_persist *p = NULL;
    uv_loop_t loop;
    sc_persist_writer *w = strict_writer("wsec.db", path, sizeof path, &p, &loop, 0);
    json_t *rec = json_object();
    /* seconds 1..3, 10 events each, one transaction per event */
    for (int i = 0; i < 30; i++) {
        char id[16];
        snprintf(id, sizeof id, "s%d", i);
        assert_int_equal(sc_persist_writer_append(w, id, 1, (1 + i / 10) * 1000000LL + i, rec, NULL), 0);
        wait_turn(&loop, w);
    }
    json_decref(rec);
    sc_persist_writer_free(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_true(count_rows(path, "SELECT count(*) FROM sc_event_seconds") == 3);
    for (int sec = 1; sec <= 3; sec++) {
        json_t *got = range(p, sec * 1000000LL, (sec + 1) * 1000000LL);
        assert_int_equal(json_array_size(got), 10);
        json_decref(got);
    }
    json_t *got = range(p, 2000005, 3000005); /* s15..s19 of second 2, s20..s24 of second 3 */
    assert_int_equal(json_array_size(got), 10);
    json_decref(got);
    size_t removed = 0;
    assert_int_equal(sc_persist_prune_events(p, 3000000, 100, &removed), 0); /* seconds 1 and 2 */
    assert_int_equal(removed, 20);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sc_event_seconds"), 1);
    got = range(p, 0, 10000000);
    assert_int_equal(json_array_size(got), 10);
    json_decref(got);
    sc_persist_close(p);
}

/* Strict mode gathers a commit's WAL writes (two per frame) into one write at the commit's
 * sync: far fewer writes than SQLite asks for, and what a commit reported durable is in the
 * file when the process dies right after (a child killed without closing its store). */
static void test_strict_wal_writes_gathered(void **state)
{
    (void)state;
    char path[400], url[420];
    snprintf(path, sizeof path, "%s/gather.db", tmpdir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    uint64_t w0 = 0, f0 = 0, w1 = 0, f1 = 0;
    sc_persist__walbuf_counts(&w0, &f0);
    int verdict[2];
    assert_int_equal(pipe(verdict), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(verdict[0]);
        sc_persist *p = NULL;
        sc_persist_config pc = {.durability = SC_PERSIST_STRICT};
        if (sc_persist_open(&p, url, &pc, NULL, 0))
            _exit(2);
        uv_loop_t loop;
        uv_loop_init(&loop);
        sc_persist_writer *w = NULL;
        sc_persist_writer_config cfg = {.durability = SC_PERSIST_STRICT, .loop = &loop};
        if (sc_persist_writer_new(&w, p, &cfg))
            _exit(3);
        json_t *rec = json_pack("{s:s}", "pad", "a record of a few dozen bytes, like a small event");
        for (int i = 0; i < 50; i++) {
            char id[16];
            snprintf(id, sizeof id, "c%d", i);
            if (sc_persist_writer_save(w, id, rec, "n", "t", NULL) ||
                sc_persist_writer_append(w, id, 1, 1000000, rec, NULL))
                _exit(4);
            int flag = 0;
            if (sc_persist_writer_commit_turn(w, flag_done, &flag))
                _exit(5);
            while (!flag)
                uv_run(&loop, UV_RUN_ONCE);
            if (flag != 1)
                _exit(6);
        }
        uint64_t wr = 0, fl = 0;
        sc_persist__walbuf_counts(&wr, &fl);
        char v = wr >= 100 && fl * 2 <= wr ? 0 : 7;
        if (write(verdict[1], &v, 1) != 1)
            _exit(8);
        raise(SIGKILL); /* dies as in a crash: no close, no checkpoint, the WAL as it is (and no
                         * exit for a leak checker to report on) */
    }
    close(verdict[1]);
    char v = 9;
    assert_int_equal(read(verdict[0], &v, 1), 1);
    close(verdict[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(v, 0);
    sc_persist__walbuf_counts(&w1, &f1);
    assert_true(w1 == w0 && f1 == f0); /* the counts were the child's */
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sc_sessions"), 50);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM sc_events"), 50);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/sc-persist-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char url[400], down[400], revive[600];
    snprintf(url, sizeof url, "sqlite:%s/contract.db", tmpdir);
    snprintf(down, sizeof down, "sqlite:%s/later/down.db", tmpdir);
    snprintf(revive, sizeof revive, "mkdir -p '%s/later'", tmpdir);
    contract_cfg cfg = {.url = url, .down_url = down, .revive_cmd = revive};
    int failed = contract_run("persist contract: sqlite", &cfg);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict_commit_visible_to_new_connection),
        cmocka_unit_test(test_writer_text_ring_wraps),
        cmocka_unit_test(test_open_reports_unwritable_path),
        cmocka_unit_test(test_two_nodes_open_a_new_store_at_once),
        cmocka_unit_test(test_migrates_v2_time_index),
        cmocka_unit_test(test_migrates_v3_adds_kv),
        cmocka_unit_test(test_prune_drops_empty_seconds),
        cmocka_unit_test(test_gseq_never_reused),
        cmocka_unit_test(test_writer_seconds_exact),
        cmocka_unit_test(test_strict_wal_writes_gathered),
    };
    failed += cmocka_run_group_tests_name("persist sqlite", tests, NULL, NULL);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return failed;
}
