/* SIP message helpers: header access, building requests and responses with the headers every
 * message carries, addresses from URIs and Via, reason phrases. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/msg_write.h"
#include "sip/sip_int.h"

static const char *const method_names[] = {
#define SC_SIP_METHOD_NAME(name) #name,
    SC_SIP_METHODS(SC_SIP_METHOD_NAME)
#undef SC_SIP_METHOD_NAME
};

static const char *const reject_names[] = {
#define SC_SIP_REJECT_NAME(name, text) #name,
    SC_SIP_REJECTS(SC_SIP_REJECT_NAME)
#undef SC_SIP_REJECT_NAME
};

const char *sc_sip_method_name(sc_sip_method m) { return (unsigned)m < SC_SIP_M__COUNT ? method_names[m] : "OTHER"; }

const char *sc_sip_reject_name(sc_sip_reject r) { return (unsigned)r < SC_SIP_REJ__COUNT ? reject_names[r] : "?"; }

sc_sip_method sip_method_of(const char *m)
{
    for (int i = 0; m && i < SC_SIP_M_OTHER; i++)
        if (strcmp(m, method_names[i]) == 0)
            return (sc_sip_method)i;
    return SC_SIP_M_OTHER;
}

const char *sip_reason(int code)
{
    switch (code) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 202: return "Accepted";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 415: return "Unsupported Media Type";
    case 420: return "Bad Extension";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 491: return "Request Pending";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    default: break;
    }
    if (code < 200)
        return "Session Progress";
    if (code < 300)
        return "OK";
    if (code < 400)
        return "Redirection";
    if (code < 500)
        return "Client Error";
    if (code < 600)
        return "Server Error";
    return "Global Failure";
}

/* Our own writer (msg_write.c) writes a message straight into the calling thread's reusable
 * block below, then only the used bytes are copied; what it leaves to osip goes as follows.
 * osip_message_to_str writes into a buffer of several KiB whatever the message's length (5 KB
 * for a 200, 8 KB for a BYE), and a transaction keeps its last message for 64*T1: only the
 * used bytes are kept. The big buffer itself comes from the calling thread's one reusable
 * block: a malloc of that size per message, among the hundreds of small ones osip makes, had
 * glibc consolidate its fast bins each time (docs/benchmarks.md, "CPS"). osip's allocators
 * (set once, process-wide, in core.c) are the C library's everywhere else: the block is lent
 * only while this thread is inside sip_msg_str, to the first request of its size. */
#define TO_STR_BLOCK 16384u

static _Thread_local struct {
    char *p;     /* TO_STR_BLOCK bytes, made on first use; never freed while the thread runs */
    bool lent;   /* held by the message being written */
    bool inside; /* this thread is in osip_message_to_str through sip_msg_str */
} to_str_buf;

static void *osip_alloc_hook(size_t n)
{
    if (to_str_buf.inside && !to_str_buf.lent && n >= 4096 && n <= TO_STR_BLOCK) {
        if (!to_str_buf.p && !(to_str_buf.p = malloc(TO_STR_BLOCK)))
            return malloc(n);
        to_str_buf.lent = true;
        return to_str_buf.p;
    }
    return malloc(n);
}

static void *osip_realloc_hook(void *p, size_t n)
{
    if (!p || p != to_str_buf.p || !to_str_buf.lent)
        return realloc(p, n);
    if (n <= TO_STR_BLOCK)
        return p;
    char *q = malloc(n); /* outgrew the block: a heap copy, the block back */
    if (q) {
        memcpy(q, p, TO_STR_BLOCK);
        to_str_buf.lent = false;
    }
    return q;
}

static void osip_free_hook(void *p)
{
    if (p && p == to_str_buf.p && to_str_buf.lent)
        to_str_buf.lent = false;
    else
        free(p);
}

void sip_msg_allocators(void) { osip_set_allocators(osip_alloc_hook, osip_realloc_hook, osip_free_hook); }

void sip_msg_thread_free(void)
{
    if (!to_str_buf.lent) {
        free(to_str_buf.p);
        to_str_buf.p = NULL;
    }
}

/* Our own writer (msg_write.c) into the thread's block, then an exact-size copy; false when
 * it cannot (osip's cached text, a message it does not reproduce or that outgrows the block). */
