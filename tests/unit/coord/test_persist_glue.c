/* test_persist_glue: the recorder writes event records and snapshots through a real writer to
 * memory: and sqlite: stores; recovery rebuilds every live session exactly, with the events
 * logged after its last snapshot; removed sessions keep their events but lose the snapshot.
 * What a leg keeps of its SDP (sdp_origin, dtmf_pt) survives recovery, and a record written
 * before those fields existed still recovers, with the old fallbacks. A snapshot recorded
 * under an older table version recovers on that version, rebuilt from its text in the store. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "coord/media_keep.h"
#include "session_core/coord.h"

#define NSESS 40
#define NSTEPS 1500

typedef struct env {
    sc_manual_clock *clk;
    sc_vocab *vocab;
    sc_table *table;
    sc_store *store;
    sc_engine *engine;
    uint64_t rng;
} env;

static uint64_t rnd(env *v)
{
    v->rng ^= v->rng << 13;
    v->rng ^= v->rng >> 7;
    v->rng ^= v->rng << 17;
    return v->rng;
}

static bool guard(const sc_exec *x) { return rnd(x->ud) % 3 != 0; }

static int action(const sc_exec *x)
{
    env *v = x->ud;
    uint64_t n = rnd(v);
    char text[SC_COORD_ORIGIN_MAX];
    if (n % 3 == 0)
        sc_session_set_field(x->session, SC_FIELD_REMOTE_RTP, n % 2 ? "127.0.0.1:4000" : "127.0.0.1:4002");
    if (n % 5 == 0) { /* a new o= version, as an offer or answer of ours records it */
        sc_coord__origin_format(text, sizeof text, 1795780800u + n % 7, n % 1000);
        sc_session_set_field(x->session, SC_FIELD_SDP_ORIGIN, text);
    }
    if (n % 7 == 0) {
        sc_coord__dtmf_pt_format(text, sizeof text, n % 2 ? 96 + (int)(n % 32) : -1);
        sc_session_set_field(x->session, SC_FIELD_DTMF_PT, text);
    }
    return 0;
}

/* A store + engine on tables/default.yaml; vocab and table shared with `like` when given. */
static void env_init(env *v, env *like)
{
    memset(v, 0, sizeof *v);
    v->rng = 0x2545F4914F6CDD1Dull;
    if (like) {
        v->clk = NULL;
        v->vocab = like->vocab;
        v->table = sc_table_ref(like->table);
    } else {
        assert_int_equal(sc_manual_clock_new(&v->clk, 1000000, 1795780800000000LL), 0);
        assert_int_equal(sc_vocab_new(&v->vocab), 0);
        assert_int_equal(sc_table_load_file(&v->table, SC_SOURCE_DIR "/tables/default.yaml", v->vocab, NULL), 0);
    }
    sc_store_config sc = {.clock = sc_manual_clock_get(like ? like->clk : v->clk)};
    assert_int_equal(sc_store_new(&v->store, &sc), 0);
    assert_int_equal(sc_engine_new(&v->engine, v->vocab, v->store, NULL), 0);
    for (size_t i = 0; i < sc_vocab_count(v->vocab, SC_VOCAB_GUARD); i++)
        sc_engine_bind_guard(v->engine, sc_vocab_name(v->vocab, SC_VOCAB_GUARD, (sc_id)i), guard, v);
    for (size_t i = 0; i < sc_vocab_count(v->vocab, SC_VOCAB_ACTION); i++)
        sc_engine_bind_action(v->engine, sc_vocab_name(v->vocab, SC_VOCAB_ACTION, (sc_id)i), action, v);
    assert_int_equal(sc_engine_set_table(v->engine, v->table, NULL), 0);
}

static void env_fini(env *v, bool own_vocab)
{
    sc_engine_free(v->engine);
    sc_store_free(v->store);
    sc_table_unref(v->table);
    if (own_vocab) {
        sc_vocab_free(v->vocab);
        sc_manual_clock_free(v->clk);
    }
}

