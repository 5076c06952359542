/* registry: metric families, their labelled children (capped, overflow to "other") and the
 * naming rules of session-core metrics. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "obs/obs_int.h"

static const double seconds_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5,   1,      2.5,   5,    10,    30,   60};
static const double lag_buckets[] = {0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2};

const double *sc_obs_buckets_seconds(uint32_t *n)
{
    *n = sizeof seconds_buckets / sizeof seconds_buckets[0];
    return seconds_buckets;
}

const double *sc_obs_buckets_lag(uint32_t *n)
{
    *n = sizeof lag_buckets / sizeof lag_buckets[0];
    return lag_buckets;
}

/* 2^k microseconds, k = 0..20, in seconds: the engine's run-time buckets (engine.h). */
static const double pow2_us_buckets[] = {1e-6,     2e-6,     4e-6,     8e-6,      16e-6,     32e-6,     64e-6,
                                         128e-6,   256e-6,   512e-6,   1024e-6,   2048e-6,   4096e-6,   8192e-6,
                                         16384e-6, 32768e-6, 65536e-6, 131072e-6, 262144e-6, 524288e-6, 1048576e-6};

const double *sc_obs_buckets_pow2_us(uint32_t *n)
{
    *n = sizeof pow2_us_buckets / sizeof pow2_us_buckets[0];
    return pow2_us_buckets;
}

int sc_obs_registry_new(sc_obs_registry **out)
{
    sc_obs_registry *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    *out = r;
    return 0;
}

static void child_free(const sc_obs_metric *m, sc_obs_child *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < m->nlabels; i++)
        free(c->values[i]);
    if (m->type == SC_OBS_HISTOGRAM)
        free(c->u.hist.counts);
    free(c);
}

static void metric_free(sc_obs_metric *m)
{
    for (uint32_t i = 0; i < m->nchildren; i++)
        child_free(m, m->children[i]);
    free(m->children);
    for (uint32_t i = 0; i < m->nlabels; i++)
        free(m->labels[i]);
    free(m->name);
    free(m->help);
    free(m);
}

void sc_obs_registry_free(sc_obs_registry *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->nmetrics; i++)
        metric_free(r->metrics[i]);
    free(r->metrics);
    free(r->process_state);
    free(r);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool valid_metric_chars(const char *name)
{
    if (!name[0] || !(isalpha((unsigned char)name[0]) || name[0] == '_' || name[0] == ':'))
        return false;
    for (const char *p = name; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == ':'))
            return false;
    return true;
}

