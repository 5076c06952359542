/* RFC 3261 section 17 transactions (with the RFC 6026 Accepted state): INVITE and non-INVITE,
 * client and server; each a file-local state enum, one handler per input, timers A-M. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_int.h"

enum {
    /* INVITE client */
    ICT_CALLING,
    ICT_PROCEEDING,
    ICT_ACCEPTED,
    ICT_COMPLETED,
    /* non-INVITE client */
    NICT_TRYING,
    NICT_PROCEEDING,
    NICT_COMPLETED,
    /* INVITE server */
    IST_PROCEEDING,
    IST_ACCEPTED,
    IST_COMPLETED,
    IST_CONFIRMED,
    /* non-INVITE server */
    NIST_TRYING,
    NIST_PROCEEDING,
    NIST_COMPLETED,
    TX_TERMINATED,
};

static const char *const state_names[] = {
    "ICT_CALLING",     "ICT_PROCEEDING", "ICT_ACCEPTED",    "ICT_COMPLETED",  "NICT_TRYING",
    "NICT_PROCEEDING", "NICT_COMPLETED", "IST_PROCEEDING",  "IST_ACCEPTED",   "IST_COMPLETED",
    "IST_CONFIRMED",   "NIST_TRYING",    "NIST_PROCEEDING", "NIST_COMPLETED", "TERMINATED",
};

static void tx_debug(const sip_tx *tx, const char *what)
{
    sc_log(tx->sip->cfg.logger, SC_LOG_DEBUG, SIP_MODULE, "tx %s %s: %s", tx->key, state_names[tx->state], what);
}

/* ---- keys (RFC 3261 17.1.3 and 17.2.3) ------------------------------------------------- */

static char *server_key(const osip_message_t *req, const char *method)
{
    osip_via_t *via = osip_list_get(&req->vias, 0);
    const char *branch = sip_branch(req);
    if (!via || !via->host || !req->cseq || !req->call_id)
        return NULL;
    char *key = NULL;
    int n;
    const char *port = via->port ? via->port : "5060";
    if (branch && strncmp(branch, "z9hG4bK", 7) == 0) {
        n = asprintf(&key, "s|%s|%s|%s|%s", branch, via->host, port, method);
    } else { /* RFC 2543 peers: Call-ID, CSeq, From tag and sent-by */
        const char *ft = sip_from_tag(req);
        n = asprintf(&key, "o|%s@%s|%s|%s|%s|%s|%s", req->call_id->number ? req->call_id->number : "",
                     req->call_id->host ? req->call_id->host : "", req->cseq->number ? req->cseq->number : "",
                     ft ? ft : "", via->host, port, method);
    }
    return n < 0 ? NULL : key;
}

static char *client_key(const char *branch, const char *method)
{
    char *key = NULL;
    return asprintf(&key, "c|%s|%s", branch, method) < 0 ? NULL : key;
}

static const char *key_method(const osip_message_t *req)
{
    return strcmp(req->sip_method, "ACK") == 0 ? "INVITE" : req->sip_method;
}

/* The first live transaction of a server (or client) kind under key, in creation order. */
static sip_tx *find_tx(sc_sip *sip, const char *key, bool server)
{
    uint64_t h = sip_hash(key);
    sip_hnode *head = sip_index_chain(&sip->tx_index, h);
    for (sip_hnode *n = head->next; n != head; n = n->next) {
        sip_tx *tx = SIP_CONTAINER(n, sip_tx, hnode);
        bool srv = tx->kind == TX_IST || tx->kind == TX_NIST;
        if (n->hash == h && srv == server && strcmp(tx->key, key) == 0)
            return tx;
    }
    return NULL;
}

sip_tx *sip_tx_match_server(sc_sip *sip, const osip_message_t *req, const char *method)
{
    char *key = server_key(req, method ? method : key_method(req));
    sip_tx *found = key ? find_tx(sip, key, true) : NULL;
    free(key);
    return found;
}

sip_tx *sip_tx_match_client(sc_sip *sip, const osip_message_t *resp)
{
    const char *branch = sip_branch(resp);
    if (!branch || !resp->cseq || !resp->cseq->method)
        return NULL;
    char *key = client_key(branch, resp->cseq->method);
    sip_tx *found = key ? find_tx(sip, key, false) : NULL;
    free(key);
    return found;
}

