/* INVITE sessions, the callee's side and requests inside dialogs: incoming INVITEs, answers,
 * dialog matching, CSeq checks, re-INVITE (with glare), BYE/REFER/NOTIFY/INFO/UPDATE, ACK for
 * our 2xx, restore from persisted state (a confirmed dialog, or a ringing INVITE's server
 * transaction), and release. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sip_int.h"

static void call_id_str(const osip_message_t *m, char *out, size_t cap)
{
    const osip_call_id_t *c = m->call_id;
    if (c->host)
        snprintf(out, cap, "%s@%s", c->number, c->host);
    else
        snprintf(out, cap, "%s", c->number);
}

void sip_call_index(sc_sip_call *call)
{
    sip_index_del(&call->sip->call_index, &call->hnode);
    if (call->listed && call->d.call_id[0])
        sip_index_add(&call->sip->call_index, &call->hnode, call->d.call_id);
}

void sip_call_unindex(sc_sip_call *call) { sip_index_del(&call->sip->call_index, &call->hnode); }

/* The next listed call with Call-ID cid (hash h) after node n (the chain head to start). */
static sc_sip_call *next_with_call_id(sc_sip *sip, sip_hnode **n, const char *cid, uint64_t h)
{
    sip_hnode *head = sip_index_chain(&sip->call_index, h);
    for (*n = (*n)->next; *n != head; *n = (*n)->next) {
        sc_sip_call *c = SIP_CONTAINER(*n, sc_sip_call, hnode);
        if ((*n)->hash == h && strcmp(c->d.call_id, cid) == 0)
            return c;
    }
    return NULL;
}

sc_sip_call *sip_call_match(sc_sip *sip, const osip_message_t *req)
{
    char cid[SC_SIP_CALLID_MAX + 2];
    const char *to = sip_to_tag(req), *from = sip_from_tag(req);
    call_id_str(req, cid, sizeof cid);
    uint64_t h = sip_hash(cid);
    sip_hnode *n = sip_index_chain(&sip->call_index, h);
    for (sc_sip_call *c; (c = next_with_call_id(sip, &n, cid, h)) != NULL;)
        if (strcmp(c->d.local_tag, to ? to : "") == 0 && strcmp(c->d.remote_tag, from ? from : "") == 0)
            return c;
    return NULL;
}

/* u as text (*out, osip_free it) when shorter than cap: -EINVAL, -ENAMETOOLONG. */
static int uri_str(const osip_uri_t *u, char **out, size_t cap)
{
    char *s = NULL;
    if (!u || osip_uri_to_str(u, &s) != 0)
        return -EINVAL;
    if (strlen(s) >= cap) {
        osip_free(s);
        return -ENAMETOOLONG;
    }
    *out = s;
    return 0;
}

static bool merged_request(sc_sip *sip, const osip_message_t *req)
{
    char cid[SC_SIP_CALLID_MAX + 2];
    const char *from = sip_from_tag(req);
    call_id_str(req, cid, sizeof cid);
    uint32_t cseq = (uint32_t)strtoul(req->cseq->number, NULL, 10);
    uint64_t h = sip_hash(cid);
    sip_hnode *n = sip_index_chain(&sip->call_index, h);
    for (sc_sip_call *c; (c = next_with_call_id(sip, &n, cid, h)) != NULL;)
        if (!c->d.is_uac && strcmp(c->d.remote_tag, from ? from : "") == 0 && c->d.remote_cseq == cseq)
            return true;
    return false;
}

