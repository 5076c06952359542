/* resolve: where a SIP URI's requests go (RFC 3263 section 4): NAPTR -> SRV -> A/AAAA with
 * c-ares, driven by the agent's libuv loop (a uv_poll for each socket c-ares opens, one
 * uv_timer for its timeouts), behind a bounded cache that honours the answers' TTLs (dns.c).
 * An IP literal needs no lookup; an explicit port skips NAPTR and SRV (A/AAAA only); a
 * ";transport=" skips NAPTR and picks the SRV service (_sip._udp or _sip._tcp). sip: and sips: over
 * UDP, TCP and TLS (NAPTR services SIP+D2U, SIP+D2T and SIPS+D2T; sips: URIs TLS only, their SRV
 * _sips._tcp). Nothing here blocks. */
#include <ares.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/dns.h"
#include "sip/sip_int.h"
#include "sip/tls.h"

#define T_A_ 1
#define T_AAAA_ 28
#define T_SRV_ 33
#define T_NAPTR_ 35
#define DNS_CACHE_CAP 1024
#define DNS_NEGATIVE_TTL_MS 30000u /* no such name / no records: kept this long */
#define MAX_SETS 4                 /* SRV names looked up (NAPTR results or _sip._udp/_tcp) */
#define MAX_SRV 16                 /* records kept per SRV name */
#define MAX_HOSTS 16               /* SRV targets resolved */
#define MAX_ADDRS 8                /* addresses kept per host and family */

typedef struct dns_naptr { /* a usable NAPTR record, as cached */
    uint16_t order, pref;
    uint8_t tp; /* sc_sip_transport */
    char repl[SIP_DNS_NAME_MAX];
} dns_naptr;

typedef struct dns_poll {
    sip_link link; /* in dns->polls */
    uv_poll_t h;
    ares_socket_t fd;
    struct sip_dns *dns;
} dns_poll;

struct sip_dns {
    sc_sip *sip;
    ares_channel ch;
    uv_timer_t timer;
    sip_link polls; /* dns_poll */
    sip_link reqs;  /* sip_resolve in flight */
    sip_dns_cache *cache;
    bool closing;
};

enum { ST_NAPTR, ST_SRV, ST_ADDR };

struct sip_resolve {
    sip_link link; /* in dns->reqs once asynchronous */
    struct sip_dns *dns;
    sip_resolve_cb cb;
    void *ud;
    bool sync;      /* inside sip_resolve_uri: results stay in res */
    bool done;      /* finished while sync */
    bool cancelled; /* no callback; freed when no query is left */
    unsigned pending;
    int stage;
    char host[SIP_DNS_NAME_MAX];
    uint16_t port;   /* explicit, or 0 */
    int tp;          /* the URI's ;transport, or -1 */
    bool nx;         /* the host does not exist */
    bool timeout;    /* a lookup got no answer (or a server failure) */
    int fail_status; /* its c-ares status */
    struct {
        sc_sip_transport tp;
        char name[SIP_DNS_NAME_MAX];
        sip_srv srv[MAX_SRV];
        size_t n;
    } sets[MAX_SETS];
    size_t nsets;
    struct {
        char name[SIP_DNS_NAME_MAX];
        uint16_t port;
        sc_sip_transport tp;
        struct sockaddr_storage a[2 * MAX_ADDRS];
        size_t na;
    } hosts[MAX_HOSTS];
    size_t nhosts;
    dns_naptr naptr[MAX_SETS];
    size_t nnaptr;
    sip_resolved res;
};

typedef struct dns_q { /* one query on the wire */
    sip_resolve *r;
    int type;
    size_t slot; /* set or host index */
    char name[SIP_DNS_NAME_MAX];
} dns_q;

static void advance(sip_resolve *r);
static void on_timer(uv_timer_t *h);

/* ---- c-ares on the loop ------------------------------------------------------------------- */