/* ---- life cycle ------------------------------------------------------------------------ */

static void on_retx(sip_timer *t);
static void on_end(sip_timer *t);

static sip_tx *tx_alloc(sc_sip *sip, tx_kind kind, osip_message_t *req, sc_sip_transport tp,
                        const struct sockaddr_storage *peer, sc_sip_call *call, tx_purpose purpose)
{
    sip_tx *tx = calloc(1, sizeof *tx);
    if (!tx)
        return NULL;
    tx->sip = sip;
    tx->kind = kind;
    tx->req = req;
    tx->tp = tp;
    tx->peer = *peer;
    tx->purpose = purpose;
    snprintf(tx->method, sizeof tx->method, "%s", req->sip_method);
    sip_timer_init(&tx->t_retx, on_retx);
    sip_timer_init(&tx->t_end, on_end);
    sip_list_add(&sip->txs, &tx->link);
    sip_hnode_init(&tx->hnode); /* indexed once the caller sets the key */
    sip_list_init(&tx->clink);
    sip_list_init(&tx->slink);
    sip->stats.active_transactions++;
    if (sip->stats.active_transactions + sip->stats.active_calls > sip->reclaim_high)
        sip->reclaim_high = sip->stats.active_transactions + sip->stats.active_calls; /* reclaim.c */
    if (call) {
        tx->call = call;
        sip_list_add(&call->txs, &tx->clink);
        sip_call_ref(call);
    }
    return tx;
}

void sip_tx_free(sip_tx *tx)
{
    osip_message_free(tx->req);
    free(tx->key);
    osip_free(tx->out);
    osip_free(tx->ack);
    free(tx);
}

void sip_tx_terminate(sip_tx *tx)
{
    if (tx->dead)
        return;
    sc_sip *sip = tx->sip;
    tx->dead = true;
    tx->state = TX_TERMINATED;
    sip_timer_stop(sip, &tx->t_retx);
    sip_timer_stop(sip, &tx->t_end);
    sip_list_del(&tx->link);
    sip_list_add(&sip->grave, &tx->link);
    sip_index_del(&sip->tx_index, &tx->hnode);
    sip_list_del(&tx->clink);
    sip_list_del(&tx->slink);
    sip->stats.active_transactions--;
    sip_source_release(sip, tx->source);
    tx->source = NULL;
    sc_sip_call *call = tx->call;
    tx->call = NULL;
    if (call) {
        if (call->ict == tx)
            call->ict = NULL;
        if (call->ist == tx)
            call->ist = NULL;
        if (call->fork)
            sip_fork_tx_gone(call, tx);
        sip_call_unref(call);
    }
}

static void tx_send(sip_tx *tx, const char *data, size_t len) { sip_send(tx->sip, tx->tp, &tx->peer, data, len); }

void sip_tx_transport_error(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *peer)
{
    size_t n = 0, cap = 0;
    sip_tx **hit = NULL;
    for (sip_link *l = sip->txs.next; l != &sip->txs; l = l->next) { /* first the list: the TU may send again */
        sip_tx *tx = SIP_CONTAINER(l, sip_tx, link);
        bool waiting = (tx->kind == TX_ICT && tx->state == ICT_CALLING) ||
                       (tx->kind == TX_NICT && tx->state == NICT_TRYING);
        if (!waiting || tx->tp != tp || !sip_addr_equal(&tx->peer, peer))
            continue;
        if (n == cap) {
            sip_tx **m = realloc(hit, (cap ? cap * 2 : 8) * sizeof *hit);
            if (!m)
                break;
            hit = m;
            cap = cap ? cap * 2 : 8;
        }
        hit[n++] = tx;
    }
    for (size_t i = 0; i < n; i++) {
        sip_tx *tx = hit[i];
        if (tx->dead)
            continue;
        tx_debug(tx, "transport error");
        if (tx->call)
            sip_call_on_timeout(tx->call, tx, true);
        sip_tx_terminate(tx);
    }
    free(hit);
}

static void retransmit(sip_tx *tx, const char *data, size_t len)
{
    tx->sip->stats.retransmissions_sent++;
    tx_send(tx, data, len);
}

static bool over_limit(sc_sip *sip) { return sip->stats.active_transactions >= sip->cfg.max_transactions; }

