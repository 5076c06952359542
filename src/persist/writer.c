/* writer: the asynchronous persistence writer: a bounded queue filled by the loop thread, a
 * writer thread with its own connection that commits the queue in batches (group commit),
 * reconnects with backoff, and reports durability back to the loop through uv_async. */
#include "persist/persist_int.h"

#include "session_core/base.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct wop {
    sc_persist_op_kind kind;
    char *mem;      /* one block holding the strings below: in the text ring, or malloc'd */
    size_t mem_end; /* in the ring: the ring offset just past the block, else SIZE_MAX */
    const char *id;
    const char *text; /* JSON text (SAVE, APPEND), the value (KV_PUT), "" for DELETE */
    const char *node; /* SAVE, DELETE ("": not fenced); KV_PUT and KV_DELETE: the namespace */
    const char *hash; /* SAVE */
    uint64_t seq;     /* APPEND; PRUNE: max */
    int64_t wall_us;  /* APPEND: event time; SAVE: time of submit; KV_PUT: expires_us; PRUNE: before_us */
    size_t text_len;  /* KV_PUT */
} wop;

typedef struct waiter {
    uint64_t ticket; /* durable once every op up to here is committed */
    sc_persist_done_cb cb;
    void *ud;
    int status; /* set when moved to the done list */
    struct waiter *next;
} waiter;

typedef struct wlist {
    waiter *head, *tail;
} wlist;

struct sc_persist_writer {
    sc_persist_writer_config cfg; /* with defaults filled in */
    sc_persist *conn;             /* the writer thread's handle */
    const sc_logger *logger;      /* borrowed from the store's config */
    pthread_t thread;
    pthread_mutex_t mu;     /* guards everything below */
    pthread_cond_t cv_work; /* submit/stop -> writer thread */
    pthread_cond_t cv_done; /* writer thread -> flush_wait */
    wop *ring;              /* cfg.queue_cap slots */
    size_t head, count;     /* ops queued or in flight, oldest at head */
    uint64_t submitted;     /* last ticket handed out */
    uint64_t durable;       /* every ticket <= this one is committed */
    uint64_t urgent;        /* batched mode: commit up to here without waiting */
    wlist pending;          /* commit_turn waiters, ticket order */
    wlist done;             /* waiters for the loop thread to call */
    uv_async_t *async;      /* owned; freed by its close callback */
    size_t kick_at;         /* queue depth that wakes the writer by itself */
    bool *skip;             /* batch_max flags: op superseded within its batch */
    size_t *slots;          /* slots_cap: open-addressing set of ids (coalesce) */
    size_t slots_cap;       /* power of two >= 2 * batch_max */
    struct wtext {          /* the queued ops' strings (see text_alloc) */
        char *p;            /* cap bytes, or NULL: every block malloc'd */
        size_t cap;
        size_t head, tail; /* the oldest block starts at head, the newest ends at tail */
        size_t live;       /* blocks in the ring */
    } tx;
    bool stop;
    bool thread_started;
    sc_persist_health health; /* connected, errors, counters (queue fields filled on read) */
};

/* The ops' strings in one byte ring, taken at its tail by the submitting (loop) thread and
 * given back at its head as the writer completes ops, in queue order; both under the lock.
 * A malloc and a free per op cost more than the op's copy: the block was freed by the writer
 * thread (a cross-thread free into the loop's arena, under the queue's lock) and a snapshot's
 * block (~1-3 KB, malloc's large bins) made glibc consolidate the loop thread's fast bins on
 * every call. A block that does not fit (a full ring, a huge text) is malloc'd as before. */
#define TEXT_RING_BYTES (4u << 20)