static bool msg_str_own(osip_message_t *msg, char **out, size_t *len)
{
    if (!msg || msg->message_property == 1 || to_str_buf.lent)
        return false; /* osip would hand back its cached text */
    if (!to_str_buf.p && !(to_str_buf.p = malloc(TO_STR_BLOCK)))
        return false;
    size_t n = 0;
    if (sip_msg_write(msg, to_str_buf.p, TO_STR_BLOCK, &n) != 0)
        return false;
    char *exact = malloc(n + 1);
    if (!exact)
        return false;
    memcpy(exact, to_str_buf.p, n);
    exact[n] = '\0';
    *out = exact;
    *len = n;
    return true;
}

int sip_msg_str(osip_message_t *msg, char **out, size_t *len)
{
    char *s = NULL;
    size_t n = 0;
    if (msg_str_own(msg, out, len))
        return 0;
    to_str_buf.inside = true;
    int rc = osip_message_to_str(msg, &s, &n);
    to_str_buf.inside = false;
    if (rc != 0 || !s) {
        to_str_buf.lent = false;
        return -ENOMEM;
    }
    if (s == to_str_buf.p && to_str_buf.lent) {
        char *exact = malloc(n + 1);
        if (!exact) {
            to_str_buf.lent = false;
            return -ENOMEM;
        }
        memcpy(exact, s, n);
        exact[n] = '\0';
        to_str_buf.lent = false;
        s = exact;
    } else {
        char *exact = realloc(s, n + 1);
        if (exact)
            s = exact;
    }
    *out = s;
    *len = n;
    return 0;
}

static const char *gparam(osip_list_t *params, const char *name)
{
    osip_generic_param_t *p = NULL;
    if (osip_generic_param_get_byname(params, (char *)name, &p) != 0 || !p)
        return NULL;
    return p->gvalue ? p->gvalue : "";
}

const char *sip_to_tag(const osip_message_t *msg) { return msg->to ? gparam(&msg->to->gen_params, "tag") : NULL; }

const char *sip_from_tag(const osip_message_t *msg) { return msg->from ? gparam(&msg->from->gen_params, "tag") : NULL; }

const char *sip_branch(const osip_message_t *msg)
{
    osip_via_t *via = osip_list_get(&msg->vias, 0);
    return via ? gparam(&via->via_params, "branch") : NULL;
}

const char *sip_header(const osip_message_t *msg, const char *name)
{
    osip_header_t *h = NULL;
    if (osip_message_header_get_byname(msg, name, 0, &h) < 0 || !h)
        return NULL;
    return h->hvalue ? h->hvalue : "";
}

static int fill_addr(const char *host, int port, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    if (!host || port <= 0 || port > 65535)
        return -EINVAL;
    char h[64];
    size_t n = strlen(host);
    if (n >= sizeof h)
        return -EINVAL;
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
    } else {
        memcpy(h, host, n + 1);
    }
    if (strcasecmp(h, "localhost") == 0)
        snprintf(h, sizeof h, "127.0.0.1");
    if (uv_ip4_addr(h, port, (struct sockaddr_in *)out) == 0)
        return 0;
    if (strchr(h, ':') && uv_ip6_addr(h, port, (struct sockaddr_in6 *)out) == 0)
        return 0;
    memset(out, 0, sizeof *out);
    return -EINVAL; /* no DNS: IP literals only */
}

int sip_uri_dest(const char *uri, sc_sip_transport *tp, struct sockaddr_storage *out)
{
    osip_uri_t *u = NULL;
    if (!uri || osip_uri_init(&u) != 0)
        return -ENOMEM;
    int rc = -EINVAL;
    bool parsed = osip_uri_parse(u, uri) == 0;
    bool sips = parsed && u->scheme && strcasecmp(u->scheme, "sips") == 0;
    if (parsed && u->scheme && (sips || strcasecmp(u->scheme, "sip") == 0) && u->host) {
        osip_uri_param_t *p = NULL;
        *tp = sips ? SC_SIP_TLS : SC_SIP_UDP; /* sips: TLS whatever ;transport says (RFC 5630) */
        if (!sips && osip_uri_uparam_get_byname(u, "transport", &p) == 0 && p && p->gvalue)
            *tp = !strcasecmp(p->gvalue, "tcp") ? SC_SIP_TCP : !strcasecmp(p->gvalue, "tls") ? SC_SIP_TLS : SC_SIP_UDP;
        int port = u->port && *u->port ? atoi(u->port) : *tp == SC_SIP_TLS ? 5061 : 5060;
        rc = fill_addr(u->host, port, out);
    }
    osip_uri_free(u);
    return rc;
}