/* A client transaction for req: started (sent, timers A/E and B/F) or, resume, rebuilt in
 * ICT_PROCEEDING (not sent, no timer). */
static int client_start(sc_sip *sip, sip_tx **out, osip_message_t *req, sc_sip_transport tp,
                        const struct sockaddr_storage *dst, sc_sip_call *call, tx_purpose purpose, bool resume)
{
    const char *branch = sip_branch(req);
    if (!branch || !req->cseq)
        return -EINVAL;
    if (over_limit(sip))
        return SC_E_OVERLOAD;
    char *key = client_key(branch, req->cseq->method);
    char *str = NULL;
    size_t len = 0;
    if (!key || sip_msg_str(req, &str, &len) != 0) {
        free(key);
        return -ENOMEM;
    }
    bool invite = strcmp(req->sip_method, "INVITE") == 0;
    sip_tx *tx = tx_alloc(sip, invite ? TX_ICT : TX_NICT, req, tp, dst, call, purpose);
    if (!tx) {
        free(key);
        osip_free(str);
        return -ENOMEM;
    }
    tx->key = key;
    sip_index_add(&sip->tx_index, &tx->hnode, key);
    tx->out = str;
    tx->out_len = len;
    tx->interval = sip->t1;
    if (resume) {
        tx->state = ICT_PROCEEDING; /* a provisional response stopped timers A and B */
        tx_debug(tx, "resumed");
        if (out)
            *out = tx;
        return 0;
    }
    tx->state = invite ? ICT_CALLING : NICT_TRYING;
    sip_count_out(sip, req);
    tx_debug(tx, "start");
    if (tp == SC_SIP_UDP)
        sip_timer_start(sip, &tx->t_retx, tx->interval); /* A or E */
    sip_timer_start(sip, &tx->t_end, 64u * sip->t1);     /* B or F */
    sip_send(sip, tp, dst, str, len);                    /* a transport error ends in a timeout */
    if (out)
        *out = tx;
    return 0;
}

int sip_tx_client(sc_sip *sip, sip_tx **out, osip_message_t *req, sc_sip_transport tp,
                  const struct sockaddr_storage *dst, sc_sip_call *call, tx_purpose purpose)
{
    return client_start(sip, out, req, tp, dst, call, purpose, false);
}

int sip_tx_client_resume(sc_sip *sip, sip_tx **out, osip_message_t *req, sc_sip_transport tp,
                         const struct sockaddr_storage *dst, sc_sip_call *call, tx_purpose purpose)
{
    if (!req->sip_method || strcmp(req->sip_method, "INVITE") != 0)
        return -EINVAL;
    return client_start(sip, out, req, tp, dst, call, purpose, true);
}

/* A server transaction for req (received from src): in IST_PROCEEDING/NIST_TRYING; a new
 * INVITE for the TU gets 100 Trying at once, a resumed one (crash recovery) nothing. A new
 * one counts against its source's limit (source_limit.c), a resumed one does not. */
static int server_start(sc_sip *sip, sip_tx **out, osip_message_t *req, sc_sip_transport tp,
                        const struct sockaddr_storage *src, sc_sip_call *call, tx_purpose purpose, bool resume)
{
    if (over_limit(sip))
        return SC_E_OVERLOAD;
    sip_source *source = NULL;
    int rc = resume ? 0 : sip_source_acquire(sip, src, &source);
    if (rc != 0)
        return rc;
    char *key = server_key(req, key_method(req));
    if (!key) {
        sip_source_release(sip, source);
        return -EINVAL;
    }
    struct sockaddr_storage peer = *src;
    if (tp == SC_SIP_UDP && sip_via_dest(req, &peer) != 0)
        peer = *src;
    bool invite = strcmp(req->sip_method, "INVITE") == 0;
    sip_tx *tx = tx_alloc(sip, invite ? TX_IST : TX_NIST, req, tp, &peer, call, purpose);
    if (!tx) {
        sip_source_release(sip, source);
        free(key);
        return -ENOMEM;
    }
    tx->key = key;
    tx->source = source;
    tx->src = *src;
    tx->has_src = !resume; /* a resumed one's "source" is derived from its stored Vias */
    sip_index_add(&sip->tx_index, &tx->hnode, key);
    tx->state = invite ? IST_PROCEEDING : NIST_TRYING;
    tx_debug(tx, resume ? "resumed" : "start");
    *out = tx;
    if (invite && purpose != TXP_NONE && !resume) /* 100 Trying right away (RFC 3261 17.2.1 allows it) */
        sip_tx_respond_code(tx, 100, NULL);
    return 0;
}

