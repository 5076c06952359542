/* limits: admission control beyond the core's session cap: a token bucket on the admission
 * rate (on the injected clock) and a cap on the process's resident memory (sampled at most
 * every 100 ms). Its admit hook refuses with "max_memory" or "max_cps"; the core counts the
 * refusal and answers it (503 with Retry-After, or SC_E_OVERLOAD). Existing calls are never
 * touched. Loop thread only. */
#include "coord/coord_int.h"

#include <errno.h>
#include <stdlib.h>

#define RSS_SAMPLE_US 100000 /* the memory figure is refreshed at most every 100 ms */

typedef struct limits_state {
    uint32_t max_cps;    /* 0 = no rate limit */
    uint64_t max_memory; /* bytes; 0 = no memory limit */
    double tokens;       /* token bucket: up to max_cps (one second's burst) */
    uint64_t refill_us;  /* mono time of the last refill */
    uint64_t rss;        /* last sample */
    uint64_t rss_at_us;  /* when it was taken (0 = never) */
} limits_state;

static uint64_t rss_now(sc_coord *c, limits_state *l)
{
    uint64_t now = sc_clock_mono_us(c->clock);
    if (!l->rss_at_us || now - l->rss_at_us >= RSS_SAMPLE_US) {
        sc_obs_process_stats st;
        if (sc_obs_process_sample(&st) == 0)
            l->rss = st.resident_bytes;
        l->rss_at_us = now ? now : 1;
    }
    return l->rss;
}

static bool rate_ok(sc_coord *c, limits_state *l)
{
    if (!l->max_cps)
        return true;
    uint64_t now = sc_clock_mono_us(c->clock);
    if (now > l->refill_us) {
        l->tokens += (double)(now - l->refill_us) * l->max_cps / 1e6;
        if (l->tokens > l->max_cps)
            l->tokens = l->max_cps;
        l->refill_us = now;
    }
    return l->tokens >= 1.0;
}

/* Admitted: a rate token is taken. */
static int admit(sc_coord *c, const char **why)
{
    limits_state *l = sc_coord__feat(c, SC_FEAT_LIMITS);
    if (!l)
        return 0;
    if (l->max_memory && rss_now(c, l) > l->max_memory)
        *why = "max_memory";
    else if (!rate_ok(c, l))
        *why = "max_cps";
    else {
        if (l->max_cps)
            l->tokens -= 1.0;
        return 0;
    }
    return SC_E_OVERLOAD;
}

static int start(sc_coord *c, const sc_coord_config *cfg)
{
    limits_state *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    l->max_cps = cfg->max_cps;
    l->max_memory = c->limits.max_memory; /* as given, or derived (admission.c) */
    l->tokens = cfg->max_cps;
    l->refill_us = sc_clock_mono_us(c->clock);
    c->feat[SC_FEAT_LIMITS] = l;
    return 0;
}

static void stop(sc_coord *c)
{
    free(c->feat[SC_FEAT_LIMITS]);
    c->feat[SC_FEAT_LIMITS] = NULL;
}

const sc_coord_feature sc_coord__feature_limits = {
    .name = "limits",
    .start = start,
    .stop = stop,
    .admit = admit,
};
