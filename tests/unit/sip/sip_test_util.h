/* Shared helpers for the SIP unit tests: a loop runner with a deadline, a raw UDP peer on the
 * loop that records what it receives, and a send hook that captures outgoing messages. */
#ifndef SIP_TEST_UTIL_H
#define SIP_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "session_core/sip.h"

#define TU_MAX_MSGS 256

typedef struct tu_msgs {
    char *msg[TU_MAX_MSGS];
    size_t count;
    struct sockaddr_storage last_dst; /* where the last captured message was going */
} tu_msgs;

static inline void tu_msgs_add(tu_msgs *m, const char *data, size_t len)
{
    if (m->count >= TU_MAX_MSGS)
        return;
    char *s = malloc(len + 1);
    memcpy(s, data, len);
    s[len] = '\0';
    m->msg[m->count++] = s;
}

static inline void tu_msgs_clear(tu_msgs *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->msg[i]);
    m->count = 0;
}

/* Messages whose first line starts with prefix. */
static inline size_t tu_msgs_count(const tu_msgs *m, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < m->count; i++)
        if (strncmp(m->msg[i], prefix, strlen(prefix)) == 0)
            n++;
    return n;
}

static inline const char *tu_msgs_find(const tu_msgs *m, const char *prefix)
{
    for (size_t i = 0; i < m->count; i++)
        if (strncmp(m->msg[i], prefix, strlen(prefix)) == 0)
            return m->msg[i];
    return NULL;
}

/* Send hook: records and swallows. */
static inline bool tu_capture_hook(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data,
                                   size_t len)
{
    (void)tp;
    tu_msgs *m = ud;
    memset(&m->last_dst, 0, sizeof m->last_dst);
    memcpy(&m->last_dst, dst, dst->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    tu_msgs_add(m, data, len);
    return true;
}

static inline void tu_timeout_cb(uv_timer_t *t) { *(bool *)t->data = true; }

/* Runs loop until *flag (if given) becomes true or ms elapse. Returns *flag (or true). */
static inline bool tu_run(uv_loop_t *loop, const bool *flag, unsigned ms)
{
    uv_timer_t t;
    bool expired = false;
    uv_timer_init(loop, &t);
    t.data = &expired;
    uv_timer_start(&t, tu_timeout_cb, ms, 0);
    while (!expired && !(flag && *flag))
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return flag ? *flag : true;
}

/* Runs until pred(arg) or ms elapse. */
static inline bool tu_run_until(uv_loop_t *loop, bool (*pred)(void *), void *arg, unsigned ms)
{
    uv_timer_t t;
    bool expired = false;
    uv_timer_init(loop, &t);
    t.data = &expired;
    uv_timer_start(&t, tu_timeout_cb, ms, 0);
    while (!expired && !pred(arg))
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return pred(arg);
}

/* A raw UDP peer on the loop. */
typedef struct tu_peer {
    uv_udp_t h;
    struct sockaddr_storage addr;
    uint16_t port;
    tu_msgs got;
    int closed; /* set by the close callback */
    char buf[65536];
} tu_peer;

static inline void tu_peer_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    tu_peer *p = h->data;
    (void)hint;
    b->base = p->buf;
    b->len = sizeof p->buf;
}

static inline void tu_peer_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *src, unsigned fl)
{
    (void)src;
    (void)fl;
    if (n > 0)
        tu_msgs_add(&((tu_peer *)h->data)->got, b->base, (size_t)n);
}

static inline void tu_peer_open(tu_peer *p, uv_loop_t *loop)
{
    memset(p, 0, sizeof *p);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_udp_init(loop, &p->h), 0);
    p->h.data = p;
    assert_int_equal(uv_udp_bind(&p->h, (const struct sockaddr *)&a, 0), 0);
    int len = sizeof p->addr;
    uv_udp_getsockname(&p->h, (struct sockaddr *)&p->addr, &len);
    p->port = ntohs(((struct sockaddr_in *)&p->addr)->sin_port);
    uv_udp_recv_start(&p->h, tu_peer_alloc, tu_peer_recv);
}

static inline void tu_peer_send(tu_peer *p, const struct sockaddr_storage *dst, const char *msg)
{
    uv_buf_t b = uv_buf_init((char *)msg, (unsigned)strlen(msg));
    assert_true(uv_udp_try_send(&p->h, &b, 1, (const struct sockaddr *)dst) >= 0);
}

static inline void tu_peer_closed(uv_handle_t *h) { ((tu_peer *)h->data)->closed = 1; }

/* Closes the peer and waits for the close to complete, so a peer on the test's stack is never
 * touched by the loop after the test returns. */
static inline void tu_peer_close(tu_peer *p)
{
    p->h.data = p;
    p->closed = 0;
    uv_close((uv_handle_t *)&p->h, tu_peer_closed);
    while (!p->closed)
        uv_run(p->h.loop, UV_RUN_NOWAIT);
    tu_msgs_clear(&p->got);
}

/* Frees an agent and lets the loop close its handles; then checks the loop is empty. */
static inline void tu_free_sip(uv_loop_t *loop, sc_sip *sip)
{
    sc_sip_free(sip);
    uv_run(loop, UV_RUN_DEFAULT);
}

static inline uint16_t tu_port(sc_sip *sip, size_t idx)
{
    struct sockaddr_storage ss;
    assert_int_equal(sc_sip_listener_addr(sip, idx, &ss), 0);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* printf into a new string (free it). */
static inline char *tu_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

#endif
