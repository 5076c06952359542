/* store_prune: the periodic pruning of the persisted event log (see store_prune.h). */
#include "coord/store_prune.h"

#include <errno.h>
#include <stdlib.h>

#include "coord/coord_int.h"

struct sc_coord_prune {
    sc_coord *coord;      /* borrowed */
    sc_persist_writer *w; /* borrowed */
    uint64_t retention_us;
    unsigned interval_ms;
    uv_timer_t timer;
    bool busy;               /* a prune op is in the writer, its turn callback pending */
    bool stopping;           /* sc_coord__prune_stop was called */
    uint64_t seen;           /* the writer's pruned_events counted so far */
    uint64_t round;          /* events removed in the current round */
    sc_obs_counter *counter; /* sessioncore_store_events_pruned_total (NULL without metrics) */
};

static void on_tick(uv_timer_t *t);

/* A prune op is durable: count what it removed; go on at once while more is due. */
static void on_done(int status, void *ud)
{
    sc_coord_prune *pr = ud;
    pr->busy = false;
    if (pr->stopping || status == -ECANCELED)
        return;
    sc_persist_health h;
    sc_persist_writer_health(pr->w, &h);
    uint64_t n = h.pruned_events - pr->seen;
    pr->seen = h.pruned_events;
    pr->round += n;
    if (pr->counter && n)
        sc_obs_counter_add(pr->counter, n);
    if (h.prune_more) {
        uv_timer_start(&pr->timer, on_tick, 0, 0);
        return;
    }
    if (pr->round)
        sc_log(pr->coord->logger, SC_LOG_DEBUG, "persist", "event log: %llu event(s) pruned",
               (unsigned long long)pr->round);
    pr->round = 0;
    uv_timer_start(&pr->timer, on_tick, pr->interval_ms, 0);
}

static void on_tick(uv_timer_t *t)
{
    sc_coord_prune *pr = t->data;
    if (pr->busy || pr->stopping)
        return;
    int64_t before = sc_clock_wall_us(pr->coord->clock ? pr->coord->clock : sc_clock_system()) -
                     (int64_t)pr->retention_us;
    int rc = sc_persist_writer_prune(pr->w, before, SC_COORD_PRUNE_BATCH, NULL);
    if (rc == 0)
        rc = sc_persist_writer_commit_turn(pr->w, on_done, pr);
    if (rc == 0) {
        pr->busy = true;
        return;
    }
    /* the queue is full (calls come first) or out of memory: try again next period */
    uv_timer_start(&pr->timer, on_tick, pr->interval_ms, 0);
}

int sc_coord__prune_start(sc_coord_prune **out, sc_coord *coord, sc_persist_writer *w, uint64_t retention_ms,
                          unsigned interval_ms)
{
    *out = NULL;
    if (!retention_ms)
        return 0;
    sc_coord_prune *pr = calloc(1, sizeof *pr);
    if (!pr)
        return -ENOMEM;
    pr->coord = coord;
    pr->w = w;
    pr->retention_us = retention_ms * 1000u;
    pr->interval_ms = interval_ms ? interval_ms : SC_COORD_PRUNE_INTERVAL_MS;
    if (coord->reg) {
        sc_obs_desc d = {.type = SC_OBS_COUNTER,
                         .name = "sessioncore_store_events_pruned_total",
                         .help = "Events removed from the persisted event log by its retention "
                                 "(--event-log-retention-ms)"};
        sc_obs_metric *m = NULL;
        if (sc_obs_register(coord->reg, &d, &m) != 0)
            m = sc_obs_registry_find(coord->reg, d.name);
        pr->counter = m ? sc_obs_counter_with(m) : NULL;
    }
    sc_persist_health h;
    sc_persist_writer_health(w, &h);
    pr->seen = h.pruned_events;
    uv_timer_init(coord->loop, &pr->timer);
    pr->timer.data = pr;
    uv_timer_start(&pr->timer, on_tick, pr->interval_ms, 0);
    *out = pr;
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    sc_coord_prune *pr = h->data;
    pr->coord->closing_handles--;
    free(pr);
}

void sc_coord__prune_stop(sc_coord_prune *pr)
{
    if (!pr)
        return;
    pr->stopping = true;
    pr->coord->closing_handles++;
    uv_close((uv_handle_t *)&pr->timer, on_closed);
}
