/* persist_contract: the storage contract, written once and run by every backend's test
 * program: include this file, fill a contract_cfg and call contract_run(). */
#ifndef SC_TEST_PERSIST_CONTRACT_H
#define SC_TEST_PERSIST_CONTRACT_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "session_core/persist.h"

typedef struct contract_cfg {
    const char *url;        /* the store under test (reachable) */
    const char *down_url;   /* same backend, unreachable now (NULL: skip the down tests) */
    const char *revive_cmd; /* shell command that makes down_url reachable (NULL: skip) */
    unsigned many;          /* sessions in the "many sessions" case */
    unsigned writer_ops;    /* ops in the writer batching case */
} contract_cfg;

static contract_cfg contract; /* the one configuration of this test program */

static int contract_setup(void **state)
{
    sc_persist *p = NULL;
    char err[512];
    int rc = sc_persist_open(&p, contract.url, NULL, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "open %s: %s\n", contract.url, err);
    assert_int_equal(rc, 0);
    assert_int_equal(sc_persist_wipe(p), 0);
    *state = p;
    return 0;
}

static int contract_teardown(void **state)
{
    sc_persist_close(*state);
    return 0;
}

static json_t *doc(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_t *j = json_loads(buf, 0, NULL);
    assert_non_null(j);
    return j;
}

static void save_doc(sc_persist *p, const char *id, const char *state, const char *node)
{
    json_t *j = doc("{\"id\": \"%s\", \"state\": \"%s\"}", id, state);
    assert_int_equal(sc_persist_save(p, id, j, node, "tbl-1"), 0);
    json_decref(j);
}

static void append_doc(sc_persist *p, const char *id, uint64_t seq, int64_t wall, uint64_t *gseq)
{
    json_t *j = doc("{\"session\": \"%s\", \"n\": %llu}", id, (unsigned long long)seq);
    assert_int_equal(sc_persist_append_event(p, id, seq, wall, j, gseq), 0);
    json_decref(j);
}

static const char *state_of(const json_t *j) { return json_string_value(json_object_get(j, "state")); }

static void test_bad_urls(void **state)
{
    (void)state;
    static const char *const bad[] = {"bogus:x",           "",
                                      "sqlite:",           "redis://",
                                      "redis://h:99999/0", "redis://h:1/x",
                                      "memory:extra",      "postgresql://[bad"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sc_persist *p = NULL;
        char err[256] = "untouched";
        int rc = sc_persist_open(&p, bad[i], NULL, err, sizeof err);
        if (rc != -EINVAL)
            fprintf(stderr, "URL '%s' gave %d (%s)\n", bad[i], rc, err);
        assert_int_equal(rc, -EINVAL);
        assert_null(p);
        assert_true(strlen(err) > 5 && strcmp(err, "untouched") != 0);
    }
}

static void test_save_load_overwrite_delete(void **state)
{
    sc_persist *p = *state;
    json_t *got = NULL;
    sc_persist_snapshot_info info;
    assert_int_equal(sc_persist_load(p, "a", &got, &info), -ENOENT);
    save_doc(p, "a", "ringing", "node-1");
    assert_int_equal(sc_persist_load(p, "a", &got, &info), 0);
    assert_string_equal(state_of(got), "ringing");
    assert_string_equal(info.node_id, "node-1");
    assert_string_equal(info.table_hash, "tbl-1");
    assert_true(info.updated_us > 0);
    json_decref(got);
    save_doc(p, "a", "established", "node-1");
    assert_int_equal(sc_persist_load(p, "a", &got, &info), 0);
    assert_string_equal(state_of(got), "established");
    assert_string_equal(info.node_id, "node-1");
    json_decref(got);
    save_doc(p, "a", "bare", NULL); /* a save without a node replaces (owner_contract.h: fencing) */
    assert_int_equal(sc_persist_load(p, "a", &got, &info), 0);
    assert_string_equal(state_of(got), "bare");
    assert_string_equal(info.node_id, "");
    json_decref(got);
    assert_int_equal(sc_persist_delete(p, "a"), 0);
    assert_int_equal(sc_persist_load(p, "a", &got, NULL), -ENOENT);
    assert_int_equal(sc_persist_delete(p, "a"), -ENOENT);
}

