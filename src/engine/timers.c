/* timers: state timers, idle limits, retention and scheduled events on the injected clock,
 * kept in one binary min-heap that the caller drives (next deadline, run due timers). A state
 * or limit timer that a state change cancels stays in the heap, marked dead (kind 0), so that
 * the next state arming it again only moves it: a dead timer never fires, is not counted, and
 * leaves the heap when it reaches the top or its session goes. */
#include "engine/engine_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static bool before(const sc_session_timer *a, const sc_session_timer *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->order < b->order);
}

static void heap_set(sc_engine *e, size_t i, sc_session_timer *t)
{
    e->heap[i] = t;
    t->heap_index = (uint32_t)i;
}

static void sift_up(sc_engine *e, size_t i)
{
    sc_session_timer *t = e->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(t, e->heap[p]))
            break;
        heap_set(e, i, e->heap[p]);
        i = p;
    }
    heap_set(e, i, t);
}

static void sift_down(sc_engine *e, size_t i)
{
    sc_session_timer *t = e->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        const sc_session_timer *best = t;
        if (l < e->heap_len && before(e->heap[l], best)) {
            m = l;
            best = e->heap[l];
        }
        if (l + 1 < e->heap_len && before(e->heap[l + 1], best))
            m = l + 1;
        if (m == i)
            break;
        heap_set(e, i, e->heap[m]);
        i = m;
    }
    heap_set(e, i, t);
}

int sc_engine__reserve_timers(sc_engine *e, size_t want)
{
    if (e->heap_cap >= want)
        return 0;
    size_t ncap = e->heap_cap ? e->heap_cap : 16;
    while (ncap < want)
        ncap *= 2;
    sc_session_timer **nh = realloc(e->heap, ncap * sizeof *nh);
    if (!nh)
        return -ENOMEM;
    e->heap = nh;
    e->heap_cap = ncap;
    return 0;
}

static int heap_push(sc_engine *e, sc_session_timer *t)
{
    if (e->heap_len == e->heap_cap && sc_engine__reserve_timers(e, e->heap_len + 1) != 0) {
        sc_log(e->logger, SC_LOG_ERROR, "engine", "session %s: no memory for a timer", t->session->id);
        return -ENOMEM;
    }
    t->order = ++e->timer_order;
    e->heap[e->heap_len] = t;
    t->heap_index = (uint32_t)e->heap_len;
    e->heap_len++;
    sift_up(e, t->heap_index);
    return 0;
}

static void heap_remove(sc_engine *e, sc_session_timer *t)
{
    size_t i = t->heap_index;
    if (i == UINT32_MAX || i >= e->heap_len || e->heap[i] != t)
        return;
    if (t->kind == SC_TIMER_DEAD)
        e->heap_dead--;
    t->heap_index = UINT32_MAX;
    e->heap_len--;
    if (i == e->heap_len)
        return;
    heap_set(e, i, e->heap[e->heap_len]);
    if (i > 0 && before(e->heap[i], e->heap[(i - 1) / 2]))
        sift_up(e, i);
    else
        sift_down(e, i);
}

static bool armed(const sc_engine *e, const sc_session_timer *t) { return sc_engine__timer_armed(e, t); }

/* In the heap and not dead: a timer that will fire. */
static bool live(const sc_engine *e, const sc_session_timer *t) { return armed(e, t) && t->kind != SC_TIMER_DEAD; }

/* Dead timers at the top leave the heap (then the top is one that will fire, or none). */
static void purge_top(sc_engine *e)
{
    while (e->heap_len && e->heap[0]->kind == SC_TIMER_DEAD)
        heap_remove(e, e->heap[0]);
}

void sc_engine__timer_arm(sc_engine *e, sc_session_timer *t, uint8_t kind, sc_id event, uint64_t deadline)
{
    if (!armed(e, t)) {
        t->kind = kind;
        t->event = event;
        t->deadline = deadline;
        heap_push(e, t);
        return;
    }
    if (t->kind == SC_TIMER_DEAD)
        e->heap_dead--;
    t->kind = kind;
    t->event = event;
    bool later = deadline >= t->deadline; /* on a tie the new order is later too */
    t->deadline = deadline;
    t->order = ++e->timer_order;
    if (later)
        sift_down(e, t->heap_index);
    else
        sift_up(e, t->heap_index);
}

static void sched_free(sc_sched *sc)
{
    if (sc->ev.data && sc->ev.data_free)
        sc->ev.data_free(sc->ev.data);
    free(sc);
}