/* Random accepted events over NSESS sessions; ended ones are removed and replaced. */
static void drive(env *v, size_t *removed)
{
    char ids[NSESS][SC_SESSION_ID_MAX + 1];
    for (int i = 0; i < NSESS; i++) {
        sc_session *s;
        assert_int_equal(sc_engine_create_session(v->engine, i % 2 ? SC_ROLE_UAS : SC_ROLE_UAC, NULL, &s), 0);
        snprintf(ids[i], sizeof ids[i], "%s", sc_session_id(s));
    }
    for (int step = 0; step < NSTEPS; step++) {
        int i = (int)(rnd(v) % NSESS);
        sc_session *s = sc_store_get(v->store, ids[i]);
        if (!s || sc_table_state(v->table, sc_session_state(s))->terminal) {
            if (s) {
                sc_engine_remove_session(v->engine, s, "test");
                (*removed)++;
            }
            assert_int_equal(sc_engine_create_session(v->engine, i % 2 ? SC_ROLE_UAS : SC_ROLE_UAC, NULL, &s), 0);
            snprintf(ids[i], sizeof ids[i], "%s", sc_session_id(s));
            continue;
        }
        sc_id acc[128];
        size_t n = sc_table_accepted_events(v->table, sc_session_role(s), sc_session_state(s), acc, 128);
        if (!n)
            continue;
        sc_id type = acc[rnd(v) % n];
        if ((type == SC_EV_HangupCall || type == SC_EV_DialogBYE || type == SC_EV_DialogError) && rnd(v) % 6)
            continue;
        sc_manual_clock_advance(v->clk, 1000 + rnd(v) % 20000);
        sc_engine_dispatch_simple(v->engine, s, type, 0, NULL);
    }
}

static int count_event(const sc_persist_event *ev, void *ud)
{
    (*(size_t *)ud)++;
    assert_string_equal(json_string_value(json_object_get(ev->record, "session_id")), ev->session_id);
    return 0;
}

typedef struct lc {
    sc_persist *p;
    sc_store *store;
    size_t live, all, ended_with_events;
} lc;

/* The list callbacks run under the handle's lock: collect ids, check afterwards. */
static int collect_id(const char *id, const json_t *snap, void *ud)
{
    if (snap)
        assert_string_equal(json_string_value(json_object_get(snap, "node")), "node-a");
    json_array_append_new(ud, json_string(id));
    return 0;
}

static void check_log(lc *l)
{
    json_t *live = json_array(), *all = json_array();
    assert_int_equal(sc_persist_list(l->p, SC_PERSIST_LIST_LIVE, true, collect_id, live), 0);
    assert_int_equal(sc_persist_list(l->p, SC_PERSIST_LIST_ALL, false, collect_id, all), 0);
    size_t i;
    json_t *v;
    json_array_foreach(live, i, v) {
        const char *id = json_string_value(v);
        sc_session *s = sc_store_get(l->store, id);
        assert_non_null(s);
        size_t n = 0;
        assert_int_equal(sc_persist_read_events(l->p, id, 0, count_event, &n), 0);
        assert_int_equal(n, sc_session_history_next_seq(s)); /* seq 0 (created) .. next_seq - 1 */
        l->live++;
    }
    json_array_foreach(all, i, v) {
        const char *id = json_string_value(v);
        l->all++;
        if (sc_store_get(l->store, id))
            continue;
        size_t n = 0;
        json_t *doc = NULL;
        assert_int_equal(sc_persist_load(l->p, id, &doc, NULL), -ENOENT);
        assert_int_equal(sc_persist_read_events(l->p, id, 0, count_event, &n), 0);
        if (n >= 2)
            l->ended_with_events++;
    }
    json_decref(live);
    json_decref(all);
}

typedef struct recov {
    env *orig;
    size_t seen;
} recov;

/* Recovered sessions must equal the live originals, snapshot for snapshot. */
static void on_recovered(sc_session *s, void *ud)
{
    recov *rc = ud;
    sc_session *o = sc_store_get(rc->orig->store, sc_session_id(s));
    assert_non_null(o);
    json_t *a, *b;
    assert_int_equal(sc_session_snapshot_json(o, &a), 0);
    assert_int_equal(sc_session_snapshot_json(s, &b), 0);
    if (!json_equal(a, b)) {
        char *ta = json_dumps(a, JSON_SORT_KEYS), *tb = json_dumps(b, JSON_SORT_KEYS);
        fprintf(stderr, "live %s\nrecovered %s\n", ta, tb);
        free(ta);
        free(tb);
        fail();
    }
    json_decref(a);
    json_decref(b);
    rc->seen++;
}

