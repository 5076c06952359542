/* uac: the way out of our initial INVITE: its first hop (the outbound proxy or the Request-URI)
 * located by RFC 3263 (resolve.c), the INVITE built and sent to the first target we have a
 * listener for (at once when the answer is known: an IP literal or a cached name; when the DNS
 * answers otherwise), the next target tried with a new transaction after a 503 or a timeout
 * (RFC 3263 4.3), a name that does not resolve reported as DialogError with its reason, and a
 * CANCEL before anything left. fork.c uses the same sending for each of its branches. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_int.h"

struct sip_uac {
    sc_sip_call *call;
    sip_hop hop;       /* the call's first hop (not forked) */
    char *ruri;        /* the Request-URI (the callee's URI) */
    char *proxy_route; /* "<sip:proxy;lr>" or NULL */
    char *extra, *sdp; /* what the INVITE carries (may be NULL) */
    sc_sip_invite_sent_cb on_sent;
    sip_timer t_report; /* a failure or a CANCEL known before anything was sent: reported from here */
    bool cancelled;     /* CANCEL before the INVITE left: report 487 */
};

static void on_report(sip_timer *t);

static char *dup_or_null(const char *s, bool *fail)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *fail = true;
    return d;
}

int sip_uac_new(sc_sip_call *c, const char *ruri, const char *proxy_route, const char *extra, const char *sdp,
                sc_sip_invite_sent_cb on_sent)
{
    struct sip_uac *u = calloc(1, sizeof *u);
    if (!u)
        return -ENOMEM;
    bool fail = false;
    u->call = c;
    u->ruri = dup_or_null(ruri, &fail);
    u->proxy_route = dup_or_null(proxy_route, &fail);
    u->extra = dup_or_null(extra, &fail);
    u->sdp = dup_or_null(sdp, &fail);
    u->on_sent = on_sent;
    sip_timer_init(&u->t_report, on_report);
    c->uac = u;
    if (fail)
        return -ENOMEM;
    /* the dialog's route set until an answer brings its Record-Route */
    return proxy_route ? sip_dlg_set(&c->d, SIP_DF_ROUTE_SET, proxy_route) : 0;
}

void sip_hop_cancel(sip_hop *h)
{
    sip_resolve_cancel(h->pending);
    h->pending = NULL;
}

void sip_uac_stop(sc_sip_call *c)
{
    if (!c->uac)
        return;
    sip_hop_cancel(&c->uac->hop);
    sip_timer_stop(c->sip, &c->uac->t_report);
}

void sip_uac_free(sc_sip_call *c)
{
    struct sip_uac *u = c->uac;
    if (!u)
        return;
    sip_hop_cancel(&u->hop); /* no timer is touched here: the agent may be gone (free_everything) */
    free(u->ruri);
    free(u->proxy_route);
    free(u->extra);
    free(u->sdp);
    free(u);
    c->uac = NULL;
}

void sip_uac_done(sc_sip_call *c)
{
    if (c->fork)
        return;
    sip_uac_stop(c);
    sip_uac_free(c);
}

const char *sip_uac_ruri(const sc_sip_call *c) { return c->uac ? c->uac->ruri : NULL; }

/* Our listener for a target: its transport and family; a single target may use another family
 * of listener, as before DNS (the send then fails like any other). */
static sip_listener *listener_of(sc_sip *sip, const sip_target *t, bool only)
{
    sip_listener *l = sip_listener_for(sip, t->tp, t->addr.ss_family);
    return l && (only || l->addr.ss_family == t->addr.ss_family) ? l : NULL;
}

int sip_uac_send(sc_sip_call *c, sip_hop *hop, const char *ruri, bool notify, sip_tx **out)
{
    struct sip_uac *u = c->uac;
    sip_dialog *d = &c->d;
    for (; hop->next < hop->res.n; hop->next++) {
        const sip_target *t = &hop->res.t[hop->next];
        sip_listener *l = listener_of(c->sip, t, hop->res.n == 1);
        if (!l)
            continue;
        hop->next++;
        d->transport = t->tp;
        sip_addr_set(&d->remote_addr, &t->addr);
        sip_addr_set(&d->local_addr, &l->addr);
        /* an initial INVITE: no To tag, whatever early dialog exists */
        const char *v[SIP_DF__COUNT] = {[SIP_DF_REMOTE_TAG] = "",
                                        [SIP_DF_REMOTE_TARGET] = ruri,
                                        [SIP_DF_ROUTE_SET] = u->proxy_route ? u->proxy_route : ""};
        osip_message_t *req = NULL;
        int rc = sip_dlg_setv(d, v);
        if (rc == 0)
            rc = sip_build_in_dialog(c, "INVITE", c->invite_cseq, &req);
        if (rc == 0 && ((rc = sip_add_headers(req, u->extra)) != 0 || (rc = sip_set_body(req, NULL, u->sdp)) != 0))
            osip_message_free(req);
        if (rc != 0)
            return rc;
        sip_st_uac_invite(c, req); /* RFC 4028 (session_timer.c) */
        char *via = NULL;
        if (notify && u->on_sent && !c->released && osip_via_to_str(osip_list_get(&req->vias, 0), &via) == 0)
            u->on_sent(c, via, c->user); /* before it leaves: strict durability holds it */
        osip_free(via);
        rc = sip_tx_client(c->sip, out, req, t->tp, &t->addr, c, TXP_INVITE);
        if (rc != 0)
            osip_message_free(req);
        return rc;
    }
    return -ENOENT;
}