int sip_tx_server(sc_sip *sip, sip_tx **out, osip_message_t *req, sc_sip_transport tp,
                  const struct sockaddr_storage *src, sc_sip_call *call, tx_purpose purpose)
{
    return server_start(sip, out, req, tp, src, call, purpose, false);
}

int sip_tx_server_resume(sc_sip *sip, sip_tx **out, osip_message_t *req, sc_sip_transport tp,
                         const struct sockaddr_storage *src, sc_sip_call *call, tx_purpose purpose)
{
    if (!req->sip_method || strcmp(req->sip_method, "INVITE") != 0)
        return -EINVAL;
    return server_start(sip, out, req, tp, src, call, purpose, true);
}

/* ---- client: ACK for a non-2xx final response (17.1.1.3) ------------------------------- */

static int build_ack(sip_tx *tx, const osip_message_t *resp)
{
    const osip_message_t *req = tx->req;
    osip_message_t *ack = NULL;
    osip_uri_t *uri = NULL;
    osip_via_t *via = NULL;
    char cseq[64];
    if (osip_message_init(&ack) != 0)
        return -ENOMEM;
    bool ok = osip_uri_clone(req->req_uri, &uri) == 0;
    if (ok) {
        osip_message_set_uri(ack, uri);
        osip_message_set_method(ack, osip_strdup("ACK"));
        osip_message_set_version(ack, osip_strdup("SIP/2.0"));
        ok = osip_via_clone(osip_list_get(&req->vias, 0), &via) == 0 && osip_list_add(&ack->vias, via, -1) >= 0;
    }
    ok = ok && osip_from_clone(req->from, &ack->from) == 0 && osip_to_clone(resp->to, &ack->to) == 0 &&
         osip_call_id_clone(req->call_id, &ack->call_id) == 0;
    if (ok) {
        snprintf(cseq, sizeof cseq, "%s ACK", req->cseq->number);
        ok = osip_message_set_cseq(ack, cseq) == 0;
    }
    for (int i = 0; ok && i < osip_list_size(&req->routes); i++) {
        char *r = NULL;
        ok = osip_route_to_str(osip_list_get(&req->routes, i), &r) == 0 && osip_message_set_route(ack, r) == 0;
        osip_free(r);
    }
    if (ok) {
        osip_message_set_header(ack, "Max-Forwards", "70");
        osip_message_set_header(ack, "User-Agent", tx->sip->user_agent);
        ok = sip_msg_str(ack, &tx->ack, &tx->ack_len) == 0;
    }
    if (ok)
        sip_count_out(tx->sip, ack);
    osip_message_free(ack);
    return ok ? 0 : -ENOMEM;
}

/* ---- input: a response (client transactions) ------------------------------------------- */

static void ict_on_response(sip_tx *tx, osip_message_t *resp)
{
    sc_sip *sip = tx->sip;
    int code = resp->status_code;
    switch (tx->state) {
    case ICT_CALLING:
    case ICT_PROCEEDING:
        if (code < 200) {
            tx->state = ICT_PROCEEDING;
            sip_timer_stop(sip, &tx->t_retx);
            sip_timer_stop(sip, &tx->t_end);
        } else if (code < 300) {
            tx->state = ICT_ACCEPTED;
            sip_timer_stop(sip, &tx->t_retx);
            sip_timer_start(sip, &tx->t_end, 64u * sip->t1); /* M */
            sip_list_add(&sip->spent, &tx->slink);           /* later 2xx go to the call, not the request */
        } else {
            tx->state = ICT_COMPLETED;
            sip_timer_stop(sip, &tx->t_retx);
            if (build_ack(tx, resp) == 0)
                tx_send(tx, tx->ack, tx->ack_len);
            if (tx->tp == SC_SIP_UDP)
                sip_timer_start(sip, &tx->t_end, 64u * sip->t1); /* D */
            else
                sip_timer_start(sip, &tx->t_end, 0);
        }
        if (tx->call)
            sip_call_on_response(tx->call, tx, resp);
        break;
    case ICT_ACCEPTED:
        if (code >= 200 && code < 300 && tx->call) /* retransmitted or forked 2xx: to the TU */
            sip_call_on_response(tx->call, tx, resp);
        else
            sip->stats.retransmissions_absorbed++;
        break;
    case ICT_COMPLETED:
        if (code >= 300 && tx->ack) {
            sip->stats.retransmissions_absorbed++;
            retransmit(tx, tx->ack, tx->ack_len);
        }
        break;
    default: break;
    }
}

