/* suspend: runs that wait. A guard or action that cannot answer at once (a webhook) suspends
 * its session's run with sc_exec_suspend(); the run is kept here, keyed by a token, with the
 * event copied, while the session stays busy so that its later events queue behind it in
 * order; sc_engine_resume() records the answer and runs the rest of the row, then the queue.
 * A session removed meanwhile has its pending call cancelled. */
#include "engine/engine_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sc_engine__pending {
    char key[24]; /* the token as text: the pending map's key */
    sc_session *s;
    sc_engine__run run;
    sc_history_record rec;      /* the run's history record, stored when the run ends */
    sc_engine__suspending call; /* token, cancel, started */
    sc_event ev;                /* text in text[]; data owned (with data_free) or NULL */
    char text[];
} sc_engine__pending;

static void token_key(uint64_t token, char key[24]) { snprintf(key, 24, "%" PRIx64, token); }

uint64_t sc_exec_suspend(const sc_exec *x, sc_engine_cancel_fn cancel, void *ud)
{
    if (!x || !x->engine || !x->session || x->engine->suspending)
        return 0;
    sc_engine *e = x->engine;
    e->susp_slot.token = ++e->next_token;
    e->susp_slot.cancel = cancel;
    e->susp_slot.ud = ud;
    e->susp_slot.started = sc_clock_mono_us(e->clock);
    e->suspending = &e->susp_slot;
    return e->susp_slot.token;
}

void sc_exec_mark_cached(const sc_exec *x)
{
    if (x && x->engine)
        x->engine->exec_cached = true;
}

int sc_engine__suspend_run(sc_engine *e, sc_session *s, const sc_event *ev, sc_history_record *rec,
                           const sc_engine__run *run)
{
    sc_engine__suspending call = *e->suspending;
    e->suspending = NULL;
    size_t tlen = ev->text ? strlen(ev->text) + 1 : 0;
    sc_engine__pending *p = calloc(1, sizeof *p + tlen);
    if (!p || (token_key(call.token, p->key), sc_map__put(&e->pending, p->key, p) < 0)) {
        /* no memory to wait: the call is cancelled and counts as failed (a guard: false) */
        free(p);
        if (call.cancel)
            call.cancel(call.ud);
        sc_engine__run r = *run;
        return sc_engine__continue(e, s, ev, rec, &r, -ENOMEM, call.started);
    }
    p->s = s;
    p->run = *run;
    p->rec = *rec;
    p->call = call;
    p->ev = *ev;
    if (ev->text) {
        memcpy(p->text, ev->text, tlen);
        p->ev.text = p->text;
    }
    if (!ev->data_free)
        p->ev.data = NULL; /* borrowed for the dispatch call only */
    s->pending = p;
    e->stats.suspended++;
    return SC_ENGINE_QUEUED;
}

static void pending_free(sc_engine__pending *p)
{
    if (p->ev.data && p->ev.data_free)
        p->ev.data_free(p->ev.data);
    free(p);
}

int sc_engine_resume(sc_engine *e, uint64_t token, int result)
{
    if (!e || !token)
        return -EINVAL;
    if (e->suspending)
        return -EBUSY; /* from inside the very call that suspended */
    char key[24];
    token_key(token, key);
    sc_engine__pending *p = sc_map__del(&e->pending, key);
    if (!p)
        return -ENOENT;
    sc_session *s = p->s;
    s->pending = NULL;
    e->stats.resumed++;
    sc_engine__continue(e, s, &p->ev, &p->rec, &p->run, result, p->call.started);
    if (s->pending) /* suspended again, at a later guard or action: it took the event */
        p->ev.data = NULL;
    pending_free(p);
    if (!s->pending)
        sc_engine__drain_logged(e, s);
    return 0;
}

void sc_engine__cancel_pending(sc_engine *e, sc_session *s)
{
    sc_engine__pending *p = s->pending;
    if (!p)
        return;
    sc_map__del(&e->pending, p->key);
    s->pending = NULL;
    if (p->call.cancel)
        p->call.cancel(p->call.ud);
    sc_history_record *rec = &p->rec;
    const sc_transition *tr = p->run.rows[p->run.row];
    if (p->run.in_actions)
        sc_engine__action_done(rec, &tr->actions[p->run.step], -ECANCELED, p->call.started, sc_clock_mono_us(e->clock));
    else
        sc_engine__guard_done(rec, &tr->guards[p->run.step], false, false);
    rec->outcome = SC_OUTCOME_ACTION_FAILED;
    rec->to = s->state;
    sc_session_history_commit(s, rec);
    pending_free(p);
    s->busy = false;
}

void sc_engine__pending_free(sc_engine *e)
{
    for (size_t i = 0; i < e->pending.cap; i++) {
        sc_engine__pending *p = e->pending.slots[i].val;
        if (!p || !e->pending.slots[i].key)
            continue;
        if (p->call.cancel)
            p->call.cancel(p->call.ud);
        p->s->pending = NULL;
        p->s->busy = false;
        pending_free(p);
    }
    sc_map__free(&e->pending);
}
