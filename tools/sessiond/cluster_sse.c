/* cluster_sse: GET /events/cluster. The HTTP thread parses the request and streams a client's
 * buffer; one reader thread (its own store handle) reads the event log after the last gseq it
 * saw, in pages, every CS_POLL_MS or at once while pages come full, and appends each record
 * to the buffers of the clients it matches. A client that resumes from an older gseq catches
 * up by its own paged reads, only while its buffer has room (it is never dropped for that);
 * a live client whose buffer is full when a record comes is ended with a comment line. At
 * the head of the log, a hole in the gseqs (PostgreSQL: a transaction that took its numbers
 * and has not committed yet) holds the records after it back for up to CS_GAP_GRACE_MS, so
 * that the stream stays in gseq order and a resume point never skips a record. */
#include "cluster_sse.h"

#include <errno.h>
#include <fnmatch.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session_core/persist.h"
#include "sse_stream.h"

#define CS_PATH "/events/cluster"
#define CS_BUF_KIB 1024 /* KiB that may wait for one client (?buffer=), then a live one is ended */
#define CS_BUF_KIB_MIN 16
#define CS_PAGE 256            /* records per read */
#define CS_POLL_MS 150         /* reader period while clients are connected */
#define CS_GAP_GRACE_MS 1000   /* a hole at the head is waited for this long, then passed */
#define CS_HEARTBEAT_MS 5000   /* comment line when nothing else was sent */
#define CS_HANGUP_CHECK_MS 250 /* how often an idle stream looks whether its client hung up */
#define CS_SNDBUF 32768        /* kernel send buffer of a stream socket */
#define CS_MAX_FILTER 8        /* names or patterns per filter */
#define CS_CLOSE_WAIT_MS 250   /* at shutdown, for the closing lines to go out */

static const char overflow_line[] = ": overflow: this client fell behind; resume with Last-Event-ID\n\n";
static const char closing_line[] = ": closing: the server is shutting down; resume with Last-Event-ID\n\n";

typedef struct cs_client {
    /* the HTTP response and the reader each hold a reference; closed: the server ended the
     * stream (overflow, shutdown) */
    sd_sse_stream st;
    /* the request, parsed on the HTTP thread */
    bool has_after;
    uint64_t after;
    size_t buf_max;                    /* bytes unsent at most (?buffer=KiB) */
    char *sessions[CS_MAX_FILTER + 1]; /* globs on the session id */
    char *states[CS_MAX_FILTER + 1];   /* state names after the record */
    /* reader thread only */
    uint64_t pos; /* every record up to this gseq was offered to the client */
    bool live;    /* pos follows the reader's head */
    struct cs_client *next;
} cs_client;

/* One record of a page, formatted once for every client. */
typedef struct cs_rec {
    uint64_t gseq;
    char *session, *state; /* for the filters */
    char *text;            /* "id: ...\n\n" */
    size_t len;
} cs_rec;

struct sd_csse {
    bool enabled;
    char *url;
    sc_persist_durability durability;
    const sc_logger *logger;
    sd_http_direct next;
    void *next_ud;
    pthread_mutex_t mu; /* guards pending, stopping, has_clients */
    pthread_cond_t cv;
    cs_client *pending;
    bool stopping, thread_on;
    pthread_t thread;
    /* reader thread only */
    sc_persist *p;
    cs_client *clients;
    uint64_t head; /* the last gseq read from the log's head */
    bool head_known;
    uint64_t gap_at, gap_since_ms; /* a hole at head + 1 seen since then (0: none) */
    bool failing;                  /* the last read failed (logged once) */
    cs_rec recs[CS_PAGE];
    size_t nrecs;
    uint64_t page_limit; /* the collector keeps records up to this gseq */
    /* counters (any thread), copied into the metrics on the loop */
    _Atomic uint64_t n_clients, n_sent, n_overflows, n_errors;
    sc_obs_registry *reg;
    sc_obs_gauge *m_clients;
    sc_obs_counter *m_sent, *m_overflows, *m_errors;
    uint64_t c_sent, c_overflows, c_errors; /* copied so far */
};

static void client_free(sd_sse_stream *st)
{
    cs_client *c = SD_SSE_OWNER(st, cs_client);
    for (int i = 0; c->sessions[i]; i++)
        free(c->sessions[i]);
    for (int i = 0; c->states[i]; i++)
        free(c->states[i]);
    free(c);
}