static void arm_timer(struct sip_dns *dns)
{
    struct timeval tv, *t = ares_timeout(dns->ch, NULL, &tv);
    if (!t) {
        uv_timer_stop(&dns->timer);
        return;
    }
    uint64_t ms = (uint64_t)t->tv_sec * 1000u + (uint64_t)t->tv_usec / 1000u + 1u;
    uv_timer_start(&dns->timer, on_timer, ms, 0);
}

static void on_timer(uv_timer_t *h)
{
    struct sip_dns *dns = h->data;
    sip_enter(dns->sip);
    ares_process_fd(dns->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    if (!dns->closing)
        arm_timer(dns);
    sip_leave(dns->sip);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    dns_poll *p = h->data;
    struct sip_dns *dns = p->dns;
    ares_socket_t fd = p->fd, rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;
    if (status < 0 || (events & UV_READABLE))
        rfd = fd;
    if (status < 0 || (events & UV_WRITABLE))
        wfd = fd;
    sip_enter(dns->sip);
    ares_process_fd(dns->ch, rfd, wfd); /* may close p (sock_state) */
    if (!dns->closing)
        arm_timer(dns);
    sip_leave(dns->sip);
}

static void timer_closed(uv_handle_t *h) { sip_handle_released(((struct sip_dns *)h->data)->sip); }

static void poll_closed(uv_handle_t *h)
{
    dns_poll *p = h->data;
    sc_sip *sip = p->dns->sip;
    free(p);
    sip_handle_released(sip);
}

static void close_poll(dns_poll *p)
{
    sip_list_del(&p->link);
    uv_poll_stop(&p->h);
    uv_close((uv_handle_t *)&p->h, poll_closed);
}

/* c-ares opens, watches or closes a socket. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct sip_dns *dns = data;
    dns_poll *p = NULL;
    for (sip_link *l = dns->polls.next; l != &dns->polls; l = l->next)
        if (SIP_CONTAINER(l, dns_poll, link)->fd == fd) {
            p = SIP_CONTAINER(l, dns_poll, link);
            break;
        }
    if (!readable && !writable) {
        if (p)
            close_poll(p);
        return;
    }
    if (!p) {
        if (dns->closing || !(p = calloc(1, sizeof *p)))
            return;
        if (uv_poll_init_socket(dns->sip->loop, &p->h, fd) != 0) {
            free(p);
            return;
        }
        p->fd = fd;
        p->dns = dns;
        p->h.data = p;
        dns->sip->open_handles++;
        sip_list_add(&dns->polls, &p->link);
    }
    uv_poll_start(&p->h, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), on_poll);
}

/* The resolver, made at the first name to look up: -EINVAL (bad dns_servers), -ENOMEM, ... */
static int dns_get(sc_sip *sip, struct sip_dns **out)
{
    if (sip->dns) {
        *out = sip->dns;
        return 0;
    }
    struct sip_dns *dns = calloc(1, sizeof *dns);
    if (!dns || !(dns->cache = sip_dns_cache_new(DNS_CACHE_CAP))) {
        free(dns);
        return -ENOMEM;
    }
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        sip_dns_cache_free(dns->cache);
        free(dns);
        return -ENOMEM;
    }
    struct ares_options o;
    memset(&o, 0, sizeof o);
    o.sock_state_cb = sock_state;
    o.sock_state_cb_data = dns;
    o.timeout = 2000; /* ms per try */
    o.tries = 2;
    int rc = ares_init_options(&dns->ch, &o, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc == ARES_SUCCESS && sip->dns_servers &&
        ares_set_servers_ports_csv(dns->ch, sip->dns_servers) != ARES_SUCCESS) {
        ares_destroy(dns->ch);
        rc = ARES_EBADSTR;
    }
    if (rc != ARES_SUCCESS) {
        sc_log(sip->cfg.logger, SC_LOG_ERROR, SIP_MODULE, "DNS resolver: %s", ares_strerror(rc));
        ares_library_cleanup();
        sip_dns_cache_free(dns->cache);
        free(dns);
        return rc == ARES_EBADSTR ? -EINVAL : -ENOMEM;
    }
    uv_timer_init(sip->loop, &dns->timer);
    dns->timer.data = dns;
    sip->open_handles++;
    dns->sip = sip;
    sip_list_init(&dns->polls);
    sip_list_init(&dns->reqs);
    sip->dns = dns;
    *out = dns;
    return 0;
}

