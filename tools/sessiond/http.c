/* http: the libmicrohttpd server of sessiond and its hand-off to the loop: requests are
 * queued under a mutex and the loop is woken with uv_async_send; the loop runs the handler
 * and signals a condition variable the HTTP thread waits on (with a timeout). /livez is
 * answered by the HTTP thread itself from a heartbeat the loop refreshes. The handlers' JSON
 * replies are made here too. */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "session_core/base.h"
#include "config.h"
#include "http_guard.h"
#include "ui_routes.h"

#define SD_HTTP_BODY_MAX 65536
#define SD_LIVEZ_STALE_MS 2000

typedef struct sd_item {
    sd_http_req req;
    struct sd_item *next;
    bool started;   /* the loop took it */
    bool done;      /* the loop filled the response */
    bool abandoned; /* the HTTP side gave up; whoever sees this last frees */
} sd_item;

struct sd_http {
    uv_loop_t *loop;
    sd_http_guard guard; /* token, Host names, Origin (http_guard.c) */
    sd_conns *conns;     /* connection limits and deadlines (http_conns.c) */
    sd_http_limits limits;
    bool metrics_public;
    uint32_t timeout_ms;
    size_t queue_max;
    sd_http_handler handler;
    void *ud;
    sd_http_direct direct;
    void *direct_ud;
    bool (*redirect)(void *ud, const char *path, const char *query, char *location, size_t cap);
    json_t *(*nodes)(void *ud);
    void *cluster_ud;
    const sc_logger *logger;
    struct MHD_Daemon *mhd;
    uv_async_t async;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sd_item *head, *tail;
    size_t qlen;
    bool closing;
    _Atomic uint64_t heartbeat_ms;
};

typedef struct sd_conn {
    char *body;
    size_t len;
    bool too_big;
    bool authorized;        /* the token (or none configured), from a Host and Origin of ours */
    bool needs_empty;       /* a POST without Content-Type: only an empty body is accepted */
    int refuse;             /* the status it gets, decided from its headers; 0: serve it */
    const char *refuse_msg; /* its error message */
} sd_conn;

static uint64_t mono_ms(void) { return sc_clock_mono_us(sc_clock_system()) / 1000; }

static void item_free(sd_item *it)
{
    if (!it)
        return;
    free(it->req.path);
    free(it->req.q_format);
    free(it->req.q_session);
    free(it->req.q_state);
    free(it->req.q_role);
    free(it->req.q_live);
    free(it->req.q_limit);
    free(it->req.q_after);
    free(it->req.resp_link);
    free(it->req.q_ms);
    free(it->req.h_accept);
    free(it->req.body);
    free(it->req.resp);
    if (it->req.finish_ud && it->req.finish_drop)
        it->req.finish_drop(it->req.finish_ud);
    free(it);
}

/* The response, with one extra header when hname is not NULL. */
static enum MHD_Result respond_hdr(struct MHD_Connection *c, int status, char *body, const char *ctype,
                                   const char *hname, const char *hvalue)
{
    size_t len = body ? strlen(body) : 0;
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body ? body : (char *)"",
                                                             body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype ? ctype : "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (status == 503) /* overload, shutdown, loop timeout: tell clients when to come back */
        MHD_add_response_header(r, "Retry-After", "5");
    if (hname)
        MHD_add_response_header(r, hname, hvalue);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond(struct MHD_Connection *c, int status, char *body, const char *ctype)
{
    return respond_hdr(c, status, body, ctype, NULL, NULL);
}

/* {"error": msg} with msg escaped as a JSON string (any message stays valid JSON). */
static char *error_body(const char *msg)
{
    size_t n = strlen(msg), cap = SC_JSON_QUOTED_MAX(n) + 16;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    size_t k = (size_t)snprintf(b, cap, "{\"error\":");
    size_t q = sc_json_quote(b + k, cap - k, msg, n);
    snprintf(b + k + q, cap - k - q, "}\n");
    return b;
}

static enum MHD_Result respond_error(struct MHD_Connection *c, int status, const char *msg)
{
    return respond(c, status, error_body(msg), "application/json");
}

static char *dup_arg(struct MHD_Connection *c, const char *key)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    return v ? strdup(v) : NULL;
}

/* The probes: answered to anyone (/healthz without its details unless authorized). */
/* The request's query string again (percent-encoded), for a redirect. */
typedef struct query_buf {
    char *p;
    size_t len, cap;
    bool overflow;
} query_buf;

