/* store_setup: opens the store at start (recovery first), publishes recovery and store
 * health to /readyz, and refreshes the store check once a second when it changes. */
#include "store_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_cleanup.h"
#include "session_core/coord.h"

#define HEALTH_MS 1000

struct sd_store {
    uv_timer_t timer;
    sc_coord *api;
    sc_obs_health *health;
    int last;          /* -1 unknown, 0 down, 1 up */
    size_t last_depth; /* queue depth reported last */
};

static void update_health(sd_store *s)
{
    sc_persist_health h;
    const char *backend = NULL;
    if (sc_coord_store_health(s->api, &h, &backend) != 0)
        return;
    bool full = h.queue_cap && h.queue_depth >= h.queue_cap - h.queue_cap / 10;
    int now = h.connected && !full ? 1 : 0;
    if (now == s->last)
        return; /* only changes: an operator's /debug/health override stays until the next one */
    s->last = now;
    char reason[320];
    if (now)
        snprintf(reason, sizeof reason, "%s store connected", backend ? backend : "?");
    else if (full)
        snprintf(reason, sizeof reason, "%s store write queue full (%zu/%zu)", backend ? backend : "?", h.queue_depth,
                 h.queue_cap);
    else
        snprintf(reason, sizeof reason, "%s store unreachable: %s", backend ? backend : "?",
                 h.last_error_msg[0] ? h.last_error_msg : "connecting");
    if (s->health)
        sc_obs_health_set(s->health, SC_OBS_CHECK_STORE, now == 1, reason);
}

static void on_timer(uv_timer_t *t) { update_health(t->data); }

static void on_closed(uv_handle_t *h) { free(h->data); }

int sd_store_start(sd_store **out, uv_loop_t *loop, sc_coord *api, const sd_config *cfg, sc_obs_health *health,
                   const sc_logger *logger)
{
    sc_coord_store_config sc = {.url = cfg->store,
                                .durability = (sc_persist_durability)cfg->durability,
                                .node_id = cfg->node_id,
                                .snapshot_every = cfg->snapshot_every,
                                .cluster = cfg->cluster};
    sd_event_log_retention(cfg, &sc.event_log_retention_ms, &sc.prune_interval_ms); /* config_cleanup.c */
    sc_coord_store_report rep;
    char err[512];
    *out = NULL;
    int rc = sc_coord_store_open(api, &sc, &rep, err, sizeof err);
    if (rc) {
        fprintf(stderr, "sessiond: %s\n", err[0] ? err : sc_strerror(rc));
        return 1;
    }
    char reason[256];
    snprintf(reason, sizeof reason, "%zu session(s) recovered, %zu failed, in %.3f s (node %s)", rep.recovered,
             rep.failed, rep.seconds, rep.node_id);
    if (health)
        sc_obs_health_set(health, SC_OBS_CHECK_RECOVERY, true, reason);
    if (cfg->durability == SC_PERSIST_NONE) {
        if (health)
            sc_obs_health_set(health, SC_OBS_CHECK_STORE, true, "durability none: memory only");
        sc_log(logger, SC_LOG_INFO, "persist", "durability none: nothing is stored, nothing recovered");
        return 0;
    }
    sd_store *s = calloc(1, sizeof *s);
    if (!s)
        return 1;
    s->api = api;
    s->health = health;
    s->last = -1;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    update_health(s);
    uv_timer_start(&s->timer, on_timer, HEALTH_MS, HEALTH_MS);
    *out = s;
    return 0;
}

void sd_store_stop(sd_store *s)
{
    if (!s)
        return;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, on_closed);
}
