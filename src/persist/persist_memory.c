/* persist_memory: the "memory:" backend, an in-process store for tests; handles opened with
 * sc_persist_open_same share one reference-counted store guarded by its own mutex. */
#include "persist/persist_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM_BUCKETS 4096

typedef struct mem_session {
    char *id;   /* owned */
    char *data; /* owned snapshot text, NULL if not live */
    char node[64];
    char hash[80];
    int64_t updated_us;
    char owner[64]; /* lease holder ("" if none) */
    int64_t lease_until_us;
    size_t *ev; /* indexes into store->events, sorted by seq */
    size_t nev, cap;
    struct mem_session *next; /* bucket chain */
} mem_session;

typedef struct mem_event {
    mem_session *s; /* owning session (freed only once it has no event left) */
    uint64_t seq;
    int64_t wall_us;
    char *rec; /* owned */
    uint64_t gseq;
} mem_event;

typedef struct mem_table {
    char *hash, *text; /* owned */
    struct mem_table *next;
} mem_table;

typedef struct mem_store {
    mem_table *tables;     /* table texts by hash (few: a list) */
    sc_persist__kvmap *kv; /* key-value entries */
    pthread_mutex_t lock;
    int refs;
    int version;
    mem_session *buckets[MEM_BUCKETS];
    size_t nsessions;
    mem_event *events; /* in gseq order (gaps where events were pruned) */
    size_t nevents, cap;
    uint64_t last_gseq; /* the last gseq handed out */
} mem_store;

static mem_session *find(mem_store *st, const char *id, bool create)
{
    uint32_t b = sc_hash_fnv1a32(id, strlen(id)) % MEM_BUCKETS;
    for (mem_session *s = st->buckets[b]; s; s = s->next)
        if (strcmp(s->id, id) == 0)
            return s;
    if (!create)
        return NULL;
    mem_session *s = calloc(1, sizeof *s);
    if (!s || !(s->id = strdup(id))) {
        free(s);
        return NULL;
    }
    s->next = st->buckets[b];
    st->buckets[b] = s;
    st->nsessions++;
    return s;
}

static void clear_store(mem_store *st)
{
    for (size_t b = 0; b < MEM_BUCKETS; b++) {
        mem_session *s = st->buckets[b];
        while (s) {
            mem_session *n = s->next;
            free(s->id);
            free(s->data);
            free(s->ev);
            free(s);
            s = n;
        }
        st->buckets[b] = NULL;
    }
    for (size_t i = 0; i < st->nevents; i++)
        free(st->events[i].rec);
    free(st->events);
    st->events = NULL;
    st->nevents = st->cap = st->nsessions = 0;
    st->last_gseq = 0;
    while (st->tables) {
        mem_table *t = st->tables;
        st->tables = t->next;
        free(t->hash);
        free(t->text);
        free(t);
    }
    sc_persist__kvmap_clear(st->kv);
    st->version = SC_PERSIST_SCHEMA_VERSION;
}

static int mem_init(sc_persist *p, const char *rest)
{
    if (*rest)
        return sc_persist__error(p, -EINVAL, "memory: takes no path (got '%s')", rest);
    mem_store *st = calloc(1, sizeof *st);
    if (!st || sc_persist__kvmap_new(&st->kv) < 0) {
        free(st);
        return -ENOMEM;
    }
    pthread_mutex_init(&st->lock, NULL);
    st->refs = 1;
    st->version = SC_PERSIST_SCHEMA_VERSION;
    p->impl = st;
    return 0;
}

static int mem_init_same(sc_persist *dst, sc_persist *src)
{
    mem_store *st = src->impl;
    pthread_mutex_lock(&st->lock);
    st->refs++;
    pthread_mutex_unlock(&st->lock);
    dst->impl = st;
    return 0;
}

static int mem_connect(sc_persist *p)
{
    mem_store *st = p->impl;
    pthread_mutex_lock(&st->lock);
    int v = st->version;
    pthread_mutex_unlock(&st->lock);
    return v > SC_PERSIST_SCHEMA_VERSION ? sc_persist__schema_too_new(p, v) : 0;
}

static void mem_disconnect(sc_persist *p) { (void)p; }

static void mem_destroy(sc_persist *p)
{
    mem_store *st = p->impl;
    pthread_mutex_lock(&st->lock);
    int left = --st->refs;
    pthread_mutex_unlock(&st->lock);
    if (left == 0) {
        clear_store(st);
        sc_persist__kvmap_free(st->kv);
        pthread_mutex_destroy(&st->lock);
        free(st);
    }
    p->impl = NULL;
}