/* The final outcome of a client transaction outside any call, reported once. */
static void tx_final(sip_tx *tx, osip_message_t *resp)
{
    void (*cb)(sip_tx *, osip_message_t *, void *) = tx->on_final;
    tx->on_final = NULL;
    cb(tx, resp, tx->owner);
}

static void nict_on_response(sip_tx *tx, osip_message_t *resp)
{
    sc_sip *sip = tx->sip;
    int code = resp->status_code;
    switch (tx->state) {
    case NICT_TRYING:
    case NICT_PROCEEDING:
        if (code < 200) {
            tx->state = NICT_PROCEEDING;
            break;
        }
        tx->state = NICT_COMPLETED;
        sip_timer_stop(sip, &tx->t_retx);
        sip_list_add(&sip->spent, &tx->slink);                                /* its final answer is handled below */
        sip_timer_start(sip, &tx->t_end, tx->tp == SC_SIP_UDP ? sip->t4 : 0); /* K */
        if (tx->call)
            sip_call_on_response(tx->call, tx, resp);
        if (tx->on_final) /* a REGISTER of register.c */
            tx_final(tx, resp);
        break;
    case NICT_COMPLETED: sip->stats.retransmissions_absorbed++; break;
    default: break;
    }
}

void sip_tx_on_response(sip_tx *tx, osip_message_t *resp)
{
    if (tx->kind == TX_ICT)
        ict_on_response(tx, resp);
    else if (tx->kind == TX_NICT)
        nict_on_response(tx, resp);
}

/* ---- input: a request (server transactions: retransmission or ACK) --------------------- */

static void ist_on_request(sip_tx *tx, osip_message_t *req)
{
    sc_sip *sip = tx->sip;
    bool ack = strcmp(req->sip_method, "ACK") == 0;
    switch (tx->state) {
    case IST_PROCEEDING:
        if (!ack) {
            sip->stats.retransmissions_absorbed++;
            if (tx->out)
                retransmit(tx, tx->out, tx->out_len);
        }
        break;
    case IST_ACCEPTED: /* the TU retransmits its 2xx; ACKs for it go to the dialog */
        sip->stats.retransmissions_absorbed++;
        break;
    case IST_COMPLETED:
        if (ack) {
            tx->state = IST_CONFIRMED;
            sip_timer_stop(sip, &tx->t_retx);
            sip_timer_start(sip, &tx->t_end, tx->tp == SC_SIP_UDP ? sip->t4 : 0); /* I */
        } else {
            sip->stats.retransmissions_absorbed++;
            retransmit(tx, tx->out, tx->out_len);
        }
        break;
    case IST_CONFIRMED: sip->stats.retransmissions_absorbed++; break;
    default: break;
    }
}

static void nist_on_request(sip_tx *tx, osip_message_t *req)
{
    sc_sip *sip = tx->sip;
    (void)req;
    switch (tx->state) {
    case NIST_TRYING: sip->stats.retransmissions_absorbed++; break;
    case NIST_PROCEEDING:
    case NIST_COMPLETED:
        sip->stats.retransmissions_absorbed++;
        retransmit(tx, tx->out, tx->out_len);
        break;
    default: break;
    }
}

void sip_tx_on_request(sip_tx *tx, osip_message_t *req)
{
    if (tx->kind == TX_IST)
        ist_on_request(tx, req);
    else if (tx->kind == TX_NIST)
        nist_on_request(tx, req);
}

/* ---- input: the TU's response (server transactions) ------------------------------------ */

bool sip_tx_final_sent(const sip_tx *tx) { return tx->dead || tx->last_status >= 200; }