void sip_resolve_close(sc_sip *sip)
{
    struct sip_dns *dns = sip->dns;
    if (!dns || dns->closing)
        return;
    dns->closing = true;
    for (sip_link *l = dns->reqs.next; l != &dns->reqs; l = l->next)
        SIP_CONTAINER(l, sip_resolve, link)->cancelled = true;
    ares_destroy(dns->ch); /* every query answers ARES_EDESTRUCTION; sockets are closed */
    ares_library_cleanup();
    while (!sip_list_empty(&dns->polls))
        close_poll(SIP_CONTAINER(dns->polls.next, dns_poll, link));
    uv_timer_stop(&dns->timer);
    uv_close((uv_handle_t *)&dns->timer, timer_closed);
}

void sip_resolve_free(sc_sip *sip)
{
    struct sip_dns *dns = sip->dns;
    if (!dns)
        return;
    while (!sip_list_empty(&dns->reqs)) { /* cancelled, left with no query */
        sip_resolve *r = SIP_CONTAINER(dns->reqs.next, sip_resolve, link);
        sip_list_del(&r->link);
        free(r);
    }
    sip_dns_cache_free(dns->cache);
    free(dns);
    sip->dns = NULL;
}

/* ---- answers -------------------------------------------------------------------------------- */

static const char *status_text(int st)
{
    switch (st) {
    case ARES_ENOTFOUND: return "no such name";
    case ARES_ENODATA: return "no records";
    case ARES_ETIMEOUT: return "no answer from the DNS server";
    case ARES_ESERVFAIL: return "server failure";
    case ARES_EREFUSED: return "refused by the DNS server";
    case ARES_ECONNREFUSED: return "DNS server unreachable";
    default: return ares_strerror(st);
    }
}

static bool usable_naptr(const struct ares_naptr_reply *n, dns_naptr *out)
{
    if (!n->flags || strcasecmp((const char *)n->flags, "s") != 0 || !n->service || !n->replacement ||
        strlen(n->replacement) >= sizeof out->repl)
        return false;
    if (strcasecmp((const char *)n->service, "SIP+D2U") == 0)
        out->tp = SC_SIP_UDP;
    else if (strcasecmp((const char *)n->service, "SIP+D2T") == 0)
        out->tp = SC_SIP_TCP;
    else if (strcasecmp((const char *)n->service, "SIPS+D2T") == 0)
        out->tp = SC_SIP_TLS;
    else
        return false; /* SIP+D2S, SIPS+D2S...: not ours */
    out->order = n->order;
    out->pref = n->preference;
    strcpy(out->repl, n->replacement);
    return true;
}

