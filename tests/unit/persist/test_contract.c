/* Tests for persist: the storage contract against any store, named by argv[1] or by
 * SC_PERSIST_URL (memory: if neither); SC_PERSIST_DOWN_URL and SC_PERSIST_REVIVE_CMD enable
 * the backend-down and reconnect cases (the scripts in tests/backends set all three). On
 * PostgreSQL, also a real schema-3 database upgraded to key-value entries; on Redis, every
 * structure that pruning the event log cleans. */
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

/* A schema-3 PostgreSQL database (no sc_kv) is upgraded on open; its sessions stay. */
static void test_pg_v3_upgraded(void **state)
{
    sc_persist *p = *state;
    if (strncmp(contract.url, "postgres", 8) != 0)
        skip();
    save_doc(p, "old-call", "up", "n1");
    pg_exec(contract.url, "DROP TABLE sc_kv; UPDATE sc_meta SET value = '3' WHERE key = 'schema_version'");
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
    const struct CMUnitTest tests[] = {CONTRACT_CASE(test_pg_v3_upgraded), CONTRACT_CASE(test_redis_structures_pruned)};
    failed += cmocka_run_group_tests_name("persist contract: schema upgrade, redis structures", tests, NULL, NULL);
    return failed;
}