typedef struct listed {
    char ids[16][32];
    bool has_data[16];
    size_t n;
} listed;

static int collect_ids(const char *id, const json_t *snapshot, void *ud)
{
    listed *l = ud;
    assert_true(l->n < 16);
    snprintf(l->ids[l->n], sizeof l->ids[0], "%s", id);
    l->has_data[l->n] = snapshot != NULL;
    if (snapshot)
        assert_string_equal(json_string_value(json_object_get(snapshot, "id")), id);
    l->n++;
    return 0;
}

static void test_list_live_and_all(void **state)
{
    sc_persist *p = *state;
    save_doc(p, "b", "x", NULL);
    save_doc(p, "a", "x", NULL);
    save_doc(p, "c", "x", NULL);
    append_doc(p, "b", 1, 1000, NULL);
    append_doc(p, "d", 1, 1000, NULL);
    assert_int_equal(sc_persist_delete(p, "c"), 0);
    listed l = {0};
    assert_int_equal(sc_persist_list(p, SC_PERSIST_LIST_LIVE, true, collect_ids, &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.ids[0], "a");
    assert_string_equal(l.ids[1], "b");
    assert_true(l.has_data[0] && l.has_data[1]);
    memset(&l, 0, sizeof l);
    assert_int_equal(sc_persist_list(p, SC_PERSIST_LIST_ALL, true, collect_ids, &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.ids[2], "d");
    assert_false(l.has_data[2]);
    memset(&l, 0, sizeof l);
    assert_int_equal(sc_persist_list(p, SC_PERSIST_LIST_ALL, false, collect_ids, &l), 0);
    assert_int_equal(l.n, 3);
    assert_false(l.has_data[0]);
}

typedef struct seen_events {
    char id[16][32];
    uint64_t seq[16];
    int64_t wall[16];
    uint64_t gseq[16];
    long long n_field[16];
    size_t n;
    size_t stop_after; /* 0: never */
} seen_events;

static int collect_events(const sc_persist_event *ev, void *ud)
{
    seen_events *s = ud;
    assert_true(s->n < 16);
    snprintf(s->id[s->n], sizeof s->id[0], "%s", ev->session_id);
    s->seq[s->n] = ev->seq;
    s->wall[s->n] = ev->wall_us;
    s->gseq[s->n] = ev->gseq;
    s->n_field[s->n] = json_integer_value(json_object_get(ev->record, "n"));
    assert_string_equal(json_string_value(json_object_get(ev->record, "session")), ev->session_id);
    s->n++;
    return s->stop_after && s->n == s->stop_after ? 42 : 0;
}

static void test_append_read_from_seq(void **state)
{
    sc_persist *p = *state;
    uint64_t g1 = 0, g2 = 0;
    for (uint64_t i = 1; i <= 5; i++) {
        append_doc(p, "s1", i, 1000 + (int64_t)i, &g1);
        if (i <= 3)
            append_doc(p, "s2", i, 2000 + (int64_t)i, &g2);
        assert_true(g1 > 0);
    }
    assert_true(g1 > g2);
    seen_events s = {0};
    assert_int_equal(sc_persist_read_events(p, "s1", 3, collect_events, &s), 0);
    assert_int_equal(s.n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(s.seq[i], 3 + i);
        assert_int_equal(s.n_field[i], 3 + (long long)i);
        assert_int_equal(s.wall[i], 1003 + (int64_t)i);
        if (i)
            assert_true(s.gseq[i] > s.gseq[i - 1]);
    }
    memset(&s, 0, sizeof s);
    assert_int_equal(sc_persist_read_events(p, "s2", 0, collect_events, &s), 0);
    assert_int_equal(s.n, 3);
    memset(&s, 0, sizeof s);
    assert_int_equal(sc_persist_read_events(p, "nobody", 0, collect_events, &s), 0);
    assert_int_equal(s.n, 0);
    s.stop_after = 2;
    assert_int_equal(sc_persist_read_events(p, "s1", 0, collect_events, &s), 42);
    assert_int_equal(s.n, 2);
}

static void test_idempotent_append(void **state)
{
    sc_persist *p = *state;
    uint64_t g = 0;
    append_doc(p, "s", 1, 100, &g);
    assert_true(g > 0);
    json_t *other = doc("{\"session\": \"s\", \"n\": 99}");
    uint64_t g2 = 7;
    assert_int_equal(sc_persist_append_event(p, "s", 1, 555, other, &g2), 1);
    assert_int_equal(g2, 0);
    json_decref(other);
    seen_events s = {0};
    assert_int_equal(sc_persist_read_events(p, "s", 0, collect_events, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.n_field[0], 1);
    assert_int_equal(s.wall[0], 100);
    assert_int_equal(s.gseq[0], g);
}

static void test_range_read_in_time_order(void **state)
{
    sc_persist *p = *state;
    /* appended out of time order, across sessions; two events share a time */
    append_doc(p, "x", 1, 5000, NULL);
    append_doc(p, "y", 1, 1000, NULL);
    append_doc(p, "x", 2, 3000, NULL);
    append_doc(p, "y", 2, 3000, NULL);
    append_doc(p, "z", 1, 9000, NULL);
    seen_events s = {0};
    assert_int_equal(sc_persist_read_events_range(p, 1000, 9000, collect_events, &s), 0);
    assert_int_equal(s.n, 4); /* until is exclusive */
    assert_int_equal(s.wall[0], 1000);
    assert_int_equal(s.wall[1], 3000);
    assert_string_equal(s.id[1], "x"); /* tie broken by gseq */
    assert_int_equal(s.wall[2], 3000);
    assert_string_equal(s.id[2], "y");
    assert_int_equal(s.wall[3], 5000);
    memset(&s, 0, sizeof s);
    assert_int_equal(sc_persist_read_events_range(p, 9001, 20000, collect_events, &s), 0);
    assert_int_equal(s.n, 0);
}

static void test_global_sequence(void **state)
{
    sc_persist *p = *state;
    uint64_t g[10];
    static const char *const ids[] = {"a", "b", "c"};
    for (int i = 0; i < 10; i++)
        append_doc(p, ids[i % 3], (uint64_t)(i / 3 + 1), 100 + i, &g[i]);
    for (int i = 1; i < 10; i++)
        assert_true(g[i] > g[i - 1]);
    seen_events s = {0};
    assert_int_equal(sc_persist_read_events_after(p, 0, 0, collect_events, &s), 0);
    assert_int_equal(s.n, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(s.gseq[i], g[i]);
    memset(&s, 0, sizeof s);
    assert_int_equal(sc_persist_read_events_after(p, g[4], 3, collect_events, &s), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.gseq[0], g[5]);
    assert_int_equal(s.gseq[2], g[7]);
    memset(&s, 0, sizeof s);
    assert_int_equal(sc_persist_read_events_after(p, g[9], 0, collect_events, &s), 0);
    assert_int_equal(s.n, 0);
}

static void test_schema_version_newer_is_refused(void **state)
{
    sc_persist *p = *state;
    int v = 0;
    assert_int_equal(sc_persist_schema_version(p, &v), 0);
    assert_int_equal(v, SC_PERSIST_SCHEMA_VERSION);
    assert_int_equal(sc_persist_set_schema_version(p, SC_PERSIST_SCHEMA_VERSION + 1), 0);
    sc_persist *q = NULL;
    char err[512] = "";
    int rc = sc_persist_open_same(&q, p, err, sizeof err);
    assert_int_equal(rc, -EPROTO);
    assert_null(q);
    assert_non_null(strstr(err, "newer"));
    if (strncmp(contract.url, "memory:", 7) != 0) {
        err[0] = '\0';
        assert_int_equal(sc_persist_open(&q, contract.url, NULL, err, sizeof err), -EPROTO);
        char want[64];
        snprintf(want, sizeof want, "schema version %d", SC_PERSIST_SCHEMA_VERSION + 1);
        assert_non_null(strstr(err, want));
    }
    assert_int_equal(sc_persist_wipe(p), 0); /* back to the current version */
    assert_int_equal(sc_persist_open_same(&q, p, err, sizeof err), 0);
    sc_persist_close(q);
}

static int count_cb(const char *id, const json_t *snapshot, void *ud)
{
    (void)id;
    if (snapshot)
        ++*(size_t *)ud;
    return 0;
}

static void test_many_sessions(void **state)
{
    sc_persist *p = *state;
    char id[32];
    for (unsigned i = 0; i < contract.many; i++) {
        snprintf(id, sizeof id, "sess-%05u", i);
        save_doc(p, id, "established", "n1");
    }
    size_t n = 0;
    assert_int_equal(sc_persist_list(p, SC_PERSIST_LIST_LIVE, true, count_cb, &n), 0);
    assert_int_equal(n, contract.many);
    json_t *got = NULL;
    snprintf(id, sizeof id, "sess-%05u", contract.many / 2);
    assert_int_equal(sc_persist_load(p, id, &got, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(got, "id")), id);
    json_decref(got);
}

static void test_ping(void **state)
{
    uint64_t lat = 999999999;
    assert_int_equal(sc_persist_ping(*state, &lat), 0);
    assert_true(lat < 5000000);
}

typedef struct expired_list {
    char id[8][32];
    char node[8][32];
    size_t n;
} expired_list;

static int collect_expired(const char *id, const char *node, int64_t until_us, void *ud)
{
    expired_list *l = ud;
    assert_true(l->n < 8);
    assert_true(until_us > 0);
    snprintf(l->id[l->n], sizeof l->id[0], "%s", id);
    snprintf(l->node[l->n], sizeof l->node[0], "%s", node);
    l->n++;
    return 0;
}

static void test_leases_claim_renew_takeover(void **state)
{
    (void)state;
    sc_manual_clock *clk = NULL;
    assert_int_equal(sc_manual_clock_new(&clk, 0, 1700000000000000LL), 0);
    sc_persist_config pc = {.clock = sc_manual_clock_get(clk)};
    sc_persist *h = NULL;
    assert_int_equal(sc_persist_open(&h, contract.url, &pc, NULL, 0), 0);
    assert_int_equal(sc_persist_wipe(h), 0);
    assert_int_equal(sc_persist_claim(h, "s1", "A", 1000), 0);
    assert_int_equal(sc_persist_claim(h, "s1", "B", 1000), -EBUSY);
    assert_int_equal(sc_persist_renew(h, "s1", "B", 1000), -EBUSY);
    assert_int_equal(sc_persist_renew(h, "s1", "A", 1000), 0);
    expired_list l = {0};
    assert_int_equal(sc_persist_list_expired(h, collect_expired, &l), 0);
    assert_int_equal(l.n, 0);
    sc_manual_clock_advance(clk, 1500000); /* A stops renewing: its lease runs out */
    assert_int_equal(sc_persist_claim(h, "s2", "A", 500), 0);
    assert_int_equal(sc_persist_list_expired(h, collect_expired, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.id[0], "s1");
    assert_string_equal(l.node[0], "A");
    assert_int_equal(sc_persist_renew(h, "s1", "B", 1000), -EBUSY); /* renew is not takeover */
    assert_int_equal(sc_persist_claim(h, "s1", "B", 1000), 0);      /* takeover */
    assert_int_equal(sc_persist_renew(h, "s1", "A", 1000), -EBUSY);
    assert_int_equal(sc_persist_release(h, "s1", "A"), -ENOENT);
    memset(&l, 0, sizeof l);
    sc_manual_clock_advance(clk, 2000000);
    assert_int_equal(sc_persist_list_expired(h, collect_expired, &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.id[0], "s1");
    assert_string_equal(l.node[0], "B");
    assert_string_equal(l.id[1], "s2");
    assert_int_equal(sc_persist_renew(h, "s1", "B", 1000), 0); /* expired but not taken: B keeps it */
    assert_int_equal(sc_persist_release(h, "s1", "B"), 0);
    assert_int_equal(sc_persist_claim(h, "s1", "C", 1000), 0);
    listed ids = {0};
    assert_int_equal(sc_persist_list(h, SC_PERSIST_LIST_ALL, false, collect_ids, &ids), 0);
    assert_int_equal(ids.n, 0); /* a lease alone is not a session */
    sc_persist_close(h);
    sc_manual_clock_free(clk);
}

/* ---- writer ---- */

typedef struct turn {
    int calls;
    int status;
} turn;

static void turn_done(int status, void *ud)
{
    turn *t = ud;
    t->calls++;
    t->status = status;
}

static void run_until(uv_loop_t *loop, const turn *t)
{
    while (t->calls == 0)
        uv_run(loop, UV_RUN_ONCE);
}

static void writer_close(sc_persist_writer *w, uv_loop_t *loop)
{
    sc_persist_writer_free(w);
    uv_run(loop, UV_RUN_DEFAULT); /* lets the async handle close */
    assert_int_equal(uv_loop_close(loop), 0);
}

static int count_events(const sc_persist_event *ev, void *ud)
{
    (void)ev;
    ++*(size_t *)ud;
    return 0;
}

static void test_writer_batches_and_commit_turn(void **state)
{
    sc_persist *p = *state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {.queue_cap = contract.writer_ops, .batch_max = 1000, .loop = &loop};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    uint64_t ticket = 0;
    char id[32];
    for (unsigned i = 0; i < contract.writer_ops; i++) {
        snprintf(id, sizeof id, "w-%03u", i % 100);
        if (i % 10 == 0) {
            json_t *j = doc("{\"id\": \"%s\", \"state\": \"s%u\"}", id, i);
            assert_int_equal(sc_persist_writer_save(w, id, j, "n1", "t1", &ticket), 0);
            json_decref(j);
        } else {
            json_t *j = doc("{\"session\": \"%s\", \"n\": %u}", id, i);
            assert_int_equal(sc_persist_writer_append(w, id, i, 1000 + i, j, &ticket), 0);
            json_decref(j);
        }
    }
    assert_int_equal(ticket, contract.writer_ops);
    turn t = {0, 1};
    assert_int_equal(sc_persist_writer_commit_turn(w, turn_done, &t), 0);
    run_until(&loop, &t);
    assert_int_equal(t.status, 0);
    sc_persist_health h;
    sc_persist_writer_health(w, &h);
    assert_true(h.connected);
    assert_int_equal(h.committed_ops, contract.writer_ops);
    assert_int_equal(h.durable_ticket, ticket);
    assert_int_equal(h.queue_depth, 0);
    assert_true(h.committed_batches >= contract.writer_ops / 1000);
    assert_true(h.committed_batches <= h.committed_ops); /* grouping depends on timing here; the
                                                           reconnect case checks it exactly */
    /* A second connection sees everything. */
    sc_persist *q = NULL;
    assert_int_equal(sc_persist_open_same(&q, p, NULL, 0), 0);
    size_t n = 0;
    assert_int_equal(sc_persist_read_events_after(q, 0, 0, count_events, &n), 0);
    assert_int_equal(n, contract.writer_ops - contract.writer_ops / 10);
    n = 0;
    assert_int_equal(sc_persist_list(q, SC_PERSIST_LIST_LIVE, true, count_cb, &n), 0);
    assert_int_equal(n, 10); /* saves went to w-000, w-010, ..., w-090 */
    json_t *got = NULL;
    assert_int_equal(sc_persist_load(q, "w-000", &got, NULL), 0);
    char want[32];
    snprintf(want, sizeof want, "s%u", contract.writer_ops - 100);
    assert_string_equal(state_of(got), want); /* the last save wins */
    json_decref(got);
    sc_persist_close(q);
    /* A delete through the writer, then a turn with nothing new completes at once. */
    assert_int_equal(sc_persist_load(p, "w-010", &got, NULL), 0);
    json_decref(got);
    assert_int_equal(sc_persist_writer_delete(w, "w-010", &ticket), 0);
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 10000), 0);
    assert_int_equal(sc_persist_load(p, "w-010", &got, NULL), -ENOENT);
    turn t2 = {0, 1};
    assert_int_equal(sc_persist_writer_commit_turn(w, turn_done, &t2), 0);
    run_until(&loop, &t2);
    assert_int_equal(t2.status, 0);
    writer_close(w, &loop);
}

static void test_writer_batched_mode_flush(void **state)
{
    sc_persist *p = *state;
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {.durability = SC_PERSIST_BATCHED, .batch_interval_ms = 20};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    uint64_t ticket = 0;
    for (unsigned i = 1; i <= 50; i++) {
        json_t *j = doc("{\"session\": \"bm\", \"n\": %u}", i);
        assert_int_equal(sc_persist_writer_append(w, "bm", i, i, j, &ticket), 0);
        json_decref(j);
    }
    /* A retried append (same seq) is harmless. */
    json_t *j = doc("{\"session\": \"bm\", \"n\": 1}");
    assert_int_equal(sc_persist_writer_append(w, "bm", 1, 1, j, &ticket), 0);
    json_decref(j);
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 10000), 0);
    size_t n = 0;
    assert_int_equal(sc_persist_read_events(p, "bm", 0, count_events, &n), 0);
    assert_int_equal(n, 50);
    assert_int_equal(sc_persist_writer_commit_turn(w, turn_done, NULL), -EINVAL); /* no loop */
    sc_persist_writer_free(w);
}

static void test_writer_none_mode_stores_nothing(void **state)
{
    sc_persist *p = *state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {.durability = SC_PERSIST_NONE, .loop = &loop};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    json_t *j = doc("{\"id\": \"n\", \"state\": \"x\"}");
    uint64_t ticket = 0;
    assert_int_equal(sc_persist_writer_save(w, "n", j, NULL, NULL, &ticket), 0);
    json_decref(j);
    assert_int_equal(ticket, 1);
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 0), 0);
    turn t = {0, 1};
    assert_int_equal(sc_persist_writer_commit_turn(w, turn_done, &t), 0);
    run_until(&loop, &t);
    assert_int_equal(t.status, 0);
    json_t *got = NULL;
    assert_int_equal(sc_persist_load(p, "n", &got, NULL), -ENOENT);
    writer_close(w, &loop);
}

