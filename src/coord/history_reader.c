/* history_reader: the history of a compacted or removed session read off the loop. The loop
 * takes what it has in memory into a read (sc_coord_history_read_start); one reader thread per
 * coordinator, with a store connection of its own (opened by the thread, from the store's URL),
 * takes the reads in turn from a bounded queue, reads the store's records, merges the ring's and
 * makes the answer (JSON or CSV; a graph's path, drawn back on the loop: the table's names are
 * the loop's); the thread that waits (sc_coord_history_read_wait) gives up after its timeout
 * and the read's answer is then dropped. No store call ever runs on the loop. */
#include "coord/compact.h"
#include "coord/history_read.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HR_JOIN_WAIT_MS 250 /* at close, how long an idle or quick thread is waited for */

typedef enum read_state { RS_QUEUED, RS_READING, RS_TO_LOOP, RS_DONE } read_state;

typedef struct sc_coord_hreader hreader;

struct sc_coord_history_read {
    hreader *hr; /* NULL: answered from memory at the start */
    struct sc_coord_history_read *next;
    char id[SC_SESSION_ID_MAX + 1];
    sc_coord_history_as as;
    sc_graph_format graph_fmt;
    bool in_memory;  /* the session exists (its ring released): no -ENOENT for an empty log */
    json_t *ring;    /* the ring's records at the start (NULL: none) */
    sc_table *table; /* a graph: the session's table (a reference) and role */
    int role;
    uint32_t path[256]; /* a graph: its path, from the reader to the loop */
    size_t npath;
    read_state state; /* under hr->mu */
    bool abandoned;   /* its waiter left: whoever finishes it frees it */
    int rc;
    char *text;
    char msg[256];
};

struct sc_coord_hreader {
    sc_coord *coord; /* the loop's side only (the async callback) */
    pthread_mutex_t mu;
    pthread_cond_t work;                /* the thread: a read queued, or stop */
    pthread_cond_t done;                /* the waiters: a read finished, or the thread ended */
    sc_coord_history_read *head, *tail; /* queued, oldest first */
    size_t queued;
    sc_coord_history_read *back; /* graphs read, for the loop to draw */
    bool stop, exited, async_open;
    int refs; /* the thread's, the async handle's and each queued read's: the last one frees */
    pthread_t thread;
    uv_async_t async;
    char *url;     /* the store's URL, copied on the loop */
    sc_persist *p; /* the thread's own connection (opened on its first read) */
};

static void read_free(sc_coord_history_read *r)
{
    if (!r)
        return;
    json_decref(r->ring);
    sc_table_unref(r->table);
    free(r->text);
    free(r);
}

