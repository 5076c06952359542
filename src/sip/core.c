/* The SIP agent: creation and teardown, the receive path (parse, validate, Via received/rport,
 * match to a transaction or dialog) and the answers given without the TU (OPTIONS, 4xx/5xx). */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_port.h>

#include "sip/dns.h"
#include "sip/sip_int.h"
#include "sip/tls.h"

static pthread_once_t parser_once = PTHREAD_ONCE_INIT;

static void quiet_trace(const char *fi, int li, osip_trace_level_t level, const char *chfr, va_list ap)
{
    (void)fi;
    (void)li;
    (void)level;
    (void)chfr;
    (void)ap;
}

static void parser_setup(void)
{
    osip_trace_initialize_func(OSIP_FATAL, quiet_trace); /* library code never prints */
    parser_init();                                       /* libosip2's header-name tables: process-wide, set once */
    sip_msg_allocators();                                /* msg.c: the C library's, and one reusable block */
    for (int lvl = 0; lvl < END_TRACE_LEVEL; lvl++)
        osip_trace_disable_level((osip_trace_level_t)lvl);
}

/* ---- entry/exit: deferred frees -------------------------------------------------------- */

void sip_enter(sc_sip *sip) { sip->depth++; }

/* A transaction with its final answer (a server's sent; a client's 2xx to an INVITE, or any
 * final answer to another request, received and handled) lingers only to absorb and answer
 * retransmissions, which its key, last message and ACK do: the parsed request, several KiB of
 * osip's structures, is freed once the code that answered has returned. */
static void drop_spent_requests(sc_sip *sip)
{
    while (!sip_list_empty(&sip->spent)) {
        sip_tx *tx = SIP_CONTAINER(sip->spent.next, sip_tx, slink);
        sip_list_del(&tx->slink);
        osip_message_free(tx->req);
        tx->req = NULL;
    }
}

void sip_leave(sc_sip *sip)
{
    if (--sip->depth > 0)
        return;
    while (!sip_list_empty(&sip->grave)) {
        sip_tx *tx = SIP_CONTAINER(sip->grave.next, sip_tx, link);
        sip_list_del(&tx->link);
        sip_tx_free(tx);
    }
    while (!sip_list_empty(&sip->dead_calls)) {
        sc_sip_call *c = SIP_CONTAINER(sip->dead_calls.next, sc_sip_call, link);
        sip_list_del(&c->link);
        sip_call_free(c);
    }
    drop_spent_requests(sip);
}

/* ---- creation and teardown ------------------------------------------------------------- */

int sc_sip_new(sc_sip **out, uv_loop_t *loop, const sc_sip_config *cfg)
{
    if (!out || !loop)
        return -EINVAL;
    pthread_once(&parser_once, parser_setup);
    sc_sip *sip = calloc(1, sizeof *sip);
    if (!sip)
        return -ENOMEM;
    sip->loop = loop;
    if (cfg)
        sip->cfg = *cfg;
    if (!sip->cfg.clock)
        sip->cfg.clock = sc_clock_system();
    sip->t1 = sip->cfg.t1_ms ? sip->cfg.t1_ms : 500;
    sip->t2 = sip->cfg.t2_ms ? sip->cfg.t2_ms : 4000;
    sip->t4 = sip->cfg.t4_ms ? sip->cfg.t4_ms : 5000;
    if (!sip->cfg.max_message_size)
        sip->cfg.max_message_size = 65535;
    if (!sip->cfg.max_transactions)
        sip->cfg.max_transactions = 8192;
    if (!sip->cfg.max_calls)
        sip->cfg.max_calls = 4096;
    if (!sip->cfg.retry_after_s)
        sip->cfg.retry_after_s = 5;
    if (!sip->cfg.max_tx_per_source)
        sip->cfg.max_tx_per_source = 8192;
    int trc = sip_tls_init(sip); /* cfg's certificate, key and CA set (tls.c), not kept */
    if (trc != 0) {
        free(sip);
        return trc;
    }
    sip->user_agent = strdup(sip->cfg.user_agent ? sip->cfg.user_agent : "session-core/" SC_VERSION);
    sip->contact_host = sip->cfg.contact_host ? strdup(sip->cfg.contact_host) : NULL;
    if (sip->cfg.dns_servers && !sip_dns_servers_valid(sip->cfg.dns_servers)) {
        free(sip->user_agent);
        free(sip->contact_host);
        sip_tls_free(sip);
        free(sip);
        return -EINVAL;
    }
    sip->dns_servers = sip->cfg.dns_servers ? strdup(sip->cfg.dns_servers) : NULL;
    sip->cfg.dns_servers = sip->dns_servers;
    sip->cfg.user_agent = sip->user_agent;
    sip->cfg.contact_host = sip->contact_host;
    if (!sip->user_agent || (sip->cfg.contact_host && !sip->contact_host) ||
        (sip->cfg.dns_servers && !sip->dns_servers) || sip_index_init(&sip->tx_index, 1024) != 0 ||
        sip_index_init(&sip->call_index, 1024) != 0 || sip_index_init(&sip->source_index, 64) != 0 ||
        uv_timer_init(loop, &sip->uvt) != 0) {
        sip_index_fini(&sip->tx_index);
        sip_index_fini(&sip->call_index);
        sip_index_fini(&sip->source_index);
        free(sip->user_agent);
        free(sip->contact_host);
        free(sip->dns_servers);
        sip_tls_free(sip);
        free(sip);
        return -ENOMEM;
    }
    sip->uvt.data = sip;
    sip->uvt_init = true;
    sip->open_handles = 1;
    sip_list_init(&sip->txs);
    sip_list_init(&sip->conns);
    sip_list_init(&sip->grave);
    sip_list_init(&sip->calls);
    sip_list_init(&sip->detached);
    sip_list_init(&sip->dead_calls);
    sip_list_init(&sip->spent);
    sip->accepting = true;
    sip_transport_init(sip);

    sip_reclaim_init(sip); /* without it memory is just not given back early */
    *out = sip;
    return 0;
}

