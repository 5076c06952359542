/* dispatch: runs one event against one session (lookup, guards, actions, condition updates,
 * next state, history record, observers) and keeps each session's events serial through a
 * bounded per-session queue. */
#include "engine/engine_int.h"
#include "base/log_int.h"
#include "store/history_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The slow path of sc_engine__wall_at (engine_int.h): a new wall sample. */
int64_t sc_engine__wall_sample(sc_engine *e, uint64_t mono)
{
    e->wall_base = sc_clock_wall_us(e->clock);
    e->mono_base = sc_clock_mono_us(e->clock);
    e->have_base = true;
    if (mono < e->mono_base)
        return e->wall_base - (int64_t)(e->mono_base - mono);
    return e->wall_base + (int64_t)(mono - e->mono_base);
}

int sc_engine__enqueue(sc_engine *e, sc_session *s, const sc_event *ev, bool internal)
{
    if (s->qlen >= e->max_queue) {
        e->stats.queue_drops++;
        sc_log(e->logger, SC_LOG_WARN, "engine", "session %s: queue full (%zu), event %s dropped%s", s->id,
               e->max_queue, sc_vocab_name(e->vocab, SC_VOCAB_EVENT, ev->type), internal ? " (internal)" : "");
        return -EAGAIN;
    }
    size_t tlen = ev->text ? strlen(ev->text) + 1 : 0;
    size_t bytes = sizeof(sc_qevent) + tlen;
    sc_qevent *q = malloc(bytes);
    if (!q)
        return -ENOMEM;
    q->next = NULL;
    q->ev = *ev;
    q->bytes = bytes;
    if (ev->text) {
        memcpy(q->text, ev->text, tlen);
        q->ev.text = q->text;
    }
    if (s->qtail)
        ((sc_qevent *)s->qtail)->next = q;
    else
        s->qhead = q;
    s->qtail = q;
    s->qlen++;
    s->qbytes += bytes;
    e->stats.queued++;
    return SC_ENGINE_QUEUED;
}

static sc_qevent *dequeue(sc_session *s)
{
    sc_qevent *q = s->qhead;
    if (!q)
        return NULL;
    s->qhead = q->next;
    if (!s->qhead)
        s->qtail = NULL;
    s->qlen--;
    s->qbytes -= q->bytes;
    return q;
}

static void qevent_free(sc_qevent *q)
{
    if (q->ev.data && q->ev.data_free)
        q->ev.data_free(q->ev.data);
    free(q);
}

void sc_engine__drop_queue(sc_session *s)
{
    sc_qevent *q;
    while ((q = dequeue(s)) != NULL)
        qevent_free(q);
}

/* Guards of tr from *step on, in order, until one fails; each evaluation goes to rec (up to its
 * bound). 1 all passed, 0 one failed, SC_ENGINE__SUSPENDED a guard suspended (*step: it). */
static int guards_pass(sc_engine *e, sc_exec *x, const sc_transition *tr, sc_history_record *rec, uint16_t *step)
{
    for (uint16_t g = *step; g < tr->nguards; g++) {
        const sc_call *call = &tr->guards[g];
        bool v = false;
        e->exec_cached = false;
        if (call->id < e->nguards && e->guards[call->id].fn) {
            x->call = call;
            x->ud = e->guards[call->id].ud;
            v = e->guards[call->id].fn(x);
        }
        if (__builtin_expect(e->suspending != NULL, 0)) {
            *step = g;
            return SC_ENGINE__SUSPENDED;
        }
        if (!sc_engine__guard_done(rec, call, v, e->exec_cached))
            return 0;
    }
    return 1;
}

bool sc_engine__guard_done(sc_history_record *rec, const sc_call *call, bool v, bool cached)
{
    bool passed = v != call->negate;
    if (rec->nguards < SC_HISTORY_MAX_GUARDS) {
        sc_history_guard *hg = &rec->guards[rec->nguards++];
        hg->id = call->id;
        hg->negate = call->negate;
        hg->passed = passed;
        hg->cached = cached;
    }
    return passed;
}

