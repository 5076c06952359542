/* Tests for persist: the storage contract against any store, named by argv[1] or by
 * SC_PERSIST_URL (memory: if neither); SC_PERSIST_DOWN_URL and SC_PERSIST_REVIVE_CMD enable
 * the backend-down and reconnect cases (the scripts in tests/backends set all three). On
 * PostgreSQL, also a real schema-3 database upgraded to key-value entries and the owner
 * index; on Redis, every structure that pruning the event log cleans, and the owner sets
 * built for a schema-4 store. */
#include "unit/persist/persist_contract.h"

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

static void pg_exec(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fprintf(stderr, "%s: %s\n", sql, PQresultErrorMessage(r));
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);
}

static int pg_count(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    int n = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return n;
}

/* True if PostgreSQL can answer sql from index (sequential scans off: the plan it would
 * pick on a large table, where a scan of every snapshot costs more). */
static bool pg_plan_uses(const char *url, const char *sql, const char *index)
{
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQclear(PQexec(c, "SET enable_seqscan = off"));
    char q[512];
    snprintf(q, sizeof q, "EXPLAIN %s", sql);
    PGresult *r = PQexec(c, q);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    bool found = false, scan = false;
    for (int i = 0; i < PQntuples(r); i++) {
        found = found || strstr(PQgetvalue(r, i, 0), index);
        scan = scan || strstr(PQgetvalue(r, i, 0), "Seq Scan");
    }
    PQclear(r);
    PQfinish(c);
    return found && !scan;
}