int sc_sip_listen(sc_sip *sip, const char *spec)
{
    if (!sip)
        return -EINVAL;
    return sip_transport_listen(sip, spec);
}

int sc_sip_listener_addr(const sc_sip *sip, size_t idx, struct sockaddr_storage *out)
{
    if (!sip || idx >= sip->nlisteners)
        return -ENOENT;
    *out = sip->listeners[idx]->addr;
    return 0;
}

void sc_sip_set_accepting(sc_sip *sip, bool accepting) { sip->accepting = accepting; }

void sc_sip_get_stats(const sc_sip *sip, sc_sip_stats *out) { *out = sip->stats; }

static void free_everything(sc_sip *sip)
{
    sip_link *lists[] = {&sip->txs, &sip->grave};
    for (size_t i = 0; i < 2; i++)
        while (!sip_list_empty(lists[i])) {
            sip_tx *tx = SIP_CONTAINER(lists[i]->next, sip_tx, link);
            sip_list_del(&tx->link);
            sip_tx_free(tx);
        }
    sip_link *clists[] = {&sip->calls, &sip->detached, &sip->dead_calls};
    for (size_t i = 0; i < 3; i++)
        while (!sip_list_empty(clists[i])) {
            sc_sip_call *c = SIP_CONTAINER(clists[i]->next, sc_sip_call, link);
            sip_list_del(&c->link);
            sip_call_free(c);
        }
    sip_index_fini(&sip->tx_index);
    sip_index_fini(&sip->call_index);
    sip_source_fini(sip);
    free(sip->heap);
    free(sip->user_agent);
    free(sip->contact_host);
    sip_resolve_free(sip);
    free(sip->dns_servers);
    sip_auth_free(sip);
    sip_tls_free(sip);
    free(sip);
}

void sip_handle_released(sc_sip *sip)
{
    if (sip->open_handles > 0)
        sip->open_handles--;
    if (sip->open_handles > 0 || !sip->closing)
        return;
    if (sip->close_cb) {
        void (*cb)(sc_sip *, void *) = sip->close_cb;
        sip->close_cb = NULL;
        cb(sip, sip->close_ud);
    }
    if (sip->free_requested)
        free_everything(sip);
}

static void uvt_closed(uv_handle_t *h) { sip_handle_released(h->data); }

void sc_sip_close(sc_sip *sip, void (*cb)(sc_sip *sip, void *ud), void *ud)
{
    if (!sip || sip->closing)
        return;
    sip->closing = true;
    sip->close_cb = cb;
    sip->close_ud = ud;
    sip->nheap = 0; /* timers are dead: nothing fires any more */
    sip->uvt_init = false;
    uv_close((uv_handle_t *)&sip->uvt, uvt_closed);
    sip_reclaim_close(sip);
    sip_transport_close(sip);
    sip_resolve_close(sip);
}

void sc_sip_free(sc_sip *sip)
{
    if (!sip)
        return;
    sip_msg_thread_free();
    if (!sip->closing)
        sc_sip_close(sip, NULL, NULL);
    sip->free_requested = true;
    if (sip->open_handles == 0)
        free_everything(sip);
}

/* ---- answers without the TU ------------------------------------------------------------ */

static int response_dest(const osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src,
                         struct sockaddr_storage *dst)
{
    *dst = *src;
    if (tp == SC_SIP_UDP && sip_via_dest(req, dst) != 0)
        *dst = *src;
    return 0;
}

