/* cluster: several nodes on one shared store (docs/scale-out.md). This run of the node is an
 * incarnation ("<node-id>/<start µs>", the store's node id) that owns the sessions it saved and
 * holds one node lease in the store, renewed by a thread of its own (one write a period for all
 * its sessions, never one per session). When another incarnation's lease expires, the survivors
 * split its sessions (each one moved by compare-and-set, B2BUA pairs together) and restore them
 * as a restart does, the table re-INVITEing the caller toward this node's media. A node that
 * cannot renew its lease stops acting on its sessions before the lease can expire (fencing on
 * its own monotonic clock), and a drain can hand every session to the other nodes at once. */
#include "coord/recover.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEASE_PREFIX "node:" /* the lease of incarnation X is "node:X" */
#define NODES_NS "cluster"   /* key-value: incarnation -> {"node","http","sip"}, expiring with it */
#define DEFAULT_LEASE_MS 2000
#define TAKE_ALL_AFTER 3 /* scans: then a dead incarnation's sessions go to whoever moves them */
#define INC_MAX 128

typedef char sid_t[SC_SESSION_ID_MAX + 1];

/* Sessions moved to us, for the loop to restore. */
typedef struct handoff {
    struct handoff *next;
    char from[INC_MAX];
    sid_t *ids;
    size_t n, cap;
    uint64_t found_mono_us; /* when the scan saw the dead lease */
} handoff;

/* A dead incarnation being taken over (the thread's). */
typedef struct dead_inc {
    char inc[INC_MAX];
    unsigned scans;
} dead_inc;

typedef struct cluster {
    sc_coord *coord;
    sc_persist *p; /* the thread's own handle */
    char inc[INC_MAX];
    char lease_id[INC_MAX + 8];
    char info[768]; /* this incarnation's JSON in NODES_NS */
    unsigned lease_ms, period_ms, margin_ms;
    void (*on_fenced)(void *ud, const char *why);
    void *ud;

    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;            /* under mu */
    bool paused;          /* under mu: a handover: no renewal any more */
    handoff *head, *tail; /* under mu */

    _Atomic uint64_t last_ok_us; /* monotonic start of the last renewal that succeeded */
    _Atomic bool lost;           /* the lease is gone (renewal refused, or too late to renew) */
    _Atomic uint64_t renew_failures, taken, takeovers, live_nodes;
    char lost_why[160]; /* written by the thread before lost is set */

    dead_inc *dead; /* the thread's */
    size_t ndead;

    uv_async_t async;
    uv_timer_t fence_timer;
    int handles_open; /* 1 while open; while closing, the close callbacks still due */
    bool fenced;      /* loop: the sessions were let go */

    sc_obs_metric *m_renew_fail, *m_taken, *m_takeovers, *m_nodes, *m_fenced, *m_age;
} cluster;

static cluster *cluster_of(const sc_coord *c) { return sc_coord__feat(c, SC_FEAT_CLUSTER); }

static uint64_t mono_us(void) { return sc_clock_mono_us(sc_clock_system()); }

/* ---- The thread: renewal, dead incarnations, moves ------------------------------------------ */

/* Our entry in NODES_NS (addresses for GET /cluster and redirects), expiring with the lease. */
static void publish_info(cluster *cl)
{
    int64_t until = sc_clock_wall_us(sc_clock_system()) + (int64_t)cl->lease_ms * 1000;
    sc_persist_kv_put(cl->p, NODES_NS, cl->inc, cl->info, strlen(cl->info), until);
}

/* Renews our lease; false when it is gone (we stop for good) or the store failed. A renewal is
 * only tried while the last one is young enough that the lease cannot have expired: after a
 * stall (a stopped process, a slow store) the node fences itself instead of coming back. */
