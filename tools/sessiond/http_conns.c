/* http_conns: connection accounting, room-making and deadlines of the HTTP API (see
 * http_conns.h). A connection is closed from outside its thread with shutdown(2): its
 * thread then reads end-of-file and libmicrohttpd closes it. That is done under the table's
 * lock, and libmicrohttpd reports a connection closed (taking that lock) before it closes
 * the socket, so the descriptor shut down is always the connection's own. */
#include "http_conns.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

typedef enum { ST_IDLE, ST_BODY, ST_RUN, ST_STREAM } conn_state;

typedef struct entry {
    struct entry *prev, *next; /* oldest first */
    int fd;
    int family;
    unsigned char addr[16]; /* the client's address (no port) */
    conn_state state;
    bool shut;         /* shut down by us: on its way out, no longer counted */
    uint64_t since_ms; /* when it entered its state */
} entry;

struct sd_conns {
    sd_http_limits lim;
    const sc_logger *logger;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    entry *head, *tail;
    unsigned total;   /* not shut, not streams */
    unsigned streams; /* not shut */
    bool stopping;
    pthread_t sweeper;
};

static uint64_t now_ms(void) { return sc_clock_mono_us(sc_clock_system()) / 1000; }

unsigned sd_conns_hard_limit(const sd_http_limits *lim)
{
    return lim->max_connections + lim->max_streams + SD_HTTP_PROBE_RESERVE;
}

static bool same_client(const entry *a, const entry *b)
{
    size_t n = a->family == AF_INET6 ? 16 : 4;
    return a->family == b->family && !memcmp(a->addr, b->addr, n);
}

/* Under mu: shut e down and stop counting it. */
static void shut(sd_conns *t, entry *e)
{
    if (e->shut)
        return;
    e->shut = true;
    if (e->state == ST_STREAM)
        t->streams--;
    else
        t->total--;
    shutdown(e->fd, SHUT_RDWR);
}

/* Under mu: the connections of e's client, streams apart. */
static unsigned client_count(const sd_conns *t, const entry *e)
{
    unsigned n = 0;
    for (const entry *x = t->head; x; x = x->next)
        if (!x->shut && x->state != ST_STREAM && same_client(x, e))
            n++;
    return n;
}

/* Under mu: close the oldest idle connection (of e's client when mine), other than e; true
 * when one was. */
static bool evict_idle(sd_conns *t, const entry *e, bool mine)
{
    for (entry *x = t->head; x; x = x->next)
        if (x != e && !x->shut && x->state == ST_IDLE && (!mine || same_client(x, e))) {
            shut(t, x);
            return true;
        }
    return false;
}

static void on_started(sd_conns *t, struct MHD_Connection *c, void **ctx)
{
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return;
    const union MHD_ConnectionInfo *fi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ai = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    e->fd = fi ? fi->connect_fd : -1;
    const struct sockaddr *sa = ai ? ai->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        e->family = AF_INET;
        memcpy(e->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        e->family = AF_INET6;
        memcpy(e->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    }
    e->state = ST_IDLE;
    e->since_ms = now_ms();
    pthread_mutex_lock(&t->mu);
    e->prev = t->tail;
    if (t->tail)
        t->tail->next = e;
    else
        t->head = e;
    t->tail = e;
    t->total++;
    /* room for the newcomer: idle connections are cheap to reopen, a request never dropped */
    if (client_count(t, e) > t->lim.max_per_client)
        evict_idle(t, e, true);
    if (t->total > t->lim.max_connections && !evict_idle(t, e, true))
        evict_idle(t, e, false);
    pthread_mutex_unlock(&t->mu);
    *ctx = e;
}

static void on_closed(sd_conns *t, void **ctx)
{
    entry *e = *ctx;
    if (!e)
        return;
    pthread_mutex_lock(&t->mu);
    if (!e->shut) {
        if (e->state == ST_STREAM)
            t->streams--;
        else
            t->total--;
    }
    if (e->prev)
        e->prev->next = e->next;
    else
        t->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        t->tail = e->prev;
    pthread_mutex_unlock(&t->mu);
    free(e);
    *ctx = NULL;
}

void sd_conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        on_started(cls, c, socket_context);
    else
        on_closed(cls, socket_context);
}

static entry *entry_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

