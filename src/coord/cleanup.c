/* cleanup: the bounded reaper (global session age, retention caps for terminal states)
 * and its uv timer in the daemon. */
#include "coord/cleanup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "coord/coord_int.h"

#define TICK_MS 1000u /* a sweep per second; at once again while work is left */

typedef struct rq_item {
    uint64_t due_us;                /* mono µs the entry is due at */
    char id[SC_SESSION_ID_MAX + 1]; /* session id */
    uint8_t stage;                  /* escalation: SessionExpired sent this many times */
} rq_item;

typedef struct rqueue { /* FIFO ring: deadlines are added in increasing order */
    rq_item *v;
    size_t head, len, cap;
} rqueue;

struct sc_coord_cleanup {
    sc_engine *engine;     /* borrowed */
    sc_store *store;       /* borrowed */
    const sc_clock *clock; /* borrowed */
    sc_coord_cleanup_config cfg;
    int observer; /* engine observer handle, -1 if none */
    rqueue q[2];  /* retention caps: [0] terminated/cancelled/rejected, [1] failed */
    rqueue age;   /* every session by creation: due at created + max_age */
    rqueue esc;   /* expired sessions not yet ended: due after the grace */
    sc_coord_cleanup_stats stats;
    /* daemon glue */
    sc_coord *coord; /* NULL when used alone (tests) */
    uv_timer_t timer;
    sc_obs_metric *expired_m; /* sessioncore_sessions_expired_total{reason} */
};

void sc_coord__cleanup_config_default(sc_coord_cleanup_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_age_ms = 86400000u;
    cfg->retention_ms = 300000u;
    cfg->failed_retention_ms = 600000u;
    cfg->engine_retention_ms = 600000u;
    cfg->grace_ms = 32000u;
    cfg->per_tick = 1000u;
}

/* ---- retention queues ------------------------------------------------------------------ */

static int rq_push(rqueue *q, uint64_t due, const char *id, uint8_t stage)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        rq_item *v = malloc(cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        for (size_t i = 0; i < q->len; i++)
            v[i] = q->v[(q->head + i) % q->cap];
        free(q->v);
        q->v = v;
        q->head = 0;
        q->cap = cap;
    }
    rq_item *it = &q->v[(q->head + q->len) % q->cap];
    it->due_us = due;
    snprintf(it->id, sizeof it->id, "%s", id);
    it->stage = stage;
    q->len++;
    return 0;
}

static bool due(const rqueue *q, uint64_t now) { return q->len && q->v[q->head].due_us <= now; }

static rq_item rq_pop(rqueue *q)
{
    rq_item it = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return it;
}

static void rq_shrink(rqueue *q)
{
    if (q->len == 0 && q->cap > 1024) { /* give memory back after a burst */
        free(q->v);
        q->v = NULL;
        q->cap = q->head = 0;
    }
}

static bool failed_state(const char *name) { return name && strcasestr(name, "fail") != NULL; }

/* A session entered a terminal state: queue it when our cap is shorter than what the engine
 * will do (the state's max_ms, or the engine retention for states without one). */
static void on_transition(void *ud, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    sc_coord_cleanup *c = ud;
    (void)t;
    if (rec->outcome != SC_OUTCOME_TAKEN || rec->from == rec->to)
        return;
    const sc_table *tb = sc_session_table(s);
    const sc_state_info *from = sc_table_state(tb, rec->from), *to = sc_table_state(tb, rec->to);
    if (!from || !to || from->terminal || !to->terminal)
        return;
    bool failed = failed_state(to->name);
    uint64_t cap = failed ? c->cfg.failed_retention_ms : c->cfg.retention_ms;
    uint64_t engine_ms = to->max_ms ? to->max_ms : c->cfg.engine_retention_ms;
    if (!cap || (engine_ms && cap >= engine_ms))
        return;
    uint64_t now = sc_clock_mono_us(c->clock);
    rq_push(&c->q[failed ? 1 : 0], now + cap * 1000u, sc_session_id(s), 0);
}