static char *text_alloc(sc_persist_writer *w, size_t n, size_t *end)
{
    struct wtext *t = &w->tx;
    size_t at = SIZE_MAX;
    if (t->p && !t->live)
        t->head = t->tail = 0;
    if (!t->p || n > t->cap / 4) {
        /* no ring, or a block that would crowd it */
    } else if (!t->live || t->tail > t->head) { /* one run [head, tail): after it, or from 0 */
        if (t->cap - t->tail >= n)
            at = t->tail;
        else if (t->head > n)
            at = 0;
    } else if (t->head - t->tail > n) { /* wrapped: the free bytes are [tail, head) */
        at = t->tail;
    }
    if (at == SIZE_MAX) {
        *end = SIZE_MAX;
        return malloc(n);
    }
    t->tail = at + n;
    t->live++;
    *end = t->tail;
    return t->p + at;
}

/* The oldest block of the ring, or a malloc'd one, given back; the op cleared. */
static void wop_free(sc_persist_writer *w, wop *o)
{
    if (o->mem && o->mem_end != SIZE_MAX) {
        w->tx.head = o->mem_end;
        w->tx.live--;
    } else {
        free(o->mem);
    }
    memset(o, 0, sizeof *o);
}

static void wlist_push(wlist *l, waiter *x)
{
    x->next = NULL;
    if (l->tail)
        l->tail->next = x;
    else
        l->head = x;
    l->tail = x;
}

