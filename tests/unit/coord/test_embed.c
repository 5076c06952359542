/* test_embed: the embedding API and the typed bus events on loopback. A table that declares its
 * own action and guard is refused without bindings (SC_E_UNBOUND) and loads with them; the
 * bindings' errors (a built-in name: -EEXIST, an unknown one: -ENOENT); sc_coord_engine,
 * sc_coord_session, sc_coord_bind. Then two coordinators on one loop call each other through
 * the default table and the bus shows MediaStarted, DtmfReceived (the digit, not the table's
 * App event), BridgeCreated/BridgeEnded with the peer, MediaStopped with its reason. */
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
#include "unit/coord/coord_fixture.h"
#include "session_core/events.h"

static const char OWN_TABLE[] =
    "name: own\n"
    "vocabulary: {actions: [NotifyCrm], guards: [IsVip], events: [CrmDone]}\n"
    "states:\n"
    "  Idle: {}\n"
    "  Active: {}\n"
    "  Done: {terminal: true}\n"
    "transitions:\n"
    "  - {from: Idle, event: IncomingCall, guards: [IsVip], actions: [NotifyCrm], to: Active}\n"
    "  - {from: Active, event: CrmDone, to: Done}\n"
    "  - {from: [Idle, Active], event: HangupCall, to: Done}\n"
    "  - {from: [Idle, Active], event: DialogBYE, to: Done}\n"
    "  - {from: Active, event: DialogError, to: Done}\n";

static int notified;
static int crm_action(const sc_exec *x)
{
    notified += *(int *)x->ud;
    return 0;
}
static bool vip_guard(const sc_exec *x) { return x->ud != NULL; }

static uint32_t rtp_timeout_ms; /* of the coordinators made next */

static sc_coord *make_coord(uv_loop_t *loop, sc_table *t, const sc_coord_binding *b, size_t nb, int *rc)
{
    sc_coord_config c;
    coord_fixture_config(&c, loop, t);
    c.rtp_timeout_ms = rtp_timeout_ms;
    c.bindings = b;
    c.nbindings = nb;
    sc_coord *coord = NULL;
    *rc = sc_coord_new(&coord, &c);
    return coord;
}