/* The records of one answer, in the form the cache keeps: *data malloc'd (or NULL), *len. */
static int parse_answer(int type, const unsigned char *abuf, int alen, void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (type == T_NAPTR_) {
        struct ares_naptr_reply *list = NULL;
        int rc = ares_parse_naptr_reply(abuf, alen, &list);
        if (rc != ARES_SUCCESS)
            return rc;
        dns_naptr *v = calloc(MAX_SETS, sizeof *v);
        size_t n = 0;
        for (struct ares_naptr_reply *p = list; v && p && n < MAX_SETS; p = p->next)
            n += usable_naptr(p, &v[n]);
        ares_free_data(list);
        if (!v)
            return ARES_ENOMEM;
        *data = v;
        *len = n * sizeof *v;
        return n ? ARES_SUCCESS : ARES_ENODATA;
    }
    if (type == T_SRV_) {
        struct ares_srv_reply *list = NULL;
        int rc = ares_parse_srv_reply(abuf, alen, &list);
        if (rc != ARES_SUCCESS)
            return rc;
        sip_srv *v = calloc(MAX_SRV, sizeof *v);
        size_t n = 0;
        for (struct ares_srv_reply *p = list; v && p && n < MAX_SRV; p = p->next) {
            if (!p->host || strlen(p->host) >= sizeof v[n].target)
                continue;
            v[n].priority = p->priority;
            v[n].weight = p->weight;
            v[n].port = p->port;
            strcpy(v[n].target, p->host);
            n++;
        }
        ares_free_data(list);
        if (!v)
            return ARES_ENOMEM;
        *data = v;
        *len = n * sizeof *v;
        return n ? ARES_SUCCESS : ARES_ENODATA;
    }
    struct sockaddr_storage *v = calloc(MAX_ADDRS, sizeof *v);
    if (!v)
        return ARES_ENOMEM;
    int n = MAX_ADDRS, rc;
    if (type == T_A_) {
        struct ares_addrttl t[MAX_ADDRS];
        rc = ares_parse_a_reply(abuf, alen, NULL, t, &n);
        for (int i = 0; rc == ARES_SUCCESS && i < n; i++) {
            struct sockaddr_in *s = (struct sockaddr_in *)&v[i];
            s->sin_family = AF_INET;
            s->sin_addr = t[i].ipaddr;
        }
    } else {
        struct ares_addr6ttl t[MAX_ADDRS];
        rc = ares_parse_aaaa_reply(abuf, alen, NULL, t, &n);
        for (int i = 0; rc == ARES_SUCCESS && i < n; i++) {
            struct sockaddr_in6 *s = (struct sockaddr_in6 *)&v[i];
            s->sin6_family = AF_INET6;
            memcpy(&s->sin6_addr, &t[i].ip6addr, sizeof s->sin6_addr);
        }
    }
    if (rc != ARES_SUCCESS || n <= 0) {
        free(v);
        return rc != ARES_SUCCESS ? rc : ARES_ENODATA;
    }
    *data = v;
    *len = (size_t)n * sizeof *v;
    return ARES_SUCCESS;
}

static int by_naptr(const void *a, const void *b)
{
    const dns_naptr *x = a, *y = b;
    return x->order != y->order ? (int)x->order - (int)y->order : (int)x->pref - (int)y->pref;
}

static uint32_t rnd32(void *ud)
{
    (void)ud;
    char h[9];
    sc_random_hex(h, 8);
    return (uint32_t)strtoul(h, NULL, 16);
}

/* One lookup's result (from the wire or the cache) into r. */
static void got(sip_resolve *r, int type, size_t slot, const char *name, int status, const void *data, size_t len)
{
    if (status == ARES_ETIMEOUT || status == ARES_ECONNREFUSED || status == ARES_ESERVFAIL || status == ARES_EREFUSED) {
        r->timeout = true;
        r->fail_status = status;
    }
    if (status == ARES_ENOTFOUND && strcasecmp(name, r->host) == 0)
        r->nx = true;
    if (status == ARES_SUCCESS) {
        if (type == T_NAPTR_) {
            r->nnaptr = len / sizeof(dns_naptr);
            memcpy(r->naptr, data, r->nnaptr * sizeof(dns_naptr));
            qsort(r->naptr, r->nnaptr, sizeof r->naptr[0], by_naptr);
        } else if (type == T_SRV_ && slot < r->nsets) {
            r->sets[slot].n = len / sizeof(sip_srv);
            memcpy(r->sets[slot].srv, data, r->sets[slot].n * sizeof(sip_srv));
            sip_srv_order(r->sets[slot].srv, r->sets[slot].n, rnd32, NULL);
        } else if ((type == T_A_ || type == T_AAAA_) && slot < r->nhosts) {
            const struct sockaddr_storage *a = data;
            for (size_t i = 0; i < len / sizeof *a && r->hosts[slot].na < 2 * MAX_ADDRS; i++)
                r->hosts[slot].a[r->hosts[slot].na++] = a[i];
        }
    }
    if (--r->pending == 0 && !r->cancelled)
        advance(r);
}

/* A cancelled request goes once no query of it is left; while the resolver closes, its holders
 * may still cancel it, so it stays until sip_resolve_free. */
