/* test_store_prune: the persistence feature's event log retention (src/coord/store_prune.c)
 * on a real coordinator and a SQLite store: the old events of sessions no longer in the store
 * are pruned in rounds through the writer (more than one op's worth: the job goes on while
 * the store reports more), recent ones and those of a session that still has a snapshot stay,
 * the metric counts exactly what went; retention 0 starts no job. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session_core/coord.h"
#include "session_core/obs.h"

#define OLD_SESSIONS 150 /* x 4 events = 600 due: three ops of SC_COORD_PRUNE_BATCH */

static char dir[256];

static void fill(const char *url, int64_t now_us)
{
    sc_persist *p = NULL;
    char err[256];
    assert_int_equal(sc_persist_open(&p, url, NULL, err, sizeof err), 0);
    json_t *rec = json_pack("{s:s}", "k", "v");
    char id[32];
    for (int s = 0; s < OLD_SESSIONS; s++) {
        snprintf(id, sizeof id, "old-%03d", s);
        for (uint64_t e = 1; e <= 4; e++)
            assert_int_equal(sc_persist_append_event(p, id, e, now_us - 3600000000LL + s, rec, NULL), 0);
    }
    /* recent events of an ended session; old events of a session still in the store (its
     * snapshot belongs to another node, so recovery leaves it alone) */
    assert_int_equal(sc_persist_append_event(p, "recent", 1, now_us - 1000, rec, NULL), 0);
    assert_int_equal(sc_persist_append_event(p, "kept", 1, now_us - 3600000000LL, rec, NULL), 0);
    assert_int_equal(sc_persist_save(p, "kept", rec, "other-node", "t"), 0);
    json_decref(rec);
    sc_persist_close(p);
}

static int count_cb(const sc_persist_event *ev, void *ud)
{
    (void)ev;
    ++*(size_t *)ud;
    return 0;
}

static size_t events(const char *url, const char *id)
{
    sc_persist *p = NULL;
    assert_int_equal(sc_persist_open(&p, url, NULL, NULL, 0), 0);
    size_t n = 0;
    if (id)
        assert_int_equal(sc_persist_read_events(p, id, 0, count_cb, &n), 0);
    else
        assert_int_equal(sc_persist_read_events_after(p, 0, 0, count_cb, &n), 0);
    sc_persist_close(p);
    return n;
}

/* The value of sessioncore_store_events_pruned_total ("" if it is not registered). */
static void pruned_metric(sc_coord *coord, char *out, size_t size)
{
    char *text = NULL;
    out[0] = '\0';
    assert_int_equal(sc_obs_render(sc_coord_metrics(coord), SC_OBS_PROMETHEUS, &text, NULL), 0);
    const char *line = strstr(text, "\nsessioncore_store_events_pruned_total ");
    if (line)
        sscanf(line + 1, "sessioncore_store_events_pruned_total %31s", out);
    free(text);
}

static void on_tick(uv_timer_t *t) { (void)t; }

static void run_for(uv_loop_t *loop, uint64_t ms, bool (*done)(void *), void *ud)
{
    uv_timer_t tick;
    uv_timer_init(loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    uint64_t end = uv_now(loop) + ms;
    while (uv_now(loop) < end && !(done && done(ud)))
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

typedef struct ctx {
    const char *url;
    size_t want;
} ctx;

static bool left_is(void *ud)
{
    ctx *c = ud;
    return events(c->url, NULL) == c->want;
}

static sc_coord *start_coord(uv_loop_t *loop, sc_vocab **vocab, sc_table **table, const char *url,
                             uint64_t retention_ms)
{
    assert_int_equal(sc_vocab_new(vocab), 0);
    assert_int_equal(sc_table_load_file(table, SC_SOURCE_DIR "/tables/default.yaml", *vocab, NULL), 0);
    sc_coord_config c;
    sc_coord_config_default(&c);
    c.loop = loop;
    c.table = *table;
    c.listen[0] = "udp:127.0.0.1:0";
    c.nlisten = 1;
    sc_coord *coord = NULL;
    assert_int_equal(sc_coord_new(&coord, &c), 0);
    sc_coord_store_config sc = {
        .url = url, .node_id = "prune-test", .event_log_retention_ms = retention_ms, .prune_interval_ms = 50};
    char err[256] = "";
    assert_int_equal(sc_coord_store_open(coord, &sc, NULL, err, sizeof err), 0);
    return coord;
}

static void stop_coord(uv_loop_t *loop, sc_coord *coord, sc_vocab *vocab, sc_table *table)
{
    sc_coord_free(coord);
    sc_table_unref(table);
    sc_vocab_free(vocab);
    uv_run(loop, UV_RUN_DEFAULT);
}

static void test_prunes_old_events_of_gone_sessions(void **state)
{
    (void)state;
    char url[300];
    snprintf(url, sizeof url, "sqlite:%s/prune.db", dir);
    uv_loop_t loop;
    uv_loop_init(&loop);
    fill(url, sc_clock_wall_us(sc_clock_system()));
    size_t total = (size_t)OLD_SESSIONS * 4 + 2;
    assert_int_equal(events(url, NULL), total);
    sc_vocab *vocab = NULL;
    sc_table *table = NULL;
    sc_coord *coord = start_coord(&loop, &vocab, &table, url, 60000);
    char v[32];
    pruned_metric(coord, v, sizeof v);
    assert_string_equal(v, "0");
    ctx c = {url, 2};
    run_for(&loop, 10000, left_is, &c);
    assert_int_equal(events(url, NULL), 2);
    assert_int_equal(events(url, "recent"), 1);
    assert_int_equal(events(url, "kept"), 1);
    run_for(&loop, 200, NULL, NULL); /* the last op's callback */
    pruned_metric(coord, v, sizeof v);
    char want[32];
    snprintf(want, sizeof want, "%d", OLD_SESSIONS * 4);
    assert_string_equal(v, want);
    stop_coord(&loop, coord, vocab, table);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_retention_zero_keeps_everything(void **state)
{
    (void)state;
    char url[300];
    snprintf(url, sizeof url, "sqlite:%s/keep.db", dir);
    uv_loop_t loop;
    uv_loop_init(&loop);
    fill(url, sc_clock_wall_us(sc_clock_system()));
    sc_vocab *vocab = NULL;
    sc_table *table = NULL;
    sc_coord *coord = start_coord(&loop, &vocab, &table, url, 0);
    run_for(&loop, 300, NULL, NULL);
    assert_int_equal(events(url, NULL), (size_t)OLD_SESSIONS * 4 + 2);
    char v[32];
    pruned_metric(coord, v, sizeof v);
    assert_string_equal(v, ""); /* no job, no metric */
    stop_coord(&loop, coord, vocab, table);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/sc-prune-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prunes_old_events_of_gone_sessions),
        cmocka_unit_test(test_retention_zero_keeps_everything),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        failed++;
    return failed;
}
