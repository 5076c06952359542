/* INVITE sessions, the caller's side and what both sides share: call objects and their
 * references, events, dialog fields from responses, INVITE/ACK/CANCEL/BYE/re-INVITE and other
 * requests we send, forked 2xx, and the 491 retry. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sip_int.h"

static void on_cancel_timeout(sip_timer *t);
static void on_retry(sip_timer *t);
static void on_ok_retx(sip_timer *t);
static void on_ok_end(sip_timer *t);
static void on_ack_end(sip_timer *t);

/* ---- objects and references ------------------------------------------------------------ */

int sip_call_new(sc_sip *sip, sc_sip_call **out, void *user)
{
    sc_sip_call *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->sip = sip;
    c->refs = 1;
    c->user = user;
    c->listed = true;
    sip_dlg_init(&c->d);
    sip_timer_init(&c->t_cancel, on_cancel_timeout);
    sip_timer_init(&c->t_retry, on_retry);
    sip_timer_init(&c->t_ack_end, on_ack_end);
    sip_list_add(&sip->calls, &c->link);
    sip_hnode_init(&c->hnode); /* indexed once its Call-ID is set (sip_call_index) */
    sip_list_init(&c->txs);
    sip->stats.active_calls++;
    *out = c;
    return 0;
}

void sip_call_ref(sc_sip_call *call) { call->refs++; }

static void stop_timers(sc_sip_call *c)
{
    sip_timer_stop(c->sip, &c->t_cancel);
    sip_timer_stop(c->sip, &c->t_retry);
    sip_timer_stop(c->sip, &c->t_ack_end);
    sip_call_stop_ok(c);
    sip_st_stop(c);  /* session timer (session_timer.c) */
    sip_rel_stop(c); /* reliable provisionals (prack.c) */
    sip_uac_stop(c); /* a lookup for our INVITE (uac.c) */
    sip_resolve_cancel(c->target_lookup);
    c->target_lookup = NULL;
    sip_fork_stop(c);
}

void sip_call_unref(sc_sip_call *call)
{
    if (--call->refs > 0)
        return;
    stop_timers(call);
    sip_call_unindex(call);
    sip_list_del(&call->link);
    sip_list_add(&call->sip->dead_calls, &call->link);
}

void sip_call_free(sc_sip_call *c)
{
    sip_dialog_set_phase(c, SC_SIP_DIALOG_TERMINATED);
    c->sip->stats.active_calls--;
    if (c->ok)
        osip_message_free(c->ok);
    osip_free(c->ack);
    free(c->ok_wait); /* its timers are stopped (unref), or the agent is being freed whole */
    free(c->reinvite_sdp);
    sip_cred_free(c->cred);
    sip_st_free(c);
    sip_rel_free(c);
    sip_fork_free(c);
    sip_uac_free(c);
    sip_dlg_free(&c->d);
    free(c);
}

void sip_dialog_set_phase(sc_sip_call *call, sc_sip_dialog_phase p)
{
    call->d.phase = p;
    bool active = p == SC_SIP_DIALOG_EARLY || p == SC_SIP_DIALOG_CONFIRMED;
    if (active && !call->counted_dialog) {
        call->counted_dialog = true;
        call->sip->stats.active_dialogs++;
    } else if (!active && call->counted_dialog) {
        call->counted_dialog = false;
        call->sip->stats.active_dialogs--;
    }
}

/* ---- events ---------------------------------------------------------------------------- */

void sip_call_emit_ev(sc_sip_call *call, sc_sip_event *ev)
{
    sc_sip *sip = call->sip;
    if (call->released || sip->closing || !sip->cfg.on_event)
        return;
    char ct[128];
    if (ev->msg) {
        sip_body(ev->msg, &ev->body, &ev->body_len);
        ev->content_type = sip_content_type(ev->msg, ct, sizeof ct);
        if (!ev->reason && MSG_IS_RESPONSE(ev->msg) && ev->msg->reason_phrase)
            ev->reason = ev->msg->reason_phrase;
    }
    if (!ev->reason)
        ev->reason = ev->status ? sip_reason(ev->status) : (ev->msg ? "" : "Timeout");
    if (!ev->method)
        ev->method = "";
    sip_call_ref(call);
    sip->cfg.on_event(call, ev, sip->cfg.ud);
    sip_call_unref(call);
}

void sip_call_emit(sc_sip_call *call, sc_builtin_event type, int status, const char *method, const osip_message_t *msg,
                   sip_tx *stx)
{
    sc_sip_event ev = {.type = type, .status = status, .method = method, .msg = msg, .stx = stx};
    sip_call_emit_ev(call, &ev);
}

sc_builtin_event sip_final_event(int code)
{
    if (code == 487)
        return SC_EV_Dialog487RequestTerminated;
    if (code < 300)
        return SC_EV_Dialog200OK;
    if (code < 400)
        return SC_EV_Dialog3xx;
    if (code < 500)
        return SC_EV_Dialog4xx;
    if (code < 600)
        return SC_EV_Dialog5xx;
    return SC_EV_Dialog6xx;
}

/* ---- dialog fields --------------------------------------------------------------------- */

static int copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        return -ENAMETOOLONG;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
    return 0;
}

/* The first target of res for the dialog's transport (else the first one) as its first hop. */
static void use_target(sc_sip_call *call, const sip_resolved *res)
{
    for (size_t i = 0; i < res->n; i++)
        if (res->t[i].tp == call->d.transport || i + 1 == res->n) {
            sip_addr_set(&call->d.remote_addr, &res->t[i].addr);
            return;
        }
}

static void on_target_resolved(void *ud, const sip_resolved *res)
{
    sc_sip_call *call = ud;
    sip_enter(call->sip);
    call->target_lookup = NULL;
    use_target(call, res);
    if (!res->n)
        sc_log(call->sip->cfg.logger, SC_LOG_WARN, SIP_MODULE,
               "call %s: %s; in-dialog requests keep going to the "
               "previous address",
               call->d.call_id, res->why);
    if (call->ok_waits_target && call->ok) { /* the 2xx held back: its ACK can go now */
        call->ok_waits_target = false;
        sip_call_emit(call, SC_EV_Dialog200OK, call->ok->status_code, "INVITE", call->ok, NULL);
    }
    sip_leave(call->sip);
}