static void client_unref(cs_client *c) { sd_sse_stream_unref(&c->st); }

/* Append under c->st.mu; false on ENOMEM. The caller checks the bound. */
static bool append(cs_client *c, const char *s, size_t n) { return sd_sse_stream_append(&c->st, s, n); }

/* Under c->st.mu: the stream ends after what is buffered and this last line. */
static void end_stream(cs_client *c, const char *line, size_t n)
{
    append(c, line, n);
    c->st.closed = true;
    pthread_cond_broadcast(&c->st.cv);
}

/* ---- HTTP thread ------------------------------------------------------------------------------ */

static const sd_sse_stream_cfg stream_cfg = {
    .heartbeat_ms = CS_HEARTBEAT_MS,
    .hangup_check_ms = CS_HANGUP_CHECK_MS,
    .first_cap = 8192,
    .max_unsent = SIZE_MAX, /* buf_max is checked by the reader (fits) */
    .sndbuf = CS_SNDBUF,
    .free_owner = client_free,
};

static int reply(struct MHD_Connection *mc, int status, const char *msg)
{
    return sd_sse_reply_error(mc, status, msg, true);
}

/* Split a comma list into up to CS_MAX_FILTER strdup'd items (NULL-terminated); false on too
 * many or ENOMEM. */
static bool split_list(const char *v, char **items)
{
    int n = 0;
    items[0] = NULL;
    while (v && *v) {
        size_t len = strcspn(v, ",");
        if (len) {
            if (n == CS_MAX_FILTER || !(items[n] = strndup(v, len)))
                return false;
            items[++n] = NULL;
        }
        v += len + (v[len] == ',');
    }
    return true;
}

static bool parse_gseq(const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || !*v || v[0] < '0' || v[0] > '9')
        return false;
    *out = n;
    return true;
}

/* The query and Last-Event-ID into c; NULL or the message of a 400. */
static const char *parse_request(struct MHD_Connection *mc, cs_client *c)
{
    if (!split_list(MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "session"), c->sessions))
        return "session: at most 8 patterns";
    if (!split_list(MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "state"), c->states))
        return "state: at most 8 names";
    uint64_t kib = CS_BUF_KIB;
    const char *v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "buffer");
    if (v && (!parse_gseq(v, &kib) || kib < CS_BUF_KIB_MIN || kib > CS_BUF_KIB))
        return "buffer: 16..1024 (KiB)";
    c->buf_max = (size_t)kib * 1024;
    v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Last-Event-ID");
    if (v && *v) {
        if (!parse_gseq(v, &c->after))
            return "Last-Event-ID: expected a gseq (a number) of this stream";
        c->has_after = true;
    } else if ((v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "after")) != NULL) {
        if (!parse_gseq(v, &c->after))
            return "after: expected a gseq (a number; 0 = from the beginning of the log)";
        c->has_after = true;
    }
    return NULL;
}

/* The new client to the reader's pending list (wakes it); false when stopping. */
static bool hand_over(sd_sse_stream *st, void *ud)
{
    sd_csse *s = ud;
    cs_client *c = SD_SSE_OWNER(st, cs_client);
    pthread_mutex_lock(&s->mu);
    bool stopping = s->stopping;
    if (!stopping) {
        sd_sse_stream_ref(st); /* the reader's */
        c->next = s->pending;
        s->pending = c;
        pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return !stopping;
}

static int start_stream(sd_csse *s, struct MHD_Connection *mc)
{
    if (!s->enabled)
        return reply(mc, 404, "the cluster stream reads the store's event log; this node has no shared store");
    cs_client *c = calloc(1, sizeof *c);
    if (!c)
        return MHD_NO;
    sd_sse_stream_init(&c->st, &stream_cfg);
    return sd_sse_stream_start(&c->st, mc, parse_request(mc, c), hand_over, s, true);
}

static bool cs_direct(void *ud, struct MHD_Connection *mc, const char *url, const char *method, bool authorized,
                      int *ret)
{
    sd_csse *s = ud;
    if (strcmp(url, CS_PATH) != 0)
        return s->next && s->next(s->next_ud, mc, url, method, authorized, ret);
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        *ret = reply(mc, 405, "use GET " CS_PATH);
        return true;
    }
    *ret = start_stream(s, mc);
    return true;
}

/* ---- Reader thread ------------------------------------------------------------------------------ */