void sc_engine__action_done(sc_history_record *rec, const sc_call *call, int rc, uint64_t t0, uint64_t t1)
{
    if (rec->nactions < SC_HISTORY_MAX_ACTIONS) {
        sc_history_action *ha = &rec->actions[rec->nactions++];
        ha->id = call->id;
        ha->result = rc;
        ha->duration_us = (uint32_t)(t1 > t0 ? t1 - t0 : 0);
    }
}

/* Whether a failing action stops the row: not on the failure path itself (an ActionFailed
 * row), where it is recorded only, so the declared failure state is always reached and a
 * failure path that fails again can never loop. */
static inline bool action_stops(const sc_exec *x, int rc) { return rc != 0 && x->event->type != SC_EV_ActionFailed; }

/* An action's history entry with its duration in µs. */
static inline void action_put(sc_history_record *rec, const sc_call *call, int rc, uint32_t us)
{
    if (rec->nactions < SC_HISTORY_MAX_ACTIONS) {
        sc_history_action *ha = &rec->actions[rec->nactions++];
        ha->id = call->id;
        ha->result = rc;
        ha->duration_us = us;
    }
}

#define TIMED_RUNS 64 /* fast runs after a slow one (1 µs or more) in which an action is timed alone */
#define SLOW_US 2     /* an action that took this long by the clock (µs: 1 µs or more) is slow */

/* Actions of tr from run->step on, in order, timed with the engine's clock read after each
 * one (an injected clock, no usable cycle counter, the rest of a resumed run or of one past a
 * very long action; one that took over 1 µs is then timed alone by the counter); returns the
 * index of the failing one, -1, or SC_ENGINE__SUSPENDED (run->step: the action that
 * suspended). run->t_end: the start of the first in, the end of
 * the last out. */
static int run_actions_clock(sc_engine *e, sc_exec *x, const sc_transition *tr, sc_history_record *rec,
                             sc_engine__run *run, int *rc_out)
{
    uint64_t t0 = run->t_end;
    int r = -1;
    for (uint16_t a = run->step; a < tr->nactions; a++) {
        const sc_call *call = &tr->actions[a];
        int rc = -ENOSYS;
        if (call->id < e->nactions && e->actions[call->id].fn) {
            x->call = call;
            x->ud = e->actions[call->id].ud;
            rc = e->actions[call->id].fn(x);
        }
        if (__builtin_expect(e->suspending != NULL, 0)) {
            run->step = a;
            run->t_end = t0;
            return SC_ENGINE__SUSPENDED;
        }
        uint64_t t1 = sc_clock_mono_us(e->clock);
        if (t1 < t0)
            t1 = t0;
        if (t1 - t0 >= SLOW_US && call->id < e->nactions) /* for the counter, when it serves */
            e->actions[call->id].timed = TIMED_RUNS;
        sc_engine__action_done(rec, call, rc, t0, t1);
        t0 = t1;
        if (action_stops(x, rc)) {
            *rc_out = rc;
            r = a;
            break;
        }
    }
    run->t_end = t0;
    return r;
}

/* Read the cycle counter for run: *us the µs since its last read (rounded down), run->t_end
 * and run->mark moved to now, the engine's read_until to a µs later. When the counter no longer
 * serves this run (a sample period, a second, since its start) the clock is read instead (*us
 * the µs since run->t_end by it) and run->tick becomes 0, so that the rest of the run reads
 * the clock. */
static inline void run_read(sc_engine *e, sc_engine__run *run, uint32_t *us)
{
    uint64_t now = sc_engine__rdtick();
    uint64_t since = now - run->tick;
    if (__builtin_expect(since < e->tk.span && now >= run->mark, 1)) {
        *us = (uint32_t)(((now - run->mark) * e->tk.mult) >> 32);
        run->t_end = run->mono + ((since * e->tk.mult) >> 32);
        run->mark = now;
        e->tk.read_until = now + e->tk.us_ticks;
        return;
    }
    uint64_t t = sc_clock_mono_us(e->clock);
    *us = t > run->t_end ? (uint32_t)(t - run->t_end) : 0;
    if (t > run->t_end)
        run->t_end = t;
    run->tick = 0;
}