static int first_hop(sc_sip_call *call)
{
    sc_sip_transport tp;
    struct sockaddr_storage ss;
    const char *target = call->d.remote_target;
    char first[SC_SIP_URI_MAX];
    if (call->d.route_set[0]) { /* "<sip:proxy;lr>, <...>": the first URI */
        const char *lt = strchr(call->d.route_set, '<');
        const char *gt = lt ? strchr(lt, '>') : NULL;
        if (lt && gt && (size_t)(gt - lt - 1) < sizeof first) {
            memcpy(first, lt + 1, (size_t)(gt - lt - 1));
            first[gt - lt - 1] = '\0';
            target = first;
        }
    }
    if (sip_uri_dest(target, &tp, &ss) == 0) {
        sip_addr_set(&call->d.remote_addr, &ss);
        return 0;
    }
    /* A host name (RFC 3263): from the cache at once, else requests keep going to the last
     * address until the DNS answers. A throw-away call (end_fork: no reference) waits for nothing. */
    sip_resolve_cancel(call->target_lookup);
    call->target_lookup = NULL;
    sip_resolved res;
    int rc = sip_resolve_uri(call->sip, target, &res, on_target_resolved, call,
                             call->refs ? &call->target_lookup : NULL);
    if (rc == 1)
        use_target(call, &res);
    return rc < 0 ? -EINVAL : 0;
}

int sip_dialog_update_target(sc_sip_call *call, const osip_message_t *msg)
{
    osip_contact_t *c = NULL;
    char *s = NULL;
    if (osip_message_get_contact(msg, 0, &c) < 0 || !c || !c->url || osip_uri_to_str(c->url, &s) != 0)
        return -ENOENT;
    int rc = sip_dlg_set(&call->d, SIP_DF_REMOTE_TARGET, s);
    osip_free(s);
    if (rc == 0)
        first_hop(call);
    return rc;
}

int sip_dialog_route_set(sc_sip_call *call, const osip_message_t *msg, bool reverse)
{
    char buf[SC_SIP_ROUTESET_MAX];
    size_t len = 0;
    int n = osip_list_size(&msg->record_routes);
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        char *s = NULL;
        osip_record_route_t *rr = osip_list_get(&msg->record_routes, reverse ? n - 1 - i : i);
        if (osip_record_route_to_str(rr, &s) != 0)
            return -ENOMEM;
        int w = snprintf(buf + len, sizeof buf - len, "%s%s", len ? ", " : "", s);
        osip_free(s);
        if (w < 0 || (size_t)w >= sizeof buf - len)
            return -ENAMETOOLONG;
        len += (size_t)w;
    }
    int rc = sip_dlg_set(&call->d, SIP_DF_ROUTE_SET, buf);
    if (rc != 0)
        return rc;
    first_hop(call);
    return 0;
}

/* ---- sending in a dialog --------------------------------------------------------------- */

int sip_build_in_dialog(sc_sip_call *call, const char *method, uint32_t cseq, osip_message_t **out)
{
    char branch[40] = "z9hG4bK";
    sc_random_hex(branch + 7, 20);
    osip_message_t *m = sip_request(call->sip, &call->d, method, cseq, branch);
    if (!m)
        return -ENOMEM;
    *out = m;
    return 0;
}

/* A request in the dialog; toward an unconfirmed target (dialog.c) over UDP without
 * retransmissions: timer E (or A) is stopped, timer F (or B) still ends the transaction. The
 * BYE that follows a 2xx never ACKed (RFC 3261 13.3.1.4) is the usual case: one datagram to
 * the Contact the INVITE named instead of eleven, and no amplification. */
int sip_call_send_request(sc_sip_call *call, osip_message_t *req, tx_purpose purpose, sip_tx **out)
{
    sip_tx *tx = NULL;
    int rc = sip_tx_client(call->sip, &tx, req, call->d.transport, SIP_SS(&call->d.remote_addr), call, purpose);
    if (rc != 0) {
        osip_message_free(req);
        return rc;
    }
    if (tx->tp == SC_SIP_UDP && sip_call_target_unconfirmed(call)) {
        sip_timer_stop(call->sip, &tx->t_retx);
        call->sip->stats.unconfirmed_sends++;
        sc_log(call->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE,
               "call %s: %s to a remote target no request of the dialog came from: sent once, not retransmitted",
               call->d.call_id, tx->method);
    }
    if (out)
        *out = tx;
    return 0;
}

/* Sends an ACK (not a transaction) and keeps it for 2xx retransmissions. */
static int send_ack(sc_sip_call *call, const sip_dialog *d, uint32_t cseq, const char *sdp, bool keep)
{
    char branch[40] = "z9hG4bK";
    sc_random_hex(branch + 7, 20);
    osip_message_t *ack = sip_request(call->sip, d, "ACK", cseq, branch);
    if (!ack)
        return -ENOMEM;
    char *s = NULL;
    size_t n = 0;
    int rc = sip_set_body(ack, NULL, sdp);
    if (rc == 0)
        rc = sip_msg_str(ack, &s, &n);
    if (rc == 0) {
        sip_count_out(call->sip, ack);
        sip_send(call->sip, d->transport, SIP_SS(&d->remote_addr), s, n);
        if (keep) {
            osip_free(call->ack);
            call->ack = s;
            call->ack_len = n;
            call->ack_cseq = cseq;
            sip_timer_start(call->sip, &call->t_ack_end, 64u * call->sip->t1);
        } else {
            osip_free(s);
        }
    }
    osip_message_free(ack);
    return rc;
}

static void enter(sc_sip *sip) { sip_enter(sip); }
static int leave(sc_sip *sip, int rc)
{
    sip_leave(sip);
    return rc;
}

/* ---- outgoing INVITE ------------------------------------------------------------------- */

void sip_uri_text(char *dst, size_t cap, const char *uri)
{
    while (*uri == ' ')
        uri++;
    const char *lt = strchr(uri, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt)
        snprintf(dst, cap, "%.*s", (int)(gt - lt - 1), lt + 1);
    else
        snprintf(dst, cap, "%s", uri);
}

/* An outbound proxy URI (brackets allowed) as the URI to send to (uri) and the Route value
 * naming it (route, "<sip:proxy;lr>"). ";lr" is added when missing: we always loose-route
 * (RFC 3261 16.12; strict routing, RFC 2543, is not supported). -EINVAL, -ENOSPC. */