static void recs_clear(sd_csse *s)
{
    for (size_t i = 0; i < s->nrecs; i++) {
        free(s->recs[i].session);
        free(s->recs[i].state);
        free(s->recs[i].text);
    }
    s->nrecs = 0;
}

/* "id: G\nevent: record\ndata: {gseq, session, seq, time, time_us, record}\n\n" */
static int collect(const sc_persist_event *ev, void *ud)
{
    sd_csse *s = ud;
    if (ev->gseq > s->page_limit || s->nrecs == CS_PAGE)
        return 1;
    char when[SC_TIME_ISO8601_MAX];
    sc_time_format_iso8601(when, sizeof when, ev->wall_us, 6);
    /* the id as stored (not checked as UTF-8: one odd id must not stall the stream) */
    json_t *o = json_pack("{s:I,s:o,s:I,s:s,s:I,s:o}", "gseq", (json_int_t)ev->gseq, "session",
                          json_string_nocheck(ev->session_id), "seq", (json_int_t)ev->seq, "time", when, "time_us",
                          (json_int_t)ev->wall_us, "record",
                          ev->record ? json_incref((json_t *)ev->record) : json_null());
    char *data = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    /* the state after the record: a transition's "to", a creation record's "state_after" */
    const char *st = json_string_value(json_object_get(ev->record, "to"));
    if (!st)
        st = json_string_value(json_object_get(ev->record, "state_after"));
    cs_rec *r = &s->recs[s->nrecs];
    char *text = NULL;
    int n = data ? asprintf(&text, "id: %llu\nevent: record\ndata: %s\n\n", (unsigned long long)ev->gseq, data) : -1;
    free(data);
    r->session = strdup(ev->session_id);
    r->state = st ? strdup(st) : NULL;
    if (n < 0 || !r->session || (st && !r->state)) {
        free(text);
        free(r->session);
        free(r->state);
        return -ENOMEM;
    }
    r->gseq = ev->gseq;
    r->text = text;
    r->len = (size_t)n;
    s->nrecs++;
    return 0;
}

/* At most n (<= CS_PAGE) records with after < gseq <= limit into s->recs; 0 or a store
 * error. */
static int read_page(sd_csse *s, uint64_t after, uint64_t limit, size_t n)
{
    recs_clear(s);
    s->page_limit = limit;
    int rc = sc_persist_read_events_after(s->p, after, n, collect, s);
    if (rc < 0) {
        recs_clear(s);
        atomic_fetch_add(&s->n_errors, 1);
        if (!s->failing)
            sc_log(s->logger, SC_LOG_WARN, "http", "GET " CS_PATH ": cannot read the event log: %s",
                   sc_persist_last_error(s->p)[0] ? sc_persist_last_error(s->p) : sc_strerror(rc));
        s->failing = true;
        return rc;
    }
    if (s->failing)
        sc_log(s->logger, SC_LOG_INFO, "http", "GET " CS_PATH ": reading the event log again");
    s->failing = false;
    return 0;
}

static bool matches(const cs_client *c, const cs_rec *r)
{
    if (c->sessions[0]) {
        bool any = false;
        for (int i = 0; c->sessions[i] && !any; i++)
            any = fnmatch(c->sessions[i], r->session, 0) == 0;
        if (!any)
            return false;
    }
    if (c->states[0]) {
        bool any = false;
        for (int i = 0; c->states[i] && !any && r->state; i++)
            any = !strcmp(c->states[i], r->state);
        if (!any)
            return false;
    }
    return true;
}

/* The first gseq after x (0: none), or a store error. */
static int64_t first_after(sd_csse *s, uint64_t x)
{
    int rc = read_page(s, x, UINT64_MAX, 1);
    int64_t g = rc < 0 ? rc : s->nrecs ? (int64_t)s->recs[0].gseq : 0;
    recs_clear(s);
    return g;
}

/* The last gseq of the log, searched from lo (no record <= lo needs reading): doubling steps
 * past the end, then halving; a few dozen one-record reads even on a long log. */
