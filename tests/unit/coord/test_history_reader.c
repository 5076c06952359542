/* test_history_reader: a removed session's history read off the loop (src/coord/history_reader.c)
 * on a real coordinator and a SQLite store: the answers (JSON, CSV) are byte for byte those of
 * the synchronous calls, an unknown session is -ENOENT (from the store for a history, at once
 * for a graph), memory: has nothing to read, and reads freed unanswered or left in the queue at
 * close are freed with the coordinator (the ASan build checks). */
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

#include "coord_fixture.h"
#include "session_core/coord.h"

static char dir[256];

/* The event log of a removed session: n transition records and a non-transition one. */
static void fill(const char *url, const char *id, int n)
{
    sc_persist *p = NULL;
    char err[256];
    assert_int_equal(sc_persist_open(&p, url, NULL, err, sizeof err), 0);
    for (int i = 1; i <= n; i++) {
        json_t *rec = json_pack("{s:s,s:i,s:s,s:i,s:s,s:s,s:i,s:n,s:i,s:[{s:s,s:b,s:b}],s:[{s:s,s:i,s:i}],s:s,s:s}",
                                "kind", "transition", "seq", i, "time", "2026-12-07T10:00:00.000Z", "mono_us", 1000 * i,
                                "from", "Idle", "event", i == n ? "Hangup" : "Step", "event_code", 0, "event_text",
                                "transition", i, "guards", "name", "IsOk", "negate", 0, "passed", 1, "actions", "name",
                                "SendBye", "result", 0, "duration_us", 12, "to", "Busy", "outcome", "taken");
        assert_non_null(rec);
        assert_int_equal(sc_persist_append_event(p, id, (uint64_t)i, 1000, rec, NULL), 0);
        json_decref(rec);
    }
    json_t *other = json_pack("{s:s}", "kind", "fields");
    assert_int_equal(sc_persist_append_event(p, id, (uint64_t)n + 1, 1000, other, NULL), 0);
    json_decref(other);
    sc_persist_close(p);
}

static sc_coord *start_coord(coord_fixture *f, const char *url)
{
    sc_coord_config c;
    coord_fixture_config(&c, &f->loop, f->t);
    sc_coord *coord = NULL;
    assert_int_equal(sc_coord_new(&coord, &c), 0);
    sc_coord_store_config sc = {.url = url, .node_id = "hist-test"};
    char err[256] = "";
    assert_int_equal(sc_coord_store_open(coord, &sc, NULL, err, sizeof err), 0);
    return coord;
}

static int read_text(sc_coord *coord, const char *id, sc_coord_history_as as, char **text, char *msg, size_t msgsz)
{
    sc_coord_history_read *r = NULL;
    int rc = sc_coord_history_read_start(coord, id, as, SC_GRAPH_JSON, &r);
    if (rc)
        return rc;
    return sc_coord_history_read_wait(r, 5000, text, msg, msgsz);
}

static void test_same_answers_as_the_synchronous_calls(void **state)
{
    (void)state;
    char url[300], msg[256];
    snprintf(url, sizeof url, "sqlite:%s/hist.db", dir);
    fill(url, "gone-1", 5);
    coord_fixture f;
    coord_fixture_init(&f);
    sc_coord *coord = start_coord(&f, url);

    json_t *h = NULL;
    assert_int_equal(sc_coord_history(coord, "gone-1", &h), 0);
    assert_int_equal(json_array_size(h), 5);
    char *want = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER), *got = NULL;
    json_decref(h);
    assert_int_equal(read_text(coord, "gone-1", SC_HISTORY_AS_JSON, &got, msg, sizeof msg), 0);
    assert_string_equal(got, want);
    assert_string_equal(msg, "");
    free(got);
    free(want);

    char *csv = NULL;
    assert_int_equal(sc_coord_history_csv(coord, "gone-1", &csv), 0);
    assert_int_equal(read_text(coord, "gone-1", SC_HISTORY_AS_CSV, &got, NULL, 0), 0);
    assert_string_equal(got, csv);
    assert_non_null(strstr(got, "Hangup"));
    free(got);
    free(csv);

    /* unknown: neither memory nor the store knows it */
    assert_int_equal(read_text(coord, "never-was", SC_HISTORY_AS_JSON, &got, msg, sizeof msg), -ENOENT);
    assert_string_equal(msg, "no such session");
    /* a graph needs the session in memory (its table) */
    sc_coord_history_read *r = NULL;
    assert_int_equal(sc_coord_history_read_start(coord, "gone-1", SC_HISTORY_AS_GRAPH, SC_GRAPH_DOT, &r), -ENOENT);
    assert_int_equal(sc_coord_history_read_start(coord, "gone-1", 99, SC_GRAPH_DOT, &r), -EINVAL);
    assert_int_equal(sc_coord_history_read_wait(NULL, 10, &got, NULL, 0), -EINVAL);

    sc_coord_free(coord);
    coord_fixture_done(&f);
}

/* Reads nobody waits for: freed at once, queued at close, or freed after the coordinator
 * closed: all end freed (ASan), none answered twice. */
static void test_reads_freed_unanswered(void **state)
{
    (void)state;
    char url[300];
    snprintf(url, sizeof url, "sqlite:%s/hist2.db", dir);
    fill(url, "gone-2", 3);
    coord_fixture f;
    coord_fixture_init(&f);
    sc_coord *coord = start_coord(&f, url);
    sc_coord_history_read *kept[4] = {0};
    int queued = 0;
    for (int i = 0; i < 40; i++) {
        sc_coord_history_read *r = NULL;
        int rc = sc_coord_history_read_start(coord, "gone-2", SC_HISTORY_AS_CSV, SC_GRAPH_JSON, &r);
        assert_true(rc == 0 || rc == SC_E_OVERLOAD);
        if (rc == 0 && queued < 4)
            kept[queued++] = r;
        else if (rc == 0)
            sc_coord_history_read_free(r); /* abandoned: the reader drops it */
    }
    assert_int_equal(queued, 4);
    char *text = NULL;
    assert_int_equal(sc_coord_history_read_wait(kept[0], 5000, &text, NULL, 0), 0);
    assert_non_null(strstr(text, "seq,time"));
    free(text);
    sc_coord_free(coord); /* the reader ends; what it had queued is answered -ECANCELED */
    for (int i = 1; i < 4; i++) {
        char msg[128];
        int rc = sc_coord_history_read_wait(kept[i], 1000, &text, msg, sizeof msg);
        assert_true(rc == 0 || rc == -ECANCELED);
        if (rc == 0)
            free(text);
    }
    coord_fixture_done(&f);
}

/* memory: no durable store, nothing to read back: an unknown session is -ENOENT at once. */
static void test_memory_store(void **state)
{
    (void)state;
    coord_fixture f;
    coord_fixture_init(&f);
    sc_coord *coord = start_coord(&f, "memory:");
    sc_coord_history_read *r = NULL;
    assert_int_equal(sc_coord_history_read_start(coord, "nope", SC_HISTORY_AS_JSON, SC_GRAPH_JSON, &r), -ENOENT);
    sc_coord_free(coord);
    coord_fixture_done(&f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/hist-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_answers_as_the_synchronous_calls),
        cmocka_unit_test(test_reads_freed_unanswered),
        cmocka_unit_test(test_memory_store),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