int sip_proxy_route(const char *proxy, char *uri, size_t ucap, char *route, size_t rcap)
{
    char buf[SC_SIP_URI_MAX];
    sip_uri_text(buf, sizeof buf, proxy);
    osip_uri_t *u = NULL;
    if (osip_uri_init(&u) != 0)
        return -ENOMEM;
    int rc = -EINVAL;
    char *s = NULL;
    if (osip_uri_parse(u, buf) == 0 && u->scheme && strcasecmp(u->scheme, "sip") == 0 && u->host && *u->host) {
        osip_uri_param_t *lr = NULL;
        if (osip_uri_uparam_get_byname(u, "lr", &lr) != 0 || !lr)
            osip_uri_uparam_add(u, osip_strdup("lr"), NULL);
        rc = osip_uri_to_str(u, &s) == 0 && s ? 0 : -ENOMEM;
    }
    if (rc == 0) {
        int n = snprintf(uri, ucap, "%s", s), m = snprintf(route, rcap, "<%s>", s);
        rc = n < 0 || (size_t)n >= ucap || m < 0 || (size_t)m >= rcap ? -ENOSPC : 0;
    }
    osip_free(s);
    osip_uri_free(u);
    return rc;
}

/* A new outgoing call towards target (a sip: URI): transport, destination and our listener
 * chosen, not yet indexed. On success sip is entered (the caller ends with leave()); on
 * failure nothing is left behind and the error is returned. */
static int uac_call_at(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *to, void *user,
                       sc_sip_call **out, const sip_listener **lout)
{
    struct sockaddr_storage dst = *to;
    sip_listener *l = sip_listener_for(sip, tp, dst.ss_family);
    if (!l)
        return -ENOTCONN;
    if (sip->stats.active_calls >= sip->cfg.max_calls)
        return SC_E_OVERLOAD;
    enter(sip);
    sc_sip_call *c;
    int rc = sip_call_new(sip, &c, user);
    if (rc != 0)
        return leave(sip, rc);
    c->d.transport = tp;
    sip_addr_set(&c->d.remote_addr, &dst);
    sip_addr_set(&c->d.local_addr, &l->addr);
    c->d.is_uac = true;
    *out = c;
    *lout = l;
    return 0;
}

static int uac_call_new(sc_sip *sip, const char *target, void *user, sc_sip_call **out, const sip_listener **lout)
{
    sc_sip_transport tp;
    struct sockaddr_storage dst;
    if (sip_uri_dest(target, &tp, &dst) != 0)
        return -EINVAL;
    return uac_call_at(sip, tp, &dst, user, out, lout);
}

int sc_sip_call_invite(sc_sip *sip, sc_sip_call **out, const char *from_uri, const char *to_uri, const char *sdp_offer,
                       void *user)
{
    return sc_sip_call_invite_ex(sip, out, from_uri, to_uri, NULL, sdp_offer, user);
}

int sc_sip_call_invite_ex(sc_sip *sip, sc_sip_call **out, const char *from_uri, const char *to_uri,
                          const char *extra_headers, const char *sdp_offer, void *user)
{
    sc_sip_invite_opts o = {.extra_headers = extra_headers, .sdp_offer = sdp_offer};
    return sc_sip_call_invite_opts(sip, out, from_uri, to_uri, &o, user);
}

/* A new outgoing call (not yet sent): our tags and Call-ID, From, To, CSeq 1. sip is entered. */
static int uac_call_blank(sc_sip *sip, const char *from, const char *to, const char *hop, void *user, sc_sip_call **out)
{
    if (!sip->nlisteners)
        return -ENOTCONN;
    if (sip->stats.active_calls >= sip->cfg.max_calls)
        return SC_E_OVERLOAD;
    enter(sip);
    sc_sip_call *c;
    int rc = sip_call_new(sip, &c, user);
    if (rc != 0)
        return leave(sip, rc);
    sip_dialog *d = &c->d;
    d->is_uac = true;
    sc_sip_transport tp = SC_SIP_UDP;
    struct sockaddr_storage peer;
    bool literal = sip_uri_dest(hop, &tp, &peer) == 0; /* the Call-ID's host: toward it if known */
    sip_listener *l = sip_listener_for(sip, tp, literal ? peer.ss_family : AF_INET);
    if (!l)
        l = sip->listeners[0];
    char rnd[24], host[64], cid[24 + 1 + 64], tag[17];
    sc_random_hex(rnd, 20);
    sip_host_for(l, literal ? &peer : NULL, host, sizeof host);
    snprintf(cid, sizeof cid, "%s@%s", rnd, host);
    sc_random_hex(tag, 16);
    const char *v[SIP_DF__COUNT] = {[SIP_DF_CALL_ID] = cid,
                                    [SIP_DF_LOCAL_TAG] = tag,
                                    [SIP_DF_LOCAL_URI] = from,
                                    [SIP_DF_REMOTE_URI] = to,
                                    [SIP_DF_REMOTE_TARGET] = to};
    rc = sip_dlg_setv(d, v); /* from and to: checked shorter than SC_SIP_URI_MAX */
    if (rc != 0) {
        c->released = true;
        sip_call_unref(c);
        return leave(sip, rc);
    }
    sip_call_index(c);
    d->secure = strncasecmp(to, "sips:", 5) == 0; /* our Contact is sips too (RFC 5630) */
    d->local_cseq = 1;
    c->invite_cseq = 1;
    *out = c;
    return 0;
}

int sc_sip_call_invite_opts(sc_sip *sip, sc_sip_call **out, const char *from_uri, const char *to_uri,
                            const sc_sip_invite_opts *opts, void *user)
{
    static const sc_sip_invite_opts none;
    if (!opts)
        opts = &none;
    if (!sip || !out || !from_uri || !to_uri || sip->closing || (opts->auth_user && !opts->auth_password))
        return -EINVAL;
    if (opts->ntargets && !opts->targets)
        return -EINVAL;
    char to[SC_SIP_URI_MAX], from[SC_SIP_URI_MAX], proxy[SC_SIP_URI_MAX], route[SC_SIP_URI_MAX + 2];
    sip_uri_text(to, sizeof to, to_uri);
    sip_uri_text(from, sizeof from, from_uri);
    if (strlen(to) >= SC_SIP_URI_MAX - 1 || strlen(from) >= SC_SIP_URI_MAX - 1)
        return -EINVAL;
    if (opts->proxy && sip_proxy_route(opts->proxy, proxy, sizeof proxy, route, sizeof route) != 0)
        return -EINVAL;
    char first[SC_SIP_URI_MAX];
    sip_uri_text(first, sizeof first, opts->ntargets && opts->targets[0] ? opts->targets[0] : to);
    sc_sip_call *c;
    int rc = uac_call_blank(sip, from, to, opts->proxy ? proxy : first, user, &c);
    if (rc != 0)
        return rc;
    if (opts->auth_user)
        rc = sip_cred_add(&c->cred, NULL, opts->auth_user, opts->auth_password);
    if (rc == 0)
        rc = sip_uac_new(c, to, opts->proxy ? route : NULL, opts->extra_headers, opts->sdp_offer,
                         opts->ntargets ? NULL : opts->on_sent);
    if (rc == 0 && opts->ntargets) /* RFC 3261 8.1.2: through the proxy when there is one */
        rc = sip_fork_start(c, opts->targets, opts->ntargets, opts->proxy ? proxy : NULL);
    else if (rc == 0)
        rc = sip_uac_start(c, opts->proxy ? proxy : to);
    if (rc != 0) {
        c->released = true;
        sip_call_unref(c);
        return leave(sip, rc);
    }
    *out = c;
    return leave(sip, 0);
}