static void run_backend(const char *url)
{
    char err[256];
    sc_persist *p = NULL;
    int r = sc_persist_open(&p, url, NULL, err, sizeof err);
    if (r)
        fprintf(stderr, "%s: %s\n", url, err);
    assert_int_equal(r, 0);
    sc_persist_writer *w = NULL;
    sc_persist_writer_config wc = {.durability = SC_PERSIST_BATCHED, .batch_interval_ms = 2};
    assert_int_equal(sc_persist_writer_new(&w, p, &wc), 0);
    env v;
    env_init(&v, NULL);
    sc_coord_persist *rec = NULL;
    assert_int_equal(sc_coord_persist_attach(v.engine, w, "node-a", 3, &rec), 0);
    size_t removed = 0;
    drive(&v, &removed);
    assert_true(removed > 10);
    sc_persist_health h;
    sc_persist_writer_health(w, &h);
    assert_int_equal(sc_persist_writer_flush_wait(w, h.submitted_ticket, 20000), 0);
    sc_coord_persist_stats st;
    sc_coord_persist_get_stats(rec, &st);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.deletes, removed);
    assert_true(st.events > NSTEPS / 2);
    assert_true(st.snapshots > NSESS);
    /* the writer's per-kind counts and transaction times (the store metrics' source) */
    sc_persist_writer_health(w, &h);
    uint64_t by_kind = 0;
    for (int k = 0; k < SC_PERSIST_OP_KINDS; k++)
        by_kind += h.ops_ok[k] + h.ops_failed[k];
    assert_int_equal(by_kind, h.committed_ops);
    assert_int_equal(h.ops_ok[SC_PERSIST_OP_TABLE], 1);
    assert_int_equal(h.ops_ok[SC_PERSIST_OP_DELETE], removed);
    assert_true(h.ops_ok[SC_PERSIST_OP_APPEND] > NSTEPS / 2);
    uint64_t timed = 0;
    for (int i = 0; i <= SC_PERSIST_LATENCY_BOUNDS; i++)
        timed += h.commit_latency_counts[i];
    assert_int_equal(timed, h.committed_batches);
    assert_true(h.commit_latency_sum_s > 0);

    /* the log holds every record of every live session: seq 0 .. last; removed sessions
     * keep their events but have no snapshot */
    lc l = {.p = p, .store = v.store};
    check_log(&l);
    assert_int_equal(l.live, sc_store_count(v.store));
    assert_int_equal(l.all, l.live + removed);
    assert_int_equal(l.ended_with_events, removed);

    /* recovery into a fresh engine, applying the events logged after each snapshot */
    env v2;
    env_init(&v2, &v);
    recov rc = {.orig = &v};
    size_t recovered = 0, failed = 0;
    assert_int_equal(sc_coord_persist_recover(v2.engine, p, "node-b", NULL, on_recovered, &rc, &recovered, &failed), 0);
    assert_int_equal(recovered, 0); /* another node's sessions */
    assert_int_equal(sc_coord_persist_recover(v2.engine, p, "node-a", NULL, on_recovered, &rc, &recovered, &failed), 0);
    assert_int_equal(failed, 0);
    assert_int_equal(recovered, sc_store_count(v.store));
    assert_int_equal(rc.seen, recovered);
    assert_int_equal(sc_store_count(v2.store), sc_store_count(v.store));
    /* a second pass finds them all present and skips them */
    assert_int_equal(sc_coord_persist_recover(v2.engine, p, NULL, NULL, NULL, NULL, &recovered, &failed), 0);
    assert_int_equal(recovered, 0);

    env_fini(&v2, false);
    sc_coord_persist_free(rec);
    sc_persist_writer_free(w);
    env_fini(&v, true);
    sc_persist_close(p);
}

