/* ops_sse: server-sent events for GET /events: filter parsing and streaming on the HTTP
 * thread, subscription and draining on the loop, a bounded buffer between them. The loop
 * drains at the end of each of its iterations that left events queued (prepare and check
 * handles: no wake-up of its own per event or per tick); the HTTP thread wakes it (async)
 * when a client that had filled its buffer reads again, or goes away; a slow timer catches
 * subscriptions the bus closed. */
#include "ops_sse.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_core/base.h"
#include "session_core/events.h"
#include "sse_stream.h"

#define SSE_BUF_MAX 65536       /* bytes waiting for one client before draining pauses */
#define SSE_HEARTBEAT_MS 5000   /* comment line when nothing else was sent */
#define SSE_HANGUP_CHECK_MS 250 /* how often an idle stream looks whether its client hung up */
#define SSE_SWEEP_MS 250        /* safety sweep of every stream while streams exist */
#define SSE_SNDBUF 32768        /* kernel send buffer of a stream socket: bounds a slow client */
#define SSE_QUEUE 1024          /* subscription queue (events) unless ?queue=N */
#define SSE_QUEUE_MAX 8192      /* largest ?queue=N (about 4 MB of queued events) */
/* One event's SSE text at most: "id: " 20 digits "-" 20 digits "\nevent: " type "\ndata: " JSON
 * "\n\n". */
#define SSE_EVENT_MAX (96 + SC_BUS_EVENT_JSON_MAX)

typedef struct sse_conn {
    /* the HTTP response and the loop each hold a reference; closed: the server ended the
     * stream (reaped, shutdown, error) */
    sd_sse_stream st;
    _Atomic bool starved; /* the loop found the buffer full: skip it until the client
                           * reads, which wakes the loop (set and cleared under st.mu) */
    uv_async_t *wake;     /* the loop's (sd_sse.async); used only while !st.closed */
    /* filter, parsed on the HTTP thread, used once on the loop */
    char name[SC_EVENT_ID_MAX];
    uint32_t types, roles;
    sc_priority prio;
    sc_events_overflow overflow;
    uint32_t queue; /* subscription queue capacity (events) */
    char *patterns[SC_EVENTS_MAX_PATTERNS + 1];
    char *states[SC_EVENTS_MAX_STATES + 1];
    char *apps[SC_EVENTS_MAX_NAMES + 1]; /* ?app=: App events by name */
    bool has_since;
    uint64_t since;
    bool has_epoch; /* Last-Event-ID "<epoch>-<seq>": a resume point of some run */
    uint64_t epoch;
    uint64_t bus_epoch;    /* this run's, written in every id */
    sc_events_sub *sub;    /* loop only */
    struct sse_conn *next; /* pending list, then the loop's active list */
} sse_conn;

struct sd_sse {
    uv_loop_t *loop;
    sc_coord *api;
    const sc_logger *logger;
    pthread_mutex_t mu; /* guards pending and stopping */
    sse_conn *pending;
    bool stopping;
    uv_async_t async;
    uv_timer_t drain;     /* the safety sweep */
    uv_prepare_t prepare; /* drains after timers ran */
    uv_check_t check;     /* drains after I/O callbacks ran */
    bool draining;        /* the three above are started */
    int open_handles;
    sse_conn *active; /* loop only */
};

static void conn_free(sd_sse_stream *st)
{
    sse_conn *c = SD_SSE_OWNER(st, sse_conn);
    for (int i = 0; c->patterns[i]; i++)
        free(c->patterns[i]);
    for (int i = 0; c->states[i]; i++)
        free(c->states[i]);
    for (int i = 0; c->apps[i]; i++)
        free(c->apps[i]);
    free(c);
}

static void conn_unref(sse_conn *c) { sd_sse_stream_unref(&c->st); }

/* ---- HTTP thread --------------------------------------------------------------------------- */

/* The client read: if the loop found its buffer full, there is room again: the loop refills now. */
static void on_sent(sd_sse_stream *st)
{
    sse_conn *c = SD_SSE_OWNER(st, sse_conn);
    if (atomic_load(&c->starved) && !st->closed) {
        atomic_store(&c->starved, false);
        uv_async_send(c->wake);
    }
}