static void test_bindings(void **state)
{
    (void)state;
    uv_loop_t loop;
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_table_load_buffer(&t, "own", OWN_TABLE, sizeof OWN_TABLE - 1, v, NULL), 0);
    int rc, two = 2;
    /* nothing binds NotifyCrm and IsVip: what sessiond meets (it exits 2) */
    assert_null(make_coord(&loop, t, NULL, 0, &rc));
    assert_int_equal(rc, SC_E_UNBOUND);
    /* a built-in name is the coordinator's already; an unknown name is not in the vocabulary */
    sc_coord_binding dup = {.kind = SC_VOCAB_ACTION, .name = "SendBye", .action = crm_action, .ud = &two};
    assert_null(make_coord(&loop, t, &dup, 1, &rc));
    assert_int_equal(rc, -EEXIST);
    sc_coord_binding unknown = {.kind = SC_VOCAB_GUARD, .name = "NoSuchGuard", .guard = vip_guard};
    assert_null(make_coord(&loop, t, &unknown, 1, &rc));
    assert_int_equal(rc, -ENOENT);
    sc_coord_binding nofn = {.kind = SC_VOCAB_GUARD, .name = "IsVip"};
    assert_null(make_coord(&loop, t, &nofn, 1, &rc));
    assert_int_equal(rc, -EINVAL);

    sc_coord_binding b[] = {
        {.kind = SC_VOCAB_ACTION, .name = "NotifyCrm", .action = crm_action, .ud = &two},
        {.kind = SC_VOCAB_GUARD, .name = "IsVip", .guard = vip_guard, .ud = &two},
    };
    sc_coord *c = make_coord(&loop, t, b, 2, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(c);
    sc_engine *e = sc_coord_engine(c);
    assert_non_null(e);
    assert_ptr_equal(sc_engine_table(e), t);
    assert_int_equal(sc_coord_bind(c, &b[0]), -EEXIST); /* bound once */
    assert_int_equal(sc_coord_bind(c, NULL), -EINVAL);
    /* the host's action runs with its user data; the host's event moves the session on */
    sc_session *s = NULL;
    assert_int_equal(sc_engine_create_session(e, SC_ROLE_UAS, "own-1", &s), 0);
    assert_ptr_equal(sc_coord_session(c, "own-1"), s);
    assert_null(sc_coord_session(c, "nope"));
    notified = 0;
    assert_int_equal(sc_engine_dispatch_simple(e, s, SC_EV_IncomingCall, 0, NULL), 0);
    assert_int_equal(notified, 2);
    assert_string_equal(sc_session_state_name(s), "Active");
    assert_int_equal(sc_coord_send_event(c, "own-1", "CrmDone", 0, NULL), 0);
    assert_string_equal(sc_session_state_name(sc_coord_session(c, "own-1")), "Done");
    assert_null(sc_coord_engine(NULL));
    sc_coord_free(c);
    sc_table_unref(t);
    sc_vocab_free(v);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* The host declares its names in its vocabulary (an action with a typed parameter) and the table
 * uses them without a `vocabulary:` section: the coordinator takes it with the bindings, the
 * action reads its parameter, and a reload of a changed table on the same names is applied. */
static const char HOST_TABLE[] =
    "name: host\n"
    "states: {Idle: {}, Active: {}, Done: {terminal: true}}\n"
    "transitions:\n"
    "  - {from: Idle, event: IncomingCall, actions: [{NotifyCrm: {weight: 3}}], to: Active}\n"
    "  - {from: Active, event: CrmDone, to: Done}\n"
    "  - {from: [Idle, Active], event: HangupCall, to: Done}\n"
    "  - {from: [Idle, Active], event: DialogBYE, to: Done}\n"
    "  - {from: Active, event: DialogError, to: Done}\n";

static int weighted_action(const sc_exec *x)
{
    notified += (int)sc_exec_param_int(x, "weight", 0) * *(int *)x->ud;
    return 0;
}

static void test_host_vocabulary_reload(void **state)
{
    (void)state;
    uv_loop_t loop;
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(sc_vocab_new(&v), 0);
    static const sc_param_spec weight = {.name = "weight", .type = SC_PARAM_INT, .required = true};
    assert_true(sc_vocab_add(v, SC_VOCAB_ACTION, "NotifyCrm", &weight, 1) >= 0);
    assert_true(sc_vocab_add(v, SC_VOCAB_EVENT, "CrmDone", NULL, 0) >= 0);
    assert_int_equal(sc_table_load_buffer(&t, "host", HOST_TABLE, sizeof HOST_TABLE - 1, v, NULL), 0);
    int rc, ten = 10;
    sc_coord_binding b = {.kind = SC_VOCAB_ACTION, .name = "NotifyCrm", .action = weighted_action, .ud = &ten};
    sc_coord *c = make_coord(&loop, t, &b, 1, &rc);
    assert_int_equal(rc, 0);
    sc_engine *e = sc_coord_engine(c);
    sc_session *s = NULL;
    assert_int_equal(sc_engine_create_session(e, SC_ROLE_UAS, "h-1", &s), 0);
    notified = 0;
    assert_int_equal(sc_engine_dispatch_simple(e, s, SC_EV_IncomingCall, 0, NULL), 0);
    assert_int_equal(notified, 30);
    /* the same names, another weight: the reload is applied and new sessions use it */
    char buf[sizeof HOST_TABLE];
    snprintf(buf, sizeof buf, "%s", HOST_TABLE);
    memcpy(strstr(buf, "weight: 3"), "weight: 5", 9);
    json_t *report = NULL;
    assert_int_equal(sc_coord_table_reload(c, NULL, "host2", buf, strlen(buf), &report), 0);
    assert_string_equal(json_string_value(json_object_get(report, "result")), "applied");
    json_decref(report);
    assert_int_equal(sc_engine_create_session(e, SC_ROLE_UAS, "h-2", &s), 0);
    notified = 0;
    assert_int_equal(sc_engine_dispatch_simple(e, s, SC_EV_IncomingCall, 0, NULL), 0);
    assert_int_equal(notified, 50);
    sc_coord_free(c);
    sc_table_unref(t);
    sc_vocab_free(v);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- Typed events of two coordinators calling each other ---------------------------------------- */

#define MAX_SEEN 128
typedef struct seen {
    sc_bus_event ev[MAX_SEEN];
    size_t n;
} seen;

static void on_bus(void *ud, const sc_bus_event *ev)
{
    seen *s = ud;
    if (s->n < MAX_SEEN)
        s->ev[s->n++] = *ev;
}

static size_t count(const seen *s, sc_bus_event_type type, const char *session)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->ev[i].type == type && (!session || !strcmp(s->ev[i].session_id, session)))
            n++;
    return n;
}