/* The text of the kept SDP fields: round trips, and the fallbacks for a missing or bad value. */
static void test_media_keep_text(void **state)
{
    (void)state;
    char buf[SC_COORD_ORIGIN_MAX];
    uint64_t id = 0, ver = 0;
    sc_coord__origin_format(buf, sizeof buf, UINT64_MAX, UINT64_MAX - 1);
    assert_int_equal(sc_coord__origin_parse(buf, &id, &ver), 0);
    assert_true(id == UINT64_MAX && ver == UINT64_MAX - 1);
    sc_coord__origin_format(buf, sizeof buf, 1795780800u, 3);
    assert_string_equal(buf, "1795780800 3");
    assert_int_equal(sc_coord__origin_parse(buf, &id, &ver), 0);
    assert_true(id == 1795780800u && ver == 3);
    assert_int_equal(sc_coord__origin_parse(NULL, &id, &ver), -ENOENT);
    const char *bad[] = {
        "", "12", "12 ", " 12 3", "12  3", "12 3 ", "12 -3", "-1 3", "1x 3", "12 3x", "99999999999999999999 1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(sc_coord__origin_parse(bad[i], &id, &ver), -EINVAL);
    assert_true(id == 1795780800u && ver == 3); /* untouched by the failures */

    char pt[SC_COORD_DTMF_PT_MAX];
    for (int p = 96; p <= 127; p++) {
        sc_coord__dtmf_pt_format(pt, sizeof pt, p);
        assert_int_equal(sc_coord__dtmf_pt_parse(pt, 101), p);
    }
    sc_coord__dtmf_pt_format(pt, sizeof pt, -1);
    assert_string_equal(pt, "none");
    assert_int_equal(sc_coord__dtmf_pt_parse(pt, 101), -1);
    sc_coord__dtmf_pt_format(pt, sizeof pt, 8); /* not a telephone-event pt */
    assert_string_equal(pt, "none");
    assert_int_equal(sc_coord__dtmf_pt_parse(NULL, 101), 101); /* a record from before the field */
    assert_int_equal(sc_coord__dtmf_pt_parse("95", 101), 101);
    assert_int_equal(sc_coord__dtmf_pt_parse("128", 101), 101);
    assert_int_equal(sc_coord__dtmf_pt_parse("96x", 101), 101);
    assert_int_equal(sc_coord__dtmf_pt_parse("", -1), -1);
}

/* A snapshot saved with sdp_origin and dtmf_pt recovers them as they were; one saved without
 * them (an older build's record) recovers too, the fields unset, so that the coord falls back
 * (101; a new origin). */
static void test_old_record_recovers(void **state)
{
    (void)state;
    char err[128];
    sc_persist *p = NULL;
    assert_int_equal(sc_persist_open(&p, "memory:", NULL, err, sizeof err), 0);
    env v;
    env_init(&v, NULL);
    sc_session *s[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sc_engine_create_session(v.engine, SC_ROLE_UAS, NULL, &s[i]), 0);
        sc_session_set_field(s[i], SC_FIELD_REMOTE_RTP, "127.0.0.1:4000");
        sc_session_set_field(s[i], SC_FIELD_CODEC, "PCMA/8000");
        sc_session_set_field(s[i], SC_FIELD_SDP_ORIGIN, "1795780800 2");
        sc_session_set_field(s[i], SC_FIELD_DTMF_PT, "96");
        json_t *snap = NULL;
        assert_int_equal(sc_session_snapshot_json(s[i], &snap), 0);
        if (i == 1) { /* as written before the fields existed */
            json_t *fields = json_object_get(snap, "fields");
            assert_int_equal(json_object_del(fields, "sdp_origin"), 0);
            assert_int_equal(json_object_del(fields, "dtmf_pt"), 0);
        }
        assert_int_equal(sc_persist_save(p, sc_session_id(s[i]), snap, "node-a", sc_table_hash(v.table)), 0);
        json_decref(snap);
    }
    env v2;
    env_init(&v2, &v);
    size_t recovered = 0, failed = 0;
    assert_int_equal(sc_coord_persist_recover(v2.engine, p, "node-a", NULL, NULL, NULL, &recovered, &failed), 0);
    assert_int_equal(recovered, 2);
    assert_int_equal(failed, 0);
    sc_session *now = sc_store_get(v2.store, sc_session_id(s[0]));
    sc_session *old = sc_store_get(v2.store, sc_session_id(s[1]));
    assert_non_null(now);
    assert_non_null(old);
    uint64_t id = 0, ver = 0;
    assert_int_equal(sc_coord__origin_parse(sc_session_field(now, SC_FIELD_SDP_ORIGIN), &id, &ver), 0);
    assert_true(id == 1795780800u && ver == 2);
    assert_int_equal(sc_coord__dtmf_pt_parse(sc_session_field(now, SC_FIELD_DTMF_PT), 101), 96);
    assert_null(sc_session_field(old, SC_FIELD_SDP_ORIGIN));
    assert_null(sc_session_field(old, SC_FIELD_DTMF_PT));
    assert_int_equal(sc_coord__origin_parse(sc_session_field(old, SC_FIELD_SDP_ORIGIN), &id, &ver), -ENOENT);
    assert_int_equal(sc_coord__dtmf_pt_parse(sc_session_field(old, SC_FIELD_DTMF_PT), 101), 101);
    assert_string_equal(sc_session_field(old, SC_FIELD_CODEC), "PCMA/8000");
    assert_string_equal(sc_session_field(old, SC_FIELD_REMOTE_RTP), "127.0.0.1:4000");
    env_fini(&v2, false);
    env_fini(&v, true);
    sc_persist_close(p);
}

