/* test_api: the coordinator end to end on loopback: two sc_coord instances on one loop call each
 * other over real UDP sockets through the shipped default table (answer, hold, resume, hangup,
 * reject, shutdown) and the commands return the engine's distinct results. */
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

#include "session_core/coord.h"

typedef struct fixture {
    uv_loop_t loop;
    sc_vocab *vocab;
    sc_table *table;
    sc_coord *a, *b; /* a calls b */
    char b_uri[128];
} fixture;

static sc_coord *make_api(fixture *f, bool auto_answer)
{
    sc_coord_config c;
    sc_coord_config_default(&c);
    c.loop = &f->loop;
    c.table = f->table;
    c.listen[0] = "udp:127.0.0.1:0";
    c.nlisten = 1;
    c.auto_answer = auto_answer;
    c.sip_t1_ms = 50;
    sc_coord *coord = NULL;
    assert_int_equal(sc_coord_new(&coord, &c), 0);
    return coord;
}

static void start(fixture *f, bool b_auto)
{
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(sc_vocab_new(&f->vocab), 0);
    assert_int_equal(sc_table_load_file(&f->table, SC_SOURCE_DIR "/tables/default.yaml", f->vocab, NULL), 0);
    f->a = make_api(f, true);
    f->b = make_api(f, b_auto);
    struct sockaddr_storage ss;
    assert_int_equal(sc_coord_listener_addr(f->b, 0, &ss), 0);
    snprintf(f->b_uri, sizeof f->b_uri, "sip:b@127.0.0.1:%u", ntohs(((struct sockaddr_in *)&ss)->sin_port));
}