static int find_end(sd_csse *s, uint64_t lo, uint64_t *end)
{
    int64_t f = first_after(s, lo);
    if (f <= 0) {
        *end = lo;
        return f < 0 ? (int)f : 0;
    }
    lo = (uint64_t)f;
    uint64_t step = 64, hi;
    for (;;) { /* no record after hi */
        f = first_after(s, lo + step);
        if (f < 0)
            return (int)f;
        if (f == 0) {
            hi = lo + step;
            break;
        }
        lo = (uint64_t)f;
        if (step < ((uint64_t)1 << 40))
            step *= 2;
    }
    for (;;) { /* lo exists, nothing after hi */
        f = first_after(s, lo);
        if (f < 0)
            return (int)f;
        if (f == 0) {
            *end = lo;
            return 0;
        }
        uint64_t mid = (uint64_t)f + (hi - (uint64_t)f) / 2;
        int64_t g = first_after(s, mid);
        if (g < 0)
            return (int)g;
        if (g == 0) {
            lo = (uint64_t)f;
            hi = mid;
        } else {
            lo = (uint64_t)g;
        }
    }
}

/* Under c->st.mu: r fits in c's buffer (an empty buffer takes any record). */
static bool fits(const cs_client *c, const cs_rec *r)
{
    size_t unsent = c->st.len - c->st.off;
    return unsent == 0 || unsent + r->len <= c->buf_max;
}

/* Offer record r to c (under c->st.mu); a live client without room is ended. */
static void offer(sd_csse *s, cs_client *c, const cs_rec *r)
{
    if (!matches(c, r))
        return;
    if (!fits(c, r) || !append(c, r->text, r->len)) {
        end_stream(c, overflow_line, sizeof overflow_line - 1);
        atomic_fetch_add(&s->n_overflows, 1);
        return;
    }
    atomic_fetch_add(&s->n_sent, 1);
}

/* One page of a client behind the head, if its buffer has room; true when it took a full
 * page (more may follow at once). */
static bool catch_up(sd_csse *s, cs_client *c)
{
    pthread_mutex_lock(&c->st.mu);
    bool room = !c->st.closed && !c->st.gone && c->st.len - c->st.off < c->buf_max / 2;
    pthread_mutex_unlock(&c->st.mu);
    if (!room || read_page(s, c->pos, s->head, CS_PAGE) < 0)
        return false;
    bool full = s->nrecs == CS_PAGE, stopped = false, woke = false;
    pthread_mutex_lock(&c->st.mu);
    for (size_t i = 0; i < s->nrecs && !stopped; i++) {
        const cs_rec *r = &s->recs[i];
        if (matches(c, r)) {
            if (!fits(c, r) || !append(c, r->text, r->len)) {
                stopped = true; /* no room: the rest is read again later */
                break;
            }
            atomic_fetch_add(&s->n_sent, 1);
            woke = true;
        }
        c->pos = r->gseq;
    }
    if (!full && !stopped)
        c->pos = s->head; /* nothing more up to the head (the rest pruned or filtered out) */
    if (woke)
        pthread_cond_broadcast(&c->st.cv);
    pthread_mutex_unlock(&c->st.mu);
    c->live = c->pos >= s->head;
    recs_clear(s);
    return full && !stopped;
}

/* The records after the head, in gseq order, to every live client; a hole right after the
 * head holds the rest back until it fills or CS_GAP_GRACE_MS passed. True on a full page. */
static bool read_head(sd_csse *s)
{
    if (read_page(s, s->head, UINT64_MAX, CS_PAGE) < 0)
        return false;
    bool full = s->nrecs == CS_PAGE;
    uint64_t now = sd_sse_now_ms();
    size_t i = 0;
    for (; i < s->nrecs; i++) {
        const cs_rec *r = &s->recs[i];
        if (r->gseq != s->head + 1) {
            if (s->gap_at != s->head + 1) { /* a new hole: wait for it */
                s->gap_at = s->head + 1;
                s->gap_since_ms = now;
            }
            if (now - s->gap_since_ms < CS_GAP_GRACE_MS)
                break;
        }
        for (cs_client *c = s->clients; c; c = c->next) {
            if (!c->live || r->gseq <= c->pos)
                continue;
            pthread_mutex_lock(&c->st.mu);
            if (!c->st.closed && !c->st.gone) {
                offer(s, c, r);
                pthread_cond_broadcast(&c->st.cv);
            }
            pthread_mutex_unlock(&c->st.mu);
            c->pos = r->gseq;
        }
        s->head = r->gseq;
    }
    for (cs_client *c = s->clients; c; c = c->next)
        if (c->live && c->pos < s->head)
            c->pos = s->head;
    if (i < s->nrecs)
        full = false; /* held back: poll again later */
    recs_clear(s);
    return full;
}

