/* curl_uv: libcurl's multi interface on the libuv loop: libcurl says which sockets to watch
 * (socket callback -> one uv_poll each) and when to call it back (timer callback -> one
 * uv_timer); the loop's readiness goes back through curl_multi_socket_action, and finished
 * transfers are collected with curl_multi_info_read. Nothing here blocks the loop (names are
 * resolved by libcurl's threaded resolver). */
#include "coord/curl_uv.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct sc_http {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    sc_http_req *reqs; /* in flight, doubly linked */
    size_t nreqs;
    unsigned handles; /* uv handles open (the timer and polls): freed when 0 after free */
    bool freeing;
};

struct sc_http_req {
    sc_http *h;
    CURL *easy;
    struct curl_slist *headers;
    sc_http_done_fn done;
    void *ud;
    char *body; /* the answer, NUL-terminated */
    size_t len;
    bool too_big;
    char errbuf[CURL_ERROR_SIZE];
    sc_http_req *prev, *next;
};

typedef struct sock_ctx { /* one socket libcurl asked us to watch */
    uv_poll_t poll;
    sc_http *h;
    curl_socket_t fd;
} sock_ctx;

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void) { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static void handle_closed(uv_handle_t *hd)
{
    sc_http *h;
    if (hd->type == UV_POLL) {
        sock_ctx *s = hd->data;
        h = s->h;
        free(s);
    } else {
        h = hd->data;
    }
    if (--h->handles == 0 && h->freeing)
        free(h);
}

static void req_unlink(sc_http_req *r)
{
    sc_http *h = r->h;
    if (r->prev)
        r->prev->next = r->next;
    else
        h->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    h->nreqs--;
}

static void req_free(sc_http_req *r)
{
    curl_multi_remove_handle(r->h->multi, r->easy);
    curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->body);
    free(r);
}

static int curl_err(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
    case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST: return -EHOSTUNREACH;
    case CURLE_WRITE_ERROR: return -EMSGSIZE; /* only our write callback refuses */
    default: return -EIO;
    }
}

/* Finished transfers: each one's callback, then its memory. */
static void collect(sc_http *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        sc_http_req *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (!r)
            continue;
        CURLcode rc = m->data.result;
        long status = 0;
        curl_off_t us = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME_T, &us);
        req_unlink(r);
        curl_multi_remove_handle(h->multi, r->easy);
        int err = rc == CURLE_OK ? 0 : r->too_big ? -EMSGSIZE : curl_err(rc);
        const char *why = rc == CURLE_OK ? ""
                          : r->too_big   ? "answer too large"
                          : r->errbuf[0] ? r->errbuf
                                         : curl_easy_strerror(rc);
        if (err)
            status = 0;
        r->done(r->ud, (int)status, err, why, r->body ? r->body : "", r->len, us > 0 ? (uint64_t)us : 0);
        req_free(r);
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    sock_ctx *s = p->data;
    sc_http *h = s->h;
    int flags = 0, running = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(h->multi, s->fd, flags, &running);
    collect(h);
}

static void on_timer(uv_timer_t *t)
{
    sc_http *h = t->data;
    int running = 0;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect(h);
}

/* libcurl: watch fd for what (or stop watching it). */
static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    sc_http *h = userp;
    sock_ctx *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, handle_closed);
            curl_multi_assign(h->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        if (!(s = calloc(1, sizeof *s)))
            return -1;
        s->h = h;
        s->fd = fd;
        if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        h->handles++;
        curl_multi_assign(h->multi, fd, s);
    }
    int ev = (what == CURL_POLL_IN || what == CURL_POLL_INOUT ? UV_READABLE : 0) |
             (what == CURL_POLL_OUT || what == CURL_POLL_INOUT ? UV_WRITABLE : 0);
    uv_poll_start(&s->poll, ev, on_poll);
    return 0;
}

/* libcurl: call back in timeout_ms (-1: never). */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    sc_http *h = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&h->timer);
    else
        uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    sc_http_req *r = ud;
    size_t n = size * nmemb;
    if (r->len + n > SC_HTTP_BODY_MAX) {
        r->too_big = true;
        return 0; /* libcurl ends the transfer with CURLE_WRITE_ERROR */
    }
    char *b = realloc(r->body, r->len + n + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, data, n);
    r->len += n;
    b[r->len] = '\0';
    r->body = b;
    return n;
}

int sc_http_new(sc_http **out, uv_loop_t *loop)
{
    if (!out || !loop)
        return -EINVAL;
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return -EIO;
    sc_http *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    h->loop = loop;
    if (!(h->multi = curl_multi_init())) {
        free(h);
        return -ENOMEM;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    /* bounded: past this many connections to one host, requests wait for one (their timeout runs) */
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)SC_HTTP_HOST_CONNECTIONS);
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    h->handles = 1;
    *out = h;
    return 0;
}

void sc_http_free(sc_http *h)
{
    if (!h)
        return;
    while (h->reqs) {
        sc_http_req *r = h->reqs;
        req_unlink(r);
        req_free(r); /* removing the handle closes its sockets: socket_cb closes their polls */
    }
    curl_multi_cleanup(h->multi);
    h->freeing = true;
    uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->timer, handle_closed);
}

int sc_http_post(sc_http *h, const char *url, const char *const *headers, const char *body, size_t len,
                 uint32_t timeout_ms, sc_http_done_fn done, void *ud, sc_http_req **out)
{
    if (!h || !url || !done || (!body && len) || h->freeing)
        return -EINVAL;
    sc_http_req *r = calloc(1, sizeof *r);
    if (!r || !(r->easy = curl_easy_init())) {
        free(r);
        return -ENOMEM;
    }
    r->h = h;
    r->done = done;
    r->ud = ud;
    struct curl_slist *l = NULL;
    bool nomem = false;
    for (size_t i = 0; headers && headers[i] && !nomem; i++) {
        struct curl_slist *n = curl_slist_append(l, headers[i]);
        nomem = !n;
        l = n ? n : l;
    }
    r->headers = l;
    CURL *e = r->easy;
    CURLcode rc = CURLE_OK;
    if (nomem)
        rc = CURLE_OUT_OF_MEMORY;
#define SET(opt, val) (rc = rc == CURLE_OK ? curl_easy_setopt(e, opt, val) : rc)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_HTTPHEADER, r->headers);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    SET(CURLOPT_COPYPOSTFIELDS, body ? body : "");
    SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, r);
    SET(CURLOPT_ERRORBUFFER, r->errbuf);
    SET(CURLOPT_PRIVATE, r);
#undef SET
    if (rc != CURLE_OK || curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        curl_slist_free_all(r->headers);
        free(r);
        return rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
    }
    r->next = h->reqs;
    if (h->reqs)
        h->reqs->prev = r;
    h->reqs = r;
    h->nreqs++;
    if (out)
        *out = r;
    return 0;
}

void sc_http_cancel(sc_http_req *r)
{
    if (!r)
        return;
    req_unlink(r);
    req_free(r);
}

size_t sc_http_pending(const sc_http *h) { return h ? h->nreqs : 0; }