static const sc_bus_event *find(const seen *s, sc_bus_event_type type, const char *session)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->ev[i].type == type && (!session || !strcmp(s->ev[i].session_id, session)))
            return &s->ev[i];
    return NULL;
}

/* Run the loop until pred(ud) (or 5 s pass). */
static bool run_until(uv_loop_t *loop, bool (*pred)(void *ud), void *ud) { return run_until_ms(loop, pred, ud, 5000); }

typedef struct want {
    seen *s;
    sc_bus_event_type type;
    size_t n;
} want;

static bool have(void *ud)
{
    want *w = ud;
    return count(w->s, w->type, NULL) >= w->n;
}

static void test_typed_events(void **state)
{
    (void)state;
    coord_fixture f;
    coord_fixture_init(&f);
    uv_loop_t *loop = &f.loop;
    sc_table *t = f.t;
    int rc;
    sc_coord *a = make_coord(loop, t, NULL, 0, &rc), *b = make_coord(loop, t, NULL, 0, &rc);
    assert_non_null(a);
    assert_non_null(b);
    static seen sa, sb;
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    const uint32_t types = SC_EVENT_BIT(SC_EVT_MediaStarted) | SC_EVENT_BIT(SC_EVT_MediaStopped) |
                           SC_EVENT_BIT(SC_EVT_DtmfReceived) | SC_EVENT_BIT(SC_EVT_BridgeCreated) |
                           SC_EVENT_BIT(SC_EVT_BridgeEnded) | SC_EVENT_BIT(SC_EVT_App);
    sc_events_sub_cfg ca = {.name = "a", .callback = on_bus, .ud = &sa, .filter = {.types = types}};
    sc_events_sub_cfg cb = {.name = "b", .callback = on_bus, .ud = &sb, .filter = {.types = types}};
    sc_events_sub *suba = NULL, *subb = NULL;
    assert_int_equal(sc_coord_subscribe(a, &ca, NULL, &suba), 0);
    assert_int_equal(sc_coord_subscribe(b, &cb, NULL, &subb), 0);
    char to[64], id1[SC_SESSION_ID_MAX + 1], id2[SC_SESSION_ID_MAX + 1];
    snprintf(to, sizeof to, "sip:b@127.0.0.1:%u", coord_port(b));
    assert_int_equal(sc_coord_make_call(a, to, NULL, id1, sizeof id1), 0);
    assert_int_equal(sc_coord_make_call(a, to, NULL, id2, sizeof id2), 0);
    want w = {&sa, SC_EVT_MediaStarted, 2};
    assert_true(run_until(loop, have, &w)); /* both of a's calls answered (b auto-answers) */
    w = (want){&sb, SC_EVT_MediaStarted, 2};
    assert_true(run_until(loop, have, &w));
    const sc_bus_event *ms = find(&sa, SC_EVT_MediaStarted, id1);
    assert_non_null(ms);
    assert_string_equal(ms->u.media.codec, "PCMU/8000");
    assert_true(strncmp(ms->u.media.remote, "127.0.0.1:", 10) == 0);
    assert_string_equal(ms->u.media.reason, "Dialog200OK");

    /* a digit over RTP from a's first call: b's session sees it as a typed event */
    assert_int_equal(sc_coord_dtmf(a, id1, "5"), 0);
    w = (want){&sb, SC_EVT_DtmfReceived, 1};
    assert_true(run_until(loop, have, &w));
    const sc_bus_event *d = find(&sb, SC_EVT_DtmfReceived, NULL);
    assert_int_equal(d->u.dtmf.digit, '5');
    assert_true(d->u.dtmf.duration_ms > 0);
    for (size_t i = 0; i < sb.n; i++) /* the table's `publish: [DtmfReceived]` is not doubled as App */
        assert_false(sb.ev[i].type == SC_EVT_App && !strcmp(sb.ev[i].u.app.name, "DtmfReceived"));

    /* a's two calls bridged, then split: one BridgeCreated and one BridgeEnded each, naming the peer */
    assert_int_equal(sc_coord_bridge(a, id1, id2), 0);
    const sc_bus_event *bc = find(&sa, SC_EVT_BridgeCreated, id1);
    assert_non_null(bc);
    assert_string_equal(bc->u.bridge.peer_id, id2);
    assert_non_null(find(&sa, SC_EVT_BridgeCreated, id2));
    assert_string_equal(find(&sa, SC_EVT_BridgeCreated, id2)->u.bridge.peer_id, id1);
    assert_int_equal(sc_coord_unbridge(a, id1), 0);
    assert_int_equal(count(&sa, SC_EVT_BridgeEnded, id1), 1);
    assert_int_equal(count(&sa, SC_EVT_BridgeEnded, id2), 1);
    assert_string_equal(find(&sa, SC_EVT_BridgeEnded, id1)->u.bridge.peer_id, id2);

    /* hangups: every leg's media stops once, by the table's StopMedia */
    assert_int_equal(sc_coord_hangup(a, id1), 0);
    assert_int_equal(sc_coord_hangup(a, id2), 0);
    w = (want){&sa, SC_EVT_MediaStopped, 2};
    assert_true(run_until(loop, have, &w));
    w = (want){&sb, SC_EVT_MediaStopped, 2};
    assert_true(run_until(loop, have, &w));
    assert_int_equal(count(&sa, SC_EVT_MediaStopped, id1), 1);
    assert_string_equal(find(&sa, SC_EVT_MediaStopped, id1)->u.media.reason, "stopped");
    assert_int_equal(count(&sa, SC_EVT_BridgeCreated, NULL), 2); /* nothing more about bridges */
    assert_int_equal(count(&sa, SC_EVT_BridgeEnded, NULL), 2);

    sc_coord_unsubscribe(a, suba);
    sc_coord_unsubscribe(b, subb);
    sc_coord_free(a);
    sc_coord_free(b);
    coord_fixture_done(&f);
}