void sc_engine__cancel_timers(sc_engine *e, sc_session *s, bool all)
{
    heap_remove(e, &s->state_timer);
    heap_remove(e, &s->limit_timer);
    sc_engine__cancel_sched(e, s, all);
}

void sc_engine__cancel_sched(sc_engine *e, sc_session *s, bool all)
{
    sc_sched **pp = (sc_sched **)&s->sched;
    while (*pp) {
        sc_sched *sc = *pp;
        if (all || sc->timer.cancel_on_exit) {
            *pp = sc->next;
            heap_remove(e, &sc->timer);
            s->nsched--;
            s->qbytes -= sizeof *sc;
            sched_free(sc);
        } else {
            pp = &sc->next;
        }
    }
}

void sc_engine__cancel_state_timers(sc_engine *e, sc_session *s)
{
    heap_remove(e, &s->state_timer);
    heap_remove(e, &s->limit_timer);
}

void sc_engine__arm_state(sc_engine *e, sc_session *s, uint64_t now)
{
    sc_engine__arm_state_from(e, s, now, s->state, false);
}

uint64_t sc_engine_next_deadline(const sc_engine *e)
{
    /* dead timers on top go first: the engine's timers as the caller sees them do not change */
    purge_top((sc_engine *)e);
    return e->heap_len ? e->heap[0]->deadline : UINT64_MAX;
}

size_t sc_engine_timer_count(const sc_engine *e) { return e->heap_len - e->heap_dead; }

size_t sc_engine_session_timer_count(const sc_engine *e, const sc_session *s)
{
    if (!e || !s)
        return 0;
    size_t n = live(e, &s->state_timer) + live(e, &s->limit_timer);
    for (const sc_sched *sc = s->sched; sc; sc = sc->next)
        n += live(e, &sc->timer);
    return n;
}

static void fire(sc_engine *e, sc_session_timer *t)
{
    sc_session *s = t->session;
    switch (t->kind) {
    case SC_TIMER_STATE:
    case SC_TIMER_EXPIRE: {
        sc_event ev = {.type = t->event};
        sc_engine_dispatch(e, s, &ev, NULL);
        break;
    }
    case SC_TIMER_RETENTION: sc_engine_remove_session(e, s, "retention"); break;
    case SC_TIMER_SCHED: {
        sc_sched *sc = (sc_sched *)((char *)t - offsetof(sc_sched, timer));
        for (sc_sched **pp = (sc_sched **)&s->sched; *pp; pp = &(*pp)->next) {
            if (*pp == sc) {
                *pp = sc->next;
                break;
            }
        }
        s->nsched--;
        s->qbytes -= sizeof *sc;
        int r = sc_engine_dispatch(e, s, &sc->ev, NULL);
        if (r == SC_ENGINE_QUEUED) /* the queue owns data now */
            sc->ev.data = NULL;
        sched_free(sc);
        break;
    }
    default: break;
    }
}

size_t sc_engine_run_timers(sc_engine *e, size_t max_fire)
{
    size_t fired = 0;
    uint64_t now = sc_clock_mono_us(e->clock);
    for (purge_top(e); e->heap_len && e->heap[0]->deadline <= now && (!max_fire || fired < max_fire); purge_top(e)) {
        sc_session_timer *t = e->heap[0];
        heap_remove(e, t);
        fired++;
        e->stats.timers_fired++;
        fire(e, t);
    }
    return fired;
}

int sc_engine_schedule(sc_engine *e, sc_session *s, uint64_t delay_ms, const sc_event *ev, bool cancel_on_exit)
{
    if (!e || !s || !ev)
        return -EINVAL;
    if (s->removing)
        return SC_E_TERMINATED;
    if (s->nsched >= SC_ENGINE_MAX_SCHED)
        return -ENOSPC;
    size_t tlen = ev->text ? strlen(ev->text) + 1 : 0;
    sc_sched *sc = calloc(1, sizeof *sc + tlen);
    if (!sc)
        return -ENOMEM;
    sc->ev = *ev;
    if (ev->text) {
        memcpy(sc->text, ev->text, tlen);
        sc->ev.text = sc->text;
    }
    sc->timer.heap_index = UINT32_MAX;
    sc->timer.session = s;
    sc->timer.cancel_on_exit = cancel_on_exit;
    sc->timer.kind = SC_TIMER_SCHED;
    sc->timer.event = ev->type;
    sc->timer.deadline = sc_clock_mono_us(e->clock) + delay_ms * 1000u;
    if (heap_push(e, &sc->timer) != 0) {
        free(sc);
        return -ENOMEM;
    }
    sc->next = s->sched;
    s->sched = sc;
    s->nsched++;
    s->qbytes += sizeof *sc;
    return 0;
}