/* A response with no transaction: an answer that needs no state (the agent's own answers to
 * requests the TU never sees: OPTIONS, 4xx/5xx) or a request that could not get a transaction.
 * A 503 carries Retry-After; a 200 to OPTIONS Accept and Contact. hname/hvalue: one extra
 * header or NULL. */
static void stateless(sc_sip *sip, const osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src,
                      int code, const char *reason, const char *hname, const char *hvalue)
{
    if (req->sip_method && strcmp(req->sip_method, "ACK") == 0)
        return;
    /* the To tag from the request's Call-ID and branch: a retransmission gets the same answer
     * without any state (RFC 3261 16.11) */
    char tag[20], key[512];
    const char *branch = sip_branch(req);
    snprintf(key, sizeof key, "%s|%s", req->call_id && req->call_id->number ? req->call_id->number : "",
             branch ? branch : "");
    snprintf(tag, sizeof tag, "%016llx", (unsigned long long)sc_hash_fnv1a64(key, strlen(key)));
    osip_message_t *r = sip_response(sip, req, code, reason, tag);
    if (!r)
        return;
    if (hname)
        osip_message_set_header(r, hname, hvalue);
    if (code == 503) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", sip->cfg.retry_after_s);
        osip_message_set_header(r, "Retry-After", ra);
    }
    if (code == 200 && req->sip_method && strcmp(req->sip_method, "OPTIONS") == 0) {
        osip_message_set_header(r, "Accept", "application/sdp");
        char contact[128];
        if (sip_contact(sip, tp, src, contact, sizeof contact) == 0)
            osip_message_set_contact(r, contact);
    }
    char *s = NULL;
    size_t n = 0;
    struct sockaddr_storage dst;
    response_dest(req, tp, src, &dst);
    if (sip_msg_str(r, &s, &n) == 0) {
        sip_count_out(sip, r);
        sip_send(sip, tp, &dst, s, n);
        osip_free(s);
    }
    osip_message_free(r);
}

/* Answers a request the TU never sees (OPTIONS, the agent's 4xx/5xx) statelessly: nothing is
 * kept, so a flood of them leaves nothing behind for 64*T1; a retransmission is answered again,
 * the same (stateless derives the To tag from the request; RFC 3261 8.2.7). An INVITE's client
 * retransmits until it hears a final answer (timer A), and its ACK for ours is absorbed as a
 * stray ACK. Takes req. hname/hvalue: one extra header or NULL. */
static void answer(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src, int code,
                   const char *reason, const char *hname, const char *hvalue)
{
    stateless(sip, req, tp, src, code, reason, hname, hvalue);
    osip_message_free(req);
}

void sip_tx_refused(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src, int rc)
{
    bool limit = rc == SC_E_OVERLOAD || rc == SIP_E_SOURCE_LIMIT;
    if (limit)
        sip->stats.rejected[rc == SIP_E_SOURCE_LIMIT ? SC_SIP_REJ_SOURCE_LIMIT : SC_SIP_REJ_OVERLOAD]++;
    stateless(sip, req, tp, src, limit ? 503 : 500, NULL, NULL, NULL);
    osip_message_free(req);
}

/* ---- validation ------------------------------------------------------------------------ */

static bool can_respond(const osip_message_t *m)
{
    osip_via_t *via = osip_list_get(&m->vias, 0);
    return via && via->host && m->from && m->to && m->call_id && m->call_id->number && m->cseq && m->cseq->number &&
           m->cseq->method;
}

static bool numeric(const char *s, unsigned long max)
{
    if (!s || !*s)
        return false;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    return *end == '\0' && v <= max && s[0] != '-';
}

static long raw_body_len(const char *data, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++)
        if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n')
            return (long)(len - i - 4);
    return -1;
}

/* The Request-URI text at uri (up to n bytes) does not start with a scheme other than sip or
 * sips ("scheme:", RFC 3986: a letter, then letters, digits, '+', '-', '.'); garbage that is
 * no URI at all ("<sip:...>", " sip:...") counts as ok here: it gets the 400. */
static bool sip_uri_scheme_ok(const char *uri, size_t n)
{
    size_t i = 0;
    if (n == 0 || !isalpha((unsigned char)uri[0]))
        return true;
    while (i < n && (isalnum((unsigned char)uri[i]) || uri[i] == '+' || uri[i] == '-' || uri[i] == '.'))
        i++;
    if (i == n || uri[i] != ':')
        return true;
    return (i == 3 && strncasecmp(uri, "sip", 3) == 0) || (i == 4 && strncasecmp(uri, "sips", 4) == 0);
}

/* 0 if the request may go on; else it was rejected (and answered when possible). */
/* RFC 4475 3.1.2.x: a request missing From, To, Call-ID or CSeq still gets a 400 when it has a
 * Via to answer along; the response carries the headers that are there. */
