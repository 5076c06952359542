/* test_cluster: two coordinators in one cluster on one SQLite store, on one loop (src/coord/
 * cluster.c). A calls B (default table, auto answer); A hands over: its session leaves A without
 * a word on the wire and B, the only other node, takes it over (moved by compare-and-set,
 * restored with its dialog, Recovered code 1 "taken over from a/...", the table's re-INVITE from
 * B to the peer, here B itself); the store's owner is B's incarnation; the call then ends by an
 * API hangup on B. Also: --cluster needs a shared store (memory refused), GET /cluster's list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session_core/coord.h"
#include "unit/coord/coord_fixture.h"

static void log_line(void *ud, sc_log_level level, const char *module, const char *msg)
{
    fprintf(stderr, "%s %d %s: %s\n", (const char *)ud, (int)level, module, msg);
}

/* route_to: a B2BUA route sending every incoming call there (open to any caller), or NULL. */
static sc_coord *make_coord_route(uv_loop_t *loop, sc_table *t, const char *route_to)
{
    static sc_logger lg = {.log = log_line, .ud = "", .max_level = SC_LOG_INFO, .unlimited = true};
    sc_coord_config c;
    coord_fixture_config(&c, loop, t);
    c.logger = getenv("SC_TEST_LOG") ? &lg : NULL;
    if (route_to) {
        c.route_match[0] = "*";
        c.route_target[0] = route_to;
        c.route_open[0] = true;
        c.nroutes = 1;
    }
    sc_coord *coord = NULL;
    assert_int_equal(sc_coord_new(&coord, &c), 0);
    return coord;
}

static sc_coord *make_coord(uv_loop_t *loop, sc_table *t) { return make_coord_route(loop, t, NULL); }

static void join(sc_coord *c, const char *url, const char *node)
{
    sc_coord_store_config sc = {.url = url, .node_id = node, .cluster = true};
    char err[256];
    assert_int_equal(sc_coord_store_open(c, &sc, NULL, err, sizeof err), 0);
    sc_coord_cluster_config cc = {.lease_ms = 2000, .http_url = "http://127.0.0.1:1"};
    int rc = sc_coord_cluster_start(c, &cc, err, sizeof err);
    if (rc)
        fail_msg("cluster start: %s", err);
}

/* Run the loop until pred(ud) (or 20 s pass: valgrind). */
static bool run_until(uv_loop_t *loop, bool (*pred)(void *ud), void *ud) { return run_until_ms(loop, pred, ud, 20000); }

typedef struct probe {
    sc_coord *c;
    const char *id; /* a session of c, or NULL: any */
    const char *state;
} probe;

static int in_state(sc_session *s, void *ud)
{
    probe *p = ud;
    return (!p->id || !strcmp(sc_session_id(s), p->id)) && !strcmp(sc_session_state_name(s), p->state);
}

static bool has_state(void *ud)
{
    probe *p = ud;
    return sc_store_foreach(sc_engine_store(sc_coord_engine(p->c)), in_state, p) != 0;
}

static bool store_connected(void *ud)
{
    sc_persist_health h;
    return sc_coord_store_health(ud, &h, NULL) == 0 && h.connected;
}

static bool has_no_sessions(void *ud) { return sc_store_count(sc_engine_store(sc_coord_engine(ud))) == 0; }

static bool history_has(sc_coord *c, const char *id, const char *text)
{
    json_t *h = NULL;
    if (sc_coord_history(c, id, &h) != 0)
        return false;
    char *dump = json_dumps(h, 0);
    bool found = dump && strstr(dump, text);
    free(dump);
    json_decref(h);
    return found;
}

static void test_memory_store_refused(void **state)
{
    (void)state;
    coord_fixture f;
    coord_fixture_init(&f);
    sc_coord *c = make_coord(&f.loop, f.t);
    sc_coord_store_config sc = {.url = "memory:", .cluster = true};
    assert_int_equal(sc_coord_store_open(c, &sc, NULL, NULL, 0), 0);
    sc_coord_cluster_config cc = {0};
    char err[256];
    assert_int_equal(sc_coord_cluster_start(c, &cc, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "shared store"));
    assert_int_equal(sc_coord_cluster_handover(c, 0), -ENOENT);
    assert_string_equal(sc_coord_cluster_incarnation(c), "");
    sc_coord_free(c);
    coord_fixture_done(&f);
}