/* Take the new clients: their start point (the head without Last-Event-ID / ?after). */
static void attach(sd_csse *s, cs_client *list)
{
    while (list) {
        cs_client *c = list;
        list = c->next;
        c->pos = c->has_after ? c->after : s->head;
        c->live = c->pos >= s->head;
        char line[64];
        int n = snprintf(line, sizeof line, ": after %llu\n\n", (unsigned long long)c->pos);
        pthread_mutex_lock(&c->st.mu);
        append(c, line, (size_t)n);
        pthread_cond_broadcast(&c->st.cv);
        pthread_mutex_unlock(&c->st.mu);
        c->next = s->clients;
        s->clients = c;
        atomic_fetch_add(&s->n_clients, 1);
    }
}

/* Drop the clients that went away or were ended. */
static void reap(sd_csse *s)
{
    cs_client **pp = &s->clients;
    while (*pp) {
        cs_client *c = *pp;
        pthread_mutex_lock(&c->st.mu);
        bool over = c->st.gone || c->st.closed;
        pthread_mutex_unlock(&c->st.mu);
        if (!over) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        atomic_fetch_sub(&s->n_clients, 1);
        client_unref(c);
    }
}

/* One round: the log's end when it is not known (first clients), the catching-up clients,
 * then the head. 1 when a page came full (read again at once), 0, or -1 when the store
 * failed. */
static int round_once(sd_csse *s)
{
    if (!s->p) {
        char err[256];
        sc_persist_config pc = {.durability = s->durability, .lazy_connect = true};
        int rc = sc_persist_open(&s->p, s->url, &pc, err, sizeof err);
        if (rc) {
            s->p = NULL;
            atomic_fetch_add(&s->n_errors, 1);
            if (!s->failing)
                sc_log(s->logger, SC_LOG_WARN, "http", "GET " CS_PATH ": cannot open the store: %s", err);
            s->failing = true;
            return -1;
        }
    }
    if (!s->head_known) {
        uint64_t end = s->head;
        if (find_end(s, s->head, &end) < 0)
            return -1;
        s->head = end;
        s->head_known = true;
        s->gap_at = 0;
    }
    cs_client *list;
    pthread_mutex_lock(&s->mu);
    list = s->pending;
    s->pending = NULL;
    pthread_mutex_unlock(&s->mu);
    attach(s, list);
    bool more = false;
    for (cs_client *c = s->clients; c; c = c->next)
        if (!c->live && catch_up(s, c))
            more = true;
    if (read_head(s))
        more = true;
    return s->failing ? -1 : more;
}

static void *reader_main(void *arg)
{
    sd_csse *s = arg;
    int last = 0; /* the last round's result */
    for (;;) {
        pthread_mutex_lock(&s->mu);
        if (!s->stopping && last <= 0) {
            if (!s->clients && !s->pending) {
                s->head_known = false; /* nobody reads: the end is searched again for the next */
                while (!s->stopping && !s->pending)
                    pthread_cond_wait(&s->cv, &s->mu);
            } else if (last < 0 || !s->pending) { /* a new client wakes it early */
                struct timespec until;
                sc_cond_deadline(&until, CS_POLL_MS);
                pthread_cond_timedwait(&s->cv, &s->mu, &until);
            }
        }
        bool stop = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
        last = round_once(s);
        reap(s);
    }
    sc_persist_close(s->p);
    s->p = NULL;
    return NULL;
}

/* ---- Loop thread --------------------------------------------------------------------------------- */

static void collect_metrics(void *ud, sc_obs_registry *r)
{
    (void)r;
    sd_csse *s = ud;
    sc_obs_gauge_set(s->m_clients, (double)atomic_load(&s->n_clients));
    uint64_t v = atomic_load(&s->n_sent);
    sc_obs_counter_add(s->m_sent, v - s->c_sent);
    s->c_sent = v;
    v = atomic_load(&s->n_overflows);
    sc_obs_counter_add(s->m_overflows, v - s->c_overflows);
    s->c_overflows = v;
    v = atomic_load(&s->n_errors);
    sc_obs_counter_add(s->m_errors, v - s->c_errors);
    s->c_errors = v;
}