static void test_writer_rejects_bad_ops(void **state)
{
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {.queue_cap = 4};
    assert_int_equal(sc_persist_writer_new(&w, *state, &cfg), 0);
    sc_persist_op op = {.kind = SC_PERSIST_OP_SAVE, .session_id = "x"};
    assert_int_equal(sc_persist_writer_submit(w, &op, NULL), -EINVAL); /* no document */
    op.session_id = "";
    op.kind = SC_PERSIST_OP_DELETE;
    assert_int_equal(sc_persist_writer_submit(w, &op, NULL), -EINVAL);
    sc_persist_writer_free(w);
    sc_persist_writer_free(NULL);
}

static void test_table_texts(void **state)
{
    sc_persist *p = *state;
    char *text = NULL;
    assert_int_equal(sc_persist_load_table(p, "h1", &text), -ENOENT);
    assert_null(text);
    assert_int_equal(sc_persist_save_table(p, "h1", "roles: [uac]\n# v1 \"q\"\n"), 0);
    assert_int_equal(sc_persist_save_table(p, "h1", "ignored: a stored version never changes"), 0);
    assert_int_equal(sc_persist_save_table(p, NULL, "x"), -EINVAL);
    assert_int_equal(sc_persist_load_table(p, "h1", &text), 0);
    assert_string_equal(text, "roles: [uac]\n# v1 \"q\"\n");
    free(text);
    /* through the writer, in one batch with session ops */
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {0};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    sc_persist_text_op t = {.kind = SC_PERSIST_OP_TABLE, .session_id = "h2", .text = "v2 text", .text_len = 7};
    uint64_t ticket = 0;
    assert_int_equal(sc_persist_writer_submit_text(w, &t, &ticket), 0);
    sc_persist_text_op sv = {
        .kind = SC_PERSIST_OP_SAVE, .session_id = "h2", .text = "{\"a\":1}", .text_len = 7, .table_hash = "h2"};
    assert_int_equal(sc_persist_writer_submit_text(w, &sv, &ticket), 0);
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 10000), 0);
    sc_persist_writer_free(w);
    assert_int_equal(sc_persist_load_table(p, "h2", &text), 0);
    assert_string_equal(text, "v2 text");
    free(text);
    json_t *j = NULL;
    assert_int_equal(sc_persist_load(p, "h2", &j, NULL), 0); /* a session id equal to a hash */
    json_decref(j);
    assert_int_equal(sc_persist_wipe(p), 0);
    assert_int_equal(sc_persist_load_table(p, "h1", &text), -ENOENT);
}