static void query_put(query_buf *q, const char *s, bool value)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                     strchr("-._~", ch) || (!value && ch == ':');
        int n = plain ? snprintf(q->p + q->len, q->cap - q->len, "%c", ch)
                      : snprintf(q->p + q->len, q->cap - q->len, "%%%02X", ch);
        if (n < 0 || (size_t)n >= q->cap - q->len) {
            q->overflow = true;
            return;
        }
        q->len += (size_t)n;
    }
}

static void query_sep(query_buf *q, char sep)
{
    if (!sep)
        return;
    if (q->len + 1 >= q->cap) {
        q->overflow = true;
        return;
    }
    q->p[q->len++] = sep;
    q->p[q->len] = '\0';
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    query_buf *q = cls;
    query_sep(q, q->len ? '&' : 0);
    query_put(q, key, false);
    if (value) {
        query_sep(q, '=');
        query_put(q, value, true);
    }
    return MHD_YES;
}

/* A 404 under /sessions/ in a cluster: 307 to the node that owns the session, if one does. */
static bool cluster_redirect(sd_http *h, struct MHD_Connection *c, const char *url, enum MHD_Result *ret)
{
    char query[1024] = "", loc[1536];
    query_buf q = {.p = query, .cap = sizeof query};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, &q);
    if (q.overflow || !h->redirect(h->cluster_ud, url, query, loc, sizeof loc))
        return false;
    sc_log(h->logger, SC_LOG_DEBUG, "http", "%s -> 307 %s (the session's owner)", url, loc);
    char *b = NULL;
    json_t *j = json_pack("{s:s, s:s}", "error", "this session is on another node", "location", loc);
    b = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    *ret = respond_hdr(c, 307, b, "application/json", MHD_HTTP_HEADER_LOCATION, loc);
    return true;
}