/* A session recorded under an older table version (its text stored with sc_persist_save_table)
 * recovers on that version while the engine runs another one: recovery opens a second handle
 * for the table text in the middle of its walk of the snapshots (this deadlocked on memory:). */
static void old_table_recovers(const char *url)
{
    char err[128];
    sc_persist *p = NULL;
    assert_int_equal(sc_persist_open(&p, url, NULL, err, sizeof err), 0);
    env v;
    env_init(&v, NULL);
    size_t len = 0;
    const char *src = sc_table_source(v.table, &len);
    char *old_text = malloc(len + 32);
    assert_non_null(old_text);
    snprintf(old_text, len + 32, "%.*s\n# an older version\n", (int)len, src);
    sc_table *old = NULL;
    assert_int_equal(sc_table_load_buffer(&old, "old.yaml", old_text, strlen(old_text), v.vocab, NULL), 0);
    assert_string_not_equal(sc_table_hash(old), sc_table_hash(v.table));
    sc_session *s = NULL;
    assert_int_equal(sc_engine_restore_session(v.engine, old, SC_ROLE_UAS, "old-1", sc_table_initial_state(old), &s),
                     0);
    json_t *snap = NULL;
    assert_int_equal(sc_session_snapshot_json(s, &snap), 0);
    assert_int_equal(sc_persist_save_table(p, sc_table_hash(old), old_text), 0);
    assert_int_equal(sc_persist_save(p, "old-1", snap, "node-a", sc_table_hash(old)), 0);
    json_decref(snap);
    env v2;
    env_init(&v2, &v);
    size_t recovered = 0, failed = 0;
    assert_int_equal(sc_coord_persist_recover(v2.engine, p, NULL, NULL, NULL, NULL, &recovered, &failed), 0);
    assert_int_equal(recovered, 1);
    assert_int_equal(failed, 0);
    sc_session *back = sc_store_get(v2.store, "old-1");
    assert_non_null(back);
    assert_string_equal(sc_table_hash(sc_session_table(back)), sc_table_hash(old));
    env_fini(&v2, false);
    sc_table_unref(old);
    env_fini(&v, true);
    free(old_text);
    sc_persist_close(p);
}

static void test_old_table_memory(void **state)
{
    (void)state;
    old_table_recovers("memory:");
}

static void test_old_table_sqlite(void **state)
{
    (void)state;
    char path[] = "/tmp/sc_glue_old_XXXXXX", url[64], aux[80];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    snprintf(url, sizeof url, "sqlite:%s", path);
    old_table_recovers(url);
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

static void test_memory(void **state)
{
    (void)state;
    run_backend("memory:");
}

static void test_sqlite(void **state)
{
    (void)state;
    char path[] = "/tmp/sc_glue_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    char url[64];
    snprintf(url, sizeof url, "sqlite:%s", path);
    run_backend(url);
    unlink(path);
    char aux[80];
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_media_keep_text),  cmocka_unit_test(test_old_record_recovers),
        cmocka_unit_test(test_old_table_memory), cmocka_unit_test(test_old_table_sqlite),
        cmocka_unit_test(test_memory),           cmocka_unit_test(test_sqlite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