static bool renew(cluster *cl)
{
    uint64_t t0 = mono_us();
    uint64_t last = atomic_load(&cl->last_ok_us);
    if (t0 > last + (uint64_t)(cl->lease_ms - cl->margin_ms) * 1000) {
        snprintf(cl->lost_why, sizeof cl->lost_why, "no lease renewal for %" PRIu64 " ms (lease %u ms)",
                 (t0 - last) / 1000, cl->lease_ms);
        atomic_store(&cl->lost, true);
        return false;
    }
    int rc = sc_persist_renew(cl->p, cl->lease_id, cl->inc, cl->lease_ms);
    if (rc == -EBUSY) {
        snprintf(cl->lost_why, sizeof cl->lost_why, "another node holds this incarnation's lease");
        atomic_store(&cl->lost, true);
        return false;
    }
    if (rc) {
        atomic_fetch_add(&cl->renew_failures, 1);
        return false;
    }
    atomic_store(&cl->last_ok_us, t0);
    publish_info(cl);
    return true;
}

typedef struct live_ctx {
    cluster *cl;
    size_t n, mine; /* live incarnations; our index among them (key order) */
} live_ctx;

static int count_live(const char *key, const char *text, size_t len, int64_t expires_us, void *ud)
{
    (void)text, (void)len, (void)expires_us;
    live_ctx *lc = ud;
    if (!strcmp(key, lc->cl->inc))
        lc->mine = lc->n;
    lc->n++;
    return 0;
}

typedef struct dead_ctx {
    cluster *cl;
    char (*incs)[INC_MAX];
    size_t n, cap;
} dead_ctx;

static int collect_dead(const char *id, const char *node, int64_t until_us, void *ud)
{
    (void)until_us;
    dead_ctx *d = ud;
    size_t pl = strlen(LEASE_PREFIX);
    if (strncmp(id, LEASE_PREFIX, pl) || !strcmp(node, d->cl->inc) || strlen(node) >= INC_MAX)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        void *v = realloc(d->incs, cap * sizeof *d->incs);
        if (!v)
            return -ENOMEM;
        d->incs = v;
        d->cap = cap;
    }
    snprintf(d->incs[d->n++], INC_MAX, "%s", node);
    return 0;
}

static dead_inc *dead_entry(cluster *cl, const char *inc)
{
    for (size_t i = 0; i < cl->ndead; i++)
        if (!strcmp(cl->dead[i].inc, inc))
            return &cl->dead[i];
    dead_inc *v = realloc(cl->dead, (cl->ndead + 1) * sizeof *v);
    if (!v)
        return NULL;
    cl->dead = v;
    dead_inc *e = &cl->dead[cl->ndead++];
    snprintf(e->inc, sizeof e->inc, "%s", inc);
    e->scans = 0;
    return e;
}

static void dead_forget(cluster *cl, const char *inc)
{
    for (size_t i = 0; i < cl->ndead; i++)
        if (!strcmp(cl->dead[i].inc, inc)) {
            cl->dead[i] = cl->dead[--cl->ndead];
            return;
        }
}

/* One session of a dead incarnation and its B2BUA peer: the pair is one group, keyed by the
 * smaller id, so that one node takes both. */
typedef struct owned_item {
    sid_t id;
    sid_t peer; /* "" when none is known */
    uint64_t last_seq;
    uint32_t group;
} owned_item;

typedef struct owned_ctx {
    owned_item *v;
    size_t n, cap;
} owned_ctx;

static int collect_owned(const char *id, const json_t *snap, void *ud)
{
    owned_ctx *o = ud;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        void *v = realloc(o->v, cap * sizeof *o->v);
        if (!v)
            return -ENOMEM;
        o->v = v;
        o->cap = cap;
    }
    const char *peer = json_string_value(json_object_get(json_object_get(snap, "fields"), "peer_id"));
    json_int_t last = json_integer_value(json_object_get(snap, "last_seq"));
    owned_item *it = &o->v[o->n++];
    snprintf(it->id, sizeof it->id, "%s", id);
    snprintf(it->peer, sizeof it->peer, "%s", peer ? peer : "");
    it->last_seq = last > 0 ? (uint64_t)last : 0;
    return 0;
}

/* The peer as the records logged after the snapshot leave it (a B2BUA links its legs in the
 * middle of a call: the snapshot may not know yet). */
static int tail_peer(const sc_persist_event *ev, void *ud)
{
    owned_item *it = ud;
    json_t *f = json_object_get(json_object_get(ev->record, "fields"), "peer_id");
    if (f)
        snprintf(it->peer, sizeof it->peer, "%s", json_is_string(f) ? json_string_value(f) : "");
    return 0;
}

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const owned_item *)a)->id, ((const owned_item *)b)->id);
}