static void on_gone(sd_sse_stream *st)
{
    if (!st->closed) /* the loop unsubscribes now, not at its next sweep */
        uv_async_send(SD_SSE_OWNER(st, sse_conn)->wake);
}

static const sd_sse_stream_cfg stream_cfg = {
    .heartbeat_ms = SSE_HEARTBEAT_MS,
    .hangup_check_ms = SSE_HANGUP_CHECK_MS,
    .first_cap = 4096,
    .max_unsent = SSE_BUF_MAX,
    .sndbuf = SSE_SNDBUF,
    .on_sent = on_sent,
    .on_gone = on_gone,
    .free_owner = conn_free,
};

/* Split a comma list into up to max strdup'd items (NULL-terminated); -1 on too many. */
static int split_list(const char *v, char **items, int max)
{
    int n = 0;
    while (v && *v) {
        size_t len = strcspn(v, ",");
        if (len) {
            if (n == max)
                return -1;
            items[n] = strndup(v, len);
            if (!items[n])
                return -1;
            n++;
        }
        v += len + (v[len] == ',');
    }
    items[n] = NULL;
    return n;
}

/* Parse the query into c; NULL or the message of a 400. */
static const char *parse_filter(struct MHD_Connection *mc, sse_conn *c)
{
    const char *v;
    char *items[SC_EVENTS_MAX_STATES + 1];
    if ((v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "type")) != NULL) {
        int n = split_list(v, items, SC_EVENTS_MAX_STATES);
        if (n < 0)
            return "type: at most 8 names";
        const char *bad = NULL;
        for (int i = 0; i < n; i++) {
            sc_bus_event_type t;
            if (sc_bus_event_type_parse(items[i], &t) == 0)
                c->types |= SC_EVENT_BIT(t);
            else
                bad = "type: unknown event type";
            free(items[i]);
        }
        if (bad)
            return bad;
    }
    if ((v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "role")) != NULL) {
        int n = split_list(v, items, 2);
        const char *bad = n < 0 ? "role: uac, uas" : NULL;
        for (int i = 0; i < n; i++) {
            if (!strcmp(items[i], "uac"))
                c->roles |= 1u << SC_EVENT_ROLE_UAC;
            else if (!strcmp(items[i], "uas"))
                c->roles |= 1u << SC_EVENT_ROLE_UAS;
            else
                bad = "role: uac, uas";
            free(items[i]);
        }
        if (bad)
            return bad;
    }
    if ((v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "priority")) != NULL &&
        sc_bus_event_priority_parse(v, &c->prio) != 0)
        return "priority: low, normal, critical";
    if ((v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "overflow")) != NULL &&
        sc_events_overflow_parse(v, &c->overflow) != 0)
        return "overflow: drop-oldest, coalesce, disconnect";
    c->queue = SSE_QUEUE;
    if ((v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "queue")) != NULL) {
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (errno || *end || !*v || v[0] == '-' || n < 1 || n > SSE_QUEUE_MAX)
            return "queue: 1..8192 events";
        c->queue = (uint32_t)n;
    }
    if (split_list(MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "session"), c->patterns,
                   SC_EVENTS_MAX_PATTERNS) < 0)
        return "session: at most 8 patterns";
    if (split_list(MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "state"), c->states, SC_EVENTS_MAX_STATES) <
        0)
        return "state: at most 8 names";
    if (split_list(MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "app"), c->apps, SC_EVENTS_MAX_NAMES) < 0)
        return "app: at most 8 names";
    v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "name");
    snprintf(c->name, sizeof c->name, "%s", v && *v ? v : "sse");
    for (char *p = c->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_'))
            *p = '_';
    v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Last-Event-ID");
    if (!v)
        v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "since");
    if (v) { /* "<epoch>-<seq>" (our ids), or a plain sequence number of this run */
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (!errno && *end == '-' && end > v && v[0] != '-') {
            c->has_epoch = true;
            c->epoch = n;
            const char *q = end + 1;
            n = strtoull(q, &end, 10);
            if (errno || *end || !*q || q[0] == '-')
                return "Last-Event-ID: expected <epoch>-<seq> or a sequence number";
        } else if (errno || *end || !*v || v[0] == '-') {
            return "Last-Event-ID / since: expected <epoch>-<seq> or a sequence number";
        }
        c->has_since = true;
        c->since = n;
    }
    return NULL;
}