/* Pops due entries of q, removing sessions still in a terminal state long enough. */
static size_t sweep_queue(sc_coord_cleanup *c, rqueue *q, uint64_t cap_ms, uint64_t now, size_t budget)
{
    size_t n = 0;
    while (n < budget && q->len && q->v[q->head].due_us <= now) {
        rq_item it = rq_pop(q);
        n++;
        sc_session *s = sc_store_get(c->store, it.id);
        if (!s || !sc_coord__is_terminal(s))
            continue;
        uint64_t in = sc_session_state_entered_mono_us(s);
        if (now < in || now - in + 1000u < cap_ms * 1000u) /* another stay (id reused): not yet */
            continue;
        c->stats.retention_removed++;
        sc_engine_remove_session(c->engine, s, "retention");
    }
    rq_shrink(q);
    return n;
}

/* ---- global age ------------------------------------------------------------------------ */

/* Entries of sessions already removed pile up in the age queue (it is ordered by creation,
 * not by end): drop them once they outnumber the live sessions twice over. Amortized O(1)
 * per session created. */
static void age_compact(sc_coord_cleanup *c)
{
    rqueue *q = &c->age;
    size_t live = sc_store_count(c->store), kept = 0;
    if (q->len <= 2 * live + 1024)
        return;
    for (size_t i = 0; i < q->len; i++) {
        rq_item *it = &q->v[(q->head + i) % q->cap];
        if (sc_store_get(c->store, it->id))
            q->v[(q->head + kept++) % q->cap] = *it;
    }
    q->len = kept;
}

static void on_created(void *ud, sc_session *s)
{
    sc_coord_cleanup *c = ud;
    if (!c->cfg.max_age_ms)
        return;
    age_compact(c);
    rq_push(&c->age, sc_session_created_mono_us(s) + c->cfg.max_age_ms * 1000u, sc_session_id(s), 0);
}

static void count_expired(sc_coord_cleanup *c, const char *reason)
{
    if (!c->expired_m)
        return;
    sc_obs_counter *k = sc_obs_counter_with(c->expired_m, reason);
    if (k)
        sc_obs_counter_inc(k);
}

static void force_remove(sc_coord_cleanup *c, sc_session *s)
{
    c->stats.forced++;
    count_expired(c, "max_age_forced");
    sc_engine_remove_session(c->engine, s, "max_age");
}

/* SessionExpired through the table (stage 0 and 1); a table that does not take it, or a
 * session still not ended a grace after the second one, is removed: never kept forever. */
static void expire_one(sc_coord_cleanup *c, const rq_item *it, uint64_t now)
{
    sc_session *s = sc_store_get(c->store, it->id);
    if (!s || sc_coord__is_terminal(s))
        return;
    if (sc_engine_session_busy(c->engine, s)) { /* inside its own dispatch: look again soon */
        rq_push(&c->esc, now + 1000u, it->id, it->stage);
        return;
    }
    if (it->stage >= 2) {
        force_remove(c, s);
        return;
    }
    int rc = sc_engine_dispatch_simple(c->engine, s, SC_EV_SessionExpired, 0, "max_session_age");
    c->stats.expired++;
    count_expired(c, "max_age");
    s = sc_store_get(c->store, it->id);
    if (!s || sc_coord__is_terminal(s))
        return;
    if (rc == SC_E_NOT_ACCEPTED || rc == SC_E_GUARDS_FAILED)
        force_remove(c, s);
    else
        rq_push(&c->esc, now + c->cfg.grace_ms * 1000u, it->id, (uint8_t)(it->stage + 1));
}

static size_t sweep_expiry(sc_coord_cleanup *c, rqueue *q, uint64_t now, size_t budget)
{
    size_t n = 0;
    while (n < budget && due(q, now)) {
        rq_item it = rq_pop(q);
        n++;
        expire_one(c, &it, now);
    }
    rq_shrink(q);
    return n;
}

bool sc_coord__cleanup_sweep(sc_coord_cleanup *c, size_t *examined)
{
    uint64_t now = sc_clock_mono_us(c->clock);
    size_t budget = c->cfg.per_tick, used = 0;
    c->stats.sweeps++;
    used += sweep_queue(c, &c->q[0], c->cfg.retention_ms, now, budget - used);
    used += sweep_queue(c, &c->q[1], c->cfg.failed_retention_ms, now, budget - used);
    used += sweep_expiry(c, &c->esc, now, budget - used);
    used += sweep_expiry(c, &c->age, now, budget - used);
    c->stats.examined += used;
    if (used > c->stats.max_examined)
        c->stats.max_examined = used;
    if (examined)
        *examined = used;
    return due(&c->q[0], now) || due(&c->q[1], now) || due(&c->esc, now) || due(&c->age, now);
}