/* Peers from the log, each link known from either side, then each item's group. */
static void group_items(cluster *cl, owned_ctx *o)
{
    for (size_t i = 0; i < o->n; i++)
        sc_persist_read_events(cl->p, o->v[i].id, o->v[i].last_seq + 1, tail_peer, &o->v[i]);
    qsort(o->v, o->n, sizeof *o->v, cmp_item);
    for (size_t i = 0; i < o->n; i++) {
        owned_item key, *peer;
        if (!o->v[i].peer[0])
            continue;
        snprintf(key.id, sizeof key.id, "%s", o->v[i].peer);
        peer = bsearch(&key, o->v, o->n, sizeof *o->v, cmp_item);
        if (peer && !peer->peer[0])
            snprintf(peer->peer, sizeof peer->peer, "%s", o->v[i].id);
    }
    for (size_t i = 0; i < o->n; i++) {
        const owned_item *it = &o->v[i];
        const char *k = it->peer[0] && strcmp(it->peer, it->id) < 0 ? it->peer : it->id;
        o->v[i].group = sc_hash_fnv1a32(k, strlen(k));
    }
}

static int handoff_add(handoff *h, const char *id)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        void *v = realloc(h->ids, cap * sizeof *h->ids);
        if (!v)
            return -ENOMEM;
        h->ids = v;
        h->cap = cap;
    }
    snprintf(h->ids[h->n++], sizeof *h->ids, "%s", id);
    return 0;
}

static void handoff_free(handoff *h)
{
    if (h)
        free(h->ids);
    free(h);
}

/* A dead incarnation with nothing left: its lease and entry go (claimed first: nobody else
 * then finishes it twice). */
static void bury(cluster *cl, const char *inc)
{
    char id[INC_MAX + 8];
    snprintf(id, sizeof id, LEASE_PREFIX "%s", inc);
    if (sc_persist_claim(cl->p, id, cl->inc, cl->lease_ms) == 0)
        sc_persist_release(cl->p, id, cl->inc);
    sc_persist_kv_delete(cl->p, NODES_NS, inc);
    dead_forget(cl, inc);
}

/* Our share of a dead incarnation's sessions moved to us: groups whose hash falls on our index
 * among the live incarnations, or all that remain after TAKE_ALL_AFTER scans (a survivor that
 * should have taken them did not). */
static void take_share(cluster *cl, dead_inc *d, const live_ctx *live, uint64_t seen_us)
{
    owned_ctx o = {0};
    int rc = sc_persist_list_owned(cl->p, d->inc, true, collect_owned, &o);
    if (rc == 0 && o.n == 0) {
        bury(cl, d->inc);
        free(o.v);
        return;
    }
    group_items(cl, &o);
    handoff *h = calloc(1, sizeof *h);
    if (!h) {
        free(o.v);
        return;
    }
    snprintf(h->from, sizeof h->from, "%s", d->inc);
    h->found_mono_us = seen_us;
    bool all = ++d->scans >= TAKE_ALL_AFTER || live->n == 0;
    for (size_t i = 0; i < o.n; i++) {
        if (!all && o.v[i].group % live->n != live->mine)
            continue;
        if (sc_persist_owner_move(cl->p, o.v[i].id, d->inc, cl->inc) == 0 && handoff_add(h, o.v[i].id) != 0)
            break;
    }
    free(o.v);
    if (!h->n) {
        handoff_free(h);
        return;
    }
    atomic_fetch_add(&cl->taken, h->n);
    atomic_fetch_add(&cl->takeovers, 1);
    pthread_mutex_lock(&cl->mu);
    if (cl->tail)
        cl->tail->next = h;
    else
        cl->head = h;
    cl->tail = h;
    pthread_mutex_unlock(&cl->mu);
    uv_async_send(&cl->async);
}

