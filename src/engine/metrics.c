/* metrics: the engine's own metric counts (transitions by event and outcome, run-time
 * histogram, sessions ended by role) and the per-table answers that let an observer's
 * on_publish run only for the name it asked for (publish_only). */
#include "engine/engine_int.h"

#include <stdlib.h>
#include <string.h>

/* Grow the (event, outcome) array to cover event (and the vocabulary's events); on ENOMEM
 * nothing changes. */
static void count_grow(sc_engine *e, sc_id event)
{
    size_t n = sc_vocab_count(e->vocab, SC_VOCAB_EVENT);
    if (n <= event)
        n = (size_t)event + 1;
    n += 16;
    uint64_t *t = realloc(e->trans_counts, n * SC_ENGINE_OUTCOMES * sizeof *t);
    if (!t)
        return;
    memset(t + e->metrics.nevents * SC_ENGINE_OUTCOMES, 0, (n - e->metrics.nevents) * SC_ENGINE_OUTCOMES * sizeof *t);
    e->trans_counts = t;
    e->metrics.transitions = t;
    e->metrics.nevents = n;
}

void sc_engine__count_grow(sc_engine *e, sc_id event) { count_grow(e, event); }

/* The first run of an event past the array: grow it, then count (not counted on ENOMEM). */
__attribute__((noinline)) void sc_engine__count_new_event(sc_engine *e, sc_id event, sc_outcome o)
{
    count_grow(e, event);
    if (event < e->metrics.nevents)
        e->trans_counts[(size_t)event * SC_ENGINE_OUTCOMES + (unsigned)o]++;
}

const sc_engine_metrics *sc_engine_metrics_get(const sc_engine *e)
{
    if (!e)
        return NULL;
    sc_engine *w = (sc_engine *)e; /* bucket 0 is derived here, not counted per run */
    if (w->counting) {
        uint64_t rest = 0;
        for (unsigned b = 1; b < SC_ENGINE_TIME_BUCKETS; b++)
            rest += w->metrics.time_buckets[b];
        w->metrics.time_buckets[0] = w->stats.dispatched - rest;
    }
    return &w->metrics;
}

uint64_t sc_engine_metrics_transitions(const sc_engine_metrics *m, sc_id event, sc_outcome outcome)
{
    if (!m || event >= m->nevents || (unsigned)outcome >= SC_ENGINE_OUTCOMES)
        return 0;
    return m->transitions[(size_t)event * SC_ENGINE_OUTCOMES + (unsigned)outcome];
}

void sc_engine__pubcache_clear(sc_engine *e)
{
    for (size_t i = 0; i < sizeof e->pubcache / sizeof e->pubcache[0]; i++) {
        sc_table_unref(e->pubcache[i].table);
        free(e->pubcache[i].rows);
        memset(&e->pubcache[i], 0, sizeof e->pubcache[i]);
    }
}

/* The bits of the filtered observers whose name tr publishes. */
static uint8_t row_bits(const sc_engine *e, const sc_transition *tr)
{
    uint8_t bits = 0;
    for (int i = 0; i < SC_ENGINE_MAX_OBSERVERS; i++) {
        if (!(e->filtered_mask & (1u << i)))
            continue;
        for (uint16_t p = 0; p < tr->npublish; p++)
            if (tr->publish[p].name && !strcmp(tr->publish[p].name, e->obs[i].publish_only))
                bits |= (uint8_t)(1u << i);
    }
    return bits;
}

/* Compute table's answers into a cache slot (the oldest one goes). NULL on ENOMEM. */
__attribute__((noinline)) static struct sc_engine__pubcache *pubcache_fill(sc_engine *e, sc_table *table)
{
    size_t n = sc_table_transition_count(table), nrows = 0;
    for (size_t i = 0; i < n; i++) {
        const sc_transition *tr = sc_table_transition(table, i);
        if (tr && tr->index + 1 > nrows)
            nrows = tr->index + 1;
    }
    uint8_t *rows = calloc(nrows ? nrows : 1, 1);
    if (!rows)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const sc_transition *tr = sc_table_transition(table, i);
        if (tr)
            rows[tr->index] |= row_bits(e, tr);
    }
    const size_t slots = sizeof e->pubcache / sizeof e->pubcache[0];
    struct sc_engine__pubcache *c = &e->pubcache[slots - 1];
    sc_table_unref(c->table);
    free(c->rows);
    memmove(&e->pubcache[1], &e->pubcache[0], (slots - 1) * sizeof e->pubcache[0]);
    c = &e->pubcache[0];
    c->table = sc_table_ref(table);
    c->rows = rows;
    c->nrows = nrows;
    return c;
}

uint8_t sc_engine__publish_bits(sc_engine *e, sc_table *table, const sc_transition *tr)
{
    struct sc_engine__pubcache *c = NULL;
    for (size_t i = 0; i < sizeof e->pubcache / sizeof e->pubcache[0]; i++)
        if (e->pubcache[i].table == table) {
            c = &e->pubcache[i];
            break;
        }
    if (!c && !(c = pubcache_fill(e, table)))
        return row_bits(e, tr);
    return tr->index < c->nrows ? c->rows[tr->index] : row_bits(e, tr);
}