void sc_coord__cleanup_get_stats(const sc_coord_cleanup *c, sc_coord_cleanup_stats *out)
{
    *out = c->stats;
    out->retention_pending = c->q[0].len + c->q[1].len;
    out->age_pending = c->age.len + c->esc.len;
}

int sc_coord__cleanup_new(sc_coord_cleanup **out, sc_engine *engine, const sc_coord_cleanup_config *cfg)
{
    if (!out || !engine)
        return -EINVAL;
    sc_coord_cleanup *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    if (cfg)
        c->cfg = *cfg;
    else
        sc_coord__cleanup_config_default(&c->cfg);
    if (!c->cfg.per_tick)
        c->cfg.per_tick = 1000;
    if (!c->cfg.grace_ms)
        c->cfg.grace_ms = 32000;
    c->engine = engine;
    c->store = sc_engine_store(engine);
    c->clock = sc_store_clock(c->store);
    sc_engine_observer obs = {.on_session_created = on_created, .on_transition = on_transition, .ud = c};
    c->observer = sc_engine_add_observer(engine, &obs);
    if (c->observer < 0) {
        int rc = c->observer;
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void sc_coord__cleanup_free(sc_coord_cleanup *c)
{
    if (!c)
        return;
    if (c->observer >= 0)
        sc_engine_remove_observer(c->engine, c->observer);
    free(c->q[0].v);
    free(c->q[1].v);
    free(c->age.v);
    free(c->esc.v);
    free(c);
}

/* ---- the daemon's timer ---------------------------------------------------------------- */

static void on_tick(uv_timer_t *t)
{
    sc_coord_cleanup *c = t->data;
    bool more = sc_coord__cleanup_sweep(c, NULL);
    uv_timer_start(&c->timer, on_tick, more ? 0 : TICK_MS, 0);
}

static int start(sc_coord *coord, const sc_coord_config *cfg)
{
    sc_coord_cleanup_config cc;
    sc_coord__cleanup_config_default(&cc);
    cc.max_age_ms = cfg->max_session_age_ms;
    cc.retention_ms = cfg->retention_ms;
    cc.failed_retention_ms = cfg->failed_retention_ms;
    cc.engine_retention_ms = cfg->retention_ms > cfg->failed_retention_ms ? cfg->retention_ms
                                                                          : cfg->failed_retention_ms;
    sc_coord_cleanup *c = NULL;
    int rc = sc_coord__cleanup_new(&c, coord->engine, &cc);
    if (rc)
        return rc;
    c->coord = coord;
    sc_obs_registry *reg = coord->reg;
    if (reg) {
        sc_obs_desc d = {.type = SC_OBS_COUNTER,
                         .name = "sessioncore_sessions_expired_total",
                         .help = "Sessions ended by the reaper (SessionExpired through the table), by reason",
                         .labels = {"reason"}};
        if (sc_obs_register(reg, &d, &c->expired_m) != 0)
            c->expired_m = sc_obs_registry_find(reg, d.name);
    }
    uv_timer_init(coord->loop, &c->timer);
    c->timer.data = c;
    uv_timer_start(&c->timer, on_tick, TICK_MS, 0);
    coord->feat[SC_FEAT_CLEANUP] = c;
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    sc_coord_cleanup *c = h->data;
    c->coord->closing_handles--;
    sc_coord__cleanup_free(c);
}

/* Its timer closes in the loop runs of sc_coord_free (then the reaper is freed). */
static void stop(sc_coord *coord)
{
    sc_coord_cleanup *c = coord->feat[SC_FEAT_CLEANUP];
    if (!c)
        return;
    coord->feat[SC_FEAT_CLEANUP] = NULL;
    sc_engine_remove_observer(c->engine, c->observer);
    c->observer = -1;
    coord->closing_handles++;
    uv_close((uv_handle_t *)&c->timer, on_closed);
}

const sc_coord_feature sc_coord__feature_cleanup = {
    .name = "cleanup",
    .start = start,
    .stop = stop,
};