static void scan(cluster *cl)
{
    uint64_t now = mono_us();
    live_ctx live = {.cl = cl};
    if (sc_persist_kv_list(cl->p, NODES_NS, count_live, &live) != 0)
        return;
    atomic_store(&cl->live_nodes, live.n);
    dead_ctx d = {.cl = cl};
    if (sc_persist_list_expired(cl->p, collect_dead, &d) == 0)
        for (size_t i = 0; i < d.n; i++) {
            dead_inc *e = dead_entry(cl, d.incs[i]);
            if (e)
                take_share(cl, e, &live, now);
        }
    free(d.incs);
}

static void *thread_main(void *arg)
{
    cluster *cl = arg;
    pthread_mutex_lock(&cl->mu);
    while (!cl->stop) {
        bool paused = cl->paused;
        pthread_mutex_unlock(&cl->mu);
        if (!paused && !atomic_load(&cl->lost) && renew(cl))
            scan(cl);
        if (atomic_load(&cl->lost))
            uv_async_send(&cl->async); /* the loop fences now */
        pthread_mutex_lock(&cl->mu);
        if (cl->stop)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)cl->period_ms * 1000000u;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&cl->cv, &cl->mu, &ts);
    }
    pthread_mutex_unlock(&cl->mu);
    return NULL;
}

/* ---- The loop: restoring what was moved to us, fencing -------------------------------------- */

static void take_over(cluster *cl, handoff *h)
{
    sc_coord *c = cl->coord;
    sc_persist *p = sc_coord__store_handle(c);
    if (!p || cl->fenced)
        return;
    uint64_t t0 = mono_us();
    const char **ids = malloc(h->n * sizeof *ids);
    if (!ids)
        return;
    for (size_t i = 0; i < h->n; i++)
        ids[i] = h->ids[i];
    sc_coord_store_report rep = {0};
    sc_coord_recover_ctx rc = {.coord = c, .rep = &rep, .taken_from = h->from};
    size_t ok = 0, failed = 0;
    sc_coord__store_mute(c, true);
    sc_coord__persist_recover_ids(c->engine, p, ids, h->n, sc_coord__recover_rebuild, &rc, &ok, &failed);
    sc_coord__store_mute(c, false);
    sc_coord__recover_finish(&rc); /* Recovered (code 1): the table re-INVITEs; snapshots with our id */
    free(rc.ids);
    free(ids);
    uint64_t t1 = mono_us();
    sc_log(c->logger, SC_LOG_INFO, "cluster",
           "took over %zu session(s) of %s (%zu failed): restored in %.3f s, %.3f s after its lease was seen expired",
           ok, h->from, failed, (double)(t1 - t0) / 1e6, (double)(t1 - h->found_mono_us) / 1e6);
}

typedef struct ids_ctx {
    sid_t *ids;
    size_t n, cap;
} ids_ctx;

static int collect_id(sc_session *s, void *ud)
{
    ids_ctx *ic = ud;
    if (ic->n < ic->cap)
        snprintf(ic->ids[ic->n++], sizeof *ic->ids, "%s", sc_session_id(s));
    return 0;
}

/* Every session here goes, without a word on the wire and without touching the store (another
 * node takes them from what is stored). */
static void let_go_sessions(sc_coord *c, const char *reason)
{
    ids_ctx ic = {.cap = sc_store_count(c->store)};
    sid_t *ids = ic.ids = ic.cap ? calloc(ic.cap, sizeof *ids) : NULL;
    if (!ids)
        return;
    sc_store_foreach(c->store, collect_id, &ic);
    for (size_t i = 0; i < ic.n; i++) {
        sc_session *s = sc_store_get(c->store, ids[i]);
        if (s)
            sc_engine_remove_session(c->engine, s, reason);
    }
    free(ids);
}

static void fence(cluster *cl, const char *why)
{
    if (cl->fenced)
        return;
    cl->fenced = true;
    sc_coord *c = cl->coord;
    sc_sip_set_accepting(c->sip, false);
    sc_log(c->logger, SC_LOG_ERROR, "cluster",
           "fenced: %s; this node stops acting on its %zu session(s) now, before its lease can be taken over", why,
           sc_store_count(c->store));
    sc_coord__store_let_go(c, 0); /* the recorder stops; nothing is waited for */
    let_go_sessions(c, "fenced");
    if (cl->on_fenced)
        cl->on_fenced(cl->ud, why);
}