static int fill_uas_dialog(sc_sip *sip, sc_sip_call *c, const osip_message_t *req, sc_sip_transport tp,
                           const struct sockaddr_storage *src)
{
    sip_dialog *d = &c->d;
    char cid[SC_SIP_CALLID_MAX + 2], tag[17];
    call_id_str(req, cid, sizeof cid);
    const char *from = sip_from_tag(req);
    osip_contact_t *ct = NULL;
    char *ruri = NULL, *luri = NULL, *target = NULL;
    /* the checks in the order they always were: the first failure gives the 400's reason */
    int rc = strlen(cid) >= SC_SIP_CALLID_MAX || strlen(from ? from : "") >= SC_SIP_TAG_MAX ? -ENAMETOOLONG : 0;
    if (rc == 0)
        rc = uri_str(req->from->url, &ruri, SC_SIP_URI_MAX);
    if (rc == 0)
        rc = uri_str(req->to->url, &luri, SC_SIP_URI_MAX);
    if (rc == 0 && (osip_message_get_contact(req, 0, &ct) < 0 || !ct || !ct->url))
        rc = -ENOENT;
    if (rc == 0)
        rc = uri_str(ct->url, &target, SC_SIP_URI_MAX);
    if (rc == 0) {
        sc_random_hex(tag, 16);
        const char *v[SIP_DF__COUNT] = {
            [SIP_DF_CALL_ID] = cid,    [SIP_DF_LOCAL_TAG] = tag,   [SIP_DF_REMOTE_TAG] = from,
            [SIP_DF_LOCAL_URI] = luri, [SIP_DF_REMOTE_URI] = ruri, [SIP_DF_REMOTE_TARGET] = target};
        rc = sip_dlg_setv(d, v);
    }
    osip_free(ruri);
    osip_free(luri);
    osip_free(target);
    if (rc != 0)
        return rc;
    sip_call_index(c);
    d->transport = tp;
    sip_addr_set(&d->remote_addr, src);
    d->secure = tp == SC_SIP_TLS && req->req_uri && req->req_uri->scheme && !strcasecmp(req->req_uri->scheme, "sips");
    sip_listener *l = sip_listener_for(sip, tp, src->ss_family);
    if (l)
        sip_addr_set(&d->local_addr, &l->addr);
    d->remote_cseq = (uint32_t)strtoul(req->cseq->number, NULL, 10);
    d->local_cseq = 1;
    d->is_uac = false;
    rc = sip_dialog_route_set(c, req, false); /* also sets remote_addr to the first hop */
    if (rc == 0 && tp != SC_SIP_UDP && !d->route_set[0])
        sip_addr_set(&d->remote_addr, src); /* reuse the caller's connection */
    return rc;
}

/* The reason phrase of a 400 for a dialog that could not be filled in. A dialog's identifiers
 * live in bounded fields (SC_SIP_TAG_MAX, SC_SIP_URI_MAX, ...) so that a call's memory is
 * bounded: longer values are refused whole, never truncated. */
static const char *fill_refusal(int rc)
{
    return rc == -ENOENT ? "Missing Contact" : rc == -ENAMETOOLONG ? "Value Too Long" : "Bad Header";
}

void sip_incoming_invite(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src)
{
    if (!sip->accepting || sip->stats.active_calls >= sip->cfg.max_calls) {
        sip->stats.rejected[SC_SIP_REJ_OVERLOAD]++;
        sip_answer(sip, req, tp, src, 503, NULL);
        return;
    }
    if (merged_request(sip, req)) {
        sip->stats.rejected[SC_SIP_REJ_LOOP]++;
        sip_answer(sip, req, tp, src, 482, NULL);
        return;
    }
    sc_sip_call *c;
    if (sip_call_new(sip, &c, NULL) != 0) {
        sip_answer(sip, req, tp, src, 500, NULL);
        return;
    }
    int rc = fill_uas_dialog(sip, c, req, tp, src);
    if (rc != 0) {
        c->released = true;
        sip_call_unref(c);
        sip->stats.rejected[SC_SIP_REJ_MISSING_HEADER]++;
        sip_answer(sip, req, tp, src, 400, fill_refusal(rc));
        return;
    }
    sip_tx *tx = NULL;
    rc = sip_tx_server(sip, &tx, req, tp, src, c, TXP_INVITE);
    if (rc != 0) {
        c->released = true;
        sip_call_unref(c);
        sip_tx_refused(sip, req, tp, src, rc); /* 503: an unanswered INVITE would be retried */
        return;
    }
    c->ist = tx;
    sip_allow_note(c, tx->req);
    if (!sip->cfg.on_incoming) {
        sc_sip_call_respond(c, 480, NULL, NULL);
        sc_sip_call_release(c);
        return;
    }
    sip->cfg.on_incoming(sip, c, tx->req, sip->cfg.ud);
}

/* ---- answering ------------------------------------------------------------------------- */