int sip_addr_str(const struct sockaddr_storage *ss, char *host, size_t cap, uint16_t *port)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        *port = ntohs(a->sin_port);
        return uv_ip4_name(a, host, cap);
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        *port = ntohs(a->sin6_port);
        return uv_ip6_name(a, host, cap);
    }
    return -EINVAL;
}

int sip_via_dest(const osip_message_t *req, struct sockaddr_storage *out)
{
    osip_via_t *via = osip_list_get(&req->vias, 0);
    if (!via || !via->host)
        return -EINVAL;
    const char *host = gparam(&via->via_params, "received");
    if (!host || !*host)
        host = via->host;
    const char *rport = gparam(&via->via_params, "rport");
    int port = rport && *rport ? atoi(rport) : (via->port && *via->port ? atoi(via->port) : 5060);
    return fill_addr(host, port, out);
}

void sip_add_common(sc_sip *sip, osip_message_t *msg)
{
    osip_message_set_header(msg, "User-Agent", sip->user_agent);
    osip_message_set_header(msg, "Allow", sip->allow_register ? SIP_ALLOW ", REGISTER" : SIP_ALLOW);
    osip_message_set_header(msg, "Supported", sip_st_enabled(sip) ? SIP_SUPPORTED ", timer" : SIP_SUPPORTED);
}

osip_message_t *sip_response(sc_sip *sip, const osip_message_t *req, int code, const char *reason, const char *to_tag)
{
    osip_message_t *r = NULL;
    if (!req->from || !req->to || !req->call_id || !req->cseq || osip_message_init(&r) != 0)
        return NULL;
    osip_message_set_version(r, osip_strdup("SIP/2.0"));
    osip_message_set_status_code(r, code);
    osip_message_set_reason_phrase(r, osip_strdup(reason && *reason ? reason : sip_reason(code)));
    bool ok = true;
    for (int i = 0; ok && i < osip_list_size(&req->vias); i++) {
        osip_via_t *c = NULL;
        ok = osip_via_clone(osip_list_get(&req->vias, i), &c) == 0 && osip_list_add(&r->vias, c, -1) >= 0;
    }
    ok = ok && osip_from_clone(req->from, &r->from) == 0 && osip_to_clone(req->to, &r->to) == 0 &&
         osip_call_id_clone(req->call_id, &r->call_id) == 0 && osip_cseq_clone(req->cseq, &r->cseq) == 0;
    if (ok && to_tag && *to_tag && code > 100 && !sip_to_tag(r))
        osip_to_set_tag(r->to, osip_strdup(to_tag));
    if (!ok) {
        osip_message_free(r);
        return NULL;
    }
    sip_add_common(sip, r);
    return r;
}

int sip_set_body(osip_message_t *msg, const char *content_type, const char *body)
{
    if (!body || !*body)
        return 0;
    if (osip_message_set_content_type(msg, content_type ? content_type : "application/sdp") != 0 ||
        osip_message_set_body(msg, body, strlen(body)) != 0)
        return -ENOMEM;
    return 0;
}