/* Text ops; a snapshot saved then replaced or deleted within one batch ends as the last op says. */
static void test_writer_text_ops_coalesce(void **state)
{
    sc_persist *p = *state;
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {0};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    json_t *empty = json_object();
    assert_int_equal(sc_persist_save(p, "gone", empty, NULL, NULL), 0);
    json_decref(empty);
    const char *a = "{\"n\":1}", *b = "{\"n\":2}";
    sc_persist_text_op ops[] = {
        {SC_PERSIST_OP_SAVE, "gone", a, 7, "n1", "h", 0, 0, NULL, 0},
        {SC_PERSIST_OP_SAVE, "kept", a, 7, "n1", "h", 0, 0, NULL, 0},
        {SC_PERSIST_OP_APPEND, "kept", a, 7, NULL, NULL, 1, 10, NULL, 0},
        {SC_PERSIST_OP_DELETE, "gone", NULL, 0, NULL, NULL, 0, 0, NULL, 0},
        {SC_PERSIST_OP_SAVE, "kept", b, 7, "n1", "h", 0, 0, NULL, 0},
    };
    uint64_t ticket = 0;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        assert_int_equal(sc_persist_writer_submit_text(w, &ops[i], &ticket), 0);
    sc_persist_text_op bad = {SC_PERSIST_OP_APPEND, "kept", "", 0, NULL, NULL, 2, 10, NULL, 0};
    assert_int_equal(sc_persist_writer_submit_text(w, &bad, NULL), -EINVAL);
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 10000), 0);
    sc_persist_writer_free(w);
    json_t *j = NULL;
    assert_int_equal(sc_persist_load(p, "gone", &j, NULL), -ENOENT);
    assert_int_equal(sc_persist_load(p, "kept", &j, NULL), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "n")), 2);
    json_decref(j);
}