static bool valid_label_name(const char *name)
{
    if (!name[0] || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return false;
    if (strncmp(name, "__", 2) == 0)
        return false;
    for (const char *p = name; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return false;
    return true;
}

int sc_obs_name_check(sc_obs_type type, const char *name, bool foreign)
{
    static const char *const reserved[] = {"_total", "_count", "_sum", "_bucket", "_created", "_info"};
    static const char *const units[] = {"_ms", "_milliseconds", "_microseconds", "_us",        "_nanoseconds",
                                        "_ns", "_kilobytes",    "_megabytes",    "_gigabytes", "_kb",
                                        "_mb", "_minutes",      "_hours",        "_days",      "_percent"};
    if (!name || !valid_metric_chars(name))
        return -EINVAL;
    if (!foreign && (strncmp(name, "sessioncore_", 12) != 0 || !name[12]))
        return -EINVAL;
    const char *need = type == SC_OBS_COUNTER ? "_total" : type == SC_OBS_INFO ? "_info" : NULL;
    if (need && !ends_with(name, need))
        return -EINVAL;
    /* The base name (without the required suffix) must not end in a reserved suffix or unit. */
    char base[256];
    size_t n = strlen(name) - (need ? strlen(need) : 0);
    if (n >= sizeof base || n == 0)
        return -EINVAL;
    memcpy(base, name, n);
    base[n] = '\0';
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (ends_with(base, reserved[i]))
            return -EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ends_with(base, units[i]))
            return -EINVAL;
    return 0;
}

static sc_obs_child *child_new(sc_obs_metric *m, const char *const *values);

static char *dupstr(const char *s) { return strdup(s ? s : ""); }

int sc_obs_register(sc_obs_registry *r, const sc_obs_desc *d, sc_obs_metric **out)
{
    if (!r || !d || sc_obs_name_check(d->type, d->name, d->foreign) != 0)
        return -EINVAL;
    if (sc_obs_registry_find(r, d->name))
        return -EEXIST;
    uint32_t nlabels = 0;
    while (nlabels < SC_OBS_MAX_LABELS && d->labels[nlabels])
        nlabels++;
    for (uint32_t i = 0; i < nlabels; i++) {
        if (!valid_label_name(d->labels[i]))
            return -EINVAL;
        if (d->type == SC_OBS_HISTOGRAM && strcmp(d->labels[i], "le") == 0)
            return -EINVAL;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(d->labels[i], d->labels[j]) == 0)
                return -EINVAL;
    }
    const double *bounds = d->buckets;
    uint32_t nb = d->nbuckets;
    if (d->type == SC_OBS_HISTOGRAM) {
        if (!bounds)
            bounds = sc_obs_buckets_seconds(&nb);
        if (nb == 0 || nb > SC_OBS_MAX_BUCKETS)
            return -EINVAL;
        for (uint32_t i = 1; i < nb; i++)
            if (!(bounds[i] > bounds[i - 1]))
                return -EINVAL;
    }
    if (r->nmetrics == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 32;
        sc_obs_metric **p = realloc(r->metrics, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        r->metrics = p;
        r->cap = cap;
    }
    sc_obs_metric *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->type = d->type;
    m->name = dupstr(d->name);
    m->help = dupstr(d->help);
    m->nlabels = nlabels;
    bool oom = !m->name || !m->help;
    for (uint32_t i = 0; i < nlabels; i++)
        oom |= !(m->labels[i] = dupstr(d->labels[i]));
    if (oom) {
        metric_free(m);
        return -ENOMEM;
    }
    if (d->type == SC_OBS_HISTOGRAM) {
        memcpy(m->bounds, bounds, nb * sizeof *bounds);
        m->nbounds = nb;
    }
    m->max_children = d->max_children ? d->max_children : SC_OBS_DEFAULT_MAX_CHILDREN;
    if (nlabels == 0 || d->type == SC_OBS_INFO)
        m->max_children = 1;
    if (nlabels == 0 && d->type != SC_OBS_INFO && !child_new(m, NULL)) {
        metric_free(m);
        return -ENOMEM;
    }
    r->metrics[r->nmetrics++] = m;
    if (out)
        *out = m;
    return 0;
}

sc_obs_metric *sc_obs_registry_find(sc_obs_registry *r, const char *name)
{
    for (uint32_t i = 0; r && name && i < r->nmetrics; i++)
        if (strcmp(r->metrics[i]->name, name) == 0)
            return r->metrics[i];
    return NULL;
}

const char *sc_obs_metric_name(const sc_obs_metric *m) { return m->name; }
uint32_t sc_obs_metric_children(const sc_obs_metric *m) { return m->nchildren; }
uint64_t sc_obs_metric_overflows(const sc_obs_metric *m) { return m->overflows; }

static sc_obs_child *child_new(sc_obs_metric *m, const char *const *values)
{
    if (m->nchildren == m->children_cap) {
        uint32_t cap = m->children_cap ? m->children_cap * 2 : 4;
        sc_obs_child **p = realloc(m->children, cap * sizeof *p);
        if (!p)
            return NULL;
        m->children = p;
        m->children_cap = cap;
    }
    sc_obs_child *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (uint32_t i = 0; i < m->nlabels; i++) {
        const char *v = values && values[i] ? values[i] : "";
        c->values[i] = strndup(v, SC_OBS_LABEL_VALUE_MAX);
        if (!c->values[i]) {
            child_free(m, c);
            return NULL;
        }
    }
    if (m->type == SC_OBS_HISTOGRAM) {
        c->u.hist.counts = calloc(m->nbounds + 1, sizeof *c->u.hist.counts);
        if (!c->u.hist.counts) {
            child_free(m, c);
            return NULL;
        }
        c->u.hist.bounds = m->bounds;
        c->u.hist.nbounds = m->nbounds;
    }
    if (m->type == SC_OBS_INFO)
        c->u.gauge.value = 1;
    m->children[m->nchildren++] = c;
    return c;
}

static bool child_matches(const sc_obs_metric *m, const sc_obs_child *c, const char *const *values)
{
    for (uint32_t i = 0; i < m->nlabels; i++) {
        const char *v = values && values[i] ? values[i] : "";
        if (strncmp(c->values[i], v, SC_OBS_LABEL_VALUE_MAX) != 0)
            return false;
    }
    return true;
}

static sc_obs_child *child_lookup(sc_obs_metric *m, const char *const *values)
{
    for (uint32_t i = 0; i < m->nchildren; i++)
        if (m->children[i] != m->other && child_matches(m, m->children[i], values))
            return m->children[i];
    uint32_t regular = m->nchildren - (m->other ? 1 : 0);
    if (regular < m->max_children)
        return child_new(m, values);
    m->overflows++;
    if (!m->other) {
        const char *others[SC_OBS_MAX_LABELS];
        for (uint32_t i = 0; i < SC_OBS_MAX_LABELS; i++)
            others[i] = SC_OBS_OTHER;
        m->other = child_new(m, others);
    }
    return m->other;
}

static sc_obs_child *lookup_va(sc_obs_metric *m, va_list ap)
{
    const char *values[SC_OBS_MAX_LABELS] = {0};
    for (uint32_t i = 0; i < m->nlabels; i++)
        values[i] = va_arg(ap, const char *);
    return child_lookup(m, values);
}

#define DEFINE_WITH(kind, ctype, TYPE, member)                                \
    ctype *sc_obs_##kind##_with(sc_obs_metric *m, ...)                        \
    {                                                                         \
        if (!m || m->type != TYPE)                                            \
            return NULL;                                                      \
        va_list ap;                                                           \
        va_start(ap, m);                                                      \
        sc_obs_child *c = lookup_va(m, ap);                                   \
        va_end(ap);                                                           \
        return c ? &c->u.member : NULL;                                       \
    }                                                                         \
    ctype *sc_obs_##kind##_withv(sc_obs_metric *m, const char *const *values) \
    {                                                                         \
        if (!m || m->type != TYPE)                                            \
            return NULL;                                                      \
        sc_obs_child *c = child_lookup(m, values);                            \
        return c ? &c->u.member : NULL;                                       \
    }

DEFINE_WITH(counter, sc_obs_counter, SC_OBS_COUNTER, counter)
DEFINE_WITH(gauge, sc_obs_gauge, SC_OBS_GAUGE, gauge)
DEFINE_WITH(histogram, sc_obs_histogram, SC_OBS_HISTOGRAM, hist)

int sc_obs_info_set(sc_obs_metric *m, const char *const *values)
{
    if (!m || m->type != SC_OBS_INFO)
        return -EINVAL;
    if (m->nchildren == 1 && child_matches(m, m->children[0], values))
        return 0;
    for (uint32_t i = 0; i < m->nchildren; i++)
        child_free(m, m->children[i]);
    m->nchildren = 0;
    m->other = NULL;
    return child_new(m, values) ? 0 : -ENOMEM;
}

void sc_obs_gauge_reset_all(sc_obs_metric *m)
{
    if (!m || m->type != SC_OBS_GAUGE)
        return;
    for (uint32_t i = 0; i < m->nchildren; i++)
        m->children[i]->u.gauge.value = 0;
}

int sc_obs_registry_add_collector(sc_obs_registry *r, sc_obs_collect_fn fn, void *ud)
{
    if (!r || !fn)
        return -EINVAL;
    if (r->ncollectors == SC_OBS_MAX_COLLECTORS)
        return -ENOSPC;
    r->collectors[r->ncollectors].fn = fn;
    r->collectors[r->ncollectors].ud = ud;
    r->ncollectors++;
    return 0;
}

int sc_obs_registry_remove_collector(sc_obs_registry *r, sc_obs_collect_fn fn, void *ud)
{
    if (!r)
        return -ENOENT;
    for (uint32_t i = 0; i < r->ncollectors; i++) {
        if (r->collectors[i].fn == fn && r->collectors[i].ud == ud) {
            memmove(&r->collectors[i], &r->collectors[i + 1], (r->ncollectors - i - 1) * sizeof r->collectors[0]);
            r->ncollectors--;
            return 0;
        }
    }
    return -ENOENT;
}

void sc_obs_registry_collect(sc_obs_registry *r)
{
    for (uint32_t i = 0; i < r->ncollectors; i++)
        r->collectors[i].fn(r->collectors[i].ud, r);
}

double sc_obs__child_value(const sc_obs_metric *m, const sc_obs_child *c)
{
    switch (m->type) {
    case SC_OBS_COUNTER: return sc_obs_counter_get(&c->u.counter);
    case SC_OBS_GAUGE:
    case SC_OBS_INFO: return c->u.gauge.value;
    case SC_OBS_HISTOGRAM: return c->u.hist.sum;
    }
    return 0;
}

int sc_obs_std_metrics_new(sc_obs_registry *r, sc_obs_std_metrics *m)
{
    uint32_t nlag, npow2;
    const double *lag = sc_obs_buckets_lag(&nlag);
    const double *pow2 = sc_obs_buckets_pow2_us(&npow2);
    sc_obs_std_metrics tmp;
    memset(&tmp, 0, sizeof tmp);
    int rc;
#define SC_OBS_STD_REG(field, mtype, mname, mhelp, ...)                                                              \
    {                                                                                                                \
        sc_obs_desc d = {.type = mtype, .name = mname, .help = mhelp, .labels = {__VA_ARGS__}, .max_children = 256}; \
        if (strcmp(#field, "loop_lag") == 0) {                                                                       \
            d.buckets = lag;                                                                                         \
            d.nbuckets = nlag;                                                                                       \
        } else if (strcmp(#field, "transition_duration") == 0) {                                                     \
            d.buckets = pow2;                                                                                        \
            d.nbuckets = npow2;                                                                                      \
        }                                                                                                            \
        if ((rc = sc_obs_register(r, &d, &tmp.field)) != 0)                                                          \
            return rc;                                                                                               \
    }
    SC_OBS_STD_METRICS(SC_OBS_STD_REG)
#undef SC_OBS_STD_REG
    *m = tmp;
    return 0;
}