static int metrics_init(sd_csse *s, sc_obs_registry *reg)
{
    sc_obs_metric *m[4];
    static const sc_obs_desc d[4] = {
        {.type = SC_OBS_GAUGE,
         .name = "sessioncore_cluster_stream_clients",
         .help = "Clients of GET /events/cluster connected now"},
        {.type = SC_OBS_COUNTER,
         .name = "sessioncore_cluster_stream_records_total",
         .help = "Records of the store's event log sent to GET /events/cluster clients"},
        {.type = SC_OBS_COUNTER,
         .name = "sessioncore_cluster_stream_overflows_total",
         .help = "GET /events/cluster clients ended because they fell behind (buffer full)"},
        {.type = SC_OBS_COUNTER,
         .name = "sessioncore_cluster_stream_read_errors_total",
         .help = "Failed reads of the store's event log by the cluster stream's reader"},
    };
    for (int i = 0; i < 4; i++) {
        int rc = sc_obs_register(reg, &d[i], &m[i]);
        if (rc)
            return rc;
    }
    s->m_clients = sc_obs_gauge_with(m[0]);
    s->m_sent = sc_obs_counter_with(m[1]);
    s->m_overflows = sc_obs_counter_with(m[2]);
    s->m_errors = sc_obs_counter_with(m[3]);
    if (!s->m_clients || !s->m_sent || !s->m_overflows || !s->m_errors)
        return -ENOMEM;
    int rc = sc_obs_registry_add_collector(reg, collect_metrics, s);
    if (rc == 0)
        s->reg = reg;
    return rc;
}

int sd_csse_new(sd_csse **out, const sd_config *cfg, sc_obs_registry *reg, const sc_logger *logger)
{
    sd_csse *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->logger = logger;
    s->durability = (sc_persist_durability)cfg->durability;
    pthread_mutex_init(&s->mu, NULL);
    sc_cond_init_monotonic(&s->cv);
    /* a memory: store is this process's own: nothing another node wrote is in it */
    s->enabled = cfg->durability != SC_PERSIST_NONE && cfg->store && strncmp(cfg->store, "memory:", 7) != 0;
    if (!s->enabled) {
        *out = s;
        return 0;
    }
    int rc = !(s->url = strdup(cfg->store)) ? -ENOMEM : reg ? metrics_init(s, reg) : 0;
    if (rc == 0 && (rc = -pthread_create(&s->thread, NULL, reader_main, s)) == 0)
        s->thread_on = true;
    if (rc) {
        sc_log(logger, SC_LOG_ERROR, "http", "GET " CS_PATH ": cannot start its reader: %s", sc_strerror(rc));
        sd_csse_stop(s);
        sd_csse_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void sd_csse_chain(sd_csse *s, sd_http_direct *direct, void **ud)
{
    if (!s)
        return;
    s->next = *direct;
    s->next_ud = *ud;
    *direct = cs_direct;
    *ud = s;
}

static void close_client(cs_client *c)
{
    pthread_mutex_lock(&c->st.mu);
    if (!c->st.closed && !c->st.gone)
        end_stream(c, closing_line, sizeof closing_line - 1);
    c->st.closed = true;
    pthread_cond_broadcast(&c->st.cv);
    pthread_mutex_unlock(&c->st.mu);
}

/* Wait (CS_CLOSE_WAIT_MS at most in all) for the ended streams to reach their clients before
 * the HTTP server stops (it drops what a connection has not sent), then drop them. */
static void release_clients(cs_client *list)
{
    uint64_t until = sd_sse_now_ms() + CS_CLOSE_WAIT_MS;
    while (list) {
        cs_client *c = list;
        pthread_mutex_lock(&c->st.mu);
        bool gone = c->st.gone;
        pthread_mutex_unlock(&c->st.mu);
        if (!gone && sd_sse_now_ms() < until) {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        list = c->next;
        client_unref(c);
    }
}

void sd_csse_stop(sd_csse *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (s->thread_on) {
        pthread_join(s->thread, NULL);
        s->thread_on = false;
    }
    pthread_mutex_lock(&s->mu);
    cs_client *lists[2] = {s->pending, s->clients};
    s->pending = s->clients = NULL;
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < 2; i++)
        for (cs_client *c = lists[i]; c; c = c->next)
            close_client(c);
    for (int i = 0; i < 2; i++)
        release_clients(lists[i]);
    atomic_store(&s->n_clients, 0);
    recs_clear(s);
    if (s->reg) {
        sc_obs_registry_remove_collector(s->reg, collect_metrics, s);
        s->reg = NULL;
    }
}

void sd_csse_free(sd_csse *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->url);
    free(s);
}