static void test_handover_takeover(void **state)
{
    (void)state;
    char dir[] = "/tmp/sc-cluster-XXXXXX", url[300], path[280];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/store.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    coord_fixture f;
    coord_fixture_init(&f);
    uv_loop_t *loop = &f.loop;
    sc_coord *a = make_coord(loop, f.t), *b = make_coord(loop, f.t);
    join(a, url, "a");
    join(b, url, "b");
    assert_non_null(strstr(sc_coord_cluster_incarnation(a), "a/"));
    assert_non_null(strstr(sc_coord_cluster_incarnation(b), "b/"));

    /* both nodes are listed, each with its URL */
    sc_persist *p = NULL;
    sc_persist_config pc = {0};
    assert_int_equal(sc_persist_open(&p, url, &pc, NULL, 0), 0);
    json_t *nodes = NULL;
    assert_int_equal(sc_coord_cluster_nodes(p, sc_coord_cluster_incarnation(a), &nodes), 0);
    assert_int_equal(json_array_size(nodes), 2);
    json_decref(nodes);

    /* A calls B (once both writers are connected: strict durability refuses calls before); both
     * answered */
    assert_true(run_until(loop, store_connected, a));
    assert_true(run_until(loop, store_connected, b));
    char to[64], id[SC_SESSION_ID_MAX + 1];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u", coord_port(b));
    assert_int_equal(sc_coord_make_call(a, to, NULL, id, sizeof id), 0);
    probe pa = {a, id, "Active"}, pb = {b, NULL, "Active"};
    assert_true(run_until(loop, has_state, &pa));
    assert_true(run_until(loop, has_state, &pb));

    /* the owner's URL for the session, read the way the HTTP threads do */
    char node[160], where[300];
    assert_int_equal(sc_coord_cluster_locate(p, id, node, sizeof node, where, sizeof where), 0);
    assert_string_equal(node, sc_coord_cluster_incarnation(a));
    assert_string_equal(where, "http://127.0.0.1:1");
    assert_int_equal(sc_coord_cluster_locate(p, "no-such-session", node, sizeof node, where, sizeof where), -ENOENT);

    /* A hands over: the session leaves A and B takes it */
    assert_int_equal(sc_coord_cluster_handover(a, 2000), 0);
    assert_int_equal(sc_store_count(sc_engine_store(sc_coord_engine(a))), 0);
    assert_int_equal(sc_coord_cluster_handover(a, 0), -ESTALE);
    probe moved = {b, id, "Active"};
    assert_true(run_until(loop, has_state, &moved));
    assert_true(history_has(b, id, "taken over from a/"));
    sc_persist_snapshot_info info;
    json_t *snap = NULL;
    assert_true(run_until(loop, has_no_sessions, a));
    assert_int_equal(sc_persist_load(p, id, &snap, &info), 0);
    json_decref(snap);
    assert_string_equal(info.node_id, sc_coord_cluster_incarnation(b));

    /* the moved call still works: hung up on B, both legs end there */
    assert_int_equal(sc_coord_hangup(b, id), 0);
    probe ended = {b, id, "Terminated"};
    assert_true(run_until(loop, has_state, &ended));

    sc_persist_close(p);
    sc_coord_free(a);
    sc_coord_free(b);
    coord_fixture_done(&f);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

typedef struct count_probe {
    sc_coord *c[2];
    const char *state;
    size_t want;
} count_probe;

static int count_state(sc_session *s, void *ud)
{
    size_t *n = ud;
    if (!strcmp(sc_session_state_name(s), "Bridged"))
        (*n)++;
    return 0;
}

static size_t bridged(sc_coord *c)
{
    size_t n = 0;
    sc_store_foreach(sc_engine_store(sc_coord_engine(c)), count_state, &n);
    return n;
}

static bool bridged_total(void *ud)
{
    count_probe *p = ud;
    return bridged(p->c[0]) + (p->c[1] ? bridged(p->c[1]) : 0) == p->want;
}

/* A B2BUA pair (two linked sessions) on A; A hands over to B and C, which split its sessions by
 * a hash: the pair must stay together on one of them (keyed by the smaller id), bridged again. */
static void test_pair_stays_together(void **state)
{
    (void)state;
    char dir[] = "/tmp/sc-cluster-XXXXXX", url[300];
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof url, "sqlite:%s/store.db", dir);
    coord_fixture f;
    coord_fixture_init(&f);
    uv_loop_t *loop = &f.loop;
    sc_coord *x = make_coord(loop, f.t), *y = make_coord(loop, f.t); /* caller and callee, no store */
    char target[64];
    snprintf(target, sizeof target, "sip:carol@127.0.0.1:%u", coord_port(y));
    sc_coord *a = make_coord_route(loop, f.t, target), *b = make_coord(loop, f.t), *c = make_coord(loop, f.t);
    join(a, url, "a");
    join(b, url, "b");
    join(c, url, "c");
    assert_true(run_until(loop, store_connected, a));
    assert_true(run_until(loop, store_connected, b));
    assert_true(run_until(loop, store_connected, c));
    char to[64], id[SC_SESSION_ID_MAX + 1];
    snprintf(to, sizeof to, "sip:bob@127.0.0.1:%u", coord_port(a));
    assert_int_equal(sc_coord_make_call(x, to, NULL, id, sizeof id), 0);
    count_probe on_a = {{a, NULL}, "Bridged", 2};
    assert_true(run_until(loop, bridged_total, &on_a));

    assert_int_equal(sc_coord_cluster_handover(a, 2000), 0);
    count_probe moved = {{b, c}, "Bridged", 2};
    assert_true(run_until(loop, bridged_total, &moved));
    assert_true((bridged(b) == 2 && bridged(c) == 0) || (bridged(b) == 0 && bridged(c) == 2));

    sc_coord *all[] = {x, y, a, b, c};
    for (size_t i = 0; i < 5; i++)
        sc_coord_free(all[i]);
    coord_fixture_done(&f);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_store_refused),
        cmocka_unit_test(test_handover_takeover),
        cmocka_unit_test(test_pair_stays_together),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