static bool past(const struct timespec *ts)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > ts->tv_sec || (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/* Moves the waiters whose tickets are durable to the done list; lock held. Returns true if
 * any moved. */
static bool release_waiters(sc_persist_writer *w)
{
    bool moved = false;
    while (w->pending.head && w->pending.head->ticket <= w->durable) {
        waiter *x = w->pending.head;
        w->pending.head = x->next;
        if (!w->pending.head)
            w->pending.tail = NULL;
        x->status = 0;
        wlist_push(&w->done, x);
        moved = true;
    }
    return moved;
}

/* Marks in w->skip the SAVEs of ops [head, head + n) that a later SAVE or DELETE of the same
 * session in the same batch replaces: the transaction ends in the same state without them
 * (a call that starts and ends within one batch writes no snapshot at all). */
static void coalesce(sc_persist_writer *w, size_t n)
{
    /* a set sized for this batch (at least twice its ops), not for the largest one: a batch
     * of a few ops clears a few slots, not all of slots_cap */
    size_t cap = 16;
    while (cap < 2 * n && cap < w->slots_cap)
        cap *= 2;
    size_t mask = cap - 1;
    memset(w->slots, 0xff, cap * sizeof *w->slots);
    for (size_t k = n; k-- > 0;) {
        const wop *o = &w->ring[(w->head + k) % w->cfg.queue_cap];
        w->skip[k] = false;
        if (o->kind != SC_PERSIST_OP_SAVE && o->kind != SC_PERSIST_OP_DELETE)
            continue;
        size_t j = sc_hash_fnv1a32(o->id, strlen(o->id)) & mask;
        while (w->slots[j] != SIZE_MAX && strcmp(w->ring[(w->head + w->slots[j]) % w->cfg.queue_cap].id, o->id))
            j = (j + 1) & mask;
        if (w->slots[j] != SIZE_MAX)
            w->skip[k] = o->kind == SC_PERSIST_OP_SAVE;
        else
            w->slots[j] = k;
    }
}

/* A batch ends before a PRUNE, and a PRUNE at the head is a batch of its own (it is its own
 * transaction and reports a result); lock held. */
static size_t batch_len(const sc_persist_writer *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (w->ring[(w->head + i) % w->cfg.queue_cap].kind == SC_PERSIST_OP_PRUNE)
            return i ? i : 1;
    return n;
}

static const uint64_t latency_bounds_us[SC_PERSIST_LATENCY_BOUNDS] = {1000,    2500,    5000,     10000,    25000,
                                                                      50000,   100000,  250000,   500000,   1000000,
                                                                      2500000, 5000000, 10000000, 30000000, 60000000};

const uint64_t *sc_persist_latency_bounds_us(uint32_t *n)
{
    *n = SC_PERSIST_LATENCY_BOUNDS;
    return latency_bounds_us;
}

/* Counts one transaction's time into its bucket; lock held. */
static void note_latency(uint64_t *counts, double *sum_s, uint64_t us)
{
    uint32_t i = 0;
    while (i < SC_PERSIST_LATENCY_BOUNDS && us > latency_bounds_us[i])
        i++;
    counts[i]++;
    *sum_s += (double)us / 1e6;
}

/* Counts the ops [head, head + n) per kind as committed or failed; lock held. */
static void count_ops(sc_persist_writer *w, size_t n, bool ok)
{
    uint64_t *by_kind = ok ? w->health.ops_ok : w->health.ops_failed;
    for (size_t i = 0; i < n; i++) {
        unsigned k = (unsigned)w->ring[(w->head + i) % w->cfg.queue_cap].kind;
        if (k < SC_PERSIST_OP_KINDS)
            by_kind[k]++;
    }
}

/* A PRUNE op; the result goes to the health. A failure is logged, never retried: the loop
 * submits the next prune in its own time. */
static void run_prune(sc_persist_writer *w, const wop *o)
{
    size_t removed = 0;
    uint64_t t0 = sc_persist__mono_us(w->conn);
    int rc = sc_persist_prune_events(w->conn, o->wall_us, (size_t)o->seq, &removed);
    uint64_t lat = sc_persist__mono_us(w->conn) - t0;
    if (rc < 0)
        sc_log(w->logger, SC_LOG_WARN, "persist", "pruning the event log failed: %s",
               sc_persist_last_error(w->conn)[0] ? sc_persist_last_error(w->conn) : sc_strerror(rc));
    pthread_mutex_lock(&w->mu);
    w->health.prune_runs++;
    w->health.pruned_events += removed;
    w->health.prune_more = rc == 1;
    if (rc < 0) {
        w->health.prune_failed++;
        w->health.ops_failed[SC_PERSIST_OP_PRUNE]++;
    } else {
        w->health.ops_ok[SC_PERSIST_OP_PRUNE]++;
        note_latency(w->health.prune_latency_counts, &w->health.prune_latency_sum_s, lat);
    }
    pthread_mutex_unlock(&w->mu);
}

/* Runs ops [head, head + n) in one transaction on the writer's connection; no lock held. */
static int run_batch(sc_persist_writer *w, size_t n)
{
    sc_persist *c = w->conn;
    if (n == 1 && w->ring[w->head].kind == SC_PERSIST_OP_PRUNE) {
        run_prune(w, &w->ring[w->head]);
        return 0;
    }
    coalesce(w, n);
    uint64_t fenced0 = sc_persist_fenced_writes(c); /* a batch that fails counts none */
    int rc = sc_persist__begin(c);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const wop *o = &w->ring[(w->head + i) % w->cfg.queue_cap];
        if (w->skip[i])
            continue;
        switch (o->kind) {
        case SC_PERSIST_OP_SAVE: rc = sc_persist__save_text(c, o->id, o->text, o->node, o->hash, o->wall_us); break;
        case SC_PERSIST_OP_APPEND:
            rc = sc_persist__append_text(c, o->id, o->seq, o->wall_us, o->text);
            rc = rc == 1 ? 0 : rc; /* already stored: a retried batch */
            break;
        case SC_PERSIST_OP_DELETE:
            rc = sc_persist__delete_raw(c, o->id, o->node);
            rc = rc == -ENOENT || rc == 1 ? 0 : rc; /* 1: fenced (counted) */
            break;
        case SC_PERSIST_OP_TABLE: rc = sc_persist__save_table_raw(c, o->id, o->text); break;
        case SC_PERSIST_OP_KV_PUT: rc = sc_persist_kv_put(c, o->node, o->id, o->text, o->text_len, o->wall_us); break;
        case SC_PERSIST_OP_KV_DELETE:
            rc = sc_persist_kv_delete(c, o->node, o->id);
            rc = rc == -ENOENT ? 0 : rc;
            break;
        case SC_PERSIST_OP_PRUNE: break; /* never in a batch (batch_len) */
        }
    }
    if (rc == 0)
        rc = sc_persist__commit(c);
    if (rc == 0)
        return 0;
    sc_persist__rollback(c);
    __atomic_store_n(&c->fenced, fenced0, __ATOMIC_RELAXED);
    return rc;
}