/* The actions a0..a1-1 of tr, not timed alone (their entries in rec from r0 on, recorded with
 * 0 µs), took us µs together: under 1 µs each took 0 µs (rounded down), as recorded; else
 * which one took the time is not known, so each gets all of it (an upper bound) and is timed
 * alone in its next runs. */
static void span_done(sc_engine *e, sc_history_record *rec, const sc_transition *tr, uint16_t a0, uint16_t a1,
                      unsigned r0, uint32_t us)
{
    if (__builtin_expect(!us, 1))
        return;
    for (uint16_t a = a0; a < a1; a++)
        if (tr->actions[a].id < e->nactions)
            e->actions[tr->actions[a].id].timed = TIMED_RUNS;
    for (unsigned i = r0; i < rec->nactions; i++)
        rec->actions[i].duration_us = us;
}

/* run_actions with the cycle counter: one read after a run of untimed actions (those whose
 * recent runs were all under 1 µs), and one before and after each action timed alone (it took
 * 1 µs or more in one of its last TIMED_RUNS runs). Durations are the time between reads
 * rounded down to the µs; the first action's time starts at the run's start (its lookup and
 * guards included), as with the clock. In a burst, a run that read nothing yet and started less
 * than 1 µs after the engine's last read of action time (tk.read_until) does not read after its
 * last untimed actions, except one such run in SC_ENGINE__BURST_READ: they keep 0 µs,
 * unmeasured (docs/architecture.md, "Action durations"). */
static int run_actions_ticks(sc_engine *e, sc_exec *x, const sc_transition *tr, sc_history_record *rec,
                             sc_engine__run *run, int *rc_out)
{
    uint16_t a0 = run->step; /* the untimed actions since the last read: a0.. */
    unsigned r0 = rec->nactions;
    uint32_t us;
    int r = -1;
    uint16_t a;
    for (a = run->step; a < tr->nactions; a++) {
        const sc_call *call = &tr->actions[a];
        if (__builtin_expect(!run->tick, 0)) { /* past a sample period: the clock from here */
            run->step = a;
            return run_actions_clock(e, x, tr, rec, run, rc_out);
        }
        sc_action_binding *b = call->id < e->nactions ? &e->actions[call->id] : NULL;
        bool alone = b && b->timed;
        if (alone && a > a0) { /* the untimed ones before it end here */
            run_read(e, run, &us);
            span_done(e, rec, tr, a0, a, r0, us);
            a0 = a;
            r0 = rec->nactions;
        }
        int rc = -ENOSYS;
        if (b && b->fn) {
            x->call = call;
            x->ud = b->ud;
            rc = b->fn(x);
        }
        if (__builtin_expect(e->suspending != NULL, 0)) {
            if (a > a0) { /* the untimed ones before it end at the suspension */
                run_read(e, run, &us);
                span_done(e, rec, tr, a0, a, r0, us);
            }
            run->step = a;
            run->tick = 0; /* the answer's time comes from the clock */
            return SC_ENGINE__SUSPENDED;
        }
        if (alone) {
            run_read(e, run, &us);
            action_put(rec, call, rc, us);
            b = &e->actions[call->id]; /* (the action may have bound others: moved) */
            b->timed = us ? TIMED_RUNS : (uint8_t)(b->timed - 1);
            a0 = (uint16_t)(a + 1);
            r0 = rec->nactions;
        } else {
            action_put(rec, call, rc, 0);
        }
        if (action_stops(x, rc)) {
            *rc_out = rc;
            r = a++;
            break;
        }
    }
    /* the untimed ones at the end, unless in a burst (mark == tick: nothing read in this run) */
    if (a > a0 &&
        (run->mark != run->tick || run->tick >= e->tk.read_until || !(++e->tk.bursts & (SC_ENGINE__BURST_READ - 1)))) {
        run_read(e, run, &us);
        span_done(e, rec, tr, a0, a, r0, us);
    }
    return r;
}

static inline int run_actions(sc_engine *e, sc_exec *x, const sc_transition *tr, sc_history_record *rec,
                              sc_engine__run *run, int *rc_out)
{
    if (run->tick)
        return run_actions_ticks(e, x, tr, rec, run, rc_out);
    return run_actions_clock(e, x, tr, rec, run, rc_out);
}

