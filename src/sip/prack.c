/* prack: reliable provisional responses (RFC 3262, 100rel) both ways. As UAS, our non-100
 * provisional answers to an INVITE that requires 100rel (all of them) or supports it (those
 * with SDP) carry RSeq and Require: 100rel and are retransmitted (T1, doubling) until the PRACK
 * that names them in its RAck; after 64*T1 without it the INVITE gets 500 and the TU
 * DialogError (method PRACK). While one waits for its PRACK, the next reliable provisional (and a 2xx, when
 * the waiting one carried SDP) is queued and sent once the PRACK came. As UAC, a reliable
 * provisional gets our PRACK; its retransmissions (the same RSeq) are absorbed, not reported.
 * Also the peer's Allow list (sc_sip_call_peer_allows). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sip_int.h"

#define REL_QUEUE 8 /* answers waiting behind an unacknowledged reliable provisional */

typedef struct rel_item {
    int code;
    char *reason; /* or NULL */
    char *sdp;    /* or NULL */
} rel_item;

struct sip_rel {
    sc_sip_call *call;
    /* UAS */
    uint32_t next_rseq;    /* RSeq of our next reliable provisional */
    uint32_t pending_rseq; /* the one awaiting its PRACK, 0: none */
    uint32_t pending_cseq; /* CSeq of the INVITE it answers */
    bool pending_sdp;      /* it carried SDP: a 2xx waits for its PRACK too */
    uint32_t done_rseq;    /* the one a final answer overtook (its late PRACK still gets 200) */
    uint32_t done_cseq;
    char *out; /* it, serialized, for retransmission */
    size_t out_len;
    sc_sip_transport tp;
    struct sockaddr_storage peer;
    unsigned interval;
    sip_timer t_retx; /* retransmission, T1 doubling */
    sip_timer t_end;  /* 64*T1: give up */
    rel_item q[REL_QUEUE];
    size_t nq;
    /* UAC */
    bool uac_seen;                /* a reliable provisional of uac_tag's early dialog came */
    uint32_t uac_rseq;            /* its RSeq (the highest PRACKed) */
    char uac_tag[SC_SIP_TAG_MAX]; /* the To tag it came with */
};

static void on_rel_retx(sip_timer *t);
static void on_rel_end(sip_timer *t);

static sip_rel *rel_get(sc_sip_call *c)
{
    if (c->rel)
        return c->rel;
    sip_rel *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->call = c;
    char hex[12];
    sc_random_hex(hex, 8);
    r->next_rseq = (uint32_t)(strtoul(hex, NULL, 16) % 0x7fffffffu) + 1; /* 1..2^31-1 */
    sip_timer_init(&r->t_retx, on_rel_retx);
    sip_timer_init(&r->t_end, on_rel_end);
    c->rel = r;
    return r;
}

static void clear_queue(sip_rel *r)
{
    for (size_t i = 0; i < r->nq; i++) {
        free(r->q[i].reason);
        free(r->q[i].sdp);
    }
    r->nq = 0;
}

/* The reliable provisional is no longer waiting (PRACKed, given up, final answer sent). */
static void stop_pending(sip_rel *r)
{
    sip_timer_stop(r->call->sip, &r->t_retx);
    sip_timer_stop(r->call->sip, &r->t_end);
    r->pending_rseq = 0;
    r->pending_sdp = false;
    free(r->out);
    r->out = NULL;
}

void sip_rel_stop(sc_sip_call *c)
{
    if (!c->rel)
        return;
    stop_pending(c->rel);
    clear_queue(c->rel);
}

void sip_rel_free(sc_sip_call *c)
{
    if (!c->rel)
        return;
    sip_rel_stop(c);
    free(c->rel);
    c->rel = NULL;
}

/* ---- UAS -------------------------------------------------------------------------------- */

static bool initial_pending(const sc_sip_call *c)
{
    return c->ist && c->ist->purpose == TXP_INVITE && !sip_tx_final_sent(c->ist);
}

bool sip_rel_wanted(const sc_sip_call *c, int code, const char *sdp)
{
    if (!initial_pending(c) || code <= 100 || code >= 200)
        return false;
    const osip_message_t *inv = c->ist->req;
    if (sip_has_option(inv, "require", NULL, "100rel"))
        return true;
    return sdp && sip_has_option(inv, "supported", "k", "100rel");
}