/* Records a failure; lock held. */
static void note_error(sc_persist_writer *w, int rc)
{
    if (w->health.connected)
        sc_log(w->logger, SC_LOG_WARN, "persist", "store %s unavailable: %s", sc_persist_backend_name(w->conn),
               sc_persist_last_error(w->conn));
    w->health.connected = false;
    w->health.last_error = rc;
    snprintf(w->health.last_error_msg, sizeof w->health.last_error_msg, "%s",
             sc_persist_last_error(w->conn)[0] ? sc_persist_last_error(w->conn) : sc_strerror(rc));
}

static void note_ok(sc_persist_writer *w, uint64_t latency_us)
{
    if (!w->health.connected)
        sc_log(w->logger, SC_LOG_INFO, "persist", "store %s connected", sc_persist_backend_name(w->conn));
    w->health.connected = true;
    w->health.last_error = 0;
    w->health.last_error_msg[0] = '\0';
    w->health.last_latency_us = latency_us;
}

/* Sleeps the backoff (doubling it) unless stop is set; lock held. */
static void backoff_wait(sc_persist_writer *w, unsigned *backoff)
{
    *backoff = *backoff ? *backoff * 2 : w->cfg.retry_initial_ms;
    if (*backoff > w->cfg.retry_max_ms)
        *backoff = w->cfg.retry_max_ms;
    struct timespec until;
    sc_cond_deadline(&until, *backoff);
    while (!w->stop && !past(&until))
        pthread_cond_timedwait(&w->cv_work, &w->mu, &until);
}

/* Waits for more ops before a batch; lock held. Batched mode: up to the batch interval (or
 * batch_max ops, or an urgent flush). Strict mode: until the loop asks for a commit (kick,
 * commit_turn, flush_wait), the queue holds a batch's worth, or STRICT_LINGER_MS passed,
 * so that a loop turn's ops travel as one batch with one wake-up. */
#define STRICT_LINGER_MS 1
static void gather_wait(sc_persist_writer *w)
{
    struct timespec until;
    bool strict = w->cfg.durability == SC_PERSIST_STRICT;
    sc_cond_deadline(&until, strict ? STRICT_LINGER_MS : w->cfg.batch_interval_ms);
    while (!w->stop && w->count < w->kick_at && w->urgent <= w->durable && !past(&until))
        pthread_cond_timedwait(&w->cv_work, &w->mu, &until);
}

/* Commits batch results; lock held. */
static void complete(sc_persist_writer *w, size_t n, uint64_t latency_us)
{
    bool prune = n == 1 && w->ring[w->head].kind == SC_PERSIST_OP_PRUNE; /* counted by run_prune */
    if (!prune) {
        count_ops(w, n, true);
        note_latency(w->health.commit_latency_counts, &w->health.commit_latency_sum_s, latency_us);
    }
    for (size_t i = 0; i < n; i++)
        wop_free(w, &w->ring[(w->head + i) % w->cfg.queue_cap]);
    w->head = (w->head + n) % w->cfg.queue_cap;
    w->count -= n;
    w->durable += n;
    w->health.committed_ops += n;
    w->health.committed_batches++;
    note_ok(w, latency_us);
    pthread_cond_broadcast(&w->cv_done);
    if (release_waiters(w) && w->async)
        uv_async_send(w->async);
}