static bool probe_path(const char *url)
{
    return !strcmp(url, "/livez") || !strcmp(url, "/readyz") || !strcmp(url, "/healthz");
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Decide from the headers alone whether the request may run (cc->refuse, cc->authorized). */
static void screen(sd_http *h, struct MHD_Connection *c, const char *url, const char *method, sd_conn *cc)
{
    const sd_http_guard *g = &h->guard;
    bool host_ok = sd_guard_host_ok(g, header(c, MHD_HTTP_HEADER_HOST));
    bool origin_ok = sd_guard_origin_ok(g, header(c, MHD_HTTP_HEADER_ORIGIN));
    bool token_ok = sd_guard_token_ok(g, header(c, MHD_HTTP_HEADER_AUTHORIZATION));
    cc->authorized = host_ok && origin_ok && token_ok;
    if (probe_path(url))
        return;
    if (!host_ok) { /* DNS rebinding: a name of the attacker's that resolves to us */
        cc->refuse = 421;
        cc->refuse_msg = "the Host header names no address of this server (see --http-host)";
    } else if (!origin_ok) { /* a page of another site */
        cc->refuse = 403;
        cc->refuse_msg = "cross-origin requests are refused";
    } else if (!token_ok && !(h->metrics_public && !strcmp(url, "/metrics")) &&
               !sd_ui_public(url, method)) { /* the inspector's files: ui_routes.h */
        cc->refuse = 401;
        cc->refuse_msg = "missing or wrong bearer token";
    } else if (!strcmp(method, "POST")) { /* a form or a no-cors fetch cannot send JSON */
        bool yaml = !strcmp(url, "/table/reload") || !strcmp(url, "/table/validate");
        int ct = sd_guard_content_type(header(c, MHD_HTTP_HEADER_CONTENT_TYPE), yaml);
        cc->needs_empty = ct == 0;
        if (ct < 0) {
            cc->refuse = 415;
            cc->refuse_msg = yaml ? "the body must be application/json or application/yaml"
                                  : "the body must be application/json";
        }
    }
}

typedef enum { HAND_DONE, HAND_REFUSED, HAND_ABANDONED } hand_result;

/* Queue the item and wait for the loop. DONE: the response is filled; REFUSED: never queued
 * (the caller frees it); ABANDONED: timed out or closing (the item is no longer ours). */
static hand_result hand_to_loop(sd_http *h, sd_item *it)
{
    pthread_mutex_lock(&h->mu);
    if (h->closing || h->qlen >= h->queue_max) {
        pthread_mutex_unlock(&h->mu);
        return HAND_REFUSED;
    }
    if (h->tail)
        h->tail->next = it;
    else
        h->head = it;
    h->tail = it;
    h->qlen++;
    pthread_mutex_unlock(&h->mu);
    uv_async_send(&h->async);

    struct timespec until;
    sc_cond_deadline(&until, h->timeout_ms);
    pthread_mutex_lock(&h->mu);
    while (!it->done && !h->closing)
        if (pthread_cond_timedwait(&h->cv, &h->mu, &until) == ETIMEDOUT)
            break;
    bool done = it->done;
    if (!done)
        it->abandoned = true; /* the loop (or the drain at close) frees it */
    pthread_mutex_unlock(&h->mu);
    return done ? HAND_DONE : HAND_ABANDONED;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    sd_http *h = cls;
    sd_conn *cc = *con_cls;
    if (!cc) { /* the headers are in: decide now, answer once the body is read (and dropped) */
        cc = calloc(1, sizeof *cc);
        if (!cc)
            return MHD_NO;
        *con_cls = cc;
        const char *busy = sd_conns_request(h->conns, c, probe_path(url));
        screen(h, c, url, method, cc);
        if (!cc->refuse && !busy && (!strcmp(url, "/events") || !strcmp(url, "/events/cluster")) &&
            (!strcmp(method, "GET") || !strcmp(method, "HEAD")))
            busy = sd_conns_stream(h->conns, c); /* streams are counted apart */
        if (!cc->refuse && busy) { /* answered now, its body unread: a body that never comes holds nothing */
            sc_log(h->logger, SC_LOG_DEBUG, "http", "%s %s -> 503 (%s)", method, url, busy);
            char *b = NULL;
            if (asprintf(&b, "{\"error\":\"%s\"}\n", busy) < 0)
                b = NULL;
            return respond_hdr(c, 503, b, "application/json", MHD_HTTP_HEADER_CONNECTION, "close");
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (cc->refuse) {
            /* not kept: the request is refused */
        } else if (!cc->too_big && cc->len + *upload_size <= SD_HTTP_BODY_MAX) {
            char *nb = realloc(cc->body, cc->len + *upload_size + 1);
            if (!nb) {
                cc->too_big = true;
            } else {
                memcpy(nb + cc->len, upload, *upload_size);
                cc->body = nb;
                cc->len += *upload_size;
                nb[cc->len] = '\0';
            }
        } else {
            cc->too_big = true;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    sd_conns_body_done(h->conns, c);
    if (!cc->refuse && cc->needs_empty && (cc->len || cc->too_big)) {
        cc->refuse = 415;
        cc->refuse_msg = "a POST with a body needs Content-Type: application/json";
    }
    if (cc->refuse) { /* nothing of it ran */
        sc_log(h->logger, SC_LOG_DEBUG, "http", "%s %s -> %d (%s)", method, url, cc->refuse, cc->refuse_msg);
        char *b = error_body(cc->refuse_msg);
        if (cc->refuse == 401)
            return respond_hdr(c, 401, b, "application/json", MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                               "Bearer realm=\"sessiond\"");
        return respond(c, cc->refuse, b, "application/json");
    }
    if (cc->too_big)
        return respond_error(c, 413, "request body too large (limit 65536 bytes)");
    /* DELETE: only DELETE /sessions/{id}; a page of another site cannot send it without a
     * CORS preflight, which we never grant */
    bool del = !strcmp(method, "DELETE") && !strncmp(url, "/sessions/", 10);
    if (strcmp(method, "GET") && strcmp(method, "POST") && strcmp(method, "HEAD") && !del)
        return respond_error(c, 405, "method not allowed");
    int uret = MHD_NO;
    if (sd_ui_handle(c, url, method, &uret)) /* GET /ui, /ui/...: ui_routes.c */
        return (enum MHD_Result)uret;
    if (!strcmp(url, "/livez")) {
        uint64_t last = atomic_load(&h->heartbeat_ms);
        uint64_t now = mono_ms();
        char *b = NULL;
        bool ok = last && now - last < SD_LIVEZ_STALE_MS;
        if (asprintf(&b, "{\"status\":\"%s\",\"heartbeat_age_ms\":%llu}\n", ok ? "ok" : "stalled",
                     (unsigned long long)(last ? now - last : 0)) < 0)
            b = NULL;
        return respond(c, ok ? 200 : 503, b, "application/json");
    }
    int dret = MHD_NO;
    if (h->direct && h->direct(h->direct_ud, c, url, method, cc->authorized, &dret))
        return (enum MHD_Result)dret;
    if (h->nodes && !strcmp(url, "/cluster")) {
        if (strcmp(method, "GET"))
            return respond_error(c, 405, "use GET /cluster");
        json_t *j = h->nodes(h->cluster_ud);
        char *b = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!b)
            return respond_error(c, 503, "the store did not answer");
        return respond(c, 200, b, "application/json");
    }

    sd_item *it = calloc(1, sizeof *it);
    if (!it)
        return MHD_NO;
    snprintf(it->req.method, sizeof it->req.method, "%s", strcmp(method, "HEAD") ? method : "GET");
    it->req.path = strdup(url);
    it->req.q_format = dup_arg(c, "format");
    it->req.q_session = dup_arg(c, "session");
    it->req.q_ms = dup_arg(c, "ms");
    it->req.q_state = dup_arg(c, "state");
    it->req.q_role = dup_arg(c, "role");
    it->req.q_live = dup_arg(c, "live");
    it->req.q_limit = dup_arg(c, "limit");
    it->req.q_after = dup_arg(c, "after");
    const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    it->req.h_accept = acc ? strdup(acc) : NULL;
    it->req.body = cc->body ? cc->body : strdup("");
    it->req.body_len = cc->len;
    cc->body = NULL;
    if (!it->req.path || !it->req.body) {
        item_free(it);
        return MHD_NO;
    }
    hand_result hr = hand_to_loop(h, it);
    if (hr == HAND_ABANDONED)
        return respond_error(c, 503, "the server did not answer in time or is shutting down");
    if (hr == HAND_REFUSED) {
        item_free(it);
        return respond_error(c, 503, "overloaded or shutting down");
    }
    if (it->req.finish) { /* the part that runs off the loop (a store read): on this thread */
        void *fud = it->req.finish_ud;
        it->req.finish_ud = NULL;
        it->req.finish(&it->req, fud, h->timeout_ms);
    }
    if (!it->req.status) { /* a handler that answered nothing: a JSON 500, never an empty body */
        item_free(it);
        return respond_error(c, 500, "the request was not answered");
    }
    enum MHD_Result rret;
    if (it->req.status == 404 && h->redirect && cluster_redirect(h, c, url, &rret)) {
        item_free(it);
        return rret;
    }
    char *resp = it->req.resp;
    it->req.resp = NULL;
    int status = it->req.status;
    const char *ctype = it->req.content_type;
    char *link = it->req.resp_link;
    it->req.resp_link = NULL;
    item_free(it);
    enum MHD_Result ret = respond_hdr(c, status, resp, ctype, link ? "Link" : NULL, link);
    free(link);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    sd_http *h = cls;
    sd_conns_completed(h->conns, c); /* idle again: the next request's headers deadline */
    sd_conn *cc = *con_cls;
    if (cc) {
        free(cc->body);
        free(cc);
        *con_cls = NULL;
    }
}

/* Loop side: take every queued item, run the handler, hand the answer back. */
static void on_async(uv_async_t *a)
{
    sd_http *h = a->data;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        sd_item *it = h->head;
        if (it) {
            h->head = it->next;
            if (!h->head)
                h->tail = NULL;
            h->qlen--;
            it->next = NULL;
            it->started = true;
        }
        bool skip = it && it->abandoned;
        pthread_mutex_unlock(&h->mu);
        if (!it)
            return;
        if (skip) { /* the client already got its 503: do not execute a late command */
            item_free(it);
            continue;
        }
        h->handler(h->ud, &it->req);
        pthread_mutex_lock(&h->mu);
        bool abandoned = it->abandoned;
        it->done = true;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        if (abandoned)
            item_free(it);
    }
}

void sd_http_reply_json(sd_http_req *req, int status, json_t *body)
{
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    req->status = status;
    req->content_type = SD_HTTP_CT_JSON;
    if (!s || asprintf(&req->resp, "%s\n", s) < 0) {
        req->status = 500;
        req->resp = strdup("{\"error\":\"out of memory\"}\n");
    }
    free(s);
}

void sd_http_reply_error(sd_http_req *req, int status, const char *msg)
{
    sd_http_reply_json(req, status, json_pack("{s:s}", "error", msg));
}

void sd_http_heartbeat(sd_http *h)
{
    if (h)
        atomic_store(&h->heartbeat_ms, mono_ms());
}

int sd_http_listen(const char *addr, bool require_loopback, int *fd_out)
{
    char host[128], port[8];
    uint16_t p;
    if (sd_split_hostport(addr, host, sizeof host, &p))
        return -EINVAL;
    snprintf(port, sizeof port, "%u", p);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) || !res)
        return -EADDRNOTAVAIL;
    int rc = 0, fd = -1, one = 1;
    if (require_loopback && !sd_sockaddr_is_loopback(res->ai_addr)) /* resolved otherwise since the check */
        rc = -EPERM;
    else if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        rc = -errno;
    /* SO_REUSEADDR lets a restart bind over connections in TIME_WAIT; on Linux it never lets
     * a second socket listen on the address (SO_REUSEPORT would, and is not set). */
    else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
             (res->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one)) ||
             bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, SOMAXCONN))
        rc = -errno;
    freeaddrinfo(res);
    if (rc) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    *fd_out = fd;
    return 0;
}