static void missing_header_400(sc_sip *sip, const osip_message_t *m, sc_sip_transport tp,
                               const struct sockaddr_storage *src)
{
    osip_via_t *top = osip_list_get(&m->vias, 0);
    if (!top || !top->host || (m->sip_method && !strcmp(m->sip_method, "ACK")))
        return;
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    if (!f)
        return;
    fputs("SIP/2.0 400 Missing Required Header\r\n", f);
    for (int i = 0; i < osip_list_size(&m->vias); i++) {
        char *v = NULL;
        if (osip_via_to_str(osip_list_get(&m->vias, i), &v) == 0 && v)
            fprintf(f, "Via: %s\r\n", v);
        osip_free(v);
    }
    char *h = NULL;
    if (m->from && osip_from_to_str(m->from, &h) == 0 && h)
        fprintf(f, "From: %s\r\n", h);
    osip_free(h);
    h = NULL;
    if (m->to && osip_to_to_str(m->to, &h) == 0 && h)
        fprintf(f, "To: %s\r\n", h);
    osip_free(h);
    if (m->call_id && m->call_id->number)
        fprintf(f, "Call-ID: %s%s%s\r\n", m->call_id->number, m->call_id->host ? "@" : "",
                m->call_id->host ? m->call_id->host : "");
    if (m->cseq && m->cseq->number && m->cseq->method)
        fprintf(f, "CSeq: %s %s\r\n", m->cseq->number, m->cseq->method);
    fprintf(f, "User-Agent: %s\r\nContent-Length: 0\r\n\r\n", sip->user_agent);
    if (fclose(f) == 0 && out) {
        struct sockaddr_storage dst;
        response_dest(m, tp, src, &dst);
        sip->stats.responses_out[4]++;
        sip_send(sip, tp, &dst, out, n);
    }
    free(out);
}

static int validate_request(sc_sip *sip, osip_message_t *m, sc_sip_transport tp, const struct sockaddr_storage *src,
                            const char *data, size_t len)
{
    sc_sip_reject why;
    int code = 400;
    const char *reason = NULL;
    if (!m->sip_method || !m->req_uri) {
        sip->stats.rejected[SC_SIP_REJ_UNPARSABLE]++;
        return -1;
    }
    if (!can_respond(m)) {
        sip->stats.rejected[SC_SIP_REJ_MISSING_HEADER]++;
        missing_header_400(sip, m, tp, src);
        return -1;
    }
    const char *mf = sip_header(m, "Max-Forwards");
    long body = raw_body_len(data, len);
    if (!m->sip_version || strcmp(m->sip_version, "SIP/2.0") != 0) {
        why = SC_SIP_REJ_BAD_VERSION;
        code = 505;
    } else if (!numeric(m->cseq->number, 0x7fffffffUL)) {
        why = SC_SIP_REJ_MISSING_HEADER;
        reason = "Bad CSeq";
    } else if (strcmp(m->cseq->method, m->sip_method) != 0) {
        why = SC_SIP_REJ_CSEQ_METHOD;
        reason = "CSeq Method Mismatch";
    } else if (mf && !numeric(mf, 255)) { /* absent: an RFC 2543 client (RFC 4475 3.4.1), taken as 70 */
        why = SC_SIP_REJ_MISSING_HEADER;
        reason = "Bad Max-Forwards";
    } else if (m->content_length && m->content_length->value &&
               (!numeric(m->content_length->value, 0x7fffffffUL) || body < 0 ||
                strtol(m->content_length->value, NULL, 10) > body)) {
        why = SC_SIP_REJ_BAD_CONTENT_LENGTH;
        reason = "Bad Content-Length";
    } else if (mf && atoi(mf) == 0 && strcmp(m->sip_method, "INVITE") == 0) {
        /* an endpoint answers other requests as if it were positive (RFC 4475 3.3.11); an
         * INVITE may be bridged onward by a B2BUA route, so it stops here (loops) */
        why = SC_SIP_REJ_TOO_MANY_HOPS;
        code = 483;
    } else {
        return 0;
    }
    sip->stats.rejected[why]++;
    stateless(sip, m, tp, src, code, reason, NULL, NULL);
    return -1;
}

static int validate_response(sc_sip *sip, const osip_message_t *m)
{
    if (!can_respond(m) || m->status_code < 100 || m->status_code > 699) {
        sip->stats.rejected[SC_SIP_REJ_MISSING_HEADER]++;
        return -1;
    }
    if (!m->sip_version || strcmp(m->sip_version, "SIP/2.0") != 0) {
        sip->stats.rejected[SC_SIP_REJ_BAD_VERSION]++;
        return -1;
    }
    return 0;
}