/* ---- the call's own first hop ------------------------------------------------------------------ */

static void report_failure(sc_sip_call *c, sc_builtin_event type, int status, const char *why)
{
    if (c->got_final)
        return;
    c->got_final = true;
    sip_dialog_set_phase(c, SC_SIP_DIALOG_TERMINATED);
    sc_log(c->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: INVITE not sent: %s", c->d.call_id, why);
    sc_sip_event ev = {.type = type, .status = status, .reason = why, .method = "INVITE"};
    sip_call_emit_ev(c, &ev);
}

/* Why no target could be used: the DNS failure, or no listener for what it gave. */
static const char *why_not(const sip_hop *h, char *buf, size_t cap)
{
    if (h->res.n == 0)
        return h->res.why[0] ? h->res.why : "DNS: no target";
    snprintf(buf, cap, "no listener for the transport or address family of %s", h->uri);
    return buf;
}

static void on_report(sip_timer *t)
{
    struct sip_uac *u = SIP_CONTAINER(t, struct sip_uac, t_report);
    char buf[SC_SIP_URI_MAX + 64];
    if (u->cancelled)
        report_failure(u->call, SC_EV_Dialog487RequestTerminated, 487, "Request Terminated (before it was sent)");
    else
        report_failure(u->call, SC_EV_DialogError, 0, why_not(&u->hop, buf, sizeof buf));
}

/* Sends to the next target of the call's hop; a failure to send is reported from a timer. */
static int send_next(sc_sip_call *c, bool report)
{
    int rc = sip_uac_send(c, &c->uac->hop, c->uac->ruri, true, &c->ict);
    if (rc != 0 && report)
        sip_timer_start(c->sip, &c->uac->t_report, 0);
    return rc;
}

static void on_resolved(void *ud, const sip_resolved *res)
{
    sc_sip_call *c = ud;
    struct sip_uac *u = c->uac;
    sip_enter(c->sip);
    u->hop.pending = NULL;
    u->hop.res = *res;
    u->hop.next = 0;
    if (!c->got_final && !c->released)
        send_next(c, true);
    sip_leave(c->sip);
}

int sip_hop_start(sc_sip *sip, sip_hop *h, const char *uri, sip_resolve_cb cb, void *ud)
{
    snprintf(h->uri, sizeof h->uri, "%s", uri);
    h->next = 0;
    h->pending = NULL;
    return sip_resolve_uri(sip, uri, &h->res, cb, ud, &h->pending);
}

int sip_uac_start(sc_sip_call *c, const char *hop_uri)
{
    int rc = sip_hop_start(c->sip, &c->uac->hop, hop_uri, on_resolved, c);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        sc_log(c->sip->cfg.logger, SC_LOG_DEBUG, SIP_MODULE, "call %s: locating %s", c->d.call_id, hop_uri);
        return 0; /* on_resolved sends it */
    }
    if (c->uac->hop.res.n == 0) { /* a cached failure, or no resolver: reported like a late one */
        sip_timer_start(c->sip, &c->uac->t_report, 0);
        return 0;
    }
    rc = send_next(c, false);
    return rc == -ENOENT ? -ENOTCONN : rc; /* nothing we can send it on */
}

bool sip_uac_failover(sc_sip_call *c, const sip_tx *tx, const char *why)
{
    struct sip_uac *u = c->uac;
    if (!u || c->fork || tx != c->ict || c->got_final || c->cancel_pending || c->cancel_sent ||
        u->hop.next >= u->hop.res.n)
        return false;
    sip_dlg_set(&c->d, SIP_DF_REMOTE_TAG, ""); /* never fails */
    c->got_provisional = false;
    if (c->d.phase == SC_SIP_DIALOG_EARLY)
        sip_dialog_set_phase(c, SC_SIP_DIALOG_NONE);
    char host[64] = "";
    uint16_t port = 0;
    sip_addr_str(&tx->peer, host, sizeof host, &port);
    if (send_next(c, false) != 0)
        return false;
    sc_log(c->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: %s from %s:%u: INVITE sent to the next target",
           c->d.call_id, why, host, port);
    return true;
}

bool sip_uac_cancel_unsent(sc_sip_call *c)
{
    struct sip_uac *u = c->uac;
    if (!u || c->ict || c->fork || c->got_final || (!u->hop.pending && !sip_timer_armed(&u->t_report)))
        return false;
    sip_hop_cancel(&u->hop);
    u->cancelled = true;
    sip_timer_start(c->sip, &u->t_report, 0);
    return true;
}