int sip_rel_hold(sc_sip_call *c, int code, const char *reason, const char *sdp)
{
    sip_rel *r = c->rel;
    if (!r || !r->pending_rseq || !initial_pending(c))
        return 0;
    /* a 2xx after one that carried SDP, or after answers already waiting (they keep their order) */
    bool waits = (code < 200 && sip_rel_wanted(c, code, sdp)) ||
                 (code >= 200 && code < 300 && (r->pending_sdp || r->nq > 0));
    if (!waits)
        return 0;
    if (r->nq == REL_QUEUE)
        return -EBUSY;
    rel_item *it = &r->q[r->nq];
    it->code = code;
    it->reason = reason ? strdup(reason) : NULL;
    it->sdp = sdp ? strdup(sdp) : NULL;
    if ((reason && !it->reason) || (sdp && !it->sdp)) {
        free(it->reason);
        free(it->sdp);
        return -ENOMEM;
    }
    r->nq++;
    sc_log(c->sip->cfg.logger, SC_LOG_DEBUG, SIP_MODULE, "call %s: %d waits for the PRACK of RSeq %" PRIu32,
           c->d.call_id, code, r->pending_rseq);
    return 1;
}

int sip_rel_mark(sc_sip_call *c, osip_message_t *resp)
{
    sip_rel *r = rel_get(c);
    if (!r)
        return -ENOMEM;
    char v[16];
    snprintf(v, sizeof v, "%" PRIu32, r->next_rseq);
    if (osip_message_set_header(resp, "Require", "100rel") != 0 || osip_message_set_header(resp, "RSeq", v) != 0)
        return -ENOMEM;
    return 0;
}

void sip_rel_sent(sc_sip_call *c, const sip_tx *tx, bool sdp)
{
    sip_rel *r = c->rel;
    if (!r)
        return;
    stop_pending(r);
    r->pending_rseq = r->next_rseq++;
    if (r->next_rseq > 0x7fffffffu)
        r->next_rseq = 1;
    r->pending_cseq = (uint32_t)strtoul(tx->req->cseq->number, NULL, 10);
    r->pending_sdp = sdp;
    r->out = malloc(tx->out_len);
    if (r->out) {
        memcpy(r->out, tx->out, tx->out_len);
        r->out_len = tx->out_len;
    }
    r->tp = tx->tp;
    r->peer = tx->peer;
    r->interval = c->sip->t1;
    if (r->tp == SC_SIP_UDP && r->out)
        sip_timer_start(c->sip, &r->t_retx, r->interval);
    sip_timer_start(c->sip, &r->t_end, 64u * c->sip->t1);
}

void sip_rel_final(sc_sip_call *c)
{
    sip_rel *r = c->rel;
    if (!r)
        return;
    if (r->pending_rseq) { /* the final answer went first (RFC 3262 3 allows it): a PRACK may follow */
        r->done_rseq = r->pending_rseq;
        r->done_cseq = r->pending_cseq;
    }
    sip_rel_stop(c);
}

static void on_rel_retx(sip_timer *t)
{
    sip_rel *r = SIP_CONTAINER(t, sip_rel, t_retx);
    sc_sip *sip = r->call->sip;
    if (!r->out || !initial_pending(r->call))
        return;
    sip->stats.retransmissions_sent++;
    sip_send(sip, r->tp, &r->peer, r->out, r->out_len);
    r->interval *= 2; /* RFC 3262 3: doubles, no T2 cap */
    sip_timer_start(sip, &r->t_retx, r->interval);
}

static void on_rel_end(sip_timer *t)
{
    sip_rel *r = SIP_CONTAINER(t, sip_rel, t_end);
    sc_sip_call *c = r->call;
    sc_log(c->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE,
           "call %s: no PRACK for our reliable provisional (RSeq %" PRIu32 ") in 64*T1: 500", c->d.call_id,
           r->pending_rseq);
    sip_rel_stop(c);
    if (!initial_pending(c))
        return;
    sip_dialog_respond(c, 500, "Reliable Provisional Response Not Acknowledged", NULL);
    /* the INVITE is answered: nothing more can be sent in this dialog */
    sc_sip_event ev = {.type = SC_EV_DialogError, .method = "PRACK", .reason = "no PRACK"};
    sip_call_emit_ev(c, &ev);
}

/* Flush what waited behind the acknowledged provisional, until one waits again. */
static void flush_queue(sc_sip_call *c)
{
    sip_rel *r = c->rel;
    while (r->nq && !r->pending_rseq && initial_pending(c)) {
        rel_item it = r->q[0];
        memmove(&r->q[0], &r->q[1], (r->nq - 1) * sizeof r->q[0]);
        r->nq--;
        sip_dialog_respond(c, it.code, it.reason, it.sdp);
        free(it.reason);
        free(it.sdp);
    }
    if (!initial_pending(c))
        clear_queue(r);
}