/* RFC 3261 18.2.1 and RFC 3581: note where the request really came from. */
static void stamp_via(osip_message_t *m, const struct sockaddr_storage *src)
{
    osip_via_t *via = osip_list_get(&m->vias, 0);
    char host[64], port[8];
    uint16_t p;
    if (!via || sip_addr_str(src, host, sizeof host, &p) != 0)
        return;
    snprintf(port, sizeof port, "%u", p);
    osip_generic_param_t *rport = NULL;
    if (osip_via_param_get_byname(via, "rport", &rport) == 0 && rport) {
        osip_free(rport->gvalue);
        rport->gvalue = osip_strdup(port);
    }
    osip_generic_param_t *rcv = NULL;
    if (strcmp(via->host, host) != 0 && !(osip_via_param_get_byname(via, "received", &rcv) == 0 && rcv))
        osip_via_set_received(via, osip_strdup(host));
    else if (rcv) {
        osip_free(rcv->gvalue);
        rcv->gvalue = osip_strdup(host);
    }
}

/* Options named in Require that we do not support, comma-joined into out; false if none. */
static bool unsupported_options(const sc_sip *sip, const osip_message_t *m, char *out, size_t cap)
{
    out[0] = '\0';
    for (int pos = 0;;) {
        osip_header_t *h = NULL;
        int idx = osip_message_header_get_byname(m, "require", pos, &h);
        if (idx < 0 || !h)
            break;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", h->hvalue ? h->hvalue : "");
        char *save = NULL;
        for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
            if (strcasecmp(tok, "replaces") == 0 || strcasecmp(tok, "100rel") == 0 ||
                (strcasecmp(tok, "timer") == 0 && sip_st_enabled(sip)))
                continue;
            size_t n = strlen(out);
            snprintf(out + n, cap - n, "%s%s", n ? ", " : "", tok);
        }
        pos = idx + 1;
    }
    return out[0] != '\0';
}

static bool allowed_method(const char *m)
{
    sc_sip_method k = sip_method_of(m);
    return k != SC_SIP_M_OTHER;
}

/* Standard methods (RFC 3261, 3262, 3265, 3428, 3903) we know but do not offer: 405 with
 * Allow. Any other method is unknown to us: 501 (RFC 3261 8.2.1). */
static bool known_method(const char *m)
{
    static const char *const known[] = {"REGISTER", "SUBSCRIBE", "PUBLISH", "MESSAGE"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(m, known[i]))
            return true;
    return false;
}

/* ---- dispatch -------------------------------------------------------------------------- */

/* 481 for a request of no dialog or transaction we know, answered statelessly: a flood of such
 * requests (junk BYEs, CANCELs) leaves no transaction behind for 32 s, and a retransmission gets
 * the same answer (stateless picks the To tag from the request). Takes m. */
static void no_dialog(sc_sip *sip, osip_message_t *m, sc_sip_transport tp, const struct sockaddr_storage *src)
{
    sip->stats.rejected[SC_SIP_REJ_NO_DIALOG]++;
    stateless(sip, m, tp, src, 481, NULL, NULL, NULL);
    osip_message_free(m);
}

static void on_cancel(sc_sip *sip, osip_message_t *m, sc_sip_transport tp, const struct sockaddr_storage *src)
{
    sip_tx *inv = sip_tx_match_server(sip, m, "INVITE");
    if (!inv || inv->kind != TX_IST) {
        no_dialog(sip, m, tp, src);
        return;
    }
    bool pending = !sip_tx_final_sent(inv);
    sc_sip_call *call = inv->call;
    answer(sip, m, tp, src, 200, NULL, NULL, NULL);
    if (pending && call) {
        sc_sip_event ev = {.type = SC_EV_DialogCANCEL, .method = "CANCEL", .reason = "CANCEL received"};
        sip_call_emit_ev(call, &ev);
    }
}

/* An INVITE we cannot answer with SDP: a body of another type (415 with Accept, RFC 4475
 * 3.3.6), or an Accept that allows no SDP (406, 3.3.15). true when it was answered. */
static bool invite_body_refused(sc_sip *sip, osip_message_t *m, sc_sip_transport tp, const struct sockaddr_storage *src)
{
    const char *body = NULL;
    size_t blen = 0;
    char ctype[64];
    if (sip_body(m, &body, &blen) == 0 && blen > 0 &&
        strcasecmp(sip_content_type(m, ctype, sizeof ctype) ?: "", "application/sdp") != 0) {
        sip->stats.rejected[SC_SIP_REJ_UNSUPPORTED_MEDIA]++;
        answer(sip, m, tp, src, 415, NULL, "Accept", "application/sdp");
        return true;
    }
    if (osip_list_size(&m->accepts) == 0)
        return false;
    for (int i = 0; i < osip_list_size(&m->accepts); i++) {
        const osip_accept_t *a = osip_list_get(&m->accepts, i);
        const char *t = a && a->type ? a->type : "", *st = a && a->subtype ? a->subtype : "";
        if ((!strcmp(t, "*") || !strcasecmp(t, "application")) && (!strcmp(st, "*") || !strcasecmp(st, "sdp")))
            return false;
        if (!*t) /* an empty Accept header: taken as no preference */
            return false;
    }
    sip->stats.rejected[SC_SIP_REJ_UNSUPPORTED_MEDIA]++;
    answer(sip, m, tp, src, 406, NULL, "Accept", "application/sdp");
    return true;
}