/* After a taken row: if every "established" condition holds and it has not fired yet,
 * queue CheckConditions once for this session. */
static void check_conditions(sc_engine *e, sc_session *s)
{
    if (s->established_fired)
        return;
    size_t n;
    const sc_id *conds = sc_table_established_conditions(s->table, &n);
    if (!n)
        return;
    for (size_t i = 0; i < n; i++)
        if (!sc_session_condition(s, conds[i]))
            return;
    s->established_fired = true;
    e->stats.conditions_fired++;
    sc_event ev = {.type = SC_EV_CheckConditions};
    sc_engine__enqueue(e, s, &ev, true);
}

/* on_publish of every filtered observer whose name a published entry of tr matches. */
__attribute__((noinline)) static void notify_filtered(sc_engine *e, sc_session *s, const sc_transition *tr)
{
    unsigned bits = sc_engine__publish_bits(e, s->table, tr) & e->filtered_mask;
    for (; bits; bits &= bits - 1) {
        int i = __builtin_ctz(bits);
        const sc_engine_observer *o = &e->obs[i];
        if (!e->obs_used[i] || !o->on_publish || !o->publish_only)
            continue;
        for (uint16_t p = 0; p < tr->npublish; p++)
            if (tr->publish[p].name && !strcmp(tr->publish[p].name, o->publish_only))
                o->on_publish(o->ud, s, tr->publish[p].name,
                              tr->publish[p].priority < 0 ? SC_PRIO_NORMAL : tr->publish[p].priority);
    }
}

/* Inline part of the filtered publish check: the most recent table's answer for tr, or the
 * slow path (another table, or a row that publishes a filtered name). */
static inline void check_filtered(sc_engine *e, sc_session *s, const sc_transition *tr)
{
    const struct sc_engine__pubcache *c = &e->pubcache[0];
    if (c->table == s->table && tr->index < c->nrows && !(c->rows[tr->index] & e->filtered_mask))
        return;
    notify_filtered(e, s, tr);
}

/* on_session_ended of every observer that has one (rare: once per session). */
__attribute__((noinline)) static void notify_ended(sc_engine *e, sc_session *s)
{
    for (int i = 0; i < e->nobs; i++)
        if (e->obs_used[i] && e->obs[i].on_session_ended)
            e->obs[i].on_session_ended(e->obs[i].ud, s);
}

/* The observers of the run: the per-run ones (a bit mask, read once: an observer removed
 * meanwhile is skipped, one added is told from the next run), then, for a taken row that
 * publishes, the filtered ones, then on_session_ended when the run ended the session. */
static inline __attribute__((always_inline)) void notify_transition(sc_engine *e, sc_session *s,
                                                                    const sc_history_record *rec,
                                                                    const sc_transition *tr, bool taken, bool ended)
{
    unsigned mask = e->notify_mask;
    bool filtered = taken && e->filtered_mask && tr->npublish;
    if (__builtin_expect(!mask && !filtered && !ended, 1)) { /* no observer to tell */
        s->dirty_fields = 0;
        s->dirty_late = 0;
        return;
    }
    s->dirty_late = 0;
    for (unsigned m = mask; m; m &= m - 1) {
        int i = __builtin_ctz(m);
        if (!e->obs_used[i])
            continue;
        if (e->obs[i].on_transition)
            e->obs[i].on_transition(e->obs[i].ud, s, rec, tr);
        if (taken && e->obs[i].on_publish && !e->obs[i].publish_only)
            for (uint16_t p = 0; p < tr->npublish; p++)
                e->obs[i].on_publish(e->obs[i].ud, s, tr->publish[p].name,
                                     tr->publish[p].priority < 0 ? SC_PRIO_NORMAL : tr->publish[p].priority);
    }
    if (filtered)
        check_filtered(e, s, tr);
    if (__builtin_expect(ended, 0))
        notify_ended(e, s);
    /* this run's record carried the dirty fields; keep only those set by observers since */
    s->dirty_fields = s->dirty_late;
    s->dirty_late = 0;
}