static sc_persist *open_down(void)
{
    sc_persist *p = NULL;
    sc_persist_config pc = {.lazy_connect = true, .connect_timeout_ms = 500};
    char err[256];
    assert_int_equal(sc_persist_open(&p, contract.down_url, &pc, err, sizeof err), 0);
    return p;
}

static void submit_n(sc_persist_writer *w, const char *id, unsigned n, uint64_t *ticket)
{
    for (unsigned i = 1; i <= n; i++) {
        json_t *j = doc("{\"session\": \"%s\", \"n\": %u}", id, i);
        assert_int_equal(sc_persist_writer_append(w, id, i, i, j, ticket), 0);
        json_decref(j);
    }
}

static void test_writer_backend_down(void **state)
{
    (void)state;
    if (!contract.down_url)
        skip();
    sc_persist *p = open_down();
    uint64_t lat = 0;
    assert_true(sc_persist_ping(p, &lat) < 0); /* really down */
    assert_true(strlen(sc_persist_last_error(p)) > 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {.queue_cap = 100, .retry_initial_ms = 100, .retry_max_ms = 400, .loop = &loop};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    sc_persist_close(p); /* the writer does not need it */
    uint64_t ticket = 0;
    submit_n(w, "down", 100, &ticket);
    json_t *j = doc("{\"session\": \"down\", \"n\": 101}");
    assert_int_equal(sc_persist_writer_append(w, "down", 101, 101, j, NULL), -EAGAIN);
    json_decref(j);
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 300), -ETIMEDOUT);
    sc_persist_health h;
    sc_persist_writer_health(w, &h);
    assert_false(h.connected);
    assert_true(h.last_error < 0);
    assert_true(strlen(h.last_error_msg) > 0);
    assert_int_equal(h.queue_depth, 100);
    assert_int_equal(h.rejected_ops, 1);
    assert_int_equal(h.durable_ticket, 0);
    turn t = {0, 1};
    assert_int_equal(sc_persist_writer_commit_turn(w, turn_done, &t), 0);
    writer_close(w, &loop); /* no crash, no leak; the pending turn is cancelled */
    assert_int_equal(t.calls, 1);
    assert_int_equal(t.status, -ECANCELED);
}