static void on_request(sc_sip *sip, osip_message_t *m, sc_sip_transport tp, const struct sockaddr_storage *src)
{
    bool ack = strcmp(m->sip_method, "ACK") == 0;
    sip_tx *tx = sip_tx_match_server(sip, m, NULL);
    if (tx && (!ack || tx->kind == TX_IST)) {
        sip_tx_on_request(tx, m);
        osip_message_free(m);
        return;
    }
    sc_sip_call *call = sip_to_tag(m) ? sip_call_match(sip, m) : NULL;
    if (ack) {
        if (call)
            sip_dialog_request(sip, call, m, tp, src);
        else {
            sip->stats.rejected[SC_SIP_REJ_STRAY_ACK]++;
            osip_message_free(m);
        }
        return;
    }
    if (strcmp(m->sip_method, "CANCEL") == 0) {
        on_cancel(sip, m, tp, src);
        return;
    }
    if (!allowed_method(m->sip_method) && !sip_ood_wanted(sip, m)) {
        bool known = known_method(m->sip_method);
        sip->stats.rejected[known ? SC_SIP_REJ_METHOD_NOT_ALLOWED : SC_SIP_REJ_NOT_IMPLEMENTED]++;
        answer(sip, m, tp, src, known ? 405 : 501, NULL, NULL, NULL);
        return;
    }
    if (!m->req_uri->scheme || (strcasecmp(m->req_uri->scheme, "sip") && strcasecmp(m->req_uri->scheme, "sips"))) {
        sip->stats.rejected[SC_SIP_REJ_BAD_URI_SCHEME]++;
        answer(sip, m, tp, src, 416, NULL, NULL, NULL);
        return;
    }
    if (strcmp(m->sip_method, "INVITE") == 0 && invite_body_refused(sip, m, tp, src))
        return;
    char unsup[256];
    if (unsupported_options(sip, m, unsup, sizeof unsup)) {
        sip->stats.rejected[SC_SIP_REJ_BAD_EXTENSION]++;
        answer(sip, m, tp, src, 420, NULL, "Unsupported", unsup);
        return;
    }
    if (sip_st_check_request(sip, m, tp, src)) /* RFC 4028: 422 (session_timer.c) */
        return;
    if (sip_to_tag(m)) {
        if (call)
            sip_dialog_request(sip, call, m, tp, src);
        else
            no_dialog(sip, m, tp, src);
        return;
    }
    if (sip_ood_request(sip, m, tp, src)) /* ood.c: screened, or a REGISTER for the TU */
        return;
    if (strcmp(m->sip_method, "INVITE") == 0)
        sip_incoming_invite(sip, m, tp, src);
    else if (strcmp(m->sip_method, "OPTIONS") == 0) /* 503 while draining: a front's probe stops sending */
        answer(sip, m, tp, src, sip->accepting ? 200 : 503, NULL, NULL, NULL);
    else
        no_dialog(sip, m, tp, src);
}

/* Public so sip_incoming_invite etc. can reuse it. */
void sip_answer(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src, int code,
                const char *reason)
{
    answer(sip, req, tp, src, code, reason, NULL, NULL);
}

void sip_answer_hdr(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src, int code,
                    const char *reason, const char *hname, const char *hvalue)
{
    answer(sip, req, tp, src, code, reason, hname, hvalue);
}

/* The parser refused the message: if it looks like a request (not ACK) whose Via, From, To,
 * Call-ID and CSeq lines are plain single lines, answer 400 by copying them; else drop. */
