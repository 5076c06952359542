/* health: named checks with status, reason and last change, rendered for /healthz and
 * turned into the readiness and liveness verdicts; safe to call from any thread. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "session_core/obs.h"

typedef struct health_check {
    char name[32];                         /* check name */
    bool for_ready;                        /* gates readiness */
    bool ok;                               /* current status */
    char reason[SC_OBS_HEALTH_REASON_MAX]; /* why (or detail when ok) */
    int64_t since_us;                      /* wall time of the last status flip */
} health_check;

struct sc_obs_health {
    pthread_mutex_t mu;    /* guards everything below */
    const sc_clock *clock; /* borrowed */
    health_check checks[SC_OBS_HEALTH_MAX_CHECKS];
    uint32_t nchecks;
    struct {
        char key[48];
        double value;
    } details[SC_OBS_HEALTH_MAX_DETAILS];
    uint32_t ndetails;
};

int sc_obs_health_new(sc_obs_health **out, const sc_clock *clock)
{
    if (!out || !clock)
        return -EINVAL;
    sc_obs_health *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    pthread_mutex_init(&h->mu, NULL);
    h->clock = clock;
    sc_obs_health_add_check(h, SC_OBS_CHECK_SIP_SOCKETS, true);
    sc_obs_health_add_check(h, SC_OBS_CHECK_TABLE, true);
    sc_obs_health_add_check(h, SC_OBS_CHECK_STORE, true);
    sc_obs_health_add_check(h, SC_OBS_CHECK_RECOVERY, true);
    sc_obs_health_add_check(h, SC_OBS_CHECK_LOOP, false);
    *out = h;
    return 0;
}

void sc_obs_health_free(sc_obs_health *h)
{
    if (!h)
        return;
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static health_check *find(sc_obs_health *h, const char *name)
{
    for (uint32_t i = 0; i < h->nchecks; i++)
        if (strcmp(h->checks[i].name, name) == 0)
            return &h->checks[i];
    return NULL;
}

int sc_obs_health_add_check(sc_obs_health *h, const char *name, bool for_ready)
{
    if (!h || !name || !name[0] || strlen(name) >= sizeof h->checks[0].name)
        return -EINVAL;
    int rc = 0;
    pthread_mutex_lock(&h->mu);
    if (find(h, name))
        rc = -EEXIST;
    else if (h->nchecks == SC_OBS_HEALTH_MAX_CHECKS)
        rc = -ENOSPC;
    else {
        health_check *c = &h->checks[h->nchecks++];
        memset(c, 0, sizeof *c);
        snprintf(c->name, sizeof c->name, "%s", name);
        c->for_ready = for_ready;
        c->ok = false;
        snprintf(c->reason, sizeof c->reason, "pending");
        c->since_us = sc_clock_wall_us(h->clock);
    }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

int sc_obs_health_set(sc_obs_health *h, const char *name, bool ok, const char *reason)
{
    if (!h || !name)
        return -EINVAL;
    pthread_mutex_lock(&h->mu);
    health_check *c = find(h, name);
    if (c) {
        if (c->ok != ok)
            c->since_us = sc_clock_wall_us(h->clock);
        c->ok = ok;
        snprintf(c->reason, sizeof c->reason, "%s", reason ? reason : "");
    }
    pthread_mutex_unlock(&h->mu);
    return c ? 0 : -ENOENT;
}

int sc_obs_health_get(sc_obs_health *h, const char *name, bool *ok, char *reason, size_t cap)
{
    if (!h || !name)
        return -EINVAL;
    pthread_mutex_lock(&h->mu);
    health_check *c = find(h, name);
    if (c) {
        if (ok)
            *ok = c->ok;
        if (reason && cap)
            snprintf(reason, cap, "%s", c->reason);
    }
    pthread_mutex_unlock(&h->mu);
    return c ? 0 : -ENOENT;
}

int sc_obs_health_set_detail(sc_obs_health *h, const char *key, double value)
{
    if (!h || !key || strlen(key) >= sizeof h->details[0].key)
        return -EINVAL;
    int rc = 0;
    pthread_mutex_lock(&h->mu);
    uint32_t i = 0;
    while (i < h->ndetails && strcmp(h->details[i].key, key) != 0)
        i++;
    if (i == h->ndetails) {
        if (h->ndetails == SC_OBS_HEALTH_MAX_DETAILS)
            rc = -ENOSPC;
        else
            snprintf(h->details[h->ndetails++].key, sizeof h->details[0].key, "%s", key);
    }
    if (rc == 0)
        h->details[i].value = value;
    pthread_mutex_unlock(&h->mu);
    return rc;
}

bool sc_obs_health_ready(sc_obs_health *h, char *reasons, size_t cap)
{
    bool ready = true;
    size_t used = 0;
    if (reasons && cap)
        reasons[0] = '\0';
    pthread_mutex_lock(&h->mu);
    for (uint32_t i = 0; i < h->nchecks; i++) {
        const health_check *c = &h->checks[i];
        if (!c->for_ready || c->ok)
            continue;
        ready = false;
        if (reasons && used < cap) {
            int n = snprintf(reasons + used, cap - used, "%s%s: %s", used ? "; " : "", c->name,
                             c->reason[0] ? c->reason : "failing");
            used += n > 0 ? (size_t)n : 0;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return ready;
}

bool sc_obs_health_live(sc_obs_heartbeat *hb, uint64_t max_age_us)
{
    return hb && sc_obs_heartbeat_age_us(hb) < max_age_us;
}

static json_t *iso_time(int64_t us)
{
    char buf[SC_TIME_ISO8601_MAX];
    sc_time_format_iso8601(buf, sizeof buf, us, 6);
    return json_string(buf);
}

char *sc_obs_health_json(sc_obs_health *h, sc_obs_heartbeat *hb, uint64_t max_age_us)
{
    json_t *root = json_object();
    json_t *checks = json_object();
    json_t *details = json_object();
    if (!root || !checks || !details) {
        json_decref(root);
        json_decref(checks);
        json_decref(details);
        return NULL;
    }
    bool all_ok = true, ready = true;
    pthread_mutex_lock(&h->mu);
    for (uint32_t i = 0; i < h->nchecks; i++) {
        const health_check *c = &h->checks[i];
        all_ok &= c->ok;
        if (c->for_ready)
            ready &= c->ok;
        json_object_set_new(checks, c->name,
                            json_pack("{s:s,s:s,s:o,s:b}", "status", c->ok ? "ok" : "fail", "reason", c->reason,
                                      "since", iso_time(c->since_us), "gates_readiness", c->for_ready));
    }
    for (uint32_t i = 0; i < h->ndetails; i++)
        json_object_set_new(details, h->details[i].key, json_real(h->details[i].value));
    pthread_mutex_unlock(&h->mu);
    if (hb) {
        bool live = sc_obs_health_live(hb, max_age_us);
        uint64_t age = sc_obs_heartbeat_age_us(hb);
        all_ok &= live;
        json_object_set_new(root, "live", json_boolean(live));
        json_object_set_new(root, "heartbeat_age_seconds",
                            age == UINT64_MAX ? json_null() : json_real((double)age / 1e6));
    }
    json_object_set_new(root, "status", json_string(all_ok ? "ok" : "fail"));
    json_object_set_new(root, "ready", json_boolean(ready));
    json_object_set_new(root, "checks", checks);
    json_object_set_new(root, "details", details);
    char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    return s;
}