static int mem_nop(sc_persist *p)
{
    (void)p;
    return 0;
}

static void mem_rollback(sc_persist *p) { (void)p; }

#define LOCKED(st, expr)                   \
    do {                                   \
        pthread_mutex_lock(&(st)->lock);   \
        int rc_ = (expr);                  \
        pthread_mutex_unlock(&(st)->lock); \
        return rc_;                        \
    } while (0)

/* True if a write by node must leave s's snapshot alone: another non-empty node owns it. */
static bool fenced(const mem_session *s, const char *node)
{
    return s && s->data && node[0] && s->node[0] && strcmp(s->node, node) != 0;
}

static int save_l(mem_store *st, const char *id, const char *data, const char *node, const char *hash, int64_t t)
{
    if (fenced(find(st, id, false), node))
        return 1;
    mem_session *s = find(st, id, true);
    char *copy = strdup(data);
    if (!s || !copy) {
        free(copy);
        return -ENOMEM;
    }
    free(s->data);
    s->data = copy;
    snprintf(s->node, sizeof s->node, "%s", node);
    snprintf(s->hash, sizeof s->hash, "%s", hash);
    s->updated_us = t;
    return 0;
}

static int mem_save(sc_persist *p, const char *id, const char *data, const char *node, const char *hash,
                    int64_t updated_us)
{
    mem_store *st = p->impl;
    LOCKED(st, save_l(st, id, data, node, hash, updated_us));
}

static int load_l(mem_store *st, const char *id, char **data, sc_persist_snapshot_info *info)
{
    mem_session *s = find(st, id, false);
    if (!s || !s->data)
        return -ENOENT;
    if (!(*data = strdup(s->data)))
        return -ENOMEM;
    snprintf(info->node_id, sizeof info->node_id, "%s", s->node);
    snprintf(info->table_hash, sizeof info->table_hash, "%s", s->hash);
    info->updated_us = s->updated_us;
    return 0;
}

static int mem_load(sc_persist *p, const char *id, char **data, sc_persist_snapshot_info *info)
{
    mem_store *st = p->impl;
    LOCKED(st, load_l(st, id, data, info));
}

static int del_l(mem_store *st, const char *id, const char *node)
{
    mem_session *s = find(st, id, false);
    if (!s || !s->data)
        return -ENOENT;
    if (fenced(s, node))
        return 1;
    free(s->data);
    s->data = NULL;
    return 0;
}

static int mem_del(sc_persist *p, const char *id, const char *node)
{
    mem_store *st = p->impl;
    LOCKED(st, del_l(st, id, node));
}

static int move_l(mem_store *st, const char *id, const char *from, const char *to)
{
    mem_session *s = find(st, id, false);
    if (!s || !s->data)
        return -ENOENT;
    if (strcmp(s->node, from) != 0)
        return -EBUSY;
    snprintf(s->node, sizeof s->node, "%s", to);
    return 0;
}

static int mem_owner_move(sc_persist *p, const char *id, const char *from, const char *to)
{
    mem_store *st = p->impl;
    LOCKED(st, move_l(st, id, from, to));
}

static int cmp_session(const void *a, const void *b)
{
    return strcmp((*(mem_session *const *)a)->id, (*(mem_session *const *)b)->id);
}

/* Which sessions a walk lists: mode's, or (owner not NULL) the live ones owner owns. */
static bool listed(const mem_session *s, sc_persist_list_mode mode, const char *owner)
{
    if (owner)
        return s->data && strcmp(s->node, owner) == 0;
    return s->data || (mode == SC_PERSIST_LIST_ALL && s->nev);
}

/* Copies what the callback needs under the lock, then calls it unlocked (so a callback may
 * use the store). The memory store has no owner index: list_owned scans (tests only). */