/* Under mu. */
static void set_state(sd_conns *t, entry *e, conn_state st)
{
    if (!e->shut && (e->state == ST_STREAM) != (st == ST_STREAM)) {
        if (st == ST_STREAM) {
            t->total--;
            t->streams++;
        } else {
            t->streams--;
            t->total++;
        }
    }
    e->state = st;
    e->since_ms = now_ms();
}

const char *sd_conns_request(sd_conns *t, struct MHD_Connection *c, bool probe)
{
    entry *e = entry_of(c);
    if (!t || !e)
        return NULL;
    const char *why = NULL;
    pthread_mutex_lock(&t->mu);
    set_state(t, e, ST_BODY);
    if (!probe && !e->shut) {
        if (client_count(t, e) > t->lim.max_per_client)
            why = "too many connections from your address (--http-max-per-client)";
        else if (t->total > t->lim.max_connections)
            why = "too many connections (--http-max-connections)";
    }
    pthread_mutex_unlock(&t->mu);
    return why;
}

const char *sd_conns_stream(sd_conns *t, struct MHD_Connection *c)
{
    entry *e = entry_of(c);
    if (!t || !e)
        return NULL;
    const char *why = NULL;
    pthread_mutex_lock(&t->mu);
    if (t->streams >= t->lim.max_streams)
        why = "too many event streams (--http-max-streams)";
    else
        set_state(t, e, ST_STREAM);
    pthread_mutex_unlock(&t->mu);
    return why;
}

void sd_conns_body_done(sd_conns *t, struct MHD_Connection *c)
{
    entry *e = entry_of(c);
    if (!t || !e)
        return;
    pthread_mutex_lock(&t->mu);
    if (e->state == ST_BODY)
        set_state(t, e, ST_RUN);
    pthread_mutex_unlock(&t->mu);
}

void sd_conns_completed(sd_conns *t, struct MHD_Connection *c)
{
    entry *e = entry_of(c);
    if (!t || !e)
        return;
    pthread_mutex_lock(&t->mu);
    set_state(t, e, ST_IDLE);
    pthread_mutex_unlock(&t->mu);
}

/* Close what is past its deadline: headers (idle) and body. */
static void *sweeper(void *arg)
{
    sd_conns *t = arg;
    uint32_t period = t->lim.read_timeout_ms / 4;
    if (period < 50)
        period = 50;
    if (period > 500)
        period = 500;
    pthread_mutex_lock(&t->mu);
    while (!t->stopping) {
        struct timespec until;
        sc_cond_deadline(&until, period);
        pthread_cond_timedwait(&t->cv, &t->mu, &until);
        uint64_t now = now_ms();
        unsigned headers = 0, bodies = 0;
        for (entry *e = t->head; e; e = e->next) {
            if (e->shut || (e->state != ST_IDLE && e->state != ST_BODY) || now - e->since_ms <= t->lim.read_timeout_ms)
                continue;
            e->state == ST_IDLE ? headers++ : bodies++;
            shut(t, e);
        }
        if (headers || bodies)
            sc_log(t->logger, SC_LOG_DEBUG, "http",
                   "closed %u connection(s) without a request's headers and %u with an unfinished body after %u ms "
                   "(--http-read-timeout-ms)",
                   headers, bodies, (unsigned)t->lim.read_timeout_ms);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int sd_conns_new(sd_conns **out, sd_http_limits *lim, const sc_logger *logger)
{
    if (!lim->max_connections)
        lim->max_connections = 256;
    if (!lim->max_per_client)
        lim->max_per_client = 64;
    if (!lim->max_streams)
        lim->max_streams = 64;
    if (!lim->read_timeout_ms)
        lim->read_timeout_ms = 10000;
    sd_conns *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->lim = *lim;
    t->logger = logger;
    pthread_mutex_init(&t->mu, NULL);
    sc_cond_init_monotonic(&t->cv);
    int rc = pthread_create(&t->sweeper, NULL, sweeper, t);
    if (rc) {
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv);
        free(t);
        return -rc;
    }
    *out = t;
    return 0;
}

void sd_conns_free(sd_conns *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->stopping = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->sweeper, NULL);
    while (t->head) { /* none once the server has stopped; defensive */
        entry *e = t->head;
        t->head = e->next;
        free(e);
    }
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
}