/* The new stream to the loop's pending list (it subscribes there); false when stopping. */
static bool hand_over(sd_sse_stream *st, void *ud)
{
    sd_sse *s = ud;
    sse_conn *c = SD_SSE_OWNER(st, sse_conn);
    pthread_mutex_lock(&s->mu);
    bool stopping = s->stopping;
    if (!stopping) {
        sd_sse_stream_ref(st); /* the loop's */
        c->next = s->pending;
        s->pending = c;
    }
    pthread_mutex_unlock(&s->mu);
    if (stopping) {
        st->closed = true; /* never the loop's: on_gone must not wake it */
        return false;
    }
    uv_async_send(&s->async);
    return true;
}

bool sd_sse_start(sd_sse *s, struct MHD_Connection *mc, int *ret)
{
    sse_conn *c = calloc(1, sizeof *c);
    if (!c) {
        *ret = MHD_NO;
        return true;
    }
    sd_sse_stream_init(&c->st, &stream_cfg);
    c->wake = &s->async;
    *ret = sd_sse_stream_start(&c->st, mc, parse_filter(mc, c), hand_over, s, false);
    return true;
}

/* ---- Loop thread ----------------------------------------------------------------------------- */

static void close_conn(sd_sse *s, sse_conn *c)
{
    pthread_mutex_lock(&c->st.mu);
    c->st.closed = true;
    pthread_cond_broadcast(&c->st.cv);
    pthread_mutex_unlock(&c->st.mu);
    if (c->sub) /* events the client will never get: counted as drops{reason="closed"} */
        sc_events_sub_discard(c->sub);
    sc_coord_unsubscribe(s->api, c->sub);
    c->sub = NULL;
    conn_unref(c);
}

static int subscribe(sd_sse *s, sse_conn *c)
{
    sc_events_sub_cfg cfg = {.name = c->name, .queue_capacity = c->queue, .overflow = c->overflow};
    cfg.filter.types = c->types;
    cfg.filter.roles = c->roles;
    cfg.filter.min_priority = c->prio;
    for (int i = 0; c->patterns[i]; i++)
        cfg.filter.patterns[i] = c->patterns[i];
    for (int i = 0; c->states[i]; i++)
        cfg.filter.states[i] = c->states[i];
    for (int i = 0; c->apps[i]; i++)
        cfg.filter.names[i] = c->apps[i];
    c->bus_epoch = sc_events_epoch(sc_coord_events_bus(s->api));
    if (c->has_epoch) /* another run's point gets a StreamReset, then this run's events */
        return sc_coord_subscribe_resume(s->api, &cfg, c->epoch, c->since, &c->sub);
    return sc_coord_subscribe(s->api, &cfg, c->has_since ? &c->since : NULL, &c->sub);
}

static char *put_u64(char *p, uint64_t v)
{
    char digits[20];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (nd)
        *p++ = digits[--nd];
    return p;
}

/* "id: EPOCH-SEQ\nevent: TYPE\ndata: JSON\n\n" into p (room for SSE_EVENT_MAX bytes); its
 * length. The epoch makes the id a resume point of this run only (sc_events_subscribe_resume). */
static size_t format_event(char *p, uint64_t epoch, const sc_bus_event *ev)
{
    char *start = p;
    memcpy(p, "id: ", 4);
    p = put_u64(p + 4, epoch);
    *p++ = '-';
    p = put_u64(p, ev->seq);
    const char *type = sc_bus_event_type_name(ev->type);
    size_t tn = strlen(type);
    memcpy(p, "\nevent: ", 8);
    memcpy(p + 8, type, tn);
    memcpy(p + 8 + tn, "\ndata: ", 7);
    p += 15 + tn;
    p += sc_bus_event_format_json(ev, p, SC_BUS_EVENT_JSON_MAX);
    memcpy(p, "\n\n", 2);
    return (size_t)(p + 2 - start);
}

/* Move events from the subscription into the buffer, formatted in place, while there is room
 * for the longest event; false when the stream is over. */