static int list_l(sc_persist *p, sc_persist_list_mode mode, const char *owner, bool with_data,
                  sc_persist__raw_list_cb cb, void *ud)
{
    mem_store *st = p->impl;
    pthread_mutex_lock(&st->lock);
    size_t n = 0;
    mem_session **v = malloc((st->nsessions + 1) * sizeof *v);
    char **ids = NULL, **datas = NULL;
    if (v) {
        for (size_t b = 0; b < MEM_BUCKETS; b++)
            for (mem_session *s = st->buckets[b]; s; s = s->next)
                if (listed(s, mode, owner))
                    v[n++] = s;
        qsort(v, n, sizeof *v, cmp_session);
        ids = calloc(n + 1, sizeof *ids);
        datas = calloc(n + 1, sizeof *datas);
    }
    int rc = (v && ids && datas) ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        ids[i] = strdup(v[i]->id);
        datas[i] = with_data && v[i]->data ? strdup(v[i]->data) : NULL;
        if (!ids[i] || (with_data && v[i]->data && !datas[i]))
            rc = -ENOMEM;
    }
    pthread_mutex_unlock(&st->lock);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = cb(ids[i], datas[i], ud);
    for (size_t i = 0; ids && datas && i < n; i++) {
        free(ids[i]);
        free(datas[i]);
    }
    free(ids);
    free(datas);
    free(v);
    return rc;
}

static int mem_list(sc_persist *p, sc_persist_list_mode mode, bool with_data, sc_persist__raw_list_cb cb, void *ud)
{
    return list_l(p, mode, NULL, with_data, cb, ud);
}

static int mem_list_owned(sc_persist *p, const char *node, bool with_data, sc_persist__raw_list_cb cb, void *ud)
{
    return list_l(p, SC_PERSIST_LIST_LIVE, node, with_data, cb, ud);
}

typedef struct owner_count {
    char node[64];
    size_t n;
} owner_count;

static int cmp_owner(const void *a, const void *b)
{
    return strcmp(((const owner_count *)a)->node, ((const owner_count *)b)->node);
}

/* Counts the live snapshots per non-empty owner under the lock; calls back unlocked. */
static int mem_owners(sc_persist *p, sc_persist_owner_cb cb, void *ud)
{
    mem_store *st = p->impl;
    pthread_mutex_lock(&st->lock);
    owner_count *v = calloc(st->nsessions + 1, sizeof *v);
    size_t n = 0;
    for (size_t b = 0; v && b < MEM_BUCKETS; b++)
        for (mem_session *s = st->buckets[b]; s; s = s->next) {
            if (!s->data || !s->node[0])
                continue;
            size_t i = 0;
            while (i < n && strcmp(v[i].node, s->node) != 0)
                i++;
            if (i == n)
                memcpy(v[n++].node, s->node, sizeof v[0].node);
            v[i].n++;
        }
    pthread_mutex_unlock(&st->lock);
    if (!v)
        return -ENOMEM;
    qsort(v, n, sizeof *v, cmp_owner);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = cb(v[i].node, v[i].n, ud);
    free(v);
    return rc;
}

/* Index in s->ev of the first event with seq >= seq. */
static size_t lower_bound(mem_store *st, mem_session *s, uint64_t seq)
{
    size_t lo = 0, hi = s->nev;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (st->events[s->ev[mid]].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int append_l(mem_store *st, const char *id, uint64_t seq, int64_t wall_us, const char *rec, uint64_t *gseq)
{
    mem_session *s = find(st, id, true);
    if (!s)
        return -ENOMEM;
    size_t pos = lower_bound(st, s, seq);
    if (pos < s->nev && st->events[s->ev[pos]].seq == seq)
        return 1;
    if (st->nevents == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 256;
        mem_event *e = realloc(st->events, cap * sizeof *e);
        if (!e)
            return -ENOMEM;
        st->events = e;
        st->cap = cap;
    }
    if (s->nev == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        size_t *e = realloc(s->ev, cap * sizeof *e);
        if (!e)
            return -ENOMEM;
        s->ev = e;
        s->cap = cap;
    }
    char *copy = strdup(rec);
    if (!copy)
        return -ENOMEM;
    st->events[st->nevents] = (mem_event){s, seq, wall_us, copy, ++st->last_gseq};
    memmove(s->ev + pos + 1, s->ev + pos, (s->nev - pos) * sizeof *s->ev);
    s->ev[pos] = st->nevents;
    s->nev++;
    st->nevents++;
    *gseq = st->last_gseq;
    return 0;
}

static int mem_append(sc_persist *p, const char *id, uint64_t seq, int64_t wall_us, const char *rec, uint64_t *gseq)
{
    mem_store *st = p->impl;
    LOCKED(st, append_l(st, id, seq, wall_us, rec, gseq));
}

/* A copied batch of events handed to the callback without the lock. */
typedef struct ev_copy {
    char *id;
    uint64_t seq;
    int64_t wall_us;
    uint64_t gseq;
    char *rec;
} ev_copy;

static int copy_event(mem_store *st, size_t idx, ev_copy *out)
{
    const mem_event *e = &st->events[idx];
    out->id = strdup(e->s->id);
    out->rec = strdup(e->rec);
    out->seq = e->seq;
    out->wall_us = e->wall_us;
    out->gseq = e->gseq;
    return out->id && out->rec ? 0 : -ENOMEM;
}

static int deliver(ev_copy *v, size_t n, int rc, sc_persist__raw_event_cb cb, void *ud)
{
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            sc_persist__raw_event ev = {v[i].id, v[i].seq, v[i].wall_us, v[i].gseq, v[i].rec};
            rc = cb(&ev, ud);
        }
        free(v[i].id);
        free(v[i].rec);
    }
    free(v);
    return rc;
}