/* A schema-3 PostgreSQL database (no sc_kv) is upgraded on open; its sessions stay. */
static void test_pg_v3_upgraded(void **state)
{
    sc_persist *p = *state;
    if (strncmp(contract.url, "postgres", 8) != 0)
        skip();
    save_doc(p, "old-call", "up", "n1");
    pg_exec(contract.url, "DROP TABLE sc_kv; DROP INDEX sc_sessions_node; "
                          "UPDATE sc_meta SET value = '3' WHERE key = 'schema_version'");
    sc_persist *q = NULL;
    char err[512] = "";
    assert_int_equal(sc_persist_open(&q, contract.url, NULL, err, sizeof err), 0);
    int v = 0;
    assert_int_equal(sc_persist_schema_version(q, &v), 0);
    assert_int_equal(v, SC_PERSIST_SCHEMA_VERSION);
    assert_int_equal(sc_persist_kv_put(q, "reg", "k", "v", 1, 0), 0);
    char *text = NULL;
    assert_int_equal(sc_persist_kv_get(q, "reg", "k", &text), 0);
    assert_string_equal(text, "v");
    free(text);
    json_t *got = NULL;
    assert_int_equal(sc_persist_load(q, "old-call", &got, NULL), 0);
    json_decref(got);
    sc_persist_close(q);
    assert_int_equal(pg_count(contract.url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'sc_sessions_node'"), 1);
    assert_true(pg_plan_uses(
        contract.url, "SELECT id, data FROM sc_sessions WHERE node COLLATE \"C\" = 'n1' ORDER BY id COLLATE \"C\"",
        "sc_sessions_node"));
    assert_true(pg_plan_uses(contract.url,
                             "SELECT node COLLATE \"C\" AS n, count(*) FROM sc_sessions WHERE node <> '' "
                             "GROUP BY n ORDER BY n",
                             "sc_sessions_node"));
}

static long long rd_int(redisContext *c, const char *cmd, const char *key, const char *arg)
{
    redisReply *r = arg ? redisCommand(c, "%s %s %s", cmd, key, arg) : redisCommand(c, "%s %s", cmd, key);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* On Redis, pruning cleans every structure: the stream, the per-session sets (gone when
 * empty), the time index and the sessions set. */
static void test_redis_structures_pruned(void **state)
{
    sc_persist *p = *state;
    int port = 0, db = 0;
    if (sscanf(contract.url, "redis://127.0.0.1:%d/%d", &port, &db) != 2)
        skip();
    prune_fixture(p);
    redisContext *c = redisConnect("127.0.0.1", port);
    assert_true(c && !c->err);
    char sel[16];
    snprintf(sel, sizeof sel, "%d", db);
    freeReplyObject(redisCommand(c, "SELECT %s", sel));
    assert_int_equal(rd_int(c, "XLEN", "sc:log", NULL), 6 + PRUNE_DUE);
    assert_int_equal(rd_int(c, "EXISTS", "sc:ev:dead", NULL), 1);
    size_t removed = 0;
    assert_int_equal(sc_persist_prune_events(p, PRUNE_CUTOFF, 100, &removed), 0);
    assert_int_equal(removed, PRUNE_DUE);
    assert_int_equal(rd_int(c, "XLEN", "sc:log", NULL), 6);
    assert_int_equal(rd_int(c, "ZCARD", "sc:bytime", NULL), 6);
    assert_int_equal(rd_int(c, "EXISTS", "sc:ev:dead", NULL), 0);
    assert_int_equal(rd_int(c, "EXISTS", "sc:ev:never", NULL), 0);
    assert_int_equal(rd_int(c, "ZCARD", "sc:ev:mixed", NULL), 1);
    assert_int_equal(rd_int(c, "ZCARD", "sc:ev:live", NULL), 3);
    assert_int_equal(rd_int(c, "SISMEMBER", "sc:sessions", "dead"), 0);
    assert_int_equal(rd_int(c, "SISMEMBER", "sc:sessions", "never"), 0);
    assert_int_equal(rd_int(c, "SISMEMBER", "sc:sessions", "mixed"), 1);
    assert_int_equal(rd_int(c, "SISMEMBER", "sc:sessions", "live"), 1);
    assert_int_equal(rd_int(c, "SCARD", "sc:sessions", NULL), 3);
    redisFree(c);
    assert_pruned_state(p);
}

/* On Redis, opening a schema-4 store builds the owner sets (sc:owned:NODE, sc:owners) from
 * the snapshots stored before; the scripts keep them from then on. */
static void test_redis_owner_sets_built_on_upgrade(void **state)
{
    sc_persist *p = *state;
    int port = 0, db = 0;
    if (sscanf(contract.url, "redis://127.0.0.1:%d/%d", &port, &db) != 2)
        skip();
    save_doc(p, "a", "up", "n1");
    save_doc(p, "b", "up", "n2");
    save_doc(p, "c", "up", "n1");
    save_doc(p, "d", "up", NULL);
    redisContext *c = redisConnect("127.0.0.1", port);
    assert_true(c && !c->err);
    char sel[16];
    snprintf(sel, sizeof sel, "%d", db);
    freeReplyObject(redisCommand(c, "SELECT %s", sel));
    assert_int_equal(rd_int(c, "SCARD", "sc:owned:n1", NULL), 2);
    assert_int_equal(rd_int(c, "DEL", "sc:owned:n1", NULL), 1); /* as a schema-4 store has them */
    assert_int_equal(rd_int(c, "DEL", "sc:owned:n2", NULL), 1);
    assert_int_equal(rd_int(c, "DEL", "sc:owned:", NULL), 1);
    assert_int_equal(rd_int(c, "DEL", "sc:owners", NULL), 1);
    assert_int_equal(sc_persist_set_schema_version(p, 4), 0);
    sc_persist *q = NULL;
    assert_int_equal(sc_persist_open(&q, contract.url, NULL, NULL, 0), 0);
    int v = 0;
    assert_int_equal(sc_persist_schema_version(q, &v), 0);
    assert_int_equal(v, SC_PERSIST_SCHEMA_VERSION);
    owner_list o = owners_now(q);
    assert_int_equal(o.n, 2);
    assert_string_equal(o.node[0], "n1");
    assert_int_equal(o.count[0], 2);
    assert_string_equal(o.node[1], "n2");
    assert_int_equal(rd_int(c, "SCARD", "sc:owned:", NULL), 1);
    assert_int_equal(sc_persist_delete_owned(q, "a", "n1"), 0);
    assert_int_equal(sc_persist_owner_move(q, "c", "n1", "n2"), 0);
    assert_int_equal(rd_int(c, "EXISTS", "sc:owned:n1", NULL), 0);
    assert_int_equal(rd_int(c, "SISMEMBER", "sc:owners", "n1"), 0);
    assert_int_equal(rd_int(c, "SCARD", "sc:owned:n2", NULL), 2);
    redisFree(c);
    sc_persist_close(q);
}

int main(int argc, char **argv)
{
    contract_cfg cfg = {0};
    cfg.url = argc > 1 ? argv[1] : getenv("SC_PERSIST_URL");
    if (!cfg.url || !*cfg.url)
        cfg.url = "memory:";
    cfg.down_url = getenv("SC_PERSIST_DOWN_URL");
    cfg.revive_cmd = getenv("SC_PERSIST_REVIVE_CMD");
    char group[300];
    snprintf(group, sizeof group, "persist contract: %.200s", cfg.url);
    int failed = contract_run(group, &cfg);
    const struct CMUnitTest tests[] = {CONTRACT_CASE(test_pg_v3_upgraded), CONTRACT_CASE(test_redis_structures_pruned),
                                       CONTRACT_CASE(test_redis_owner_sets_built_on_upgrade)};
    failed += cmocka_run_group_tests_name("persist contract: schema upgrade, redis structures", tests, NULL, NULL);
    return failed;
}