int sc_sip_call_invite_via(const sc_sip_call *call, char *buf, size_t cap)
{
    if (!call || !buf || !cap || !call->d.is_uac || !call->ict || call->ict->purpose != TXP_INVITE)
        return -ENOENT;
    char *v = NULL;
    osip_via_t *via = osip_list_get(&call->ict->req->vias, 0);
    if (!via || osip_via_to_str(via, &v) != 0)
        return -ENOMEM;
    int rc = copy_field(buf, cap, v) == 0 ? 0 : -ENOSPC;
    osip_free(v);
    return rc;
}

/* Our INVITE as it was sent, as far as a CANCEL or an ACK needs it: Request-URI, the persisted
 * top Via, From with our tag, To without a tag, Call-ID, CSeq. */
static int rebuilt_invite(sc_sip_call *c, const char *via, osip_message_t **out)
{
    osip_message_t *m = sip_request(c->sip, &c->d, "INVITE", c->invite_cseq, "z9hG4bKresume");
    if (!m)
        return -ENOMEM;
    osip_via_t *old = osip_list_get(&m->vias, 0);
    osip_list_remove(&m->vias, 0);
    osip_via_free(old);
    const char *branch = NULL;
    if (osip_message_set_via(m, via) != 0 || osip_list_size(&m->vias) != 1 || !(branch = sip_branch(m)) ||
        strncmp(branch, "z9hG4bK", 7) != 0) {
        osip_message_free(m);
        return -EINVAL;
    }
    *out = m;
    return 0;
}

int sc_sip_call_resume_invite(sc_sip *sip, sc_sip_call **out, const sc_sip_dialog_state *st, const char *via,
                              void *user)
{
    if (!sip || !out || !st || !via || !*via || !st->call_id[0] || !st->local_tag[0] || !st->local_uri[0] ||
        !st->remote_uri[0] || st->local_cseq == 0 || sip->closing)
        return -EINVAL;
    sc_sip_call *c;
    const sip_listener *l;
    int rc = st->remote_addr.ss_family ? uac_call_at(sip, st->transport, &st->remote_addr, user, &c, &l)
                                       : uac_call_new(sip, st->remote_uri, user, &c, &l);
    if (rc != 0)
        return rc;
    sip_dialog *d = &c->d;
    const char *v[SIP_DF__COUNT] = {[SIP_DF_CALL_ID] = st->call_id,
                                    [SIP_DF_LOCAL_TAG] = st->local_tag,
                                    [SIP_DF_LOCAL_URI] = st->local_uri,
                                    [SIP_DF_REMOTE_URI] = st->remote_uri,
                                    [SIP_DF_REMOTE_TARGET] = st->remote_uri};
    if (st->remote_addr.ss_family) /* the INVITE's Route headers (a proxy's) */
        v[SIP_DF_ROUTE_SET] = st->route_set;
    rc = sip_dlg_setv(d, v);
    if (rc != 0)
        rc = rc == -ENOMEM ? rc : -EINVAL;
    osip_message_t *req = NULL;
    if (rc == 0) {
        sip_call_index(c);
        d->local_cseq = c->invite_cseq = st->local_cseq;
        rc = rebuilt_invite(c, via, &req);
    }
    if (rc == 0 &&
        (rc = sip_tx_client_resume(sip, &c->ict, req, d->transport, SIP_SS(&d->remote_addr), c, TXP_INVITE)) != 0)
        osip_message_free(req);
    if (rc != 0) {
        c->released = true;
        sip_call_unref(c);
        return leave(sip, rc);
    }
    c->got_provisional = true; /* Proceeding: a CANCEL goes out at once */
    sc_log(sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: INVITE transaction resumed (%s)", d->call_id,
           sip_branch(req));
    *out = c;
    return leave(sip, 0);
}

int sip_send_cancel_tx(sc_sip_call *call, sip_tx *ict)
{
    const osip_message_t *inv = ict->req;
    osip_message_t *m = NULL;
    osip_uri_t *uri = NULL;
    osip_via_t *via = NULL;
    char cseq[64];
    if (osip_message_init(&m) != 0)
        return -ENOMEM;
    bool ok = osip_uri_clone(inv->req_uri, &uri) == 0;
    if (ok) {
        osip_message_set_uri(m, uri);
        osip_message_set_method(m, osip_strdup("CANCEL"));
        osip_message_set_version(m, osip_strdup("SIP/2.0"));
        ok = osip_via_clone(osip_list_get(&inv->vias, 0), &via) == 0 && osip_list_add(&m->vias, via, -1) >= 0;
    }
    ok = ok && osip_from_clone(inv->from, &m->from) == 0 && osip_to_clone(inv->to, &m->to) == 0 &&
         osip_call_id_clone(inv->call_id, &m->call_id) == 0;
    if (ok) {
        snprintf(cseq, sizeof cseq, "%s CANCEL", inv->cseq->number);
        ok = osip_message_set_cseq(m, cseq) == 0;
    }
    for (int i = 0; ok && i < osip_list_size(&inv->routes); i++) {
        char *r = NULL;
        ok = osip_route_to_str(osip_list_get(&inv->routes, i), &r) == 0 && osip_message_set_route(m, r) == 0;
        osip_free(r);
    }
    if (!ok) {
        osip_message_free(m);
        return -ENOMEM;
    }
    osip_message_set_header(m, "Max-Forwards", "70");
    sip_add_common(call->sip, m);
    int rc = sip_tx_client(call->sip, NULL, m, ict->tp, &ict->peer, call, TXP_CANCEL);
    if (rc != 0)
        osip_message_free(m);
    return rc;
}