static int mem_read_events(sc_persist *p, const char *id, uint64_t from_seq, sc_persist__raw_event_cb cb, void *ud)
{
    mem_store *st = p->impl;
    pthread_mutex_lock(&st->lock);
    mem_session *s = find(st, id, false);
    size_t first = s ? lower_bound(st, s, from_seq) : 0, n = s ? s->nev - first : 0, got = 0;
    ev_copy *v = calloc(n + 1, sizeof *v);
    int rc = v ? 0 : -ENOMEM;
    for (; rc == 0 && got < n; got++)
        rc = copy_event(st, s->ev[first + got], &v[got]);
    pthread_mutex_unlock(&st->lock);
    return v ? deliver(v, got, rc, cb, ud) : rc;
}

static int cmp_time(const void *a, const void *b)
{
    const ev_copy *x = a, *y = b;
    if (x->wall_us != y->wall_us)
        return x->wall_us < y->wall_us ? -1 : 1;
    return x->gseq < y->gseq ? -1 : x->gseq > y->gseq;
}

static int mem_read_range(sc_persist *p, int64_t since_us, int64_t until_us, sc_persist__raw_event_cb cb, void *ud)
{
    mem_store *st = p->impl;
    pthread_mutex_lock(&st->lock);
    size_t got = 0;
    ev_copy *v = calloc(st->nevents + 1, sizeof *v);
    int rc = v ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < st->nevents; i++)
        if (st->events[i].wall_us >= since_us && st->events[i].wall_us < until_us)
            rc = copy_event(st, i, &v[got++]);
    pthread_mutex_unlock(&st->lock);
    if (!v)
        return rc;
    if (rc == 0)
        qsort(v, got, sizeof *v, cmp_time);
    return deliver(v, got, rc, cb, ud);
}

static int mem_read_after(sc_persist *p, uint64_t after, size_t limit, sc_persist__raw_event_cb cb, void *ud)
{
    mem_store *st = p->impl;
    pthread_mutex_lock(&st->lock);
    size_t lo = 0, hi = st->nevents; /* the first event with gseq > after */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (st->events[mid].gseq <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = st->nevents - lo, got = 0;
    if (limit && n > limit)
        n = limit;
    ev_copy *v = calloc(n + 1, sizeof *v);
    int rc = v ? 0 : -ENOMEM;
    for (; rc == 0 && got < n; got++)
        rc = copy_event(st, lo + got, &v[got]);
    pthread_mutex_unlock(&st->lock);
    return v ? deliver(v, got, rc, cb, ud) : rc;
}

/* ---- pruning ---- */

static int cmp_idx_time(const void *a, const void *b, void *ud)
{
    const mem_event *ev = ud, *x = &ev[*(const size_t *)a], *y = &ev[*(const size_t *)b];
    if (x->wall_us != y->wall_us)
        return x->wall_us < y->wall_us ? -1 : 1;
    return x->gseq < y->gseq ? -1 : x->gseq > y->gseq;
}

/* Frees the sessions left with no snapshot, no event and no lease. */
static void forget_empty(mem_store *st)
{
    for (size_t b = 0; b < MEM_BUCKETS; b++)
        for (mem_session **pp = &st->buckets[b]; *pp;) {
            mem_session *s = *pp;
            if (s->data || s->nev || s->owner[0]) {
                pp = &s->next;
                continue;
            }
            *pp = s->next;
            free(s->id);
            free(s->ev);
            free(s);
            st->nsessions--;
        }
}

/* Removes the events flagged in gone: compacts the array and renumbers the sessions'
 * indexes (their order by seq stays). */
static int compact(mem_store *st, const bool *gone)
{
    size_t *to = malloc((st->nevents + 1) * sizeof *to), k = 0;
    if (!to)
        return -ENOMEM;
    for (size_t i = 0; i < st->nevents; i++) {
        if (gone[i]) {
            free(st->events[i].rec);
            to[i] = SIZE_MAX;
            continue;
        }
        st->events[k] = st->events[i];
        to[i] = k++;
    }
    st->nevents = k;
    for (size_t b = 0; b < MEM_BUCKETS; b++)
        for (mem_session *s = st->buckets[b]; s; s = s->next) {
            size_t kept = 0;
            for (size_t j = 0; j < s->nev; j++)
                if (to[s->ev[j]] != SIZE_MAX)
                    s->ev[kept++] = to[s->ev[j]];
            s->nev = kept;
        }
    free(to);
    return 0;
}

static int prune_l(mem_store *st, int64_t before_us, size_t max, size_t *removed)
{
    size_t n = 0;
    size_t *due = malloc((st->nevents + 1) * sizeof *due);
    bool *gone = calloc(st->nevents + 1, sizeof *gone);
    int rc = due && gone ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < st->nevents; i++)
        if (st->events[i].wall_us < before_us && !st->events[i].s->data)
            due[n++] = i;
    bool more = n > max;
    if (rc == 0 && more) /* the oldest max of them */
        qsort_r(due, n, sizeof *due, cmp_idx_time, st->events);
    if (more)
        n = max;
    for (size_t i = 0; rc == 0 && i < n; i++)
        gone[due[i]] = true;
    if (rc == 0 && n)
        rc = compact(st, gone);
    if (rc == 0 && n)
        forget_empty(st);
    free(due);
    free(gone);
    *removed = rc == 0 ? n : 0;
    return rc < 0 ? rc : more;
}