static void *writer_main(void *arg)
{
    sc_persist_writer *w = arg;
    unsigned backoff = 0;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (!w->health.connected) {
            pthread_mutex_unlock(&w->mu);
            uint64_t lat = 0;
            int rc = sc_persist_ping(w->conn, &lat);
            pthread_mutex_lock(&w->mu);
            if (rc < 0) {
                note_error(w, rc);
                if (w->stop)
                    break;
                backoff_wait(w, &backoff);
                continue;
            }
            note_ok(w, lat);
            backoff = 0;
        }
        if (w->count == 0) {
            if (w->stop)
                break;
            pthread_cond_wait(&w->cv_work, &w->mu);
            continue;
        }
        gather_wait(w);
        size_t n = batch_len(w, w->count < w->cfg.batch_max ? w->count : w->cfg.batch_max);
        pthread_mutex_unlock(&w->mu);
        uint64_t t0 = sc_persist__mono_us(w->conn);
        int rc = run_batch(w, n);
        uint64_t lat = sc_persist__mono_us(w->conn) - t0;
        pthread_mutex_lock(&w->mu);
        if (rc == 0) {
            complete(w, n, lat);
            continue;
        }
        w->health.failed_batches++;
        count_ops(w, n, false);
        note_error(w, rc);
        if (w->stop)
            break;
        backoff_wait(w, &backoff);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Runs on the loop thread: calls the callbacks of durable turns. */
static void on_async(uv_async_t *h)
{
    sc_persist_writer *w = h->data;
    pthread_mutex_lock(&w->mu);
    waiter *x = w->done.head;
    w->done.head = w->done.tail = NULL;
    pthread_mutex_unlock(&w->mu);
    while (x) {
        waiter *next = x->next;
        x->cb(x->status, x->ud);
        free(x);
        x = next;
    }
}

static void free_async(uv_handle_t *h) { free(h); }

static void fill_defaults(sc_persist_writer_config *c)
{
    if (!c->queue_cap)
        c->queue_cap = 65536;
    if (!c->batch_max)
        c->batch_max = 4096;
    if (!c->batch_interval_ms)
        c->batch_interval_ms = 5;
    if (!c->retry_initial_ms)
        c->retry_initial_ms = 1000;
    if (!c->retry_max_ms)
        c->retry_max_ms = 30000;
    if (c->retry_max_ms < c->retry_initial_ms)
        c->retry_max_ms = c->retry_initial_ms;
}

static void writer_destroy(sc_persist_writer *w)
{
    for (size_t i = 0; w->ring && i < w->count; i++)
        wop_free(w, &w->ring[(w->head + i) % w->cfg.queue_cap]);
    free(w->ring);
    free(w->tx.p);
    free(w->skip);
    free(w->slots);
    sc_persist_close(w->conn);
    pthread_cond_destroy(&w->cv_done);
    pthread_cond_destroy(&w->cv_work);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

int sc_persist_writer_new(sc_persist_writer **out, sc_persist *p, const sc_persist_writer_config *cfg)
{
    if (!out || !p || !cfg || cfg->durability > SC_PERSIST_NONE)
        return -EINVAL;
    sc_persist_writer *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->cfg = *cfg;
    fill_defaults(&w->cfg);
    w->logger = p->cfg.logger;
    pthread_mutex_init(&w->mu, NULL);
    sc_cond_init_monotonic(&w->cv_work);
    sc_cond_init_monotonic(&w->cv_done);
    w->health.queue_cap = w->cfg.queue_cap;
    w->kick_at = w->cfg.batch_max < w->cfg.queue_cap / 2 ? w->cfg.batch_max : w->cfg.queue_cap / 2;
    if (!w->kick_at)
        w->kick_at = 1;
    int rc = sc_persist__open_same(&w->conn, p, true, NULL, 0);
    for (w->slots_cap = 16; w->slots_cap < 2 * w->cfg.batch_max; w->slots_cap *= 2)
        ;
    if (rc == 0 && w->cfg.durability != SC_PERSIST_NONE &&
        (!(w->ring = calloc(w->cfg.queue_cap, sizeof *w->ring)) ||
         !(w->skip = calloc(w->cfg.batch_max, sizeof *w->skip)) ||
         !(w->slots = calloc(w->slots_cap, sizeof *w->slots))))
        rc = -ENOMEM;
    if (rc == 0 && w->cfg.durability != SC_PERSIST_NONE && (w->tx.p = malloc(TEXT_RING_BYTES)) != NULL)
        w->tx.cap = TEXT_RING_BYTES; /* without it every block is malloc'd */
    if (rc == 0 && w->cfg.loop) {
        w->async = calloc(1, sizeof *w->async);
        if (!w->async || uv_async_init(w->cfg.loop, w->async, on_async) != 0) {
            free(w->async);
            w->async = NULL;
            rc = -ENOMEM;
        } else {
            w->async->data = w;
        }
    }
    if (rc == 0 && w->cfg.durability != SC_PERSIST_NONE) {
        if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
            rc = -EAGAIN;
        else
            w->thread_started = true;
    }
    if (rc < 0) {
        if (w->async)
            uv_close((uv_handle_t *)w->async, free_async);
        writer_destroy(w);
        return rc;
    }
    *out = w;
    return 0;
}

void sc_persist_writer_free(sc_persist_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv_work);
    pthread_cond_broadcast(&w->cv_done);
    pthread_mutex_unlock(&w->mu);
    if (w->thread_started)
        pthread_join(w->thread, NULL);
    /* Everything left is final now: durable turns succeed, the rest are cancelled. */
    release_waiters(w);
    for (waiter *x = w->pending.head; x; x = x->next)
        x->status = -ECANCELED;
    if (w->pending.head) {
        wlist_push(&w->done, w->pending.head);
        w->done.tail = w->pending.tail;
        w->pending.head = w->pending.tail = NULL;
    }
    if (w->async) {
        on_async(w->async);
        uv_close((uv_handle_t *)w->async, free_async);
    }
    writer_destroy(w);
}

/* Copies the op's strings into one block (text_alloc); lock held. */
static int wop_fill(sc_persist_writer *w, wop *o, const sc_persist_text_op *op)
{
    bool kv = op->kind == SC_PERSIST_OP_KV_PUT || op->kind == SC_PERSIST_OP_KV_DELETE;
    bool has_text = op->kind != SC_PERSIST_OP_DELETE && op->kind != SC_PERSIST_OP_KV_DELETE &&
                    op->kind != SC_PERSIST_OP_PRUNE;
    const char *id = op->session_id ? op->session_id : "";
    bool owned = op->kind == SC_PERSIST_OP_SAVE || op->kind == SC_PERSIST_OP_DELETE;
    const char *node = kv ? op->kv_ns : owned && op->node_id ? op->node_id : "";
    const char *hash = op->kind == SC_PERSIST_OP_SAVE && op->table_hash ? op->table_hash : "";
    const char *text = has_text && op->text ? op->text : "";
    size_t tlen = has_text && op->text ? op->text_len : 0;
    size_t li = strlen(id) + 1, ln = strlen(node) + 1, lh = strlen(hash) + 1;
    char *m = text_alloc(w, li + tlen + 1 + ln + lh, &o->mem_end);
    if (!m)
        return -ENOMEM;
    memcpy(m, id, li);
    memcpy(m + li, text, tlen);
    m[li + tlen] = '\0';
    memcpy(m + li + tlen + 1, node, ln);
    memcpy(m + li + tlen + 1 + ln, hash, lh);
    o->kind = op->kind;
    o->mem = m;
    o->id = m;
    o->text = m + li;
    o->node = m + li + tlen + 1;
    o->hash = m + li + tlen + 1 + ln;
    o->text_len = tlen;
    if (op->kind == SC_PERSIST_OP_SAVE) {
        o->wall_us = sc_persist__now_us(w->conn);
    } else if (kv) {
        o->wall_us = op->kind == SC_PERSIST_OP_KV_PUT ? op->expires_us : 0;
    } else {
        o->seq = op->seq;
        o->wall_us = op->wall_us;
    }
    return 0;
}

/* Queues op, its strings copied (or counts it durable in none mode); takes the lock. The
 * writer is woken only when the queue holds a batch's worth: commit_turn, kick and flush_wait
 * wake it otherwise (or it commits on its own after a short linger). */
static int enqueue(sc_persist_writer *w, const sc_persist_text_op *op, uint64_t *ticket)
{
    pthread_mutex_lock(&w->mu);
    if (w->cfg.durability == SC_PERSIST_NONE) {
        w->durable = ++w->submitted;
    } else if (w->count == w->cfg.queue_cap || w->stop) {
        w->health.rejected_ops++;
        pthread_mutex_unlock(&w->mu);
        return -EAGAIN;
    } else {
        wop *o = &w->ring[(w->head + w->count) % w->cfg.queue_cap];
        int rc = wop_fill(w, o, op);
        if (rc < 0) {
            pthread_mutex_unlock(&w->mu);
            return rc;
        }
        w->count++;
        w->submitted++;
        if (w->count == 1 || w->count >= w->kick_at) /* starts the linger, or ends it */
            pthread_cond_signal(&w->cv_work);
    }
    if (ticket)
        *ticket = w->submitted;
    pthread_mutex_unlock(&w->mu);
    return 0;
}

/* Checks a text op's arguments (the KV ops against sc_persist_kv_put's bounds). */
static bool text_op_valid(const sc_persist_text_op *op)
{
    if (op && op->kind == SC_PERSIST_OP_PRUNE)
        return op->seq > 0;
    if (!op || !op->session_id || !*op->session_id)
        return false;
    switch (op->kind) {
    case SC_PERSIST_OP_SAVE:
    case SC_PERSIST_OP_APPEND:
    case SC_PERSIST_OP_TABLE: return op->text && op->text_len;
    case SC_PERSIST_OP_DELETE: return true;
    case SC_PERSIST_OP_KV_PUT:
        return sc_persist__kv_args_ok(op->kv_ns, op->session_id) && sc_persist__kv_text_ok(op->text, op->text_len) &&
               op->expires_us >= 0;
    case SC_PERSIST_OP_KV_DELETE: return sc_persist__kv_args_ok(op->kv_ns, op->session_id);
    case SC_PERSIST_OP_PRUNE: break;
    }
    return false;
}

int sc_persist_writer_submit_text(sc_persist_writer *w, const sc_persist_text_op *op, uint64_t *ticket)
{
    if (!w || !text_op_valid(op))
        return -EINVAL;
    return enqueue(w, op, ticket);
}

int sc_persist_writer_submit(sc_persist_writer *w, const sc_persist_op *op, uint64_t *ticket)
{
    if (!w || !op || !op->session_id || !*op->session_id || op->kind > SC_PERSIST_OP_DELETE ||
        (op->kind != SC_PERSIST_OP_DELETE && !op->doc))
        return -EINVAL;
    sc_persist_text_op t = {.kind = op->kind,
                            .session_id = op->session_id,
                            .node_id = op->node_id,
                            .table_hash = op->table_hash,
                            .seq = op->seq,
                            .wall_us = op->wall_us};
    char *text = NULL;
    if (op->kind != SC_PERSIST_OP_DELETE && w->cfg.durability != SC_PERSIST_NONE) {
        if (!(text = json_dumps(op->doc, JSON_COMPACT | JSON_ENCODE_ANY)))
            return -ENOMEM;
        t.text = text;
        t.text_len = strlen(text);
    }
    int rc = enqueue(w, &t, ticket);
    free(text);
    return rc;
}

void sc_persist_writer_kick(sc_persist_writer *w)
{
    if (!w || w->cfg.durability != SC_PERSIST_STRICT)
        return;
    pthread_mutex_lock(&w->mu);
    if (w->submitted > w->urgent && w->submitted > w->durable) {
        w->urgent = w->submitted;
        pthread_cond_signal(&w->cv_work);
    }
    pthread_mutex_unlock(&w->mu);
}

int sc_persist_writer_save(sc_persist_writer *w, const char *id, const json_t *snapshot, const char *node_id,
                           const char *table_hash, uint64_t *ticket)
{
    sc_persist_op op = {SC_PERSIST_OP_SAVE, id, snapshot, node_id, table_hash, 0, 0};
    return sc_persist_writer_submit(w, &op, ticket);
}

int sc_persist_writer_append(sc_persist_writer *w, const char *id, uint64_t seq, int64_t wall_us, const json_t *record,
                             uint64_t *ticket)
{
    sc_persist_op op = {SC_PERSIST_OP_APPEND, id, record, NULL, NULL, seq, wall_us};
    return sc_persist_writer_submit(w, &op, ticket);
}

int sc_persist_writer_delete(sc_persist_writer *w, const char *id, uint64_t *ticket)
{
    sc_persist_op op = {SC_PERSIST_OP_DELETE, id, NULL, NULL, NULL, 0, 0};
    return sc_persist_writer_submit(w, &op, ticket);
}

int sc_persist_writer_delete_owned(sc_persist_writer *w, const char *id, const char *node, uint64_t *ticket)
{
    sc_persist_op op = {SC_PERSIST_OP_DELETE, id, NULL, node, NULL, 0, 0};
    return sc_persist_writer_submit(w, &op, ticket);
}

int sc_persist_writer_kv_put(sc_persist_writer *w, const char *ns, const char *key, const char *text, size_t len,
                             int64_t expires_us, uint64_t *ticket)
{
    sc_persist_text_op op = {.kind = SC_PERSIST_OP_KV_PUT,
                             .session_id = key,
                             .text = text,
                             .text_len = len,
                             .kv_ns = ns,
                             .expires_us = expires_us};
    return sc_persist_writer_submit_text(w, &op, ticket);
}

int sc_persist_writer_kv_delete(sc_persist_writer *w, const char *ns, const char *key, uint64_t *ticket)
{
    sc_persist_text_op op = {.kind = SC_PERSIST_OP_KV_DELETE, .session_id = key, .kv_ns = ns};
    return sc_persist_writer_submit_text(w, &op, ticket);
}

int sc_persist_writer_prune(sc_persist_writer *w, int64_t before_us, size_t max, uint64_t *ticket)
{
    sc_persist_text_op op = {.kind = SC_PERSIST_OP_PRUNE, .seq = max ? max : 1000, .wall_us = before_us};
    return sc_persist_writer_submit_text(w, &op, ticket);
}

int sc_persist_writer_flush_wait(sc_persist_writer *w, uint64_t ticket, int timeout_ms)
{
    if (!w)
        return -EINVAL;
    struct timespec until;
    if (timeout_ms >= 0)
        sc_cond_deadline(&until, (uint64_t)timeout_ms);
    pthread_mutex_lock(&w->mu);
    if (ticket > w->urgent)
        w->urgent = ticket;
    pthread_cond_signal(&w->cv_work);
    int rc = 0;
    while (w->durable < ticket && rc == 0) {
        if (w->stop)
            rc = -ECANCELED;
        else if (timeout_ms < 0)
            pthread_cond_wait(&w->cv_done, &w->mu);
        else if (pthread_cond_timedwait(&w->cv_done, &w->mu, &until) == ETIMEDOUT && w->durable < ticket)
            rc = -ETIMEDOUT;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int sc_persist_writer_commit_turn(sc_persist_writer *w, sc_persist_done_cb done, void *ud)
{
    if (!w || !done || !w->async)
        return -EINVAL;
    waiter *x = calloc(1, sizeof *x);
    if (!x)
        return -ENOMEM;
    x->cb = done;
    x->ud = ud;
    pthread_mutex_lock(&w->mu);
    x->ticket = w->submitted;
    if (x->ticket <= w->durable) {
        wlist_push(&w->done, x);
        uv_async_send(w->async);
    } else {
        wlist_push(&w->pending, x);
        if (x->ticket > w->urgent)
            w->urgent = x->ticket;
        pthread_cond_signal(&w->cv_work);
    }
    pthread_mutex_unlock(&w->mu);
    return 0;
}

void sc_persist_writer_health(sc_persist_writer *w, sc_persist_health *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->health;
    out->queue_depth = w->count;
    out->queue_cap = w->cfg.queue_cap;
    out->submitted_ticket = w->submitted;
    out->durable_ticket = w->durable;
    out->fenced_writes = sc_persist_fenced_writes(w->conn);
    if (w->cfg.durability == SC_PERSIST_NONE)
        out->connected = true;
    pthread_mutex_unlock(&w->mu);
}
