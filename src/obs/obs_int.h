/* obs_int: the registry's internal structures, shared by the files of src/obs/. */
#ifndef SC_OBS_INT_H
#define SC_OBS_INT_H

#include "session_core/obs.h"

#define SC_OBS_MAX_COLLECTORS 16

typedef struct sc_obs_child {
    char *values[SC_OBS_MAX_LABELS]; /* label values (owned), nlabels of them */
    union {
        sc_obs_counter counter;
        sc_obs_gauge gauge;
        sc_obs_histogram hist;
    } u; /* the handle given out points here */
} sc_obs_child;

struct sc_obs_metric {
    sc_obs_type type;                  /* counter, gauge, histogram, info */
    char *name;                        /* full name (counters include _total) */
    char *help;                        /* one line */
    char *labels[SC_OBS_MAX_LABELS];   /* label names (owned) */
    uint32_t nlabels;                  /* how many */
    double bounds[SC_OBS_MAX_BUCKETS]; /* histogram finite bounds */
    uint32_t nbounds;                  /* how many */
    uint32_t max_children;             /* cap, not counting "other" */
    sc_obs_child **children;           /* creation order; array grown up to the cap */
    uint32_t nchildren;                /* children, other included */
    uint32_t children_cap;             /* allocated slots */
    sc_obs_child *other;               /* the overflow child, created on first overflow */
    uint64_t overflows;                /* lookups sent to other */
};

struct sc_obs_registry {
    sc_obs_metric **metrics; /* registration order */
    uint32_t nmetrics;       /* how many */
    uint32_t cap;            /* allocated slots */
    struct {
        sc_obs_collect_fn fn;
        void *ud;
    } collectors[SC_OBS_MAX_COLLECTORS];
    uint32_t ncollectors; /* how many */
    void *process_state;  /* sc_obs_process_register()'s collector state (owned) */
};

/* Shortest text for a double that reads back exactly; NaN, +Inf, -Inf spelled as Prometheus. */
void sc_obs__fmt_double(char *out, size_t cap, double v);
double sc_obs__child_value(const sc_obs_metric *m, const sc_obs_child *c);

#endif
