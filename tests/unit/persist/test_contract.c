/* Tests for persist: the storage contract against any store, named by argv[1] or by
 * SC_PERSIST_URL (memory: if neither); SC_PERSIST_DOWN_URL and SC_PERSIST_REVIVE_CMD enable
 * the backend-down and reconnect cases (the scripts in tests/backends set all three). On
 * PostgreSQL, also a real schema-3 database upgraded to key-value entries. */
#include "unit/persist/persist_contract.h"

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
    const struct CMUnitTest tests[] = {CONTRACT_CASE(test_pg_v3_upgraded)};
    failed += cmocka_run_group_tests_name("persist contract: schema upgrade", tests, NULL, NULL);
    return failed;
}