static int send_cancel(sc_sip_call *call)
{
    int rc = sip_send_cancel_tx(call, call->ict);
    if (rc != 0)
        return rc;
    call->cancel_sent = true;
    sip_timer_start(call->sip, &call->t_cancel, 64u * call->sip->t1);
    return 0;
}

int sc_sip_call_cancel(sc_sip_call *call)
{
    if (call && call->fork && call->d.is_uac && !call->got_final) { /* every branch */
        enter(call->sip);
        return leave(call->sip, sip_fork_cancel(call));
    }
    if (call && call->d.is_uac && !call->ict && sip_uac_cancel_unsent(call))
        return 0; /* still locating the callee: nothing left, 487 reported */
    if (!call || !call->d.is_uac || call->got_final || !call->ict || call->ict->purpose != TXP_INVITE)
        return -EINVAL;
    if (call->cancel_sent || call->cancel_pending)
        return 0;
    if (!call->got_provisional) {
        call->cancel_pending = true;
        return 0;
    }
    enter(call->sip);
    return leave(call->sip, send_cancel(call));
}

int sc_sip_call_ack(sc_sip_call *call, const char *sdp)
{
    if (!call || !call->ok)
        return -EINVAL;
    enter(call->sip);
    int rc = send_ack(call, &call->d, call->invite_cseq, sdp, true);
    osip_message_free(call->ok);
    call->ok = NULL;
    return leave(call->sip, rc);
}

/* A 2xx from a second UAS of a forked INVITE: ACK it and hang that dialog up. */
static void end_fork(sc_sip_call *call, const osip_message_t *resp)
{
    sc_sip_call *tmp = calloc(1, sizeof *tmp); /* a throw-away call, to reuse the dialog helpers */
    if (!tmp)
        return;
    tmp->sip = call->sip;
    sip_dlg_init(&tmp->d);
    if (sip_dlg_copy(&tmp->d, &call->d) == 0 && sip_dlg_set(&tmp->d, SIP_DF_REMOTE_TAG, sip_to_tag(resp)) == 0 &&
        sip_dialog_update_target(tmp, resp) == 0 && sip_dialog_route_set(tmp, resp, true) == 0) {
        sc_log(call->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: 2xx from another fork (tag %s): ACK+BYE",
               call->d.call_id, tmp->d.remote_tag);
        send_ack(tmp, &tmp->d, call->invite_cseq, NULL, false);
        osip_message_t *bye = NULL;
        if (sip_build_in_dialog(tmp, "BYE", call->invite_cseq + 1, &bye) == 0 &&
            sip_tx_client(call->sip, NULL, bye, tmp->d.transport, SIP_SS(&tmp->d.remote_addr), NULL, TXP_NONE) != 0)
            osip_message_free(bye);
    }
    sip_dlg_free(&tmp->d);
    free(tmp);
}

static void emit_provisional(sc_sip_call *call, const osip_message_t *resp)
{
    int code = resp->status_code;
    sc_builtin_event ev = code == 100   ? SC_EV_Dialog100Trying
                          : code == 183 ? SC_EV_Dialog183SessionProgress
                                        : SC_EV_Dialog180Ringing;
    sip_call_emit(call, ev, code, "INVITE", resp, NULL);
}

/* Replace the branch of req's top Via (a new transaction). */
static int new_branch(osip_message_t *req)
{
    osip_via_t *via = osip_list_get(&req->vias, 0);
    osip_generic_param_t *b = NULL;
    if (!via || osip_via_param_get_byname(via, "branch", &b) != 0 || !b)
        return -EINVAL;
    char branch[40] = "z9hG4bK";
    sc_random_hex(branch + 7, 20);
    osip_free(b->gvalue);
    b->gvalue = osip_strdup(branch);
    return b->gvalue ? 0 : -ENOMEM;
}

/* A copy of tx's request answering resp's challenge: the credentials' Authorization or
 * Proxy-Authorization (an earlier one removed), CSeq cseq, a new branch (RFC 3261 22.2). *stale
 * as the challenge says. -ENOENT when nothing can be answered (no credentials for its realm). */
static int challenged_copy(sc_sip_call *call, const sip_tx *tx, const osip_message_t *resp, uint32_t cseq,
                           osip_message_t **out, bool *stale)
{
    char *uri = NULL;
    if (!tx->req || !tx->req->sip_method || osip_uri_to_str(tx->req->req_uri, &uri) != 0 || !uri)
        return -EINVAL;
    const char *hname = NULL;
    char hvalue[2048];
    int rc = sip_auth_answer(call->cred ? call->cred : call->sip->creds, resp, tx->req->sip_method, uri, &hname, hvalue,
                             sizeof hvalue, stale);
    osip_free(uri);
    if (rc != 0)
        return rc;
    osip_message_t *req = NULL;
    if (osip_message_clone(tx->req, &req) != 0)
        return -ENOMEM;
    osip_list_special_free(&req->authorizations, (void (*)(void *))osip_authorization_free);
    osip_list_special_free(&req->proxy_authorizations, (void (*)(void *))osip_authorization_free);
    char num[16];
    snprintf(num, sizeof num, "%u", cseq);
    osip_free(req->cseq->number);
    req->cseq->number = osip_strdup(num);
    if (new_branch(req) != 0 || osip_message_set_header(req, hname, hvalue) != 0) {
        osip_message_free(req);
        return -ENOMEM;
    }
    osip_message_force_update(req);
    sc_log(call->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: %d: %s sent again with %s", call->d.call_id,
           resp->status_code, tx->req->sip_method, hname);
    *out = req;
    return 0;
}

/* A 401/407 to our INVITE: send it again with the credentials' answer (same Call-ID and tags,
 * CSeq + 1). Once per call, and once more when the new challenge says stale=true; then the
 * challenge is the call's final answer. 0 when a new INVITE left. */
static int answer_challenge(sc_sip_call *call, sip_tx *tx, const osip_message_t *resp)
{
    if (call->cancel_pending || call->cancel_sent || call->auth_tries >= 2)
        return -EINVAL;
    osip_message_t *req = NULL;
    bool stale = false;
    int rc = challenged_copy(call, tx, resp, call->invite_cseq + 1, &req, &stale);
    if (rc != 0)
        return rc;
    if (call->auth_tries == 1 && !stale) {
        sc_log(call->sip->cfg.logger, SC_LOG_WARN, SIP_MODULE, "call %s: %d again after our credentials: giving up",
               call->d.call_id, resp->status_code);
        osip_message_free(req);
        return -EACCES;
    }
    call->invite_cseq++;
    call->d.local_cseq = call->invite_cseq;
    call->auth_tries++;
    call->got_provisional = false;
    sip_dlg_set(&call->d, SIP_DF_REMOTE_TAG, ""); /* the challenge's To tag starts no dialog */
    if (call->d.phase == SC_SIP_DIALOG_EARLY)
        sip_dialog_set_phase(call, SC_SIP_DIALOG_NONE);
    /* The same first hop as the challenged INVITE (its Route, a proxy's, is in the copy). */
    rc = sip_tx_client(call->sip, &call->ict, req, tx->tp, &tx->peer, call, TXP_INVITE);
    if (rc != 0)
        osip_message_free(req);
    return rc;
}