int sip_contact(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *peer, char *out, size_t cap)
{
    sip_listener *l = sip_listener_for(sip, tp, peer->ss_family == AF_INET6 ? AF_INET6 : AF_INET);
    if (!l)
        return -ENOENT;
    char host[64];
    sip_host_for(l, peer, host, sizeof host);
    bool v6 = strchr(host, ':') != NULL;
    int n = snprintf(out, cap, "<sip:%s%s%s:%u%s>", v6 ? "[" : "", host, v6 ? "]" : "", l->port,
                     tp == SC_SIP_TCP   ? ";transport=tcp"
                     : tp == SC_SIP_TLS ? ";transport=tls"
                                        : "");
    return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

int sip_contact_for(sc_sip *sip, const sip_dialog *d, sc_sip_transport tp, char *out, size_t cap)
{
    int rc = sip_contact(sip, tp, SIP_SS(&d->remote_addr), out, cap);
    char *t = strstr(out, ";transport=tls>");
    if (rc != 0 || !d->secure || tp != SC_SIP_TLS || !t || strncmp(out, "<sip:", 5) != 0)
        return rc;
    size_t n = strlen(out);
    if (n + 2 > cap)
        return -ENOSPC;
    memmove(t, t + 14, strlen(t + 14) + 1);         /* ";transport=tls" goes: sips is TLS */
    memmove(out + 5, out + 4, strlen(out + 4) + 1); /* "<sip:" -> "<sips:" */
    out[4] = 's';
    return 0;
}

static int set_via(sc_sip *sip, osip_message_t *m, sc_sip_transport tp, const struct sockaddr_storage *peer,
                   const char *branch)
{
    int family = peer->ss_family == AF_INET6 ? AF_INET6 : AF_INET;
    sip_listener *l = sip_listener_for(sip, tp, family);
    char via[256], lhost[64];
    if (l)
        sip_host_for(l, peer, lhost, sizeof lhost);
    const char *host = l ? lhost : (family == AF_INET6 ? "::1" : "127.0.0.1");
    unsigned port = l ? l->port : tp == SC_SIP_TLS ? 5061 : 5060;
    bool v6 = strchr(host, ':') != NULL;
    snprintf(via, sizeof via, "SIP/2.0/%s %s%s%s:%u;branch=%s;rport",
             tp == SC_SIP_TCP   ? "TCP"
             : tp == SC_SIP_TLS ? "TLS"
                                : "UDP",
             v6 ? "[" : "", host, v6 ? "]" : "", port, branch);
    return osip_message_set_via(m, via) == 0 ? 0 : -EINVAL;
}

osip_message_t *sip_request(sc_sip *sip, const sip_dialog *d, const char *method, uint32_t cseq, const char *branch)
{
    osip_message_t *m = NULL;
    osip_uri_t *ruri = NULL;
    if (osip_message_init(&m) != 0)
        return NULL;
    char buf[SC_SIP_URI_MAX + SC_SIP_TAG_MAX + 32];
    bool ok = osip_uri_init(&ruri) == 0 && osip_uri_parse(ruri, d->remote_target) == 0;
    if (ok) {
        osip_message_set_uri(m, ruri);
        ruri = NULL;
        osip_message_set_method(m, osip_strdup(method));
        osip_message_set_version(m, osip_strdup("SIP/2.0"));
        ok = set_via(sip, m, d->transport, SIP_SS(&d->remote_addr), branch) == 0;
    }
    if (ok) {
        snprintf(buf, sizeof buf, "<%s>;tag=%s", d->local_uri, d->local_tag);
        ok = osip_message_set_from(m, buf) == 0;
    }
    if (ok) {
        if (d->remote_tag[0])
            snprintf(buf, sizeof buf, "<%s>;tag=%s", d->remote_uri, d->remote_tag);
        else
            snprintf(buf, sizeof buf, "<%s>", d->remote_uri);
        ok = osip_message_set_to(m, buf) == 0 && osip_message_set_call_id(m, d->call_id) == 0;
    }
    if (ok) {
        snprintf(buf, sizeof buf, "%" PRIu32 " %s", cseq, method);
        ok = osip_message_set_cseq(m, buf) == 0;
    }
    if (ok && d->route_set[0]) {
        char hname[] = "Route";              /* libosip2 lower-cases the name in place: never a literal */
        char *v = osip_strdup(d->route_set); /* and takes a writable value: never the dialog's */
        ok = v && osip_message_set_multiple_header(m, hname, v) == 0;
        osip_free(v);
    }
    if (ok && sip_contact_for(sip, d, d->transport, buf, sizeof buf) == 0)
        osip_message_set_contact(m, buf);
    if (!ok) {
        osip_uri_free(ruri);
        osip_message_free(m);
        return NULL;
    }
    osip_message_set_header(m, "Max-Forwards", "70");
    sip_add_common(sip, m);
    return m;
}

int sip_body(const osip_message_t *msg, const char **body, size_t *len)
{
    osip_body_t *b = NULL;
    *body = NULL;
    *len = 0;
    if (osip_message_get_body(msg, 0, &b) < 0 || !b || !b->body)
        return -ENOENT;
    *body = b->body;
    *len = b->length;
    return 0;
}

const char *sip_content_type(const osip_message_t *msg, char *buf, size_t cap)
{
    if (!msg->content_type || !msg->content_type->type)
        return NULL;
    snprintf(buf, cap, "%s/%s", msg->content_type->type, msg->content_type->subtype ? msg->content_type->subtype : "");
    return buf;
}

void sip_count_out(sc_sip *sip, const osip_message_t *msg)
{
    if (MSG_IS_RESPONSE(msg)) {
        int cls = msg->status_code / 100;
        if (cls >= 1 && cls <= 6)
            sip->stats.responses_out[cls]++;
    } else {
        sip->stats.requests_out[sip_method_of(msg->sip_method)]++;
    }
}