static bool raw_line(const char *data, size_t len, const char *full, const char *compact, const char **val,
                     size_t *vlen, bool all, char *acc, size_t cap)
{
    bool found = false;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (eol == p || (eol == p + 1 && *p == '\r'))
            break; /* end of headers */
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon) {
            size_t n = (size_t)(colon - p);
            while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                n--;
            if ((n == strlen(full) && strncasecmp(p, full, n) == 0) ||
                (n == strlen(compact) && strncasecmp(p, compact, n) == 0)) {
                const char *v = colon + 1;
                while (v < eol && (*v == ' ' || *v == '\t'))
                    v++;
                size_t vl = (size_t)(eol - v);
                if (vl > 0 && v[vl - 1] == '\r')
                    vl--;
                const char *next = eol + 1;
                if (vl == 0 || (next < end && (*next == ' ' || *next == '\t')))
                    return false; /* folded or empty: give up */
                if (!all) {
                    *val = v;
                    *vlen = vl;
                    return true;
                }
                size_t used = strlen(acc);
                if (used + vl + 16 >= cap)
                    return false;
                snprintf(acc + used, cap - used, "Via: %.*s\r\n", (int)vl, v);
                found = true;
            }
        }
        p = eol + 1;
    }
    return found;
}

static void raw_400(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *src, const char *data, size_t len)
{
    size_t sp = 0; /* data is not NUL-terminated */
    while (sp < len && data[sp] != ' ' && data[sp] != '\r' && data[sp] != '\n')
        sp++;
    if (sp == 0 || sp >= len || data[sp] != ' ' || (sp >= 4 && strncmp(data, "SIP/", 4) == 0) ||
        (sp == 3 && strncmp(data, "ACK", 3) == 0))
        return;
    const char *eol = memchr(data, '\n', len);
    if (!eol || !memmem(data, (size_t)(eol - data), " SIP/", 5))
        return;
    char vias[2048] = "";
    const char *from, *to, *cid, *cseq;
    size_t lf, lt, lc, ls;
    if (!raw_line(data, len, "Via", "v", NULL, NULL, true, vias, sizeof vias) ||
        !raw_line(data, len, "From", "f", &from, &lf, false, NULL, 0) ||
        !raw_line(data, len, "To", "t", &to, &lt, false, NULL, 0) ||
        !raw_line(data, len, "Call-ID", "i", &cid, &lc, false, NULL, 0) ||
        !raw_line(data, len, "CSeq", "", &cseq, &ls, false, NULL, 0))
        return;
    char tag[20];
    sc_random_hex(tag, 16);
    bool has_tag = memmem(to, lt, "tag=", 4) != NULL;
    const char *status = sip_uri_scheme_ok(data + sp + 1, (size_t)(eol - data) - sp - 1)
                             ? "400 Bad Request"
                             : "416 Unsupported URI Scheme"; /* RFC 4475 3.3.3: an atypical scheme */
    char *out = NULL;
    int n = asprintf(&out,
                     "SIP/2.0 %s\r\n%sFrom: %.*s\r\nTo: %.*s%s%s\r\nCall-ID: %.*s\r\n"
                     "CSeq: %.*s\r\nUser-Agent: %s\r\nContent-Length: 0\r\n\r\n",
                     status, vias, (int)lf, from, (int)lt, to, has_tag ? "" : ";tag=", has_tag ? "" : tag, (int)lc, cid,
                     (int)ls, cseq, sip->user_agent);
    if (n < 0)
        return;
    sip->stats.responses_out[4]++;
    sip_send(sip, tp, src, out, (size_t)n);
    free(out);
}

/* libosip2's MIME parser leaks on some malformed multipart bodies, and we accept only SDP:
 * a message with a multipart Content-Type is parsed from a copy whose type token is defused
 * ("xultipart"), so the body stays one opaque part; requests then get 415. NULL: not multipart. */
static char *defuse_multipart(const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (eol == p || (eol == p + 1 && *p == '\r'))
            return NULL;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon) {
            size_t n = (size_t)(colon - p);
            while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                n--;
            if ((n == 12 && strncasecmp(p, "Content-Type", 12) == 0) || (n == 1 && (*p == 'c' || *p == 'C'))) {
                for (const char *q = colon; q + 9 <= eol; q++)
                    if (strncasecmp(q, "multipart", 9) == 0) {
                        char *copy = malloc(len);
                        if (copy) {
                            memcpy(copy, data, len);
                            copy[q - data] = 'x';
                        }
                        return copy;
                    }
            }
        }
        p = eol + 1;
    }
    return NULL;
}

/* A copy of a message whose header section holds NUL bytes (legal inside a quoted-pair, RFC
 * 4475 3.1.1.2) with each one a space, so the parser can read it; NULL when a NUL is in the
 * body (not SDP: refused) or memory is short. */
static char *unnul_headers(const char *data, size_t len)
{
    const char *end = memmem(data, len, "\r\n\r\n", 4);
    size_t head = end ? (size_t)(end - data) : len;
    if (memchr(data + head, '\0', len - head))
        return NULL;
    char *copy = malloc(len);
    if (!copy)
        return NULL;
    memcpy(copy, data, len);
    for (size_t i = 0; i < head; i++)
        if (copy[i] == '\0')
            copy[i] = ' ';
    return copy;
}