/* A 401/407 to a request in the dialog (BYE, REFER, NOTIFY, INFO...): sent again once with the
 * credentials (again on stale=true), CSeq the dialog's next. 0 when it left. */
static int answer_request_challenge(sc_sip_call *call, sip_tx *tx, const osip_message_t *resp)
{
    bool answered = tx->req && (osip_list_size(&tx->req->authorizations) > 0 ||
                                osip_list_size(&tx->req->proxy_authorizations) > 0);
    osip_message_t *req = NULL;
    bool stale = false;
    int rc = challenged_copy(call, tx, resp, call->d.local_cseq + 1, &req, &stale);
    if (rc == 0 && answered && !stale) {
        osip_message_free(req);
        return -EACCES;
    }
    if (rc != 0)
        return rc;
    call->d.local_cseq++;
    return sip_call_send_request(call, req, tx->purpose, NULL);
}

static void uac_invite_response(sc_sip_call *call, sip_tx *tx, osip_message_t *resp)
{
    int code = resp->status_code;
    const char *totag = sip_to_tag(resp);
    if (code < 200) {
        if (call->fork) /* a CANCEL may go on its branch */
            sip_fork_provisional(call, tx);
        if (call->got_final || (!call->fork && tx != call->ict))
            return;
        call->got_provisional = true;
        if (totag && *totag && call->d.phase == SC_SIP_DIALOG_NONE &&
            sip_dlg_set(&call->d, SIP_DF_REMOTE_TAG, totag) == 0) {
            sip_dialog_update_target(call, resp);
            sip_dialog_route_set(call, resp, true);
            sip_dialog_set_phase(call, SC_SIP_DIALOG_EARLY);
        }
        sip_allow_note(call, resp);
        if (!sip_rel_provisional(call, resp)) /* RFC 3262: PRACKed; a retransmission absorbed */
            return;
        if (call->cancel_pending && !call->cancel_sent && !call->fork) {
            call->cancel_pending = false;
            send_cancel(call);
        }
        emit_provisional(call, resp);
        return;
    }
    if (code < 300) {
        if (!call->got_final) {
            if (call->fork)
                sip_fork_won(call, tx);
            call->got_final = true;
            call->ict = NULL;
            sip_timer_stop(call->sip, &call->t_cancel);
            sip_uac_done(call); /* the INVITE's contents and targets are not needed any more */
            sip_dlg_set(&call->d, SIP_DF_REMOTE_TAG, totag);
            sip_dialog_update_target(call, resp);
            sip_dialog_route_set(call, resp, true);
            sip_dialog_set_phase(call, SC_SIP_DIALOG_CONFIRMED);
            sip_allow_note(call, resp);
            if (call->ok)
                osip_message_free(call->ok);
            call->ok = NULL;
            osip_message_clone(resp, &call->ok);
            sip_st_uac_2xx(call, resp);          /* RFC 4028 (session_timer.c) */
            if (call->target_lookup && call->ok) /* a Contact known by name: reported once located */
                call->ok_waits_target = true;
            else
                sip_call_emit(call, SC_EV_Dialog200OK, code, "INVITE", resp, NULL);
        } else if (strcmp(totag ? totag : "", call->d.remote_tag) == 0) {
            call->sip->stats.retransmissions_absorbed++;
            if (call->ack && call->ack_cseq == call->invite_cseq) {
                call->sip->stats.retransmissions_sent++;
                sip_send(call->sip, call->d.transport, SIP_SS(&call->d.remote_addr), call->ack, call->ack_len);
            }
        } else {
            end_fork(call, resp);
        }
        return;
    }
    if (call->fork) { /* one branch failed (challenges are not answered on forks) */
        if (!call->got_final && sip_fork_failed(call, tx, code, resp, false)) {
            call->got_final = true;
            sip_timer_stop(call->sip, &call->t_cancel);
            sip_dialog_set_phase(call, SC_SIP_DIALOG_TERMINATED);
            sip_fork_report(call);
        }
        return;
    }
    if (tx != call->ict)
        return; /* an INVITE we sent again (challenge, failover): its final answer is history */
    if (code == 503 && sip_uac_failover(call, tx, "503 Service Unavailable"))
        return; /* RFC 3263 4.3: the next target */
    if ((code == 401 || code == 407) && !call->got_final && answer_challenge(call, tx, resp) == 0)
        return;
    if (call->got_final)
        return;
    call->got_final = true;
    call->ict = NULL;
    sip_timer_stop(call->sip, &call->t_cancel);
    sip_dialog_set_phase(call, SC_SIP_DIALOG_TERMINATED);
    sip_call_emit(call, sip_final_event(code), code, "INVITE", resp, NULL);
}

static void on_cancel_timeout(sip_timer *t)
{
    sc_sip_call *call = SIP_CONTAINER(t, sc_sip_call, t_cancel);
    if (call->got_final)
        return;
    call->got_final = true;
    if (call->ict)
        sip_tx_terminate(call->ict);
    if (call->fork)
        sip_fork_terminate(call);
    sip_dialog_set_phase(call, SC_SIP_DIALOG_TERMINATED);
    sip_call_emit(call, SC_EV_DialogTimeout, 0, "INVITE", NULL, NULL);
}

/* ---- re-INVITE ------------------------------------------------------------------------- */

static int send_reinvite(sc_sip_call *call)
{
    osip_message_t *req = NULL;
    uint32_t cseq = ++call->d.local_cseq;
    int rc = sip_build_in_dialog(call, "INVITE", cseq, &req);
    if (rc == 0 && (rc = sip_set_body(req, NULL, call->reinvite_sdp)) != 0)
        osip_message_free(req);
    if (rc == 0)
        rc = sip_call_send_request(call, req, TXP_REINVITE, &call->ict);
    if (rc == 0)
        call->invite_cseq = cseq;
    return rc;
}

