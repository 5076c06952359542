/* Test helper: SIP agents on one loop that record the events their calls report. */
#ifndef SIP_TEST_AGENTS_H
#define SIP_TEST_AGENTS_H

#include "sip_test_util.h"

#define TA_MAX_EV 64

typedef struct ta_ev {
    sc_builtin_event type;
    int status;
    char method[16];
    char body[1024];
    unsigned retry_ms;
} ta_ev;

typedef struct ta_side {
    sc_sip *sip;
    ta_ev ev[TA_MAX_EV];
    int n;
    sc_sip_call *call;     /* last call created or received */
    sc_sip_stx *stx;       /* last request to answer */
    bool auto_reinvite_ok; /* answer re-INVITEs 200 from the callback */
    bool auto_bye_ok;      /* answer BYE 200 from the callback */
    int incoming;
} ta_side;

static inline void ta_on_event(sc_sip_call *call, const sc_sip_event *ev, void *ud)
{
    ta_side *s = ud;
    if (s->n < TA_MAX_EV) {
        ta_ev *e = &s->ev[s->n++];
        e->type = ev->type;
        e->status = ev->status;
        snprintf(e->method, sizeof e->method, "%s", ev->method);
        snprintf(e->body, sizeof e->body, "%.*s", (int)ev->body_len, ev->body ? ev->body : "");
        e->retry_ms = ev->retry_ms;
    }
    s->stx = ev->stx;
    if (ev->type == SC_EV_DialogReINVITE && s->auto_reinvite_ok)
        assert_int_equal(sc_sip_call_respond(call, 200, NULL, "v=0\r\n"), 0);
    if (ev->type == SC_EV_DialogBYE && s->auto_bye_ok)
        assert_int_equal(sc_sip_respond(s->sip, ev->stx, 200, NULL, NULL, NULL), 0);
}

static inline void ta_on_incoming(sc_sip *sip, sc_sip_call *call, const struct osip_message *msg, void *ud)
{
    (void)sip;
    (void)msg;
    ta_side *s = ud;
    s->call = call;
    s->incoming++;
}

static inline bool ta_debug_hook(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data,
                                 size_t len)
{
    (void)ud;
    (void)tp;
    (void)dst;
    fprintf(stderr, ">>> %.*s", (int)len, data);
    return false;
}

static inline void ta_open(ta_side *s, uv_loop_t *loop, const char *spec1, const char *spec2, unsigned t1)
{
    memset(s, 0, sizeof *s);
    sc_sip_config cfg = {.t1_ms = t1,
                         .t2_ms = t1 * 8,
                         .t4_ms = t1 * 10,
                         .on_event = ta_on_event,
                         .on_incoming = ta_on_incoming,
                         .ud = s};
    if (getenv("SIPDBG")) /* print every message sent */
        cfg.send_hook = ta_debug_hook;
    assert_int_equal(sc_sip_new(&s->sip, loop, &cfg), 0);
    assert_int_equal(sc_sip_listen(s->sip, spec1), 0);
    if (spec2)
        assert_int_equal(sc_sip_listen(s->sip, spec2), 0);
}

/* Index of the first event of type (and status, if nonzero) from index from, or -1. */
static inline int ta_find(const ta_side *s, sc_builtin_event type, int from)
{
    for (int i = from; i < s->n; i++)
        if (s->ev[i].type == type)
            return i;
    return -1;
}

typedef struct ta_wait {
    ta_side *s;
    sc_builtin_event type;
    int from;
} ta_wait;

static inline bool ta_has(void *arg)
{
    ta_wait *w = arg;
    return ta_find(w->s, w->type, w->from) >= 0;
}

/* Runs the loop until s has an event of type at index >= from. */
static inline bool ta_wait_from(uv_loop_t *loop, ta_side *s, sc_builtin_event type, int from, unsigned ms)
{
    ta_wait w = {s, type, from};
    return tu_run_until(loop, ta_has, &w, ms);
}

static inline bool ta_wait_for(uv_loop_t *loop, ta_side *s, sc_builtin_event type, unsigned ms)
{
    return ta_wait_from(loop, s, type, 0, ms);
}

static inline bool ta_incoming(void *arg) { return ((ta_side *)arg)->incoming > 0; }

#endif
