/* Tests for persist: the storage contract against "sqlite:" in a temporary directory,
 * including a store that cannot be opened until its directory appears, and strict
 * durability seen from an independent connection. */
#include "unit/persist/persist_contract.h"

#include <ftw.h>

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
        cmocka_unit_test(test_open_reports_unwritable_path),
    };
    failed += cmocka_run_group_tests_name("persist sqlite", tests, NULL, NULL);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return failed;
}