/* Record the run's outcome and count it (stats; metric counts: the run of event started at
 * mono, its last action ended at t_end). */
static inline __attribute__((always_inline)) int finish_run(sc_engine *e, sc_session *s, sc_history_record *rec,
                                                            sc_outcome o, sc_outcome *outcome_out, sc_id event,
                                                            uint64_t mono, uint64_t t_end)
{
    sc_engine__count_run(e, event, o, mono, t_end);
    rec->outcome = o;
    rec->to = s->state;
    sc_store__history_commit(s, rec); /* (inline: the ring's common case) */
    if (o != SC_OUTCOME_TAKEN)
        s->failed++;
    if (outcome_out)
        *outcome_out = o;
    switch (o) {
    case SC_OUTCOME_TAKEN: e->stats.taken++; return 0;
    case SC_OUTCOME_NOT_ACCEPTED: e->stats.not_accepted++; return SC_E_NOT_ACCEPTED;
    case SC_OUTCOME_GUARDS_FAILED: e->stats.guards_failed++; return SC_E_GUARDS_FAILED;
    case SC_OUTCOME_ACTION_FAILED: e->stats.action_failed++; return SC_E_ACTION_FAILED;
    }
    return -EINVAL;
}

/* One event, the session already marked busy: its record, the lookup, then the rows (inlined
 * into the dispatch: one call frame less per event). */
static inline __attribute__((always_inline)) int run_one(sc_engine *e, sc_session *s, const sc_event *ev,
                                                         sc_outcome *outcome_out);
static int run_one(sc_engine *e, sc_session *s, const sc_event *ev, sc_outcome *outcome_out)
{
    sc_history_record record; /* filled here, packed into the ring by finish_run */
    sc_history_record *rec = &record;
    sc_history_record_init(rec);
    size_t nrows;
    const sc_transition *const *rows = sc_engine__lookup(s, ev->type, &nrows);
    uint64_t tick; /* read after the lookup: its loads wait meanwhile */
    uint64_t mono = sc_engine__now(e, &tick);
    int64_t wall = sc_engine__wall_at(e, mono);
    rec->wall_us = wall;
    rec->mono_us = mono;
    rec->from = s->state;
    rec->event = ev->type;
    rec->event_code = ev->code;
    if (ev->text) {
        size_t n = strnlen(ev->text, SC_HISTORY_TEXT_MAX - 1);
        memcpy(rec->event_text, ev->text, n);
        rec->event_text[n] = '\0';
    }
    s->updated_mono_us = mono;
    s->updated_wall_us = wall;
    e->stats.dispatched++;

    sc_engine__run run = {.rows = rows,
                          .nrows = nrows,
                          .mono = mono,
                          .wall = wall,
                          .t_end = mono,
                          .tick = tick,
                          .mark = tick,
                          .failed_at = -1};
    if (!run.nrows) {
        if (e->logger && e->logger->max_level >= SC_LOG_DEBUG)
            sc_log(e->logger, SC_LOG_DEBUG, "engine", "session %s: %s not accepted in %s", s->id,
                   sc_vocab_name(e->vocab, SC_VOCAB_EVENT, ev->type), sc_session_state_name(s));
        int r = finish_run(e, s, rec, SC_OUTCOME_NOT_ACCEPTED, outcome_out, ev->type, mono, mono);
        notify_transition(e, s, rec, NULL, false, false);
        return r;
    }
    return sc_engine__run_rows(e, s, ev, rec, &run, outcome_out);
}