int sc_sip_call_reinvite(sc_sip_call *call, const char *sdp)
{
    if (!call || call->released || call->d.phase != SC_SIP_DIALOG_CONFIRMED)
        return -EINVAL;
    if (call->ict || call->ist || call->ok || sip_timer_armed(&call->t_retry))
        return -EBUSY;
    char *copy = sdp ? strdup(sdp) : NULL;
    if (sdp && !copy)
        return -ENOMEM;
    free(call->reinvite_sdp);
    call->reinvite_sdp = copy;
    enter(call->sip);
    return leave(call->sip, send_reinvite(call));
}

static unsigned glare_delay(sc_sip_call *call)
{
    /* RFC 3261 14.1: the Call-ID owner waits 2.1-4 s, the other 0-2 s (at T1 = 500 ms). */
    char r[8];
    sc_random_hex(r, 4);
    unsigned x = (unsigned)strtoul(r, NULL, 16) % 1000; /* 0..999 */
    unsigned t1 = call->sip->t1;
    if (call->d.is_uac)
        return (t1 * 42) / 10 + (t1 * 38 / 10) * x / 1000; /* 4.2..8 T1 */
    return (t1 * 4) * x / 1000;                            /* 0..4 T1 */
}

static void reinvite_response(sc_sip_call *call, sip_tx *tx, osip_message_t *resp)
{
    int code = resp->status_code;
    uint32_t cseq = (uint32_t)strtoul(resp->cseq->number, NULL, 10);
    if (code < 200)
        return;
    if (code < 300) {
        if (call->ack_cseq == cseq) { /* retransmitted 2xx: ACKed again while the ACK is kept */
            call->sip->stats.retransmissions_absorbed++;
            if (call->ack) {
                call->sip->stats.retransmissions_sent++;
                sip_send(call->sip, call->d.transport, SIP_SS(&call->d.remote_addr), call->ack, call->ack_len);
            }
            return;
        }
        if (call->ict == tx)
            call->ict = NULL;
        sip_dialog_update_target(call, resp);
        send_ack(call, &call->d, cseq, NULL, true);
        free(call->reinvite_sdp); /* kept for a 491 retry only */
        call->reinvite_sdp = NULL;
        sip_call_emit(call, SC_EV_DialogReINVITEAccepted, code, "INVITE", resp, NULL);
        return;
    }
    if (call->ict == tx)
        call->ict = NULL;
    sc_sip_event ev = {.type = SC_EV_DialogReINVITERejected, .status = code, .method = "INVITE", .msg = resp};
    if (code == 491 && call->d.phase == SC_SIP_DIALOG_CONFIRMED) {
        ev.retry_ms = glare_delay(call);
        sip_timer_start(call->sip, &call->t_retry, ev.retry_ms);
    } else {
        free(call->reinvite_sdp); /* no retry */
        call->reinvite_sdp = NULL;
    }
    sip_call_emit_ev(call, &ev);
}

static void on_retry(sip_timer *t)
{
    sc_sip_call *call = SIP_CONTAINER(t, sc_sip_call, t_retry);
    if (call->d.phase != SC_SIP_DIALOG_CONFIRMED)
        return;
    if (call->ict || call->ist || send_reinvite(call) != 0)
        sip_call_emit(call, SC_EV_DialogReINVITERejected, 491, "INVITE", NULL, NULL);
}

/* ---- BYE and other requests ------------------------------------------------------------ */

int sc_sip_call_bye(sc_sip_call *call)
{
    if (!call || call->d.phase != SC_SIP_DIALOG_CONFIRMED)
        return -EINVAL;
    enter(call->sip);
    if (call->ok) /* a 2xx not yet ACKed: ACK first (RFC 3261 15) */
        sc_sip_call_ack(call, NULL);
    sip_call_stop_ok(call);
    sip_timer_stop(call->sip, &call->t_retry);
    osip_message_t *req = NULL;
    int rc = sip_build_in_dialog(call, "BYE", ++call->d.local_cseq, &req);
    if (rc == 0)
        rc = sip_call_send_request(call, req, TXP_BYE, NULL);
    if (rc == 0)
        sip_dialog_set_phase(call, SC_SIP_DIALOG_TERMINATED);
    return leave(call->sip, rc);
}

int sip_add_headers(osip_message_t *m, const char *extra)
{
    while (extra && *extra) {
        const char *eol = strstr(extra, "\r\n");
        size_t n = eol ? (size_t)(eol - extra) : strlen(extra);
        const char *colon = memchr(extra, ':', n);
        if (n > 0) {
            if (!colon || colon == extra)
                return -EINVAL;
            char name[64], value[1024];
            size_t nl = (size_t)(colon - extra);
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            size_t vl = n - (size_t)(v - extra);
            if (nl >= sizeof name || vl >= sizeof value)
                return -EINVAL;
            memcpy(name, extra, nl);
            name[nl] = '\0';
            memcpy(value, v, vl);
            value[vl] = '\0';
            if (osip_message_set_header(m, name, value) != 0)
                return -EINVAL;
        }
        extra += n + (eol ? 2 : 0);
    }
    return 0;
}

int sc_sip_call_request(sc_sip_call *call, const char *method, const char *extra_headers, const char *content_type,
                        const char *body)
{
    if (!call || !method || call->d.phase != SC_SIP_DIALOG_CONFIRMED)
        return -EINVAL;
    sc_sip_method k = sip_method_of(method);
    if (k == SC_SIP_M_INVITE || k == SC_SIP_M_ACK || k == SC_SIP_M_BYE || k == SC_SIP_M_CANCEL || k == SC_SIP_M_OTHER)
        return -EINVAL;
    enter(call->sip);
    osip_message_t *req = NULL;
    int rc = sip_build_in_dialog(call, method, call->d.local_cseq + 1, &req);
    if (rc == 0) {
        rc = sip_add_headers(req, extra_headers);
        if (rc == 0)
            rc = sip_set_body(req, content_type, body);
        if (rc != 0)
            osip_message_free(req);
    }
    if (rc == 0) {
        call->d.local_cseq++;
        rc = sip_call_send_request(call, req, TXP_REQUEST, NULL);
    }
    return leave(call->sip, rc);
}