static void maybe_free(sip_resolve *r)
{
    if (r->cancelled && r->pending == 0 && !r->dns->closing) {
        sip_list_del(&r->link);
        free(r);
    }
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    dns_q *q = arg;
    sip_resolve *r = q->r;
    struct sip_dns *dns = r->dns;
    void *data = NULL;
    size_t len = 0;
    if (status == ARES_SUCCESS)
        status = parse_answer(q->type, abuf, alen, &data, &len);
    if (!dns->closing && (status == ARES_SUCCESS || status == ARES_ENOTFOUND || status == ARES_ENODATA)) {
        uint32_t ttl = 0;
        uint64_t ms = DNS_NEGATIVE_TTL_MS;
        if (status == ARES_SUCCESS)
            ms = sip_dns_min_ttl(abuf, (size_t)alen, q->type, &ttl) == 0 ? (uint64_t)ttl * 1000u : 0;
        sip_dns_cache_put(dns->cache, q->type, q->name, status, data, len, sip_now(dns->sip), ms);
    }
    if (r->cancelled) {
        r->pending--;
        maybe_free(r);
    } else {
        got(r, q->type, q->slot, q->name, status, data, len);
    }
    free(data);
    free(q);
}

/* Looks name up (type) for slot: from the cache at once, else on the wire. */
static void lookup(sip_resolve *r, int type, const char *name, size_t slot)
{
    struct sip_dns *dns = r->dns;
    r->pending++;
    int status;
    const void *data;
    size_t len;
    if (sip_dns_cache_get(dns->cache, type, name, sip_now(dns->sip), &status, &data, &len)) {
        got(r, type, slot, name, status, data, len);
        return;
    }
    dns_q *q = calloc(1, sizeof *q);
    if (!q || strlen(name) >= sizeof q->name) {
        free(q);
        got(r, type, slot, name, ARES_ENOMEM, NULL, 0);
        return;
    }
    q->r = r;
    q->type = type;
    q->slot = slot;
    strcpy(q->name, name);
    ares_query(dns->ch, name, 1 /* IN */, type, on_answer, q);
    if (!dns->closing)
        arm_timer(dns);
}

/* ---- the stages ------------------------------------------------------------------------------ */

static void finish(sip_resolve *r)
{
    sip_resolved *res = &r->res;
    res->n = 0;
    for (size_t h = 0; h < r->nhosts; h++)
        for (size_t i = 0; i < r->hosts[h].na && res->n < SIP_MAX_TARGETS; i++) {
            sip_target *t = &res->t[res->n++];
            t->tp = r->hosts[h].tp;
            t->addr = r->hosts[h].a[i];
            if (t->addr.ss_family == AF_INET)
                ((struct sockaddr_in *)&t->addr)->sin_port = htons(r->hosts[h].port);
            else
                ((struct sockaddr_in6 *)&t->addr)->sin6_port = htons(r->hosts[h].port);
            if (t->tp == SC_SIP_TLS) /* RFC 5922 4.1: the certificate names the URI's domain */
                sip_tls_note_name(r->dns->sip, &t->addr, r->host);
        }
    if (!res->n) {
        bool srv = false;
        for (size_t i = 0; i < r->nsets; i++)
            srv = srv || r->sets[i].n > 0;
        snprintf(res->why, sizeof res->why, "DNS: %.200s: %s", r->host,
                 r->nx        ? status_text(ARES_ENOTFOUND)
                 : r->timeout ? status_text(r->fail_status)
                 : srv        ? "no address for its SRV targets"
                              : "no address");
    }
    if (r->sync) {
        r->done = true;
        return;
    }
    sip_list_del(&r->link);
    sip_resolve_cb cb = r->cb;
    void *ud = r->ud;
    sip_resolved out = *res;
    free(r);
    cb(ud, &out);
}

static bool literal_addr(const char *host, uint16_t port, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    char h[64];
    size_t n = strlen(host);
    if (n >= sizeof h)
        return false;
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
    } else {
        memcpy(h, host, n + 1);
    }
    if (strcasecmp(h, "localhost") == 0)
        snprintf(h, sizeof h, "127.0.0.1");
    return uv_ip4_addr(h, port, (struct sockaddr_in *)out) == 0 ||
           (strchr(h, ':') && uv_ip6_addr(h, port, (struct sockaddr_in6 *)out) == 0);
}