/* Silence on an answered call (neither side sends RTP): the callee's RTP timeout is told as
 * MediaStopped "timeout", once (the table's StopMedia that follows adds nothing). */
static void test_media_timeout(void **state)
{
    (void)state;
    coord_fixture f;
    coord_fixture_init(&f);
    uv_loop_t *loop = &f.loop;
    sc_table *t = f.t;
    int rc;
    rtp_timeout_ms = 0;
    sc_coord *a = make_coord(loop, t, NULL, 0, &rc);
    rtp_timeout_ms = 300;
    sc_coord *b = make_coord(loop, t, NULL, 0, &rc);
    rtp_timeout_ms = 0;
    assert_non_null(a);
    assert_non_null(b);
    static seen sb;
    memset(&sb, 0, sizeof sb);
    sc_events_sub_cfg cb = {.name = "b",
                            .callback = on_bus,
                            .ud = &sb,
                            .filter = {.types = SC_EVENT_BIT(SC_EVT_MediaStarted) | SC_EVENT_BIT(SC_EVT_MediaStopped) |
                                                SC_EVENT_BIT(SC_EVT_SessionEnded)}};
    sc_events_sub *subb = NULL;
    assert_int_equal(sc_coord_subscribe(b, &cb, NULL, &subb), 0);
    char to[64], id[SC_SESSION_ID_MAX + 1];
    snprintf(to, sizeof to, "sip:b@127.0.0.1:%u", coord_port(b));
    assert_int_equal(sc_coord_make_call(a, to, NULL, id, sizeof id), 0);
    want w = {&sb, SC_EVT_SessionEnded, 1};
    assert_true(run_until(loop, have, &w));
    assert_int_equal(count(&sb, SC_EVT_MediaStarted, NULL), 1);
    assert_int_equal(count(&sb, SC_EVT_MediaStopped, NULL), 1);
    assert_string_equal(find(&sb, SC_EVT_MediaStopped, NULL)->u.media.reason, "timeout");
    sc_coord_unsubscribe(b, subb);
    sc_coord_free(a);
    sc_coord_free(b);
    coord_fixture_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bindings),
        cmocka_unit_test(test_host_vocabulary_reload),
        cmocka_unit_test(test_typed_events),
        cmocka_unit_test(test_media_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