static int respond_ist(sc_sip_call *call, int code, const char *reason, const char *sdp)
{
    sc_sip *sip = call->sip;
    sip_tx *tx = call->ist;
    int held = sip_rel_hold(call, code, reason, sdp); /* behind a reliable 1xx awaiting PRACK */
    if (held != 0)
        return held < 0 ? held : 0;
    bool reliable = sip_rel_wanted(call, code, sdp);
    osip_message_t *r = sip_response(sip, tx->req, code, reason, call->d.local_tag);
    if (!r)
        return -ENOMEM;
    if (reliable && sip_rel_mark(call, r) != 0) {
        osip_message_free(r);
        return -ENOMEM;
    }
    char contact[128];
    if (code > 100 && code < 300 && sip_contact_for(sip, &call->d, tx->tp, contact, sizeof contact) == 0)
        osip_message_set_contact(r, contact);
    for (int i = 0; code > 100 && code < 300 && i < osip_list_size(&tx->req->record_routes); i++) {
        osip_record_route_t *rr = NULL;
        if (osip_record_route_clone(osip_list_get(&tx->req->record_routes, i), &rr) == 0)
            osip_list_add(&r->record_routes, rr, -1);
    }
    if (sip_set_body(r, NULL, sdp) != 0) {
        osip_message_free(r);
        return -ENOMEM;
    }
    if (code >= 200 && code < 300)
        sip_st_uas_2xx(call, tx->req, r); /* RFC 4028 (session_timer.c) */
    bool initial = tx->purpose == TXP_INVITE;
    int rc = sip_tx_respond(tx, r);
    if (rc != 0)
        return rc;
    if (code < 200) {
        if (code > 100 && initial && call->d.phase == SC_SIP_DIALOG_NONE)
            sip_dialog_set_phase(call, SC_SIP_DIALOG_EARLY);
        if (reliable)
            sip_rel_sent(call, tx, sdp != NULL);
        return 0;
    }
    if (initial)
        sip_rel_final(call);
    call->ist = NULL;
    if (code >= 300) {
        if (initial)
            sip_dialog_set_phase(call, SC_SIP_DIALOG_TERMINATED);
        return 0;
    }
    sip_dialog_set_phase(call, SC_SIP_DIALOG_CONFIRMED);
    sip_call_start_ok(call, tx); /* -ENOMEM: sent once, as before */
    return 0;
}

int sip_dialog_respond(sc_sip_call *c, int code, const char *reason, const char *sdp)
{
    return respond_ist(c, code, reason, sdp);
}

int sc_sip_call_respond(sc_sip_call *call, int code, const char *reason, const char *sdp)
{
    if (!call || !call->ist || sip_tx_final_sent(call->ist) || code < 100 || code > 699)
        return -EINVAL;
    sip_enter(call->sip);
    int rc = respond_ist(call, code, reason, sdp);
    sip_leave(call->sip);
    return rc;
}

int sc_sip_call_reject_retry(sc_sip_call *call, int code, const char *reason, unsigned retry_after_s)
{
    if (!call || !call->ist || sip_tx_final_sent(call->ist) || code < 300 || code > 699)
        return -EINVAL;
    sc_sip *sip = call->sip;
    sip_enter(sip);
    sip_tx *tx = call->ist;
    int rc = -ENOMEM;
    osip_message_t *r = sip_response(sip, tx->req, code, reason, call->d.local_tag);
    if (r) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", retry_after_s);
        osip_message_set_header(r, "Retry-After", ra);
        bool initial = tx->purpose == TXP_INVITE;
        rc = sip_tx_respond(tx, r);
        if (rc == 0) {
            call->ist = NULL;
            if (initial)
                sip_dialog_set_phase(call, SC_SIP_DIALOG_TERMINATED);
        }
    }
    sip_leave(sip);
    return rc;
}

int sc_sip_stx_source(const sc_sip_stx *stx, struct sockaddr_storage *out)
{
    if (!stx || !out || (stx->kind != TX_NIST && stx->kind != TX_IST))
        return -EINVAL;
    if (!stx->has_src)
        return -ENOENT;
    *out = stx->src;
    return 0;
}

int sc_sip_respond(sc_sip *sip, sc_sip_stx *stx, int code, const char *reason, const char *content_type,
                   const char *body)
{
    if (!sip || !stx || code < 100 || code > 699 || sip_tx_final_sent(stx))
        return -EINVAL;
    if (stx->kind == TX_IST && stx->call && stx->call->ist == stx)
        return sc_sip_call_respond(stx->call, code, reason, body);
    if (stx->kind != TX_NIST)
        return -EINVAL;
    sip_enter(sip);
    char tag[20];
    const char *t = stx->call ? stx->call->d.local_tag : NULL;
    if (!t) {
        sc_random_hex(tag, 16);
        t = tag;
    }
    int rc = -ENOMEM;
    osip_message_t *r = sip_response(sip, stx->req, code, reason, t);
    if (r && sip_set_body(r, content_type, body) == 0)
        rc = sip_tx_respond(stx, r);
    else if (r)
        osip_message_free(r);
    sip_leave(sip);
    return rc;
}