static void on_async_closed(uv_handle_t *hd)
{
    sd_http *h = hd->data;
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    sd_conns_free(h->conns); /* NULL after sd_http_free; here when the server never started */
    sd_guard_free(&h->guard);
    free(h);
}

int sd_http_new(sd_http **out, const sd_http_config *cfg)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int rc;
    sd_http *h = NULL;
    if (getsockname(cfg->listen_fd, (struct sockaddr *)&ss, &sl) != 0 || !(h = calloc(1, sizeof *h))) {
        rc = h ? -errno : -ENOMEM;
        close(cfg->listen_fd);
        return rc;
    }
    h->loop = cfg->loop;
    h->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 5000;
    h->queue_max = cfg->queue_max ? cfg->queue_max : 256;
    h->handler = cfg->handler;
    h->ud = cfg->ud;
    h->direct = cfg->direct;
    h->direct_ud = cfg->direct_ud;
    h->redirect = cfg->redirect;
    h->nodes = cfg->nodes;
    h->cluster_ud = cfg->cluster_ud;
    h->logger = cfg->logger;
    char host[128];
    uint16_t port = 0;
    if (sd_split_hostport(cfg->addr, host, sizeof host, &port) ||
        sd_guard_init(&h->guard, (struct sockaddr *)&ss, host, port, cfg->hosts, cfg->nhosts, cfg->token)) {
        free(h);
        close(cfg->listen_fd);
        return -ENOMEM;
    }
    h->metrics_public = cfg->metrics_public;
    h->limits = cfg->limits;
    if ((rc = sd_conns_new(&h->conns, &h->limits, cfg->logger)) != 0) {
        sd_guard_free(&h->guard);
        free(h);
        close(cfg->listen_fd);
        return rc;
    }
    sc_cond_init_monotonic(&h->cv);
    pthread_mutex_init(&h->mu, NULL);
    atomic_store(&h->heartbeat_ms, mono_ms());
    if ((rc = uv_async_init(cfg->loop, &h->async, on_async)) != 0) {
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        sd_conns_free(h->conns);
        sd_guard_free(&h->guard);
        free(h);
        close(cfg->listen_fd);
        return rc;
    }
    h->async.data = h;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd,
                              MHD_OPTION_CONNECTION_LIMIT, sd_conns_hard_limit(&h->limits),
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                              MHD_OPTION_NOTIFY_CONNECTION, sd_conns_notify, h->conns, MHD_OPTION_END);
    if (!h->mhd) { /* (whether libmicrohttpd closed the socket is not said: left as is) */
        rc = errno ? -errno : -ENOMEM;
        uv_close((uv_handle_t *)&h->async, on_async_closed);
        return rc;
    }
    *out = h;
    return 0;
}

void sd_http_free(sd_http *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->closing = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    MHD_stop_daemon(h->mhd); /* joins the HTTP threads: each waiter gave up on `closing` */
    sd_conns_free(h->conns);
    h->conns = NULL;
    pthread_mutex_lock(&h->mu);
    sd_item *it = h->head;
    h->head = h->tail = NULL;
    h->qlen = 0;
    pthread_mutex_unlock(&h->mu);
    while (it) {
        sd_item *next = it->next;
        item_free(it); /* all abandoned by now */
        it = next;
    }
    uv_close((uv_handle_t *)&h->async, on_async_closed);
}