static void set_msg(sc_coord_history_read *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

/* hr->mu held. Drops a reference; true when it was the last (the caller frees hr unlocked). */
static bool unref_locked(hreader *hr) { return --hr->refs == 0; }

static void hr_destroy(hreader *hr)
{
    pthread_mutex_destroy(&hr->mu);
    pthread_cond_destroy(&hr->work);
    pthread_cond_destroy(&hr->done);
    free(hr->url);
    free(hr);
}

/* hr->mu held. Frees r and drops its reference on hr; true when it was the last. */
static bool drop_read_locked(hreader *hr, sc_coord_history_read *r)
{
    read_free(r);
    return unref_locked(hr);
}

/* hr->mu held, by the thread or the loop (whose references keep hr). The read is answered:
 * its waiter wakes, or it is freed if none waits. */
static void finish_locked(hreader *hr, sc_coord_history_read *r)
{
    r->state = RS_DONE;
    if (r->abandoned)
        drop_read_locked(hr, r);
    else
        pthread_cond_broadcast(&hr->done);
}

/* ---- The reader thread -------------------------------------------------------------------------- */

static int ensure_open(hreader *hr, sc_coord_history_read *r)
{
    if (hr->p)
        return 0;
    char err[256] = "";
    sc_persist_config pc = {.durability = SC_PERSIST_BATCHED}; /* no logger or clock: the thread may outlive them */
    int rc = sc_persist_open(&hr->p, hr->url, &pc, err, sizeof err);
    if (rc)
        set_msg(r, "the store cannot be reached: %s", err[0] ? err : sc_strerror(rc));
    return rc;
}

/* The store's records and the ring's, as r->as asks (a graph: its path only). */
static void run_read(hreader *hr, sc_coord_history_read *r)
{
    json_t *arr = json_array();
    uint64_t last_seq = 0;
    int rc = arr ? ensure_open(hr, r) : -ENOMEM;
    if (rc == 0 && (rc = sc_coord__history_read_store(hr->p, r->id, arr, &last_seq)) != 0 && !r->msg[0])
        set_msg(r, "the store could not be read: %s",
                sc_persist_last_error(hr->p)[0] ? sc_persist_last_error(hr->p) : sc_strerror(rc));
    if (rc == 0 && !r->in_memory && json_array_size(arr) == 0) {
        rc = -ENOENT;
        set_msg(r, "no such session");
    }
    if (rc == 0 && r->ring)
        rc = sc_coord__history_merge_ring(arr, r->ring, last_seq);
    if (rc == 0 && r->as == SC_HISTORY_AS_JSON && !(r->text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        rc = -ENOMEM;
    else if (rc == 0 && r->as == SC_HISTORY_AS_CSV)
        rc = sc_history_json_to_csv(arr, &r->text, NULL);
    else if (rc == 0 && r->as == SC_HISTORY_AS_GRAPH)
        r->npath = sc_coord__history_path_of(arr, r->path, sizeof r->path / sizeof *r->path);
    if (rc == -ENOMEM && !r->msg[0])
        set_msg(r, "out of memory");
    json_decref(arr);
    r->rc = rc;
}

static void *thread_main(void *arg)
{
    hreader *hr = arg;
    pthread_mutex_lock(&hr->mu);
    for (;;) {
        sc_coord_history_read *r = hr->head;
        if (!r && hr->stop)
            break;
        if (!r) {
            pthread_cond_wait(&hr->work, &hr->mu);
            continue;
        }
        hr->head = r->next;
        if (!hr->head)
            hr->tail = NULL;
        hr->queued--;
        r->next = NULL;
        if (r->abandoned) { /* its waiter gave up while it was queued: not read */
            drop_read_locked(hr, r);
            continue;
        }
        if (hr->stop) {
            r->rc = -ECANCELED;
            set_msg(r, "the server is shutting down");
            finish_locked(hr, r);
            continue;
        }
        r->state = RS_READING;
        pthread_mutex_unlock(&hr->mu);
        run_read(hr, r);
        pthread_mutex_lock(&hr->mu);
        if (r->as == SC_HISTORY_AS_GRAPH && r->rc == 0 && !r->abandoned && hr->async_open) {
            r->state = RS_TO_LOOP; /* drawn on the loop (on_async) */
            r->next = hr->back;
            hr->back = r;
            uv_async_send(&hr->async);
        } else {
            if (r->as == SC_HISTORY_AS_GRAPH && r->rc == 0 && !r->abandoned) {
                r->rc = -ECANCELED;
                set_msg(r, "the server is shutting down");
            }
            finish_locked(hr, r);
        }
    }
    sc_persist *p = hr->p; /* closed before the thread's reference goes */
    hr->p = NULL;
    pthread_mutex_unlock(&hr->mu);
    sc_persist_close(p);
    pthread_mutex_lock(&hr->mu);
    hr->exited = true;
    pthread_cond_broadcast(&hr->done);
    bool last = unref_locked(hr);
    pthread_mutex_unlock(&hr->mu);
    if (last)
        hr_destroy(hr);
    return NULL;
}

/* ---- The loop's side ---------------------------------------------------------------------------- */

/* Loop: draw the graphs whose path was read. */
static void on_async(uv_async_t *a)
{
    hreader *hr = a->data;
    pthread_mutex_lock(&hr->mu);
    sc_coord_history_read *list = hr->back;
    hr->back = NULL;
    pthread_mutex_unlock(&hr->mu);
    while (list) {
        sc_coord_history_read *r = list;
        list = r->next;
        r->next = NULL;
        sc_graph_opts o = {.format = r->graph_fmt, .role = r->role, .path = r->path, .npath = r->npath};
        pthread_mutex_lock(&hr->mu);
        bool abandoned = r->abandoned;
        pthread_mutex_unlock(&hr->mu);
        r->rc = abandoned ? -ECANCELED : sc_table_export(r->table, &o, &r->text);
        if (r->rc && !r->msg[0])
            set_msg(r, "the graph could not be drawn: %s", sc_strerror(r->rc));
        pthread_mutex_lock(&hr->mu);
        finish_locked(hr, r);
        pthread_mutex_unlock(&hr->mu);
    }
}

static void on_async_closed(uv_handle_t *h)
{
    hreader *hr = h->data;
    sc_coord *c = hr->coord;
    c->closing_handles--;
    pthread_mutex_lock(&hr->mu);
    bool last = unref_locked(hr);
    pthread_mutex_unlock(&hr->mu);
    if (last)
        hr_destroy(hr);
}

/* The coordinator's reader, started on its first read; NULL when it cannot start. */
static hreader *reader_of(sc_coord *c, sc_persist *store)
{
    if (c->hreader)
        return c->hreader;
    hreader *hr = calloc(1, sizeof *hr);
    if (!hr || !(hr->url = strdup(sc_persist_url(store)))) {
        free(hr);
        return NULL;
    }
    hr->coord = c;
    pthread_mutex_init(&hr->mu, NULL);
    pthread_cond_init(&hr->work, NULL);
    sc_cond_init_monotonic(&hr->done);
    if (uv_async_init(c->loop, &hr->async, on_async) != 0) {
        hr_destroy(hr);
        return NULL;
    }
    hr->async.data = hr;
    hr->async_open = true;
    hr->refs = 2;
    if (pthread_create(&hr->thread, NULL, thread_main, hr) != 0) {
        hr->refs = 1; /* the async handle's, dropped as it closes */
        hr->async_open = false;
        c->closing_handles++;
        uv_close((uv_handle_t *)&hr->async, on_async_closed);
        return NULL;
    }
    c->hreader = hr;
    return hr;
}

/* A read answered from memory: ready at once. */
static int ready(sc_coord_history_read *r, int rc, char *text)
{
    r->state = RS_DONE;
    r->rc = rc;
    r->text = text;
    return 0;
}

/* Loop: the answer when memory has it (the ring kept, or no durable store): r ready; else
 * 1 and r holds the ring's records (and the graph's table), for the store's to be added. */
static int from_memory(sc_coord *c, sc_session *s, sc_coord_history_read *r, sc_persist *store)
{
    char *text = NULL;
    json_t *a = NULL;
    int rc;
    if (s && r->as == SC_HISTORY_AS_GRAPH) {
        r->table = sc_table_ref((sc_table *)sc_session_table(s));
        r->role = (int)sc_session_role(s);
    }
    if (s && sc_session_history_released(s) && store) {
        r->in_memory = true;
        return sc_session_history_json(s, 0, &r->ring) ? -ENOMEM : 1;
    }
    if (!s && store)
        return 1; /* removed: the store may know it */
    if (!s)
        return -ENOENT;
    switch (r->as) { /* the ring is whole: as the synchronous calls answer */
    case SC_HISTORY_AS_JSON:
        rc = sc_session_history_json(s, 0, &a);
        if (rc == 0 && !(text = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER)))
            rc = -ENOMEM;
        json_decref(a);
        break;
    case SC_HISTORY_AS_CSV: rc = sc_session_history_csv(s, &text, NULL); break;
    default: {
        uint32_t path[256];
        sc_graph_opts o = {.format = r->graph_fmt, .role = r->role, .path = path};
        o.npath = sc_session_history_path(s, path, 256);
        rc = sc_table_export(r->table, &o, &text);
        break;
    }
    }
    return rc ? rc : ready(r, 0, text);
}

int sc_coord_history_read_start(sc_coord *coord, const char *id, sc_coord_history_as as, sc_graph_format graph_fmt,
                                sc_coord_history_read **out)
{
    if (!coord || !id || !out || strlen(id) > SC_SESSION_ID_MAX || as > SC_HISTORY_AS_GRAPH)
        return -EINVAL;
    sc_session *s = sc_store_get(coord->store, id);
    if (!s && as == SC_HISTORY_AS_GRAPH)
        return -ENOENT; /* as sc_coord_table_export: the graph of a live or retained session */
    sc_coord_history_read *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    memcpy(r->id, id, strlen(id) + 1);
    r->as = as;
    r->graph_fmt = graph_fmt;
    sc_persist *store = sc_coord__store_reader(coord);
    int rc = from_memory(coord, s, r, store);
    if (rc <= 0) {
        if (rc == 0)
            *out = r;
        else
            read_free(r);
        return rc;
    }
    hreader *hr = reader_of(coord, store);
    if (!hr) {
        read_free(r);
        return -EAGAIN;
    }
    pthread_mutex_lock(&hr->mu);
    if (hr->queued >= SC_COORD_HISTORY_QUEUE) {
        pthread_mutex_unlock(&hr->mu);
        read_free(r);
        return SC_E_OVERLOAD;
    }
    r->hr = hr;
    hr->refs++;
    r->state = RS_QUEUED;
    if (hr->tail)
        hr->tail->next = r;
    else
        hr->head = r;
    hr->tail = r;
    hr->queued++;
    pthread_cond_signal(&hr->work);
    pthread_mutex_unlock(&hr->mu);
    *out = r;
    return 0;
}

/* ---- The waiting side ------------------------------------------------------------------------- */

int sc_coord_history_read_wait(sc_coord_history_read *r, unsigned timeout_ms, char **text, char *msg, size_t msgsz)
{
    if (msg && msgsz)
        msg[0] = '\0';
    if (!r || !text)
        return -EINVAL;
    hreader *hr = r->hr;
    if (hr) {
        struct timespec until;
        sc_cond_deadline(&until, timeout_ms);
        pthread_mutex_lock(&hr->mu);
        while (r->state != RS_DONE)
            if (pthread_cond_timedwait(&hr->done, &hr->mu, &until) == ETIMEDOUT)
                break;
        if (r->state != RS_DONE) {
            r->abandoned = true; /* the thread (or the loop) frees it when its read ends */
            pthread_mutex_unlock(&hr->mu);
            if (msg && msgsz)
                snprintf(msg, msgsz, "the store did not answer within %u ms", timeout_ms);
            return -ETIMEDOUT;
        }
    }
    int rc = r->rc;
    if (rc == 0) {
        *text = r->text;
        r->text = NULL;
    } else if (msg && msgsz) {
        snprintf(msg, msgsz, "%s", r->msg[0] ? r->msg : sc_strerror(rc));
    }
    if (!hr) {
        read_free(r);
        return rc;
    }
    bool last = drop_read_locked(hr, r); /* the last after the coordinator closed */
    pthread_mutex_unlock(&hr->mu);
    if (last)
        hr_destroy(hr);
    return rc;
}

void sc_coord_history_read_free(sc_coord_history_read *r)
{
    if (!r)
        return;
    hreader *hr = r->hr;
    if (!hr) {
        read_free(r);
        return;
    }
    pthread_mutex_lock(&hr->mu);
    bool last = false;
    if (r->state == RS_DONE)
        last = drop_read_locked(hr, r);
    else
        r->abandoned = true;
    pthread_mutex_unlock(&hr->mu);
    if (last)
        hr_destroy(hr);
}

/* ---- Close ----------------------------------------------------------------------------------- */

void sc_coord__history_reader_free(sc_coord *c)
{
    hreader *hr = c->hreader;
    if (!hr)
        return;
    c->hreader = NULL;
    pthread_mutex_lock(&hr->mu);
    hr->stop = true;
    hr->async_open = false; /* no graph goes back to the loop from now on */
    sc_coord_history_read *back = hr->back;
    hr->back = NULL;
    while (back) { /* read, not drawn: answered as cancelled */
        sc_coord_history_read *r = back;
        back = r->next;
        r->rc = -ECANCELED;
        set_msg(r, "the server is shutting down");
        finish_locked(hr, r);
    }
    pthread_cond_signal(&hr->work);
    struct timespec until;
    sc_cond_deadline(&until, HR_JOIN_WAIT_MS);
    while (!hr->exited)
        if (pthread_cond_timedwait(&hr->done, &hr->mu, &until) == ETIMEDOUT)
            break;
    bool exited = hr->exited;
    pthread_mutex_unlock(&hr->mu);
    if (exited)
        pthread_join(hr->thread, NULL);
    else /* stuck in a read (a store that does not answer): it frees what it holds when it ends */
        pthread_detach(hr->thread);
    c->closing_handles++;
    uv_close((uv_handle_t *)&hr->async, on_async_closed);
}