/* The SRV targets (or the host itself) to find addresses for. */
static void address_stage(sip_resolve *r)
{
    r->stage = ST_ADDR;
    r->nhosts = 0;
    for (size_t s = 0; s < r->nsets; s++)
        for (size_t i = 0; i < r->sets[s].n && r->nhosts < MAX_HOSTS; i++) {
            const sip_srv *v = &r->sets[s].srv[i];
            if (!strcmp(v->target, ".") || !v->target[0])
                continue; /* RFC 2782: the service is decidedly not available there */
            snprintf(r->hosts[r->nhosts].name, sizeof r->hosts[0].name, "%s", v->target);
            r->hosts[r->nhosts].port = v->port;
            r->hosts[r->nhosts].tp = r->sets[s].tp;
            r->hosts[r->nhosts++].na = 0;
        }
    bool any_srv = false;
    for (size_t s = 0; s < r->nsets; s++)
        any_srv = any_srv || r->sets[s].n > 0;
    if (!r->nhosts && !any_srv) { /* no SRV: the host itself (RFC 3263 4.2) */
        snprintf(r->hosts[0].name, sizeof r->hosts[0].name, "%s", r->host);
        r->hosts[0].tp = r->tp >= 0 ? (sc_sip_transport)r->tp : SC_SIP_UDP;
        r->hosts[0].port = r->port ? r->port : r->hosts[0].tp == SC_SIP_TLS ? 5061 : 5060;
        r->hosts[0].na = 0;
        r->nhosts = 1;
    }
    r->pending++;
    for (size_t h = 0; h < r->nhosts; h++) {
        struct sockaddr_storage a;
        if (literal_addr(r->hosts[h].name, 0, &a)) {
            r->hosts[h].a[r->hosts[h].na++] = a;
            continue;
        }
        lookup(r, T_A_, r->hosts[h].name, h);
        lookup(r, T_AAAA_, r->hosts[h].name, h);
    }
    if (--r->pending == 0)
        advance(r);
}

static void add_set(sip_resolve *r, sc_sip_transport tp, const char *name)
{
    if (r->nsets >= MAX_SETS)
        return;
    r->sets[r->nsets].tp = tp;
    r->sets[r->nsets].n = 0;
    snprintf(r->sets[r->nsets].name, sizeof r->sets[0].name, "%s", name);
    r->nsets++;
}

static void add_default_set(sip_resolve *r, sc_sip_transport tp)
{
    char name[SIP_DNS_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s.%s",
             tp == SC_SIP_TLS   ? "_sips._tcp"
             : tp == SC_SIP_TCP ? "_sip._tcp"
                                : "_sip._udp",
             r->host);
    if (strlen(name) < SIP_DNS_NAME_MAX)
        add_set(r, tp, name);
}

static void srv_stage(sip_resolve *r)
{
    r->stage = ST_SRV;
    if (r->tp >= 0) {
        add_default_set(r, (sc_sip_transport)r->tp);
    } else if (r->nnaptr) {
        for (size_t i = 0; i < r->nnaptr; i++)
            add_set(r, (sc_sip_transport)r->naptr[i].tp, r->naptr[i].repl);
    } else { /* RFC 3263 4.1: no NAPTR: SRV for each transport we have, UDP first */
        add_default_set(r, SC_SIP_UDP);
        add_default_set(r, SC_SIP_TCP);
    }
    r->pending++;
    for (size_t i = 0; i < r->nsets; i++)
        lookup(r, T_SRV_, r->sets[i].name, i);
    if (--r->pending == 0)
        advance(r);
}

static void advance(sip_resolve *r)
{
    switch (r->stage) {
    case ST_NAPTR: /* even after NXDOMAIN: some servers answer so for a name with only SRV below it */
        srv_stage(r);
        break;
    case ST_SRV: address_stage(r); break;
    default: finish(r); break;
    }
}

/* ---- entry points ---------------------------------------------------------------------------- */