static void parse_and_dispatch(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *src, const char *data,
                               size_t len);

static void feed(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *src, const char *data, size_t len)
{
    if (len > sip->cfg.max_message_size) {
        sip->stats.rejected[SC_SIP_REJ_TOO_LARGE]++;
        return;
    }
    size_t skip = 0;
    while (skip < len && (data[skip] == '\r' || data[skip] == '\n' || data[skip] == ' ' || data[skip] == '\t'))
        skip++;
    if (skip == len)
        return; /* keep-alive */
    data += skip;
    len -= skip;
    if (memchr(data, '\0', len) != NULL) { /* the parser works on C strings */
        char *copy = unnul_headers(data, len);
        if (!copy) {
            sip->stats.rejected[SC_SIP_REJ_UNPARSABLE]++;
            return;
        }
        parse_and_dispatch(sip, tp, src, copy, len);
        free(copy);
        return;
    }
    parse_and_dispatch(sip, tp, src, data, len);
}

/* One whole message without NUL bytes: parsed, validated and handed on. */
/* The Call-ID of the message being handled, copied when the handling starts: the message may
 * be freed (or handed to a transaction) before the last line about it is logged. */
typedef struct msg_subject {
    char call_id[256];
} msg_subject;

static void msg_subject_fields(const void *obj, sc_log_fields *out)
{
    const msg_subject *ms = obj;
    out->call_id = ms->call_id[0] ? ms->call_id : NULL;
}

static void dispatch_parsed(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *src, const char *data,
                            size_t len, osip_message_t *m, bool multipart);

static void parse_and_dispatch(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *src, const char *data,
                               size_t len)
{
    osip_message_t *m = NULL;
    if (osip_message_init(&m) != 0)
        return;
    char *defused = defuse_multipart(data, len);
    bool multipart = defused != NULL;
    int prc = osip_message_parse(m, defused ? defused : data, len);
    free(defused);
    if (prc != 0) {
        sip->stats.rejected[SC_SIP_REJ_UNPARSABLE]++;
        osip_message_free(m);
        raw_400(sip, tp, src, data, len);
        return;
    }
    /* lines logged while this message is handled name its Call-ID (sc_log_fields) */
    msg_subject subject;
    const osip_call_id_t *cid = m->call_id;
    subject.call_id[0] = '\0';
    if (cid && cid->number)
        snprintf(subject.call_id, sizeof subject.call_id, "%s%s%s", cid->number, cid->host ? "@" : "",
                 cid->host ? cid->host : "");
    sc_log_context lc = {.fill = msg_subject_fields, .obj = &subject};
    sc_log_context_push(&lc);
    dispatch_parsed(sip, tp, src, data, len, m, multipart);
    sc_log_context_pop(&lc);
}

/* A parsed message: a response to its client transaction, a request validated and handed on.
 * Frees m. */
static void dispatch_parsed(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *src, const char *data,
                            size_t len, osip_message_t *m, bool multipart)
{
    if (MSG_IS_RESPONSE(m)) {
        if (validate_response(sip, m) != 0) {
            osip_message_free(m);
            return;
        }
        sip->stats.responses_in[m->status_code / 100]++;
        sip_tx *tx = sip_tx_match_client(sip, m);
        if (tx)
            sip_tx_on_response(tx, m);
        else
            sip->stats.rejected[SC_SIP_REJ_STRAY_RESPONSE]++;
        osip_message_free(m);
        return;
    }
    /* received/rport first (RFC 3261 18.2.2, RFC 3581): every response, the error answers of
     * validation too, goes where the request came from, never to an unverified sent-by. */
    stamp_via(m, src);
    if (validate_request(sip, m, tp, src, data, len) != 0) {
        osip_message_free(m);
        return;
    }
    sip->stats.requests_in[sip_method_of(m->sip_method)]++;
    if (multipart && strcmp(m->sip_method, "ACK") != 0 && allowed_method(m->sip_method) &&
        !sip_tx_match_server(sip, m, NULL)) {
        sip->stats.rejected[SC_SIP_REJ_UNSUPPORTED_MEDIA]++;
        answer(sip, m, tp, src, 415, NULL, "Accept", "application/sdp");
        return;
    }
    on_request(sip, m, tp, src);
}

void sc_sip_feed(sc_sip *sip, sc_sip_transport tp, const struct sockaddr *src, const char *data, size_t len)
{
    if (!sip || !src || !data || sip->closing)
        return;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (src->sa_family == AF_INET)
        memcpy(&ss, src, sizeof(struct sockaddr_in));
    else if (src->sa_family == AF_INET6)
        memcpy(&ss, src, sizeof(struct sockaddr_in6));
    else
        return;
    sip_enter(sip);
    feed(sip, tp, &ss, data, len);
    sip_leave(sip);
}