/* ---- requests inside a dialog ---------------------------------------------------------- */

static bool same_ip(const sip_addr *a, const sip_addr *b)
{
    if (a->sa.sa_family != b->sa.sa_family)
        return false;
    if (a->sa.sa_family == AF_INET)
        return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
    return a->sa.sa_family == AF_INET6 && !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(struct in6_addr));
}

/* A UAS learns its remote target from the Contact of the INVITE, which anyone can write: as
 * long as no request of the dialog (the ACK for our 2xx first of all, which carries our To
 * tag) has come from that target's IP, sessiond must not become a reflector toward it, so
 * its requests there go once, without retransmissions (sip_call_send_request). Only the IP is
 * compared: many UAs send from another port than the one they listen on. A UAC's target is
 * whoever it called. */
bool sip_call_target_unconfirmed(const sc_sip_call *call)
{
    return !call->d.is_uac && !same_ip(&call->heard_from, &call->d.remote_addr);
}

static void on_ack(sc_sip_call *call, osip_message_t *req)
{
    uint32_t cseq = (uint32_t)strtoul(req->cseq->number, NULL, 10);
    if (call->ok_wait && cseq == call->ok_wait->cseq) {
        sip_call_stop_ok(call);
        sip_call_emit(call, SC_EV_DialogACK, 0, "ACK", req, NULL);
    } else {
        call->sip->stats.retransmissions_absorbed++;
    }
    osip_message_free(req);
}

static sc_builtin_event request_event(sc_sip_method m)
{
    switch (m) {
    case SC_SIP_M_BYE: return SC_EV_DialogBYE;
    case SC_SIP_M_REFER: return SC_EV_DialogREFER;
    case SC_SIP_M_NOTIFY: return SC_EV_DialogNOTIFY;
    case SC_SIP_M_INFO: return SC_EV_DialogINFO;
    case SC_SIP_M_UPDATE: return SC_EV_DialogUPDATE;
    default: return SC_EV_DialogError;
    }
}

static void on_reinvite(sc_sip *sip, sc_sip_call *call, osip_message_t *req, sc_sip_transport tp,
                        const struct sockaddr_storage *src)
{
    if (call->ict) { /* ours is pending: glare */
        sip->stats.rejected[SC_SIP_REJ_GLARE]++;
        sip_answer(sip, req, tp, src, 491, NULL);
        return;
    }
    if (call->ist || call->ok_wait || call->d.phase != SC_SIP_DIALOG_CONFIRMED) {
        sip->stats.rejected[SC_SIP_REJ_PENDING]++;
        sip_answer(sip, req, tp, src, 500, "Previous INVITE Pending");
        return;
    }
    sip_tx *tx = NULL;
    int rc = sip_tx_server(sip, &tx, req, tp, src, call, TXP_REINVITE);
    if (rc != 0) {
        sip_tx_refused(sip, req, tp, src, rc);
        return;
    }
    sip_dialog_update_target(call, req);
    call->ist = tx;
    sip_call_emit(call, SC_EV_DialogReINVITE, 0, "INVITE", tx->req, tx);
}

void sip_dialog_request(sc_sip *sip, sc_sip_call *call, osip_message_t *req, sc_sip_transport tp,
                        const struct sockaddr_storage *src)
{
    sc_sip_method m = sip_method_of(req->sip_method);
    sip_addr_set(&call->heard_from, src);
    if (m == SC_SIP_M_ACK) {
        on_ack(call, req);
        return;
    }
    uint32_t cseq = (uint32_t)strtoul(req->cseq->number, NULL, 10);
    if (call->d.remote_cseq && cseq <= call->d.remote_cseq) {
        sip->stats.rejected[SC_SIP_REJ_CSEQ_ORDER]++;
        sip_answer(sip, req, tp, src, 500, "CSeq Out of Order");
        return;
    }
    call->d.remote_cseq = cseq;
    if (m == SC_SIP_M_PRACK) { /* RFC 3262 (prack.c) */
        sip_rel_on_prack(sip, call, req, tp, src);
        return;
    }
    if (m == SC_SIP_M_INVITE) {
        on_reinvite(sip, call, req, tp, src);
        return;
    }
    if (m == SC_SIP_M_OPTIONS) {
        sip_answer(sip, req, tp, src, 200, NULL);
        return;
    }
    sip_tx *tx = NULL;
    int rc = sip_tx_server(sip, &tx, req, tp, src, call, TXP_REQUEST);
    if (rc != 0) {
        sip_tx_refused(sip, req, tp, src, rc);
        return;
    }
    if (m == SC_SIP_M_UPDATE && sip_st_on_update(call, tx)) /* a session refresh (session_timer.c) */
        return;
    if (m == SC_SIP_M_BYE) {
        sip_st_stop(call);
        sip_call_stop_ok(call);
        if (call->ist && call->ist->purpose == TXP_INVITE) /* BYE before our final answer */
            respond_ist(call, 487, NULL, NULL);
        sip_dialog_set_phase(call, SC_SIP_DIALOG_TERMINATED);
    }
    sip_call_emit(call, request_event(m), 0, tx->method, tx->req, tx);
    if (call->released && !sip_tx_final_sent(tx))
        sip_tx_respond_code(tx, m == SC_SIP_M_BYE ? 200 : 481, NULL);
}