static void on_async(uv_async_t *a)
{
    cluster *cl = a->data;
    if (atomic_load(&cl->lost) && !cl->fenced) {
        fence(cl, cl->lost_why);
        return;
    }
    for (;;) {
        pthread_mutex_lock(&cl->mu);
        handoff *h = cl->head;
        if (h && !(cl->head = h->next))
            cl->tail = NULL;
        pthread_mutex_unlock(&cl->mu);
        if (!h)
            break;
        take_over(cl, h);
        handoff_free(h);
    }
}

/* The loop's own check: the lease's time measured here, whatever the thread is doing (it may be
 * stuck in a store call that never returns). */
static void on_fence_timer(uv_timer_t *t)
{
    cluster *cl = t->data;
    uint64_t age = mono_us() - atomic_load(&cl->last_ok_us);
    if (!cl->fenced && (atomic_load(&cl->lost) || age > (uint64_t)(cl->lease_ms - cl->margin_ms) * 1000)) {
        char why[160];
        snprintf(why, sizeof why, "%s",
                 atomic_load(&cl->lost) ? cl->lost_why : "the store did not confirm the lease in time");
        fence(cl, why);
    }
}

/* ---- Metrics ---------------------------------------------------------------------------------- */

static void collect(void *ud, sc_obs_registry *r)
{
    (void)r;
    cluster *cl = ud;
    sc_obs_counter_with(cl->m_renew_fail)->value = atomic_load(&cl->renew_failures);
    sc_obs_counter_with(cl->m_taken)->value = atomic_load(&cl->taken);
    sc_obs_counter_with(cl->m_takeovers)->value = atomic_load(&cl->takeovers);
    sc_obs_gauge_set(sc_obs_gauge_with(cl->m_nodes), (double)atomic_load(&cl->live_nodes));
    sc_obs_gauge_set(sc_obs_gauge_with(cl->m_fenced), cl->fenced ? 1 : 0);
    sc_obs_gauge_set(sc_obs_gauge_with(cl->m_age), (double)(mono_us() - atomic_load(&cl->last_ok_us)) / 1e6);
}

static int metrics_new(cluster *cl)
{
    sc_obs_registry *reg = cl->coord->reg;
    if (!reg)
        return 0;
    const sc_obs_desc d[] = {
        {.type = SC_OBS_COUNTER,
         .name = "sessioncore_cluster_lease_renew_failures_total",
         .help = "Node lease renewals the store did not confirm"},
        {.type = SC_OBS_COUNTER,
         .name = "sessioncore_cluster_sessions_taken_over_total",
         .help = "Sessions of dead incarnations this node took over"},
        {.type = SC_OBS_COUNTER,
         .name = "sessioncore_cluster_takeovers_total",
         .help = "Takeovers (a batch of one dead incarnation's sessions) this node made"},
        {.type = SC_OBS_GAUGE, .name = "sessioncore_cluster_nodes", .help = "Live incarnations at the last scan"},
        {.type = SC_OBS_GAUGE, .name = "sessioncore_cluster_fenced", .help = "1 once this node fenced itself"},
        {.type = SC_OBS_GAUGE,
         .name = "sessioncore_cluster_lease_age_seconds",
         .help = "Time since the last confirmed lease renewal started"},
    };
    sc_obs_metric **out[] = {&cl->m_renew_fail, &cl->m_taken,  &cl->m_takeovers,
                             &cl->m_nodes,      &cl->m_fenced, &cl->m_age};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        int rc = sc_obs_register(reg, &d[i], out[i]);
        if (rc)
            return rc;
    }
    return sc_obs_registry_add_collector(reg, collect, cl);
}

/* ---- Start, handover, stop ------------------------------------------------------------------- */

static void info_json(cluster *cl, const sc_coord_cluster_config *cfg)
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "incarnation", cl->inc, "http", cfg->http_url ? cfg->http_url : "", "sip",
                          cfg->sip_uri ? cfg->sip_uri : "");
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    snprintf(cl->info, sizeof cl->info, "%s", text ? text : "{}");
    free(text);
    json_decref(j);
}

static void stop(sc_coord *c);