static void stop(fixture *f)
{
    sc_coord_free(f->a);
    sc_coord_free(f->b);
    sc_table_unref(f->table);
    sc_vocab_free(f->vocab);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* The state of session id in coord, into buf ("" if it does not exist). */
static const char *state_of(sc_coord *coord, const char *id, char *buf, size_t size)
{
    json_t *j = NULL;
    buf[0] = '\0';
    if (sc_coord_inspect(coord, id, &j) == 0) {
        snprintf(buf, size, "%s", json_string_value(json_object_get(j, "state")));
        json_decref(j);
    }
    return buf;
}

static void on_tick(uv_timer_t *t) { (void)t; }

/* Run the loop until session id of coord is in state (or 5 s pass). */
static bool run_until_state(fixture *f, sc_coord *coord, const char *id, const char *state)
{
    uv_timer_t tick;
    uv_timer_init(&f->loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    uint64_t end = uv_now(&f->loop) + 5000;
    char buf[64];
    bool ok = false;
    while (uv_now(&f->loop) < end) {
        if (!strcmp(state_of(coord, id, buf, sizeof buf), state)) {
            ok = true;
            break;
        }
        uv_run(&f->loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    if (!ok)
        fprintf(stderr, "session %s: state '%s', wanted '%s'\n", id, state_of(coord, id, buf, sizeof buf), state);
    return ok;
}

/* The id of the only session of coord (waits up to 5 s for it). */
static void only_id(fixture *f, sc_coord *coord, char *id, size_t size)
{
    uv_timer_t tick;
    uv_timer_init(&f->loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    uint64_t end = uv_now(&f->loop) + 5000;
    while (sc_coord_session_count(coord) == 0 && uv_now(&f->loop) < end)
        uv_run(&f->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    json_t *arr = NULL;
    assert_int_equal(sc_coord_sessions(coord, &arr), 0);
    assert_int_equal(json_array_size(arr), 1);
    snprintf(id, size, "%s", json_string_value(json_object_get(json_array_get(arr, 0), "id")));
    json_decref(arr);
}

static const char *outcome_of(sc_coord *coord, const char *id, char *buf, size_t size)
{
    json_t *j = NULL;
    buf[0] = '\0';
    if (sc_coord_inspect(coord, id, &j) == 0) {
        const char *o = json_string_value(json_object_get(j, "outcome"));
        snprintf(buf, size, "%s", o ? o : "");
        json_decref(j);
    }
    return buf;
}

static void test_call_hold_resume_hangup(void **state)
{
    fixture f = {0};
    char ida[80], idb[80], buf[64];
    start(&f, true);
    assert_int_equal(sc_coord_make_call(f.a, f.b_uri, NULL, ida, sizeof ida), 0);
    only_id(&f, f.b, idb, sizeof idb);
    assert_true(run_until_state(&f, f.a, ida, "Active"));
    assert_true(run_until_state(&f, f.b, idb, "Active"));

    /* a holds: b sees a hold offer and goes OnHold too */
    assert_int_equal(sc_coord_hold(f.a, ida), 0);
    assert_true(run_until_state(&f, f.a, ida, "OnHold"));
    assert_true(run_until_state(&f, f.b, idb, "OnHold"));
    assert_int_equal(sc_coord_hold(f.a, ida), SC_E_NOT_ACCEPTED);
    assert_int_equal(sc_coord_resume(f.a, ida), 0);
    assert_true(run_until_state(&f, f.a, ida, "Active"));
    assert_true(run_until_state(&f, f.b, idb, "Active"));

    /* DTMF: sent over RTP when media is wired (0), else the action fails and the table's
     * ActionFailed path runs; either way the command is not refused and the call stays up */
    int rc = sc_coord_dtmf(f.a, ida, "12");
    assert_true(rc == 0 || rc == SC_E_ACTION_FAILED);
    assert_true(run_until_state(&f, f.a, ida, "Active"));
    assert_int_equal(sc_coord_dtmf(f.a, ida, "xyz"), -EINVAL);

    assert_int_equal(sc_coord_hangup(f.b, idb), 0);
    assert_true(run_until_state(&f, f.b, idb, "Terminated"));
    assert_true(run_until_state(&f, f.a, ida, "Terminated"));
    assert_string_equal(outcome_of(f.b, idb, buf, sizeof buf), "normal");
    assert_int_equal(sc_coord_active_count(f.a), 0);
    stop(&f);
}

static void test_manual_reject(void **state)
{
    fixture f = {0};
    char ida[80], idb[80], buf[64];
    start(&f, false);
    assert_int_equal(sc_coord_make_call(f.a, f.b_uri, "sip:a@127.0.0.1", ida, sizeof ida), 0);
    only_id(&f, f.b, idb, sizeof idb);
    assert_true(run_until_state(&f, f.b, idb, "Ringing"));
    assert_true(run_until_state(&f, f.a, ida, "Ringing"));
    assert_int_equal(sc_coord_hold(f.b, idb), SC_E_NOT_ACCEPTED);
    assert_int_equal(sc_coord_reject(f.b, idb, 200), -EINVAL);
    assert_int_equal(sc_coord_reject(f.b, idb, 603), 0);
    assert_true(run_until_state(&f, f.b, idb, "Rejected"));
    assert_true(run_until_state(&f, f.a, ida, "Failed"));
    assert_string_equal(outcome_of(f.a, ida, buf, sizeof buf), "rejected");
    /* the 603 reached the caller: its history has Dialog6xx with the code */
    json_t *h = NULL;
    assert_int_equal(sc_coord_history(f.a, ida, &h), 0);
    bool seen = false;
    size_t i;
    json_t *r;
    json_array_foreach(h, i, r)
        if (!strcmp(json_string_value(json_object_get(r, "event")), "Dialog6xx") &&
            json_integer_value(json_object_get(r, "event_code")) == 603)
            seen = true;
    json_decref(h);
    assert_true(seen);
    stop(&f);
}

static void test_manual_accept_and_csv(void **state)
{
    fixture f = {0};
    char ida[80], idb[80];
    start(&f, false);
    assert_int_equal(sc_coord_make_call(f.a, f.b_uri, NULL, ida, sizeof ida), 0);
    only_id(&f, f.b, idb, sizeof idb);
    assert_true(run_until_state(&f, f.b, idb, "Ringing"));
    assert_int_equal(sc_coord_accept(f.b, idb), 0);
    assert_true(run_until_state(&f, f.a, ida, "Active"));
    assert_int_equal(sc_coord_accept(f.b, idb), SC_E_NOT_ACCEPTED); /* already answered */
    char *csv = NULL;
    assert_int_equal(sc_coord_history_csv(f.b, idb, &csv), 0);
    assert_non_null(strstr(csv, "AcceptCall"));
    free(csv);
    char *dot = NULL;
    assert_int_equal(sc_coord_table_export(f.b, SC_GRAPH_DOT, idb, &dot), 0);
    assert_non_null(strstr(dot, "digraph"));
    free(dot);
    assert_int_equal(sc_coord_table_export(f.b, SC_GRAPH_DOT, "nope", &dot), -ENOENT);
    stop(&f);
}

static void test_command_errors(void **state)
{
    fixture f = {0};
    char id[80];
    json_t *j = NULL;
    start(&f, true);
    assert_int_equal(sc_coord_hangup(f.a, "nope"), -ENOENT);
    assert_int_equal(sc_coord_inspect(f.a, "nope", &j), -ENOENT);
    assert_int_equal(sc_coord_make_call(f.a, "sip:", NULL, id, sizeof id), -EINVAL);
    assert_int_equal(sc_coord_make_call(f.a, "sips:", NULL, id, sizeof id),
                     -EINVAL); /* sips: is TLS; a host it needs */
    assert_int_equal(sc_coord_make_call(f.a, "not a uri", NULL, id, sizeof id), -EINVAL);
    assert_int_equal(sc_coord_make_call(f.a, f.b_uri, "mailto:x", id, sizeof id), -EINVAL);
    assert_int_equal(sc_coord_session_count(f.a), 0);
    stop(&f);
}

static void on_done(void *ud) { *(int *)ud += 1; }

/* The resources' total walked a part at a time adds up to the whole walk's. */
static void test_resources_walk(void **state)
{
    (void)state;
    fixture f;
    start(&f, true);
    char id[5][80];
    for (int i = 0; i < 5; i++)
        assert_int_equal(sc_coord_make_call(f.a, f.b_uri, NULL, id[i], sizeof id[i]), 0);
    for (int i = 0; i < 5; i++)
        assert_true(run_until_state(&f, f.a, id[i], "Active"));
    sc_coord_resources whole, part = {0};
    assert_int_equal(sc_coord_resources_total(f.a, &whole), 0);
    assert_int_equal(whole.sessions, 5);
    assert_true(whole.bytes > 0 && whole.rtp_sockets > 0);
    uint64_t cursor = 0;
    assert_int_equal(sc_coord_resources_walk(f.a, &cursor, 2, &part), 0);
    assert_int_equal(part.sessions, 2);
    assert_true(cursor != 0);
    assert_int_equal(sc_coord_resources_walk(f.a, &cursor, 2, &part), 0);
    assert_int_equal(sc_coord_resources_walk(f.a, &cursor, 2, &part), 1);
    assert_int_equal(cursor, 0);
    assert_memory_equal(&part, &whole, sizeof whole);
    assert_int_equal(sc_coord_resources_walk(f.a, &cursor, 0, &part), -EINVAL);
    stop(&f);
}

static void test_shutdown_ends_calls(void **state)
{
    fixture f = {0};
    char ida[80], idb[80], id2[80];
    int done = 0;
    start(&f, true);
    assert_int_equal(sc_coord_make_call(f.a, f.b_uri, NULL, ida, sizeof ida), 0);
    only_id(&f, f.b, idb, sizeof idb);
    assert_true(run_until_state(&f, f.a, ida, "Active"));
    sc_coord_shutdown(f.b, on_done, &done);
    assert_true(sc_coord_shutting_down(f.b));
    assert_int_equal(sc_coord_make_call(f.b, f.b_uri, NULL, id2, sizeof id2), SC_E_OVERLOAD);
    assert_true(run_until_state(&f, f.a, ida, "Terminated"));
    assert_true(run_until_state(&f, f.b, idb, "Terminated"));
    assert_int_equal(done, 1);
    /* new calls to b are refused with 503 */
    assert_int_equal(sc_coord_make_call(f.a, f.b_uri, NULL, id2, sizeof id2), 0);
    assert_true(run_until_state(&f, f.a, id2, "Failed"));
    stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_hold_resume_hangup), cmocka_unit_test(test_manual_reject),
        cmocka_unit_test(test_manual_accept_and_csv),   cmocka_unit_test(test_command_errors),
        cmocka_unit_test(test_shutdown_ends_calls),     cmocka_unit_test(test_resources_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