/* ---- restore and release --------------------------------------------------------------- */

int sc_sip_call_restore(sc_sip *sip, sc_sip_call **out, const sc_sip_dialog_state *st, void *user)
{
    if (!sip || !out || !st || !st->call_id[0] || !st->local_tag[0] || sip->closing)
        return -EINVAL;
    if (sip->stats.active_calls >= sip->cfg.max_calls)
        return SC_E_OVERLOAD;
    sc_sip_call *c;
    int rc = sip_call_new(sip, &c, user);
    if (rc != 0)
        return rc;
    rc = sip_dlg_from_state(&c->d, st); /* each string cut at its buffer's size - 1 */
    if (rc != 0) {
        sip_enter(sip);
        c->released = true;
        sip_call_unref(c);
        sip_leave(sip);
        return rc;
    }
    sip_call_index(c);
    c->d.phase = SC_SIP_DIALOG_NONE;
    c->got_final = c->got_provisional = true;
    c->heard_from = c->d.remote_addr; /* confirmed before the restart, as far as we know */
    sip_dialog_set_phase(c, SC_SIP_DIALOG_CONFIRMED);
    *out = c;
    return 0;
}

int sc_sip_call_incoming_vias(const sc_sip_call *call, char *buf, size_t cap)
{
    if (!call || !buf || !cap || call->d.is_uac || !call->ist || call->ist->purpose != TXP_INVITE)
        return -ENOENT;
    const osip_message_t *req = call->ist->req;
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < osip_list_size(&req->vias); i++) {
        char *v = NULL;
        if (osip_via_to_str(osip_list_get(&req->vias, i), &v) != 0)
            return -ENOMEM;
        int w = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", v);
        osip_free(v);
        if (w < 0 || (size_t)w >= cap - len)
            return -ENOSPC;
        len += (size_t)w;
    }
    return len ? 0 : -ENOENT;
}

/* A header from a comma-separated list of values (Via, Record-Route); false if unparsable. */
static bool set_list(osip_message_t *m, const char *name, const char *values)
{
    char hname[32]; /* osip lowercases the name in place */
    snprintf(hname, sizeof hname, "%s", name);
    char *v = osip_strdup(values);
    bool ok = v && osip_message_set_multiple_header(m, hname, v) == 0;
    osip_free(v);
    return ok;
}

/* The incoming INVITE as far as responses need it: its Vias as received, From with the
 * caller's tag, To without ours, Call-ID, CSeq and Record-Route (the uas route set is in
 * Record-Route order). */
static int rebuilt_incoming(const sc_sip_dialog_state *d, const char *vias, osip_message_t **out)
{
    osip_message_t *m = NULL;
    osip_uri_t *uri = NULL;
    char buf[SC_SIP_URI_MAX + SC_SIP_TAG_MAX + 16];
    if (osip_message_init(&m) != 0)
        return -ENOMEM;
    bool ok = osip_uri_init(&uri) == 0 && osip_uri_parse(uri, d->local_uri) == 0;
    if (!ok) {
        osip_uri_free(uri);
        osip_message_free(m);
        return -EINVAL;
    }
    osip_message_set_uri(m, uri);
    osip_message_set_method(m, osip_strdup("INVITE"));
    osip_message_set_version(m, osip_strdup("SIP/2.0"));
    ok = set_list(m, "Via", vias) && osip_list_size(&m->vias) > 0;
    snprintf(buf, sizeof buf, "<%s>%s%s", d->remote_uri, d->remote_tag[0] ? ";tag=" : "", d->remote_tag);
    ok = ok && osip_message_set_from(m, buf) == 0;
    snprintf(buf, sizeof buf, "<%s>", d->local_uri);
    ok = ok && osip_message_set_to(m, buf) == 0 && osip_message_set_call_id(m, d->call_id) == 0;
    snprintf(buf, sizeof buf, "%u INVITE", d->remote_cseq);
    ok = ok && osip_message_set_cseq(m, buf) == 0;
    ok = ok && (!d->route_set[0] || set_list(m, "Record-Route", d->route_set));
    osip_via_t *top = ok ? osip_list_get(&m->vias, 0) : NULL;
    if (!ok || !m->from || !m->to || !m->call_id || !m->cseq || !top || !top->host) {
        osip_message_free(m);
        return -EINVAL;
    }
    *out = m;
    return 0;
}