static int mem_prune(sc_persist *p, int64_t before_us, size_t max, size_t *removed)
{
    mem_store *st = p->impl;
    LOCKED(st, prune_l(st, before_us, max, removed));
}

static int claim_l(mem_store *st, const char *id, const char *node, int64_t now, int64_t until, char mode)
{
    mem_session *s = find(st, id, true);
    if (!s)
        return -ENOMEM;
    bool mine = strcmp(s->owner, node) == 0;
    bool free_ = !s->owner[0] || (mode == 'c' && s->lease_until_us <= now);
    if (!mine && !free_)
        return -EBUSY;
    snprintf(s->owner, sizeof s->owner, "%s", node);
    s->lease_until_us = until;
    return 0;
}

static int mem_claim(sc_persist *p, const char *id, const char *node, int64_t now_us, int64_t until_us, char mode)
{
    mem_store *st = p->impl;
    LOCKED(st, claim_l(st, id, node, now_us, until_us, mode));
}

static int release_l(mem_store *st, const char *id, const char *node)
{
    mem_session *s = find(st, id, false);
    if (!s || !s->owner[0] || strcmp(s->owner, node) != 0)
        return -ENOENT;
    s->owner[0] = '\0';
    s->lease_until_us = 0;
    return 0;
}

static int mem_release(sc_persist *p, const char *id, const char *node)
{
    mem_store *st = p->impl;
    LOCKED(st, release_l(st, id, node));
}

typedef struct lease_copy {
    char *id;
    char node[64];
    int64_t until;
} lease_copy;

static int cmp_lease(const void *a, const void *b)
{
    return strcmp(((const lease_copy *)a)->id, ((const lease_copy *)b)->id);
}

static int mem_expired(sc_persist *p, int64_t now_us, sc_persist_lease_cb cb, void *ud)
{
    mem_store *st = p->impl;
    pthread_mutex_lock(&st->lock);
    lease_copy *v = calloc(st->nsessions + 1, sizeof *v);
    size_t n = 0;
    int rc = v ? 0 : -ENOMEM;
    for (size_t b = 0; rc == 0 && b < MEM_BUCKETS; b++)
        for (mem_session *s = st->buckets[b]; rc == 0 && s; s = s->next)
            if (s->owner[0] && s->lease_until_us <= now_us) {
                v[n].id = strdup(s->id);
                memcpy(v[n].node, s->owner, sizeof v[n].node);
                v[n].until = s->lease_until_us;
                rc = v[n++].id ? 0 : -ENOMEM;
            }
    pthread_mutex_unlock(&st->lock);
    if (rc == 0 && n)
        qsort(v, n, sizeof *v, cmp_lease);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = cb(v[i].id, v[i].node, v[i].until, ud);
        free(v[i].id);
    }
    free(v);
    return rc;
}