int sc_coord_cluster_start(sc_coord *c, const sc_coord_cluster_config *cfg, char *err, size_t errsz)
{
    char dummy[8];
    if (!err)
        err = dummy, errsz = sizeof dummy;
    err[0] = '\0';
    if (!c || !cfg)
        return -EINVAL;
    if (cluster_of(c))
        return -EALREADY;
    sc_persist *sp = sc_coord__store_handle(c);
    const char *inc = sc_coord__store_node(c);
    if (!sp || !inc || !strcmp(sc_persist_backend_name(sp), "memory")) {
        snprintf(err, errsz, "--cluster needs a shared store (--store redis://... or postgresql://...)");
        return -EINVAL;
    }
    unsigned lease = cfg->lease_ms ? cfg->lease_ms : DEFAULT_LEASE_MS;
    if (lease < 200 || lease > 600000) {
        snprintf(err, errsz, "--lease-ms: 200 to 600000");
        return -EINVAL;
    }
    cluster *cl = calloc(1, sizeof *cl);
    if (!cl)
        return -ENOMEM;
    cl->coord = c;
    snprintf(cl->inc, sizeof cl->inc, "%s", inc);
    snprintf(cl->lease_id, sizeof cl->lease_id, LEASE_PREFIX "%s", inc);
    cl->lease_ms = lease;
    cl->period_ms = lease / 4;
    cl->margin_ms = lease / 4;
    cl->on_fenced = cfg->on_fenced;
    cl->ud = cfg->ud;
    info_json(cl, cfg);
    pthread_mutex_init(&cl->mu, NULL);
    pthread_cond_init(&cl->cv, NULL);
    c->feat[SC_FEAT_CLUSTER] = cl;
    int rc = sc_persist_open_same(&cl->p, sp, err, errsz);
    if (rc == 0) { /* the first lease, taken here: a node that cannot join does not start */
        atomic_store(&cl->last_ok_us, mono_us());
        rc = sc_persist_claim(cl->p, cl->lease_id, cl->inc, cl->lease_ms);
        if (rc == 0)
            publish_info(cl); /* listed from the start */
        if (rc)
            snprintf(err, errsz, "--cluster: cannot take the node lease: %s (%s)", sc_strerror(rc),
                     sc_persist_last_error(cl->p));
    }
    if (rc == 0 && (rc = metrics_new(cl)) != 0)
        snprintf(err, errsz, "--cluster: metrics: %s", sc_strerror(rc));
    if (rc == 0) {
        uv_async_init(c->loop, &cl->async, on_async);
        uv_timer_init(c->loop, &cl->fence_timer);
        cl->async.data = cl->fence_timer.data = cl;
        cl->handles_open = 1;
        uv_timer_start(&cl->fence_timer, on_fence_timer, cl->period_ms / 2, cl->period_ms / 2);
        rc = -pthread_create(&cl->thread, NULL, thread_main, cl);
        cl->thread_started = rc == 0;
        if (rc)
            snprintf(err, errsz, "--cluster: cannot start its thread: %s", sc_strerror(rc));
    }
    if (rc) {
        stop(c);
        return rc;
    }
    sc_log(c->logger, SC_LOG_INFO, "cluster", "incarnation %s joined (lease %u ms, renewed every %u ms)", cl->inc,
           cl->lease_ms, cl->period_ms);
    return 0;
}

const char *sc_coord_cluster_incarnation(const sc_coord *c)
{
    cluster *cl = c ? cluster_of(c) : NULL;
    return cl ? cl->inc : "";
}

int sc_coord_cluster_handover(sc_coord *c, unsigned flush_ms)
{
    cluster *cl = cluster_of(c);
    if (!cl)
        return -ENOENT;
    if (cl->fenced)
        return -ESTALE;
    pthread_mutex_lock(&cl->mu);
    cl->paused = true; /* the thread renews no more: our lease ends below */
    pthread_mutex_unlock(&cl->mu);
    size_t n = sc_store_count(c->store);
    int rc = sc_coord__store_let_go(c, flush_ms);
    cl->fenced = true; /* acts on nothing any more */
    let_go_sessions(c, "handover");
    /* The lease ends now: the other nodes take the sessions at their next scan. */
    sc_persist *p = sc_coord__store_handle(c);
    int lrc = p ? sc_persist_renew(p, cl->lease_id, cl->inc, 0) : -ENOENT;
    if (p)
        sc_persist_kv_delete(p, NODES_NS, cl->inc);
    sc_log(c->logger, rc || lrc ? SC_LOG_WARN : SC_LOG_INFO, "cluster",
           "handover: %zu session(s) left to the other nodes (records %s, lease %s)", n,
           rc ? "not all committed" : "committed", lrc ? sc_strerror(lrc) : "ended");
    return rc ? rc : lrc;
}