/* The host, explicit port and ;transport of a sip: or sips: URI (sips: TLS, RFC 5630). -EINVAL
 * (another scheme, no host, a transport we do not speak). */
static int parse_uri(const char *uri, char *host, size_t cap, uint16_t *port, int *tp)
{
    osip_uri_t *u = NULL;
    if (!uri || osip_uri_init(&u) != 0)
        return -ENOMEM;
    int rc = -EINVAL;
    if (osip_uri_parse(u, uri) == 0 && u->scheme &&
        (strcasecmp(u->scheme, "sip") == 0 || strcasecmp(u->scheme, "sips") == 0) && u->host && *u->host &&
        strlen(u->host) < cap) {
        rc = 0;
        snprintf(host, cap, "%s", u->host);
        long p = u->port && *u->port ? strtol(u->port, NULL, 10) : 0;
        if (p < 0 || p > 65535)
            rc = -EINVAL;
        *port = (uint16_t)p;
        *tp = -1;
        osip_uri_param_t *t = NULL;
        if (osip_uri_uparam_get_byname(u, "transport", &t) == 0 && t && t->gvalue) {
            if (strcasecmp(t->gvalue, "udp") == 0)
                *tp = SC_SIP_UDP;
            else if (strcasecmp(t->gvalue, "tcp") == 0)
                *tp = SC_SIP_TCP;
            else if (strcasecmp(t->gvalue, "tls") == 0)
                *tp = SC_SIP_TLS;
            else
                rc = -EINVAL;
        }
        if (strcasecmp(u->scheme, "sips") == 0)
            *tp = SC_SIP_TLS; /* whatever ;transport says */
    }
    osip_uri_free(u);
    return rc;
}

int sip_resolve_uri(sc_sip *sip, const char *uri, sip_resolved *now, sip_resolve_cb cb, void *ud, sip_resolve **out)
{
    char host[SIP_DNS_NAME_MAX];
    uint16_t port;
    int tp;
    int rc = parse_uri(uri, host, sizeof host, &port, &tp);
    if (rc != 0)
        return rc;
    memset(now, 0, sizeof *now);
    struct sockaddr_storage a;
    if (literal_addr(host, port ? port : tp == SC_SIP_TLS ? 5061 : 5060, &a)) { /* RFC 3263 4.2: no lookup */
        now->t[0].tp = tp >= 0 ? (sc_sip_transport)tp : SC_SIP_UDP;
        now->t[0].addr = a;
        now->n = 1;
        return 1;
    }
    struct sip_dns *dns;
    if ((rc = dns_get(sip, &dns)) != 0 || dns->closing) {
        snprintf(now->why, sizeof now->why, "DNS: %.200s: no resolver (%s)", host, sc_strerror(rc ? rc : -ECANCELED));
        return 1;
    }
    sip_resolve *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    r->dns = dns;
    r->cb = cb;
    r->ud = ud;
    r->tp = tp;
    r->port = port;
    snprintf(r->host, sizeof r->host, "%s", host);
    sip_list_init(&r->link);
    r->sync = true;
    r->pending++;
    if (port) { /* RFC 3263 4.2: an explicit port: A/AAAA only */
        r->stage = ST_SRV;
        address_stage(r);
    } else if (tp >= 0) { /* a transport: its SRV only */
        r->stage = ST_NAPTR;
        srv_stage(r);
    } else {
        r->stage = ST_NAPTR;
        lookup(r, T_NAPTR_, host, 0);
    }
    r->pending--;
    if (r->pending == 0 && !r->done)
        advance(r); /* everything came from the cache while we held it */
    r->sync = false;
    if (r->done) {
        *now = r->res;
        free(r);
        return 1;
    }
    sip_list_add(&dns->reqs, &r->link);
    if (out)
        *out = r;
    else /* nobody waits for it: the answers in flight still fill the cache */
        sip_resolve_cancel(r);
    return 0;
}

void sip_resolve_cancel(sip_resolve *r)
{
    if (!r || r->cancelled) /* cancelled twice: by its holder after the resolver closed */
        return;
    r->cancelled = true;
    maybe_free(r);
}