static bool drain_one(sse_conn *c)
{
    bool over = false, woke = false;
    pthread_mutex_lock(&c->st.mu);
    if (c->st.gone) {
        pthread_mutex_unlock(&c->st.mu);
        return false;
    }
    for (;;) {
        if (!sd_sse_stream_reserve(&c->st, SSE_EVENT_MAX)) {
            atomic_store(&c->starved, true);
            break;
        }
        sc_bus_event ev;
        int rc = sc_events_sub_next(c->sub, &ev);
        if (rc == -EAGAIN)
            break;
        if (rc != 0) {
            over = true;
            break;
        }
        c->st.len += format_event(c->st.buf + c->st.len, c->bus_epoch, &ev);
        woke = true;
    }
    if (woke || over)
        pthread_cond_broadcast(&c->st.cv);
    pthread_mutex_unlock(&c->st.mu);
    return !over;
}

/* Drain the streams (every one, or only those with events queued and room for them), closing
 * those that are over; stop the handles when none is left. */
static void drain(sd_sse *s, bool all)
{
    sse_conn **pp = &s->active;
    while (*pp) {
        sse_conn *c = *pp;
        bool skip = !all && (atomic_load_explicit(&c->starved, memory_order_relaxed) || !sc_events_sub_pending(c->sub));
        if (skip || drain_one(c)) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        close_conn(s, c);
    }
    if (!s->active && s->draining) {
        uv_timer_stop(&s->drain);
        uv_prepare_stop(&s->prepare);
        uv_check_stop(&s->check);
        s->draining = false;
    }
}

static void drain_all(sd_sse *s) { drain(s, true); }

/* Once per loop iteration (twice: before polling, after I/O): the streams with events queued
 * and room in their buffer; no lock taken for the others. */
static void drain_queued(sd_sse *s) { drain(s, false); }

static void on_prepare(uv_prepare_t *h) { drain_queued(h->data); }
static void on_check(uv_check_t *h) { drain_queued(h->data); }
static void on_sweep(uv_timer_t *t) { drain_all(t->data); }

static void on_async(uv_async_t *a)
{
    sd_sse *s = a->data;
    pthread_mutex_lock(&s->mu);
    sse_conn *list = s->pending;
    s->pending = NULL;
    pthread_mutex_unlock(&s->mu);
    while (list) {
        sse_conn *c = list;
        list = c->next;
        int rc = subscribe(s, c);
        if (rc) {
            sc_log(s->logger, SC_LOG_WARN, "http", "GET /events: cannot subscribe: %s", sc_strerror(rc));
            c->sub = NULL;
            close_conn(s, c);
            continue;
        }
        c->next = s->active;
        s->active = c;
    }
    if (s->active && !s->draining) {
        uv_timer_start(&s->drain, on_sweep, SSE_SWEEP_MS, SSE_SWEEP_MS);
        uv_prepare_start(&s->prepare, on_prepare);
        uv_check_start(&s->check, on_check);
        s->draining = true;
    }
    drain_all(s); /* a new stream's replay, a reader with room again, a client gone */
}

int sd_sse_new(sd_sse **out, uv_loop_t *loop, sc_coord *api, const sc_logger *logger)
{
    sd_sse *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->loop = loop;
    s->api = api;
    s->logger = logger;
    pthread_mutex_init(&s->mu, NULL);
    int rc = uv_async_init(loop, &s->async, on_async);
    if (rc) {
        pthread_mutex_destroy(&s->mu);
        free(s);
        return rc;
    }
    uv_timer_init(loop, &s->drain);
    uv_prepare_init(loop, &s->prepare);
    uv_check_init(loop, &s->check);
    s->async.data = s->drain.data = s->prepare.data = s->check.data = s;
    s->open_handles = 4;
    *out = s;
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    sd_sse *s = h->data;
    if (--s->open_handles == 0) {
        pthread_mutex_destroy(&s->mu);
        free(s);
    }
}

void sd_sse_free(sd_sse *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    sse_conn *list = s->pending;
    s->pending = NULL;
    pthread_mutex_unlock(&s->mu);
    while (list) {
        sse_conn *c = list;
        list = c->next;
        close_conn(s, c);
    }
    while (s->active) {
        sse_conn *c = s->active;
        s->active = c->next;
        close_conn(s, c);
    }
    uv_close((uv_handle_t *)&s->async, on_closed);
    uv_close((uv_handle_t *)&s->drain, on_closed);
    uv_close((uv_handle_t *)&s->prepare, on_closed);
    uv_close((uv_handle_t *)&s->check, on_closed);
}