/* sc_sip_respond with extra header lines (non-INVITE server transactions only). */
int sc_sip_respond_ex(sc_sip *sip, sc_sip_stx *stx, int code, const char *reason, const char *extra_headers,
                      const char *content_type, const char *body)
{
    if (!extra_headers || !*extra_headers)
        return sc_sip_respond(sip, stx, code, reason, content_type, body);
    if (!sip || !stx || stx->kind != TX_NIST || code < 100 || code > 699 || sip_tx_final_sent(stx))
        return -EINVAL;
    enter(sip);
    char tag[20];
    const char *t = stx->call ? stx->call->d.local_tag : NULL;
    if (!t) {
        sc_random_hex(tag, 16);
        t = tag;
    }
    int rc = -ENOMEM;
    osip_message_t *r = sip_response(sip, stx->req, code, reason, t);
    if (r && (rc = sip_add_headers(r, extra_headers)) == 0 && (rc = sip_set_body(r, content_type, body)) == 0)
        return leave(sip, sip_tx_respond(stx, r));
    if (r)
        osip_message_free(r);
    return leave(sip, rc);
}

/* ---- transaction results --------------------------------------------------------------- */

void sip_call_on_response(sc_sip_call *call, sip_tx *tx, osip_message_t *resp)
{
    switch (tx->purpose) {
    case TXP_INVITE: uac_invite_response(call, tx, resp); break;
    case TXP_REINVITE: reinvite_response(call, tx, resp); break;
    case TXP_REFRESH:
        sip_st_on_response(call, tx, resp); /* session_timer.c */
        break;
    case TXP_BYE:
    case TXP_REQUEST:
        if ((resp->status_code == 401 || resp->status_code == 407) && answer_request_challenge(call, tx, resp) == 0)
            break;
        if (resp->status_code >= 200)
            sip_call_emit(call, sip_final_event(resp->status_code == 487 ? 400 : resp->status_code), resp->status_code,
                          tx->method, resp, NULL);
        break;
    default: break;
    }
}

void sip_call_on_timeout(sc_sip_call *call, sip_tx *tx, bool transport_error)
{
    sc_builtin_event ev = transport_error ? SC_EV_DialogError : SC_EV_DialogTimeout;
    switch (tx->purpose) {
    case TXP_INVITE:
        if (call->got_final)
            return;
        if (call->fork) {
            if (!sip_fork_failed(call, tx, transport_error ? 503 : 408, NULL, transport_error))
                return;
            call->got_final = true;
            sip_timer_stop(call->sip, &call->t_cancel);
            sip_dialog_set_phase(call, SC_SIP_DIALOG_TERMINATED);
            sip_fork_report(call);
            return;
        }
        if (tx != call->ict || sip_uac_failover(call, tx, transport_error ? "transport error" : "no answer"))
            return; /* an INVITE sent again, or RFC 3263 4.3: the next target */
        call->got_final = true;
        call->ict = NULL;
        sip_dialog_set_phase(call, SC_SIP_DIALOG_TERMINATED);
        sip_call_emit(call, ev, 0, "INVITE", NULL, NULL);
        break;
    case TXP_REINVITE:
        if (call->ict == tx)
            call->ict = NULL;
        sip_call_emit(call, SC_EV_DialogReINVITERejected, 408, "INVITE", NULL, NULL);
        break;
    case TXP_REFRESH:
        sip_st_on_timeout(call, tx); /* session_timer.c */
        break;
    case TXP_BYE:
    case TXP_REQUEST: sip_call_emit(call, ev, 0, tx->method, NULL, NULL); break;
    default: break;
    }
}

/* ---- 2xx retransmission (UAS, RFC 3261 13.3.1.4) --------------------------------------- */

void sip_call_stop_ok(sc_sip_call *call)
{
    struct sip_ok *ok = call->ok_wait;
    if (!ok)
        return;
    sip_timer_stop(call->sip, &ok->t_retx);
    sip_timer_stop(call->sip, &ok->t_end);
    free(ok);
    call->ok_wait = NULL;
}

int sip_call_start_ok(sc_sip_call *call, const sip_tx *tx)
{
    sip_call_stop_ok(call);
    struct sip_ok *ok = malloc(sizeof *ok + tx->out_len);
    if (!ok)
        return -ENOMEM;
    ok->call = call;
    memcpy(ok->out, tx->out, tx->out_len);
    ok->len = tx->out_len;
    ok->cseq = (uint32_t)strtoul(tx->req->cseq->number, NULL, 10);
    ok->tp = tx->tp;
    sip_addr_set(&ok->peer, &tx->peer);
    ok->interval = call->sip->t1;
    sip_timer_init(&ok->t_retx, on_ok_retx);
    sip_timer_init(&ok->t_end, on_ok_end);
    call->ok_wait = ok;
    if (tx->tp == SC_SIP_UDP)
        sip_timer_start(call->sip, &ok->t_retx, ok->interval);
    sip_timer_start(call->sip, &ok->t_end, 64u * call->sip->t1);
    return 0;
}

static void on_ack_end(sip_timer *t)
{
    sc_sip_call *call = SIP_CONTAINER(t, sc_sip_call, t_ack_end);
    osip_free(call->ack); /* ack_cseq stays: a late 2xx is still known as a retransmission */
    call->ack = NULL;
    call->ack_len = 0;
}

static void on_ok_retx(sip_timer *t)
{
    struct sip_ok *ok = SIP_CONTAINER(t, struct sip_ok, t_retx);
    sc_sip *sip = ok->call->sip;
    sip->stats.retransmissions_sent++;
    sip_send(sip, ok->tp, SIP_SS(&ok->peer), ok->out, ok->len);
    ok->interval = ok->interval * 2 < sip->t2 ? ok->interval * 2 : sip->t2;
    sip_timer_start(sip, &ok->t_retx, ok->interval);
}

static void on_ok_end(sip_timer *t)
{
    sc_sip_call *call = SIP_CONTAINER(t, struct sip_ok, t_end)->call;
    sip_call_stop_ok(call);
    sip_call_emit(call, SC_EV_DialogTimeout, 0, "ACK", NULL, NULL);
}

/* ---- accessors ------------------------------------------------------------------------- */

void sc_sip_call_dialog(const sc_sip_call *call, sc_sip_dialog_state *out) { sip_dlg_to_state(&call->d, out); }

const char *sc_sip_call_id(const sc_sip_call *call) { return call->d.call_id; }
const char *sc_sip_call_local_uri(const sc_sip_call *call) { return call->d.local_uri; }
const char *sc_sip_call_remote_uri(const sc_sip_call *call) { return call->d.remote_uri; }
void *sc_sip_call_user(const sc_sip_call *call) { return call->user; }
void sc_sip_call_set_user(sc_sip_call *call, void *user) { call->user = user; }
sc_sip *sc_sip_call_agent(const sc_sip_call *call) { return call->sip; }
