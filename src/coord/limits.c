/* limits: the admission checks (shutdown, sessions, rate, memory) run before a new
 * session is created, each refusal counted by reason. */
#include "coord/limits.h"

#include <errno.h>
#include <stdlib.h>

#include "coord/obs.h"
#include "coord/recover.h"

#define RSS_SAMPLE_US 100000 /* the memory figure is refreshed at most every 100 ms */

struct sc_coord_limits {
    uint32_t max_cps;     /* 0 = no rate limit */
    uint64_t max_memory;  /* bytes; 0 = no memory limit */
    unsigned retry_after; /* seconds */
    double tokens;        /* token bucket: up to max_cps (one second's burst) */
    uint64_t refill_us;   /* mono time of the last refill */
    uint64_t rss;         /* last sample */
    uint64_t rss_at_us;   /* when it was taken (0 = never) */
};

int sc_coord__limits_new(sc_coord *api, const sc_coord_config *cfg)
{
    sc_coord_limits *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    l->max_cps = cfg->max_cps;
    l->max_memory = cfg->max_memory;
    l->retry_after = cfg->retry_after_s ? cfg->retry_after_s : 5;
    l->tokens = cfg->max_cps;
    l->refill_us = sc_clock_mono_us(api->clock);
    api->limits = l;
    return 0;
}

void sc_coord__limits_free(sc_coord *api)
{
    free(api->limits);
    api->limits = NULL;
}

unsigned sc_coord__retry_after(const sc_coord *api) { return api->limits ? api->limits->retry_after : 5; }

uint64_t sc_coord__limits_rss(sc_coord *api, bool resample)
{
    sc_coord_limits *l = api->limits;
    if (!l)
        return 0;
    uint64_t now = sc_clock_mono_us(api->clock);
    if (resample || !l->rss_at_us || now - l->rss_at_us >= RSS_SAMPLE_US) {
        sc_obs_process_stats st;
        if (sc_obs_process_sample(&st) == 0)
            l->rss = st.resident_bytes;
        l->rss_at_us = now ? now : 1;
    }
    return l->rss;
}

static bool rate_ok(sc_coord *api, sc_coord_limits *l)
{
    if (!l->max_cps)
        return true;
    uint64_t now = sc_clock_mono_us(api->clock);
    if (now > l->refill_us) {
        l->tokens += (double)(now - l->refill_us) * l->max_cps / 1e6;
        if (l->tokens > l->max_cps)
            l->tokens = l->max_cps;
        l->refill_us = now;
    }
    return l->tokens >= 1.0;
}

int sc_coord__admit(sc_coord *api, const char *source, const char **reason)
{
    sc_coord_limits *l = api->limits;
    const char *why = NULL;
    if (api->shutting_down)
        why = "shutdown";
    else if (api->max_sessions && api->active >= api->max_sessions)
        why = "max_sessions";
    else if (l && l->max_memory && sc_coord__limits_rss(api, false) > l->max_memory)
        why = "max_memory";
    else if (l && !rate_ok(api, l))
        why = "max_cps";
    else if (sc_coord__store_full(api)) /* persistence writer queue (store.c) */
        why = "store_queue_full";
    if (!why) {
        if (l && l->max_cps)
            l->tokens -= 1.0;
        return 0;
    }
    if (reason)
        *reason = why;
    sc_coord_obs_admission_rejected(api->obs, why, source);
    return SC_E_OVERLOAD;
}