static void handle_closed(uv_handle_t *h)
{
    cluster *cl = h->data;
    cl->handles_open--;
}

static void stop(sc_coord *c)
{
    cluster *cl = cluster_of(c);
    if (!cl)
        return;
    pthread_mutex_lock(&cl->mu);
    cl->stop = true;
    pthread_cond_signal(&cl->cv);
    pthread_mutex_unlock(&cl->mu);
    if (cl->thread_started)
        pthread_join(cl->thread, NULL);
    if (c->reg)
        sc_obs_registry_remove_collector(c->reg, collect, cl);
    if (cl->handles_open) {
        cl->handles_open = 2;
        uv_close((uv_handle_t *)&cl->async, handle_closed);
        uv_close((uv_handle_t *)&cl->fence_timer, handle_closed);
        while (cl->handles_open)
            uv_run(c->loop, UV_RUN_ONCE);
    }
    for (handoff *h = cl->head, *n; h; h = n) {
        n = h->next;
        handoff_free(h);
    }
    sc_persist_close(cl->p);
    pthread_mutex_destroy(&cl->mu);
    pthread_cond_destroy(&cl->cv);
    free(cl->dead);
    c->feat[SC_FEAT_CLUSTER] = NULL;
    free(cl);
}

const sc_coord_feature sc_coord__feature_cluster = {
    .name = "cluster",
    .needs = "persistence", /* the store's handle and node id; takeover restores as recovery does */
    .stop = stop,
};

/* ---- Where a session lives (any thread, the caller's own handle) ------------------------------ */

int sc_coord_cluster_locate(sc_persist *p, const char *session_id, char *node, size_t node_cap, char *url,
                            size_t url_cap)
{
    if (!p || !session_id || !url || !url_cap)
        return -EINVAL;
    url[0] = '\0';
    sc_persist_snapshot_info info;
    json_t *snap = NULL;
    int rc = sc_persist_load(p, session_id, &snap, &info);
    json_decref(snap);
    if (rc)
        return rc;
    if (node && node_cap)
        snprintf(node, node_cap, "%s", info.node_id);
    char *text = NULL;
    if (!info.node_id[0] || sc_persist_kv_get(p, NODES_NS, info.node_id, &text) != 0)
        return -ENOENT;
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    const char *http = json_string_value(json_object_get(j, "http"));
    rc = http && *http ? 0 : -ENODATA;
    if (rc == 0)
        snprintf(url, url_cap, "%s", http);
    json_decref(j);
    return rc;
}

typedef struct nodes_ctx {
    json_t *arr;
    const char *self;
} nodes_ctx;

static int add_node(const char *key, const char *text, size_t len, int64_t expires_us, void *ud)
{
    (void)expires_us;
    nodes_ctx *nc = ud;
    json_t *j = json_loadb(text, len, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        j = json_object();
    }
    json_object_set_new(j, "incarnation", json_string(key));
    json_object_set_new(j, "self", json_boolean(nc->self && !strcmp(nc->self, key)));
    return json_array_append_new(nc->arr, j) ? -ENOMEM : 0;
}

int sc_coord_cluster_nodes(sc_persist *p, const char *self_inc, json_t **out)
{
    if (!p || !out)
        return -EINVAL;
    nodes_ctx nc = {.arr = json_array(), .self = self_inc};
    if (!nc.arr)
        return -ENOMEM;
    int rc = sc_persist_kv_list(p, NODES_NS, add_node, &nc);
    if (rc) {
        json_decref(nc.arr);
        return rc;
    }
    *out = nc.arr;
    return 0;
}