int sip_tx_respond(sip_tx *tx, osip_message_t *resp)
{
    sc_sip *sip = tx->sip;
    int code = resp->status_code;
    if (tx->dead || sip_tx_final_sent(tx) || (tx->kind != TX_IST && tx->kind != TX_NIST)) {
        osip_message_free(resp);
        return -EINVAL;
    }
    char *str = NULL;
    size_t len = 0;
    int rc = sip_msg_str(resp, &str, &len);
    if (rc == 0)
        sip_count_out(sip, resp);
    osip_message_free(resp);
    if (rc != 0)
        return rc;
    osip_free(tx->out);
    tx->out = str;
    tx->out_len = len;
    tx->last_status = code;
    tx_send(tx, str, len);
    if (code >= 200) /* only retransmissions are left: its request goes at sip_leave */
        sip_list_add(&sip->spent, &tx->slink);
    if (tx->kind == TX_IST) {
        if (code < 200)
            return 0;
        if (code < 300) {
            tx->state = IST_ACCEPTED;
            sip_timer_start(sip, &tx->t_end, 64u * sip->t1); /* L */
        } else {
            tx->state = IST_COMPLETED;
            tx->interval = sip->t1;
            if (tx->tp == SC_SIP_UDP)
                sip_timer_start(sip, &tx->t_retx, tx->interval); /* G */
            sip_timer_start(sip, &tx->t_end, 64u * sip->t1);     /* H */
        }
    } else {
        if (code < 200) {
            tx->state = NIST_PROCEEDING;
            return 0;
        }
        tx->state = NIST_COMPLETED;
        sip_timer_start(sip, &tx->t_end, tx->tp == SC_SIP_UDP ? 64u * sip->t1 : 0); /* J */
    }
    return 0;
}

int sip_tx_respond_code(sip_tx *tx, int code, const char *reason)
{
    const char *tag = NULL;
    char tagbuf[20];
    if (!tx->req || sip_tx_final_sent(tx))
        return -EINVAL;
    if (code > 100 && !sip_to_tag(tx->req)) {
        if (tx->call && tx->call->d.local_tag[0]) {
            tag = tx->call->d.local_tag;
        } else {
            sc_random_hex(tagbuf, 16);
            tag = tagbuf;
        }
    }
    osip_message_t *r = sip_response(tx->sip, tx->req, code, reason, tag);
    if (!r)
        return -ENOMEM;
    return sip_tx_respond(tx, r);
}

/* ---- input: timers --------------------------------------------------------------------- */

static void on_retx(sip_timer *t)
{
    sip_tx *tx = SIP_CONTAINER(t, sip_tx, t_retx);
    sc_sip *sip = tx->sip;
    switch (tx->state) {
    case ICT_CALLING: /* A: doubles without a cap */
        retransmit(tx, tx->out, tx->out_len);
        tx->interval *= 2;
        sip_timer_start(sip, &tx->t_retx, tx->interval);
        break;
    case NICT_TRYING: /* E */
    case NICT_PROCEEDING:
        retransmit(tx, tx->out, tx->out_len);
        tx->interval = tx->state == NICT_PROCEEDING ? sip->t2
                                                    : (tx->interval * 2 < sip->t2 ? tx->interval * 2 : sip->t2);
        sip_timer_start(sip, &tx->t_retx, tx->interval);
        break;
    case IST_COMPLETED: /* G */
        retransmit(tx, tx->out, tx->out_len);
        tx->interval = tx->interval * 2 < sip->t2 ? tx->interval * 2 : sip->t2;
        sip_timer_start(sip, &tx->t_retx, tx->interval);
        break;
    default: break;
    }
}

static void on_end(sip_timer *t)
{
    sip_tx *tx = SIP_CONTAINER(t, sip_tx, t_end);
    switch (tx->state) {
    case ICT_CALLING: /* B */
    case NICT_TRYING: /* F */
    case NICT_PROCEEDING:
        tx_debug(tx, "timeout");
        if (tx->call)
            sip_call_on_timeout(tx->call, tx, false);
        if (tx->on_final) /* a REGISTER of register.c */
            tx_final(tx, NULL);
        sip_tx_terminate(tx);
        break;
    case IST_COMPLETED: /* H: the ACK never came */
        tx_debug(tx, "no ACK (timer H)");
        sip_tx_terminate(tx);
        break;
    default: /* D, I, J, K, L, M */ sip_tx_terminate(tx); break;
    }
}