int sc_engine__run_rows(sc_engine *e, sc_session *s, const sc_event *ev, sc_history_record *rec, sc_engine__run *run,
                        sc_outcome *outcome_out)
{
    sc_exec x = {.engine = e, .session = s, .event = ev};
    const sc_transition *tr = NULL;
    if (!run->in_actions) {
        for (; run->row < run->nrows; run->row++, run->step = 0) {
            x.transition = run->rows[run->row];
            int g = guards_pass(e, &x, run->rows[run->row], rec, &run->step);
            if (__builtin_expect(g == SC_ENGINE__SUSPENDED, 0))
                return sc_engine__suspend_run(e, s, ev, rec, run);
            if (g) {
                tr = run->rows[run->row];
                break;
            }
        }
        if (!tr) {
            int r = finish_run(e, s, rec, SC_OUTCOME_GUARDS_FAILED, outcome_out, ev->type, run->mono, run->mono);
            notify_transition(e, s, rec, NULL, false, false);
            return r;
        }
        rec->transition = tr->index;
        run->in_actions = true;
        run->step = 0;
    } else {
        tr = run->rows[run->row];
    }
    x.transition = tr;
    int rc = run->rc;
    int failed = run->failed_at >= 0 ? run->failed_at : run_actions(e, &x, tr, rec, run, &rc);
    if (__builtin_expect(failed == SC_ENGINE__SUSPENDED, 0))
        return sc_engine__suspend_run(e, s, ev, rec, run);
    if (failed >= 0) {
        const char *aname = sc_vocab_name(e->vocab, SC_VOCAB_ACTION, tr->actions[failed].id);
        sc_log(e->logger, SC_LOG_WARN, "engine", "session %s: action %s failed (%d) in %s on %s", s->id, aname, rc,
               sc_session_state_name(s), sc_vocab_name(e->vocab, SC_VOCAB_EVENT, ev->type));
        int r = finish_run(e, s, rec, SC_OUTCOME_ACTION_FAILED, outcome_out, ev->type, run->mono, run->t_end);
        notify_transition(e, s, rec, tr, false, false);
        if (!s->removing) {
            sc_event fail = {.type = SC_EV_ActionFailed, .code = rc, .text = aname};
            sc_engine__enqueue(e, s, &fail, true);
        }
        return r;
    }
    for (uint16_t i = 0; i < tr->nset; i++)
        sc_session_set_condition(s, tr->set[i].cond, tr->set[i].value);
    bool ended = false;
    if (tr->to != SC_ID_NONE && !s->removing && sc_engine__enter_state(e, s, tr->to, run->mono, run->wall)) {
        ended = true;
        if (e->counting)
            e->metrics.sessions_ended[s->role == SC_ROLE_UAS]++;
    }
    int r = finish_run(e, s, rec, SC_OUTCOME_TAKEN, outcome_out, ev->type, run->mono, run->t_end);
    if (!s->removing)
        check_conditions(e, s);
    notify_transition(e, s, rec, tr, true, ended);
    return r;
}

static int sc_engine__resume_rows(sc_engine *e, sc_session *s, const sc_event *ev, sc_history_record *rec,
                                  sc_engine__run *run, int result, uint64_t started)
{
    uint64_t now = sc_clock_mono_us(e->clock);
    run->tick = 0; /* the rest of a resumed run is timed with the clock */
    if (!run->in_actions) {
        const sc_transition *tr = run->rows[run->row];
        const sc_call *call = &tr->guards[run->step];
        if (sc_engine__guard_done(rec, call, result > 0, false)) {
            run->step++;
        } else {
            run->row++;
            run->step = 0;
        }
    } else {
        const sc_transition *tr = run->rows[run->row];
        const sc_call *call = &tr->actions[run->step];
        sc_engine__action_done(rec, call, result, started, now);
        run->t_end = now;
        sc_exec x = {.engine = e, .session = s, .event = ev};
        if (action_stops(&x, result)) {
            run->failed_at = run->step;
            run->rc = result;
        } else {
            run->step++;
        }
    }
    return sc_engine__run_rows(e, s, ev, rec, run, NULL);
}

/* What the lines logged while a session's events run are about (sc_log_fields): resolved
 * only when a line is logged. */
typedef struct log_subject {
    const sc_engine *e;
    const sc_session *s;
    const sc_event *ev; /* the event being run */
} log_subject;

static void log_subject_fields(const void *obj, sc_log_fields *out)
{
    const log_subject *l = obj;
    out->session_id = l->s->id;
    out->call_id = sc_session_field(l->s, SC_FIELD_CALL_ID);
    out->state = sc_session_state_name(l->s);
    out->event = l->ev ? sc_vocab_name(l->e->vocab, SC_VOCAB_EVENT, l->ev->type) : NULL;
}