static int get_version_l(mem_store *st, int *version)
{
    *version = st->version;
    return 0;
}

static int mem_get_version(sc_persist *p, int *version)
{
    mem_store *st = p->impl;
    LOCKED(st, get_version_l(st, version));
}

static int set_version_l(mem_store *st, int version)
{
    st->version = version;
    return 0;
}

static int mem_set_version(sc_persist *p, int version)
{
    mem_store *st = p->impl;
    LOCKED(st, set_version_l(st, version));
}

static int save_table_l(mem_store *st, const char *hash, const char *text)
{
    for (mem_table *t = st->tables; t; t = t->next)
        if (!strcmp(t->hash, hash))
            return 0;
    mem_table *t = calloc(1, sizeof *t);
    if (!t || !(t->hash = strdup(hash)) || !(t->text = strdup(text))) {
        if (t)
            free(t->hash);
        free(t);
        return -ENOMEM;
    }
    t->next = st->tables;
    st->tables = t;
    return 0;
}

static int mem_save_table(sc_persist *p, const char *hash, const char *text, int64_t saved_us)
{
    (void)saved_us;
    mem_store *st = p->impl;
    LOCKED(st, save_table_l(st, hash, text));
}

static int load_table_l(mem_store *st, const char *hash, char **text)
{
    for (mem_table *t = st->tables; t; t = t->next)
        if (!strcmp(t->hash, hash))
            return (*text = strdup(t->text)) ? 0 : -ENOMEM;
    return -ENOENT;
}

static int mem_load_table(sc_persist *p, const char *hash, char **text)
{
    mem_store *st = p->impl;
    LOCKED(st, load_table_l(st, hash, text));
}

static int wipe_l(mem_store *st)
{
    clear_store(st);
    return 0;
}

static int mem_wipe(sc_persist *p)
{
    mem_store *st = p->impl;
    LOCKED(st, wipe_l(st));
}

static int mem_kv_put(sc_persist *p, const char *ns, const char *key, const char *text, size_t len, int64_t expires_us,
                      int64_t now_us)
{
    mem_store *st = p->impl;
    LOCKED(st, sc_persist__kvmap_put(st->kv, ns, key, text, len, expires_us, now_us));
}

static int mem_kv_get(sc_persist *p, const char *ns, const char *key, int64_t now_us, char **text)
{
    mem_store *st = p->impl;
    LOCKED(st, sc_persist__kvmap_get(st->kv, ns, key, now_us, text));
}

static int mem_kv_del(sc_persist *p, const char *ns, const char *key, int64_t now_us)
{
    mem_store *st = p->impl;
    LOCKED(st, sc_persist__kvmap_del(st->kv, ns, key, now_us));
}

/* Copies the namespace under the lock and walks the copy unlocked (as mem_list). */
static int mem_kv_list(sc_persist *p, const char *ns, int64_t now_us, sc_persist_kv_cb cb, void *ud)
{
    mem_store *st = p->impl;
    sc_persist__kvmap *copy = NULL;
    pthread_mutex_lock(&st->lock);
    int rc = sc_persist__kvmap_copy(st->kv, ns, now_us, &copy);
    pthread_mutex_unlock(&st->lock);
    if (rc == 0)
        rc = sc_persist__kvmap_walk(copy, cb, ud);
    sc_persist__kvmap_free(copy);
    return rc;
}

const sc_persist__backend sc_persist__memory = {
    .name = "memory",
    .init = mem_init,
    .init_same = mem_init_same,
    .connect = mem_connect,
    .disconnect = mem_disconnect,
    .destroy = mem_destroy,
    .begin = mem_nop,
    .commit = mem_nop,
    .rollback = mem_rollback,
    .save = mem_save,
    .load = mem_load,
    .del = mem_del,
    .list = mem_list,
    .owner_move = mem_owner_move,
    .list_owned = mem_list_owned,
    .owners = mem_owners,
    .append = mem_append,
    .read_events = mem_read_events,
    .read_range = mem_read_range,
    .read_after = mem_read_after,
    .prune = mem_prune,
    .claim = mem_claim,
    .release = mem_release,
    .expired = mem_expired,
    .ping = mem_nop,
    .get_version = mem_get_version,
    .set_version = mem_set_version,
    .wipe = mem_wipe,
    .save_table = mem_save_table,
    .load_table = mem_load_table,
    .kv_put = mem_kv_put,
    .kv_get = mem_kv_get,
    .kv_del = mem_kv_del,
    .kv_list = mem_kv_list,
};