static void test_writer_reconnects_when_backend_returns(void **state)
{
    (void)state;
    if (!contract.down_url || !contract.revive_cmd)
        skip();
    sc_persist *p = open_down();
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {.queue_cap = 1000, .retry_initial_ms = 100, .retry_max_ms = 500};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    uint64_t ticket = 0;
    submit_n(w, "back", 50, &ticket);
    usleep(200000);
    sc_persist_health h;
    sc_persist_writer_health(w, &h);
    assert_false(h.connected);
    assert_int_equal(h.queue_depth, 50);
    assert_int_equal(system(contract.revive_cmd), 0);
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 20000), 0);
    sc_persist_writer_health(w, &h);
    assert_true(h.connected);
    assert_int_equal(h.last_error, 0);
    assert_int_equal(h.queue_depth, 0);
    assert_int_equal(h.committed_batches, 1); /* all 50 queued ops went in one transaction */
    size_t n = 0;
    assert_int_equal(sc_persist_read_events(p, "back", 0, count_events, &n), 0); /* p reconnects too */
    assert_int_equal(n, 50);
    sc_persist_writer_free(w);
    sc_persist_close(p);
}

#define CONTRACT_CASE(f) cmocka_unit_test_setup_teardown(f, contract_setup, contract_teardown)

#include "unit/persist/kv_contract.h"
#include "unit/persist/prune_contract.h"
#include "unit/persist/owner_contract.h"