int sc_engine_dispatch(sc_engine *e, sc_session *s, const sc_event *ev, sc_outcome *outcome)
{
    if (!e || !s || !ev)
        return -EINVAL;
    if (s->removing)
        return SC_E_TERMINATED;
    if (s->busy)
        return sc_engine__enqueue(e, s, ev, false);
    s->busy = true;
    log_subject subject = {.e = e, .s = s, .ev = ev};
    sc_log_context lc = {.fill = log_subject_fields, .obj = &subject};
    sc_log__push(&lc);
    int r = run_one(e, s, ev, outcome);
    if (__builtin_expect(s->qhead || s->pending || s->removing, 0))
        sc_engine__drain(e, s, &subject.ev);
    else
        s->busy = false; /* what sc_engine__drain ends with when there is nothing to run */
    sc_log__pop(&lc);
    return r;
}

void sc_engine__drain(sc_engine *e, sc_session *s, const sc_event **subject_ev)
{
    sc_qevent *q;
    while (!s->removing && !s->pending && (q = dequeue(s)) != NULL) {
        *subject_ev = &q->ev;
        run_one(e, s, &q->ev, NULL);
        if (s->pending) /* the suspended run took the event's data */
            q->ev.data = NULL;
        qevent_free(q);
    }
    if (s->pending)
        return; /* stays busy: its later events wait in the queue */
    s->busy = false;
    if (s->removing)
        sc_engine__finish_remove(e, s);
}

int sc_engine__continue(sc_engine *e, sc_session *s, const sc_event *ev, sc_history_record *rec, sc_engine__run *run,
                        int result, uint64_t started)
{
    log_subject subject = {.e = e, .s = s, .ev = ev};
    sc_log_context lc = {.fill = log_subject_fields, .obj = &subject};
    sc_log_context_push(&lc);
    int r = sc_engine__resume_rows(e, s, ev, rec, run, result, started);
    sc_log_context_pop(&lc);
    return r;
}

void sc_engine__drain_logged(sc_engine *e, sc_session *s)
{
    log_subject subject = {.e = e, .s = s, .ev = NULL};
    sc_log_context lc = {.fill = log_subject_fields, .obj = &subject};
    sc_log_context_push(&lc);
    sc_engine__drain(e, s, &subject.ev);
    sc_log_context_pop(&lc);
}

int sc_engine_dispatch_simple(sc_engine *e, sc_session *s, sc_id type, int32_t code, const char *text)
{
    sc_event ev = {.type = type, .code = code, .text = text};
    return sc_engine_dispatch(e, s, &ev, NULL);
}

int sc_engine__dispatch_raw(sc_engine *e, sc_session *s, const sc_event *ev)
{
    size_t n;
    const sc_transition *const *rows = sc_engine__lookup(s, ev->type, &n);
    if (!n)
        return SC_E_NOT_ACCEPTED;
    sc_exec x = {.engine = e, .session = s, .event = ev};
    for (size_t i = 0; i < n; i++) {
        const sc_transition *tr = rows[i];
        bool ok = true;
        x.transition = tr;
        for (uint16_t g = 0; ok && g < tr->nguards; g++) {
            const sc_call *call = &tr->guards[g];
            bool v = false;
            if (call->id < e->nguards && e->guards[call->id].fn) {
                x.call = call;
                x.ud = e->guards[call->id].ud;
                v = e->guards[call->id].fn(&x);
            }
            ok = v != call->negate;
        }
        if (!ok)
            continue;
        for (uint16_t a = 0; a < tr->nactions; a++) {
            const sc_call *call = &tr->actions[a];
            if (call->id >= e->nactions || !e->actions[call->id].fn)
                return SC_E_ACTION_FAILED;
            x.call = call;
            x.ud = e->actions[call->id].ud;
            if (e->actions[call->id].fn(&x) != 0)
                return SC_E_ACTION_FAILED;
        }
        for (uint16_t c = 0; c < tr->nset; c++)
            sc_session_set_condition(s, tr->set[c].cond, tr->set[c].value);
        if (tr->to != SC_ID_NONE)
            s->state = tr->to;
        return 0;
    }
    return SC_E_GUARDS_FAILED;
}