int sc_sip_call_resume_incoming(sc_sip *sip, sc_sip_call **out, const sc_sip_dialog_state *st, const char *vias,
                                void *user)
{
    if (!sip || !out || !st || !vias || !*vias || !st->call_id[0] || !st->local_tag[0] || !st->local_uri[0] ||
        !st->remote_uri[0] || !st->remote_target[0] || st->remote_cseq == 0 || sip->closing)
        return -EINVAL;
    if (sip->stats.active_calls >= sip->cfg.max_calls)
        return SC_E_OVERLOAD;
    osip_message_t *req = NULL;
    int rc = rebuilt_incoming(st, vias, &req);
    if (rc != 0)
        return rc;
    sip_enter(sip);
    sc_sip_call *c;
    rc = sip_call_new(sip, &c, user);
    if (rc != 0) {
        osip_message_free(req);
        sip_leave(sip);
        return rc;
    }
    rc = sip_dlg_from_state(&c->d, st);
    if (rc != 0) {
        osip_message_free(req);
        c->released = true;
        sip_call_unref(c);
        sip_leave(sip);
        return rc;
    }
    c->d.is_uac = false;
    c->d.phase = SC_SIP_DIALOG_NONE;
    memset(&c->d.remote_addr, 0, sizeof c->d.remote_addr);
    sip_call_index(c);
    rc = sip_dialog_route_set(c, req, false); /* the route set again; remote_addr: its first hop */
    struct sockaddr_storage src;              /* where responses go (RFC 3261 18.2.2) */
    if (sip_via_dest(req, &src) != 0)
        sip_addr_ss(&c->d.remote_addr, &src);
    if (src.ss_family == AF_UNSPEC)
        rc = -EINVAL;
    if (rc == 0 && c->d.remote_addr.sa.sa_family == AF_UNSPEC)
        sip_addr_set(&c->d.remote_addr, &src);
    sip_listener *l = rc == 0 ? sip_listener_for(sip, st->transport, src.ss_family) : NULL;
    if (rc == 0 && !l)
        rc = -ENOTCONN;
    if (rc == 0) {
        sip_addr_set(&c->d.local_addr, &l->addr);
        rc = sip_tx_server_resume(sip, &c->ist, req, st->transport, &src, c, TXP_INVITE);
    }
    if (rc != 0) {
        osip_message_free(req);
        c->released = true;
        sip_call_unref(c);
        sip_leave(sip);
        return rc;
    }
    sip_dialog_set_phase(c, SC_SIP_DIALOG_EARLY); /* our 1xx with its To tag went out before */
    sc_log(sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: incoming INVITE transaction resumed (CSeq %u)",
           c->d.call_id, c->d.remote_cseq);
    *out = c;
    sip_leave(sip);
    return 0;
}

void sc_sip_call_release(sc_sip_call *call)
{
    if (!call || call->released)
        return;
    sc_sip *sip = call->sip;
    sip_enter(sip);
    if (call->ist && !sip_tx_final_sent(call->ist))
        respond_ist(call, call->ist->purpose == TXP_INVITE ? 480 : 500, NULL, NULL);
    for (sip_link *l = call->txs.next, *next; l != &call->txs; l = next) {
        next = l->next;
        sip_tx *tx = SIP_CONTAINER(l, sip_tx, clink);
        if (tx->kind == TX_NIST && !sip_tx_final_sent(tx))
            sip_tx_respond_code(tx, 481, NULL);
    }
    call->released = true;
    sip_call_stop_ok(call);
    sip_st_stop(call);
    if (call->ok) {
        osip_message_free(call->ok);
        call->ok = NULL;
    }
    sip_list_del(&call->link);
    sip_list_add(&sip->detached, &call->link);
    call->listed = false;
    sip_call_unindex(call);
    sip_call_unref(call);
    sip_leave(sip);
}