void sip_rel_on_prack(sc_sip *sip, sc_sip_call *c, osip_message_t *req, sc_sip_transport tp,
                      const struct sockaddr_storage *src)
{
    sip_tx *tx = NULL;
    int rc = sip_tx_server(sip, &tx, req, tp, src, c, TXP_REQUEST);
    if (rc != 0) {
        sip_tx_refused(sip, req, tp, src, rc);
        return;
    }
    const char *rack = sip_header(tx->req, "rack");
    unsigned long rseq = 0, cseq = 0;
    char method[16] = "";
    bool parsed = rack && sscanf(rack, "%lu %lu %15s", &rseq, &cseq, method) == 3;
    sip_rel *r = c->rel;
    if (parsed && r && r->done_rseq && rseq == r->done_rseq && cseq == r->done_cseq && !strcasecmp(method, "INVITE")) {
        sip_tx_respond_code(tx, 200, NULL); /* late: the provisional's answer already went */
        return;
    }
    if (!parsed || !r || !r->pending_rseq || rseq != r->pending_rseq || cseq != r->pending_cseq ||
        strcasecmp(method, "INVITE") != 0) {
        sip->stats.rejected[SC_SIP_REJ_NO_DIALOG]++;
        sip_tx_respond_code(tx, 481, parsed ? NULL : "Bad RAck");
        return;
    }
    stop_pending(r);
    const char *body = NULL;
    size_t blen = 0;
    if (sip_body(tx->req, &body, &blen) == 0 && blen > 0) /* an offer or answer: the TU's (RFC 3262 5) */
        sip_call_emit(c, SC_EV_DialogUPDATE, 0, "PRACK", tx->req, tx);
    else
        sip_tx_respond_code(tx, 200, NULL);
    if (c->released && !sip_tx_final_sent(tx))
        sip_tx_respond_code(tx, 200, NULL);
    flush_queue(c);
}

/* ---- UAC -------------------------------------------------------------------------------- */

static int send_prack(sc_sip_call *c, uint32_t rseq, const osip_message_t *resp)
{
    osip_message_t *req = NULL;
    int rc = sip_build_in_dialog(c, "PRACK", c->d.local_cseq + 1, &req);
    if (rc != 0)
        return rc;
    char rack[64];
    snprintf(rack, sizeof rack, "%" PRIu32 " %s INVITE", rseq, resp->cseq->number);
    if (osip_message_set_header(req, "RAck", rack) != 0) {
        osip_message_free(req);
        return -ENOMEM;
    }
    c->d.local_cseq++;
    return sip_call_send_request(c, req, TXP_NONE, NULL); /* its answer concerns nobody */
}

bool sip_rel_provisional(sc_sip_call *c, const osip_message_t *resp)
{
    const char *rs = sip_header(resp, "rseq");
    if (!rs || !sip_has_option(resp, "require", NULL, "100rel"))
        return true;
    char *end = NULL;
    unsigned long v = strtoul(rs, &end, 10);
    const char *tag = sip_to_tag(resp);
    if (end == rs || v == 0 || v > 0xffffffffUL || !tag || strcmp(tag, c->d.remote_tag) != 0)
        return true; /* unusable RSeq, or another branch's early dialog: reported, not PRACKed */
    sip_rel *r = rel_get(c);
    if (!r)
        return true;
    uint32_t rseq = (uint32_t)v;
    if (r->uac_seen && strcmp(r->uac_tag, tag) != 0)
        r->uac_seen = false;
    if (r->uac_seen && rseq <= r->uac_rseq) { /* a retransmission: our PRACK's transaction handles it */
        c->sip->stats.retransmissions_absorbed++;
        return false;
    }
    if (r->uac_seen && rseq != r->uac_rseq + 1) {
        sc_log(c->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: RSeq %" PRIu32 " out of order: discarded",
               c->d.call_id, rseq);
        return false; /* RFC 3262 4: not in order, not PRACKed */
    }
    r->uac_seen = true;
    r->uac_rseq = rseq;
    snprintf(r->uac_tag, sizeof r->uac_tag, "%s", tag);
    int rc = send_prack(c, rseq, resp);
    if (rc != 0)
        sc_log(c->sip->cfg.logger, SC_LOG_WARN, SIP_MODULE, "call %s: PRACK not sent: %d", c->d.call_id, rc);
    return true;
}

/* ---- The peer's Allow ------------------------------------------------------------------- */

void sip_allow_note(sc_sip_call *c, const osip_message_t *m)
{
    uint32_t bits = 0;
    bool any = false;
    for (int pos = 0;; pos++) {
        osip_allow_t *a = NULL;
        if (osip_message_get_allow(m, pos, &a) < 0 || !a)
            break;
        any = true;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", a->value ? a->value : "");
        char *save = NULL;
        for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
            sc_sip_method k = sip_method_of(tok);
            if (k != SC_SIP_M_OTHER)
                bits |= 1u << k;
        }
    }
    if (any) {
        c->peer_allow = bits;
        c->peer_allow_known = true;
    }
}

bool sc_sip_call_peer_allows(const sc_sip_call *call, const char *method)
{
    if (!call || !method)
        return false;
    sc_sip_method k = sip_method_of(method);
    return !call->peer_allow_known || (k != SC_SIP_M_OTHER && (call->peer_allow & (1u << k)));
}