/* Runs every case against cfg->url; returns the number of failures. */
static int contract_run(const char *group, const contract_cfg *cfg)
{
    contract = *cfg;
    if (!contract.many)
        contract.many = 1000;
    if (!contract.writer_ops)
        contract.writer_ops = 10000;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_urls),
        CONTRACT_CASE(test_save_load_overwrite_delete),
        CONTRACT_CASE(test_list_live_and_all),
        CONTRACT_CASE(test_append_read_from_seq),
        CONTRACT_CASE(test_idempotent_append),
        CONTRACT_CASE(test_range_read_in_time_order),
        CONTRACT_CASE(test_global_sequence),
        CONTRACT_CASE(test_schema_version_newer_is_refused),
        CONTRACT_CASE(test_many_sessions),
        CONTRACT_CASE(test_ping),
        CONTRACT_CASE(test_leases_claim_renew_takeover),
        CONTRACT_CASE(test_writer_batches_and_commit_turn),
        CONTRACT_CASE(test_writer_batched_mode_flush),
        CONTRACT_CASE(test_writer_none_mode_stores_nothing),
        CONTRACT_CASE(test_writer_rejects_bad_ops),
        CONTRACT_CASE(test_table_texts),
        CONTRACT_CASE(test_writer_text_ops_coalesce),
        KV_CONTRACT_CASES,
        PRUNE_CONTRACT_CASES,
        OWNER_CONTRACT_CASES,
        cmocka_unit_test(test_writer_backend_down),
        CONTRACT_CASE(test_writer_reconnects_when_backend_returns),
    };
    return _cmocka_run_group_tests(group, tests, sizeof tests / sizeof tests[0], NULL, NULL);
}

#endif
