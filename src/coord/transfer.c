/* transfer: call transfer as table actions and guards: the transferor's REFER (blind, or
 * attended with Replaces), the transferee's transfer call and its sipfrag NOTIFYs, the
 * target's dialog replacement, the observer that links the sessions' progress, and the
 * application's transfer commands. */
#include "coord/transfer.h"
#include "coord/media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XFER_HDR_MAX 2048

void sc_coord__xfer_free(sc_coord_xfer *x)
{
    if (!x)
        return;
    free(x->refer_to);
    free(x->referred_by);
    free(x->target);
    free(x->replaces);
    free(x);
}

static sc_coord_xfer *xfer_get(sc_coord_leg *leg)
{
    if (!leg->xfer)
        leg->xfer = calloc(1, sizeof(sc_coord_xfer));
    return leg->xfer;
}

/* ---- Guards -------------------------------------------------------------------------------- */

/* The REFER passed the policy (trusted sender, allowed target: transfer_policy.c, judged when
 * it arrived) and no transfer runs on this call. */
static bool g_accept_refer(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_coord_leg *leg = sc_coord__leg(x->session);
    sc_coord_xfer *t = leg ? leg->xfer : NULL;
    sc_coord_xfer_state *xs = sc_coord__feat(coord, SC_FEAT_TRANSFER);
    return xs && !xs->policy.disabled && t && t->allowed && t->target && !t->in_progress &&
           sc_coord__usable_uri(t->target);
}

static bool g_refer_subscription(const sc_exec *x)
{
    sc_coord_leg *leg = sc_coord__leg(x->session);
    return leg && leg->xfer && !leg->xfer->no_sub;
}

static bool g_is_transfer_target(const sc_exec *x)
{
    return sc_session_field(x->session, SC_FIELD_REFERRED_BY) != NULL;
}

static bool g_has_replaces(const sc_exec *x) { return sc_session_field(x->session, SC_FIELD_REPLACES_ID) != NULL; }

/* ---- Transferor ---------------------------------------------------------------------------- */

/* Refer-To for an attended transfer: the consultation dialog's remote target with
 * ?Replaces=<call-id>;to-tag=<its remote tag>;from-tag=<its local tag>, escaped. */
static int attended_refer_to(sc_coord *coord, sc_session *o, const char *consult_id, char *out, size_t cap)
{
    sc_session *k = consult_id ? sc_store_get(coord->store, consult_id) : NULL;
    sc_coord_leg *kleg = sc_coord__leg(k);
    if (!kleg || !kleg->call || k == o)
        return -ENOENT;
    sc_sip_dialog_state *d = malloc(sizeof *d);
    if (!d)
        return -ENOMEM;
    sc_sip_call_dialog(kleg->call, d);
    int rc = -ENOTCONN;
    if (d->phase == SC_SIP_DIALOG_CONFIRMED) {
        char rep[SC_SIP_CALLID_MAX + 2 * SC_SIP_TAG_MAX + 32], esc[3 * sizeof rep];
        snprintf(rep, sizeof rep, "%s;to-tag=%s;from-tag=%s", d->call_id, d->remote_tag, d->local_tag);
        rc = sc_coord__xfer_escape(rep, esc, sizeof esc);
        if (rc >= 0) {
            const char *uri = d->remote_target[0] ? d->remote_target : d->remote_uri;
            rc = snprintf(out, cap, "%s?Replaces=%s", uri, esc) < (int)cap ? 0 : -ENOSPC;
        }
    }
    free(d);
    if (rc == 0) {
        sc_session_set_field(o, SC_FIELD_TRANSFER_ID, sc_session_id(k));
        sc_session_set_field(k, SC_FIELD_TRANSFER_ID, sc_session_id(o));
    }
    return rc;
}

static int a_send_refer(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_coord_leg *leg = sc_coord__leg(x->session);
    if (!leg || !leg->call)
        return -ENOTCONN;
    sc_coord_xfer *t = xfer_get(leg);
    if (!t)
        return -ENOMEM;
    char target[XFER_HDR_MAX];
    int rc = 0;
    if (x->event && x->event->type == SC_EV_CompleteAttendedTransfer) {
        const char *consult = x->event->text && *x->event->text ? x->event->text
                                                                : sc_session_field(x->session, SC_FIELD_TRANSFER_ID);
        rc = attended_refer_to(coord, x->session, consult, target, sizeof target);
    } else {
        const char *to = x->event && x->event->text ? x->event->text : sc_session_field(x->session, SC_FIELD_REFER_TO);
        rc = to && sc_coord__usable_uri(to) ? 0 : -EINVAL;
        if (rc == 0)
            snprintf(target, sizeof target, "%s", to);
    }
    if (rc)
        return rc;
    char hdrs[XFER_HDR_MAX + SC_SIP_URI_MAX + 64];
    snprintf(hdrs, sizeof hdrs, "Refer-To: <%s>\r\nReferred-By: <%s>\r\n", target, sc_sip_call_local_uri(leg->call));
    rc = sc_sip_call_request(leg->call, "REFER", hdrs, NULL, NULL);
    if (rc)
        return rc;
    t->refer_pending = true;
    t->consulting = false;
    sc_session_set_field(x->session, SC_FIELD_REFER_TO, target);
    sc_log(coord->logger, SC_LOG_INFO, "transfer", "session %s: REFER sent, Refer-To <%s>", leg->id, target);
    return 0;
}

static int a_start_consultation(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_coord_leg *leg = sc_coord__leg(x->session);
    const char *target = x->event ? x->event->text : NULL;
    if (!leg || !leg->call || !target || !sc_coord__usable_uri(target))
        return -EINVAL;
    sc_coord_xfer *t = xfer_get(leg);
    if (!t)
        return -ENOMEM;
    sc_session *k = NULL;
    sc_coord_leg *kleg = NULL;
    int rc = sc_coord__call_new(coord, target, sc_sip_call_local_uri(leg->call), "api", &k, &kleg);
    if (rc)
        return rc;
    char kid[SC_SESSION_ID_MAX + 1];
    snprintf(kid, sizeof kid, "%s", sc_session_id(k));
    sc_session_set_field(k, SC_FIELD_TRANSFER_ID, sc_session_id(x->session));
    sc_session_set_field(x->session, SC_FIELD_TRANSFER_ID, kid);
    t->consulting = true;
    sc_log(coord->logger, SC_LOG_INFO, "transfer", "session %s: consultation call %s to %s", leg->id, kid, target);
    rc = sc_coord__dispatch(coord, k, SC_EV_MakeCall, 0, target, NULL);
    return rc < 0 && rc != SC_E_ACTION_FAILED ? rc : 0;
}

/* ---- Transferee ---------------------------------------------------------------------------- */

static int build_invite_headers(sc_coord_xfer *t, const char *referred_by, char **out)
{
    char buf[XFER_HDR_MAX * 2];
    int n = snprintf(buf, sizeof buf, "Referred-By: %s\r\n", referred_by);
    if (t->replaces)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "Replaces: %s\r\nRequire: replaces\r\n", t->replaces);
    if (n >= (int)sizeof buf)
        return -ENOSPC;
    *out = strdup(buf);
    return *out ? 0 : -ENOMEM;
}

/* The new call of a transfer; its TransferFailed comes back through the observer. */
static int start_transfer_call(sc_coord *coord, sc_session *o, sc_coord_leg *leg, sc_coord_xfer *t)
{
    char rb[SC_SIP_URI_MAX + 4];
    if (t->referred_by)
        snprintf(rb, sizeof rb, "%s", t->referred_by);
    else
        snprintf(rb, sizeof rb, "<%s>", sc_sip_call_remote_uri(leg->call));
    sc_session *n = NULL;
    sc_coord_leg *nleg = NULL;
    int rc = sc_coord__call_new(coord, t->target, sc_sip_call_local_uri(leg->call), "sip", &n, &nleg);
    if (rc)
        return rc;
    sc_coord_xfer *nt = xfer_get(nleg);
    if (!nt || build_invite_headers(t, rb, &nleg->invite_headers) != 0) {
        sc_engine_remove_session(coord->engine, n, "error");
        return -ENOMEM;
    }
    nt->is_xfer_call = true;
    char nid[SC_SESSION_ID_MAX + 1];
    snprintf(nid, sizeof nid, "%s", sc_session_id(n));
    sc_session_set_field(n, SC_FIELD_TRANSFER_ID, sc_session_id(o));
    sc_session_set_field(n, SC_FIELD_REFERRED_BY, rb);
    sc_session_set_field(o, SC_FIELD_TRANSFER_ID, nid);
    sc_log(coord->logger, SC_LOG_INFO, "transfer", "session %s: transfer call %s to %s", leg->id, nid, t->target);
    rc = sc_coord__dispatch(coord, n, SC_EV_MakeCall, 0, t->target, NULL);
    return rc < 0 && rc != SC_E_ACTION_FAILED ? rc : 0;
}

static int a_start_transfer_call(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_coord_leg *leg = sc_coord__leg(x->session);
    sc_coord_xfer *t = leg ? leg->xfer : NULL;
    sc_coord_evctx *ctx = sc_coord__evctx_of(x);
    if (!leg || !leg->call || !t || !t->target)
        return -EINVAL;
    if (ctx && ctx->stx && !ctx->answered) { /* 202, with Refer-Sub: false when asked (RFC 4488) */
        int rc = sc_sip_respond_ex(coord->sip, ctx->stx, 202, "Accepted", t->no_sub ? "Refer-Sub: false\r\n" : NULL,
                                   NULL, NULL);
        if (rc)
            return rc;
        ctx->answered = true;
    }
    t->nrefer++;
    t->sub_active = !t->no_sub;
    t->in_progress = true;
    sc_session_set_field(x->session, SC_FIELD_REFER_TO, t->refer_to);
    /* RFC 3515 2.4.4: the first NOTIFY right away (queued behind this transition). */
    sc_coord__dispatch(coord, x->session, SC_EV_TransferProgress, 100, "Trying", NULL);
    int rc = start_transfer_call(coord, x->session, leg, t);
    if (rc) {
        sc_log(coord->logger, SC_LOG_WARN, "transfer", "session %s: transfer call not started: %s", leg->id,
               sc_strerror(rc));
        t->in_progress = false;
        sc_coord__dispatch(coord, x->session, SC_EV_TransferFailed, 503, "Service Unavailable", NULL);
    }
    return 0;
}

static int a_send_notify(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_coord_leg *leg = sc_coord__leg(x->session);
    sc_coord_xfer *t = leg ? leg->xfer : NULL;
    if (!t || !t->sub_active || !leg->call)
        return 0; /* no subscription (Refer-Sub: false) or already terminated */
    int code = x->event && x->event->code >= 100 && x->event->code <= 699 ? x->event->code : 500;
    const char *reason = x->event && x->event->text && *x->event->text ? x->event->text : "Unknown";
    bool final = code >= 200;
    char hdrs[256], body[256], id[32] = "";
    if (t->nrefer > 1)
        snprintf(id, sizeof id, ";id=%u", t->refer_cseq);
    snprintf(hdrs, sizeof hdrs, "Event: refer%s\r\nSubscription-State: %s\r\n", id,
             final ? "terminated;reason=noresource" : "active;expires=60");
    snprintf(body, sizeof body, "SIP/2.0 %d %s\r\n", code, reason);
    int rc = sc_sip_call_request(leg->call, "NOTIFY", hdrs, "message/sipfrag;version=2.0", body);
    if (final)
        t->sub_active = false;
    if (rc) /* the transferor's dialog is gone: nothing to tell */
        sc_log(coord->logger, SC_LOG_INFO, "transfer", "session %s: NOTIFY %d not sent: %s", leg->id, code,
               sc_strerror(rc));
    return 0;
}

/* ---- Target -------------------------------------------------------------------------------- */

/* Hand the replaced session's bridge link and media relay to the new one (the replaced
 * stream is closed), then end the replaced dialog. */
static int a_replace_dialog(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_session *old = sc_coord__linked(coord, x->session, SC_FIELD_REPLACES_ID);
    if (!old || sc_coord__is_terminal(old))
        return 0;
    char oid[SC_SESSION_ID_MAX + 1];
    snprintf(oid, sizeof oid, "%s", sc_session_id(old));
    sc_coord__media_take_over(sc_coord__leg(x->session), sc_coord__leg(old)); /* a failure is logged */
    sc_session *peer = sc_coord__linked(coord, old, SC_FIELD_PEER_ID);
    if (peer) {
        sc_session_set_field(x->session, SC_FIELD_PEER_ID, sc_session_id(peer));
        sc_session_set_field(peer, SC_FIELD_PEER_ID, sc_session_id(x->session));
        sc_session_set_field(old, SC_FIELD_PEER_ID, NULL);
    }
    sc_session_set_field(old, SC_FIELD_TRANSFER_ID, sc_session_id(x->session));
    int rc = sc_coord__dispatch(coord, old, SC_EV_ReplacesReceived, 0, sc_session_id(x->session), NULL);
    if (rc == SC_E_NOT_ACCEPTED || rc == SC_E_GUARDS_FAILED) { /* an early dialog of ours: cancel it */
        old = sc_store_get(coord->store, oid);
        if (old)
            sc_coord__dispatch(coord, old, SC_EV_HangupCall, 0, "replaced", NULL);
    }
    return 0;
}

/* ---- Observer: the sessions of a transfer tell each other ------------------------------------ */

static void tell(sc_coord *coord, sc_session *s, sc_id type, int code, const char *text)
{
    if (s && !sc_coord__is_terminal(s))
        sc_coord__dispatch(coord, s, type, code, text, NULL);
}

static const char *failure_reason(int code)
{
    switch (code) {
    case 408: return "Request Timeout";
    case 480: return "Temporarily Unavailable";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 503: return "Service Unavailable";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    default: return code >= 600 ? "Global Failure" : code >= 500 ? "Server Error" : "Request Failed";
    }
}

/* A transfer call moved: report ringing, answer or failure to the transferee's session. */
static void xfer_call_moved(sc_coord *coord, sc_session *n, sc_coord_xfer *nt, const sc_history_record *rec)
{
    sc_session *o = sc_coord__linked(coord, n, SC_FIELD_TRANSFER_ID);
    sc_coord_leg *oleg = sc_coord__leg(o);
    sc_coord_xfer *ot = oleg ? oleg->xfer : NULL;
    if (!ot || !ot->in_progress)
        return;
    bool term = sc_coord__is_terminal(n);
    if (!term && !nt->answered && sc_session_condition(n, SC_COND_DialogEstablished)) {
        nt->answered = true;
        ot->in_progress = false;
        tell(coord, o, SC_EV_TransferSucceeded, 200, "OK");
    } else if (!term && !nt->ringing_told &&
               (rec->event == SC_EV_Dialog180Ringing || rec->event == SC_EV_Dialog183SessionProgress)) {
        nt->ringing_told = true;
        tell(coord, o, SC_EV_TransferProgress, rec->event == SC_EV_Dialog180Ringing ? 180 : 183,
             rec->event == SC_EV_Dialog180Ringing ? "Ringing" : "Session Progress");
    } else if (term && !nt->answered) {
        const char *outcome = sc_session_outcome(n);
        int code = nt->last_status >= 300                     ? nt->last_status
                   : outcome && !strcmp(outcome, "timeout")   ? 408
                   : outcome && !strcmp(outcome, "cancelled") ? 487
                                                              : 503;
        ot->in_progress = false;
        tell(coord, o, SC_EV_TransferFailed, code, failure_reason(code));
    }
}

static void on_transition(sc_coord *coord, sc_session *s, const sc_history_record *rec, const sc_transition *tr)
{
    sc_coord_xfer_state *xs = sc_coord__feat(coord, SC_FEAT_TRANSFER);
    if (rec->outcome != SC_OUTCOME_TAKEN)
        return;
    sc_coord_leg *leg = sc_coord__leg(s);
    sc_coord_xfer *t = leg ? leg->xfer : NULL;
    if (sc_coord__is_terminal(s)) { /* a consultation call ended while the transfer was being set up */
        sc_session *o = sc_coord__linked(coord, s, SC_FIELD_TRANSFER_ID);
        sc_coord_leg *oleg = sc_coord__leg(o);
        const char *back = o ? sc_session_field(o, SC_FIELD_TRANSFER_ID) : NULL;
        if (oleg && oleg->xfer && oleg->xfer->consulting && back && !strcmp(back, sc_session_id(s))) {
            oleg->xfer->consulting = false;
            tell(coord, o, SC_EV_PeerHangup, 0, "consultation ended");
        }
    }
    if (!t)
        return;
    if (t->is_xfer_call) {
        xfer_call_moved(coord, s, t, rec);
        return;
    }
    if (rec->event == SC_EV_DialogREFER && t->in_progress && xs && xs->timeout_ms) {
        sc_event ev = {.type = SC_EV_TransferFailed, .code = 408, .text = "Request Timeout"};
        sc_engine_schedule(coord->engine, s, xs->timeout_ms, &ev, true);
    } else if (rec->event == SC_EV_TransferFailed || rec->event == SC_EV_TransferSucceeded) {
        t->refer_pending = false;
        bool was = t->in_progress;
        t->in_progress = false;
        sc_session *n = rec->event == SC_EV_TransferFailed && was ? sc_coord__linked(coord, s, SC_FIELD_TRANSFER_ID)
                                                                  : NULL;
        if (n) /* the transfer gave up (timeout): end its call */
            tell(coord, n, SC_EV_HangupCall, 0, "transfer failed");
    }
}

/* ---- Commands ------------------------------------------------------------------------------------ */

static int command(sc_coord *coord, sc_session *s, sc_id ev, const char *text)
{
    return sc_coord__command(coord, s, ev, 0, text);
}

int sc_coord_transfer(sc_coord *coord, const char *id, const char *target)
{
    if (!coord || !id || !sc_coord__usable_uri(target))
        return -EINVAL;
    sc_session *s = sc_store_get(coord->store, id);
    if (!s)
        return -ENOENT;
    return command(coord, s, SC_EV_BlindTransfer, target);
}

int sc_coord_transfer_attended(sc_coord *coord, const char *id, const char *consult_id, const char *target)
{
    if (!coord || !id)
        return -EINVAL;
    sc_session *s = sc_store_get(coord->store, id);
    if (!s)
        return -ENOENT;
    if (!consult_id && target) {
        if (!sc_coord__usable_uri(target))
            return -EINVAL;
        return command(coord, s, SC_EV_StartAttendedTransfer, target);
    }
    if (!consult_id)
        consult_id = sc_session_field(s, SC_FIELD_TRANSFER_ID);
    sc_session *k = consult_id ? sc_store_get(coord->store, consult_id) : NULL;
    sc_coord_leg *kleg = sc_coord__leg(k);
    if (!kleg || !kleg->call || k == s || sc_coord__is_terminal(k))
        return -EINVAL;
    sc_sip_dialog_state *d = malloc(sizeof *d);
    if (!d)
        return -ENOMEM;
    sc_sip_call_dialog(kleg->call, d);
    bool confirmed = d->phase == SC_SIP_DIALOG_CONFIRMED;
    free(d);
    if (!confirmed)
        return -EINVAL;
    char kid[SC_SESSION_ID_MAX + 1];
    snprintf(kid, sizeof kid, "%s", consult_id);
    return command(coord, s, SC_EV_CompleteAttendedTransfer, kid);
}

int sc_coord_transfer_cancel(sc_coord *coord, const char *id)
{
    if (!coord || !id)
        return -EINVAL;
    sc_session *s = sc_store_get(coord->store, id);
    if (!s)
        return -ENOENT;
    char kid[SC_SESSION_ID_MAX + 1] = "";
    const char *k = sc_session_field(s, SC_FIELD_TRANSFER_ID);
    if (k)
        snprintf(kid, sizeof kid, "%s", k);
    int rc = command(coord, s, SC_EV_CancelAttendedTransfer, "api");
    if (rc != 0)
        return rc;
    s = sc_store_get(coord->store, id);
    sc_coord_leg *leg = sc_coord__leg(s);
    if (leg && leg->xfer)
        leg->xfer->consulting = false;
    sc_session *cs = kid[0] ? sc_store_get(coord->store, kid) : NULL;
    if (cs && !sc_coord__is_terminal(cs))
        sc_coord__dispatch(coord, cs, SC_EV_HangupCall, 0, "transfer cancelled", NULL);
    return 0;
}

/* ---- The feature --------------------------------------------------------------------------------- */

/* sessioncore_refer_refused_total{reason}, each reason's child made now (so it shows 0). */
static int refused_metric(sc_coord *c, sc_coord_xfer_state *xs)
{
    if (!c->reg)
        return 0;
    sc_obs_metric *m = NULL;
    sc_obs_desc d = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_refer_refused_total",
                     .help = "REFERs refused by the transfer policy, by reason (untrusted, target, disabled)",
                     .labels = {"reason"}};
    int rc = sc_obs_register(c->reg, &d, &m);
    if (rc)
        return rc;
    for (int v = SC_COORD_REFER_DISABLED; v < SC_COORD_REFER__COUNT; v++)
        xs->refused[v] = sc_obs_counter_with(m, sc_coord__refer_verdict_name((sc_coord_refer_verdict)v));
    return 0;
}

static int start(sc_coord *c, const sc_coord_config *cfg)
{
    sc_coord_xfer_state *xs = calloc(1, sizeof *xs);
    if (!xs)
        return -ENOMEM;
    c->feat[SC_FEAT_TRANSFER] = xs;
    xs->timeout_ms = cfg->transfer_timeout_ms ? cfg->transfer_timeout_ms : 60000;
    char err[160] = "";
    int rc = sc_coord__refer_policy_init(&xs->policy, cfg, err, sizeof err);
    if (rc) {
        sc_log(c->logger, SC_LOG_ERROR, "transfer", "REFER policy: %s", err[0] ? err : sc_strerror(rc));
        return rc;
    }
    if ((rc = refused_metric(c, xs)) != 0)
        return rc;
    sc_log(c->logger, SC_LOG_INFO, "transfer", "REFER: %s (%zu trusted networks, %zu target patterns, %zu routes)",
           xs->policy.disabled                                              ? "off"
           : xs->policy.ntrust && (xs->policy.nallow || xs->policy.nroutes) ? "accepted from trusted sources"
                                                                            : "refused (no trusted source or target)",
           xs->policy.ntrust, xs->policy.nallow, xs->policy.nroutes);
    return 0;
}

static void stop(sc_coord *c)
{
    sc_coord_xfer_state *xs = c->feat[SC_FEAT_TRANSFER];
    if (xs)
        sc_coord__refer_policy_free(&xs->policy);
    free(xs);
    c->feat[SC_FEAT_TRANSFER] = NULL;
}

static void leg_free(sc_coord_leg *leg)
{
    sc_coord__xfer_free(leg->xfer);
    leg->xfer = NULL;
}

static void leg_usage(const sc_coord_leg *leg, size_t *bytes, unsigned *sockets)
{
    if (leg->xfer)
        *bytes += sizeof *leg->xfer;
}

static const sc_coord_guard_def guards[] = {
    {"AcceptRefer", g_accept_refer},
    {"ReferSubscription", g_refer_subscription},
    {"HasReplaces", g_has_replaces},
    {"IsTransferTarget", g_is_transfer_target},
    {NULL, NULL},
};

static const sc_coord_action_def actions[] = {
    {"SendRefer", a_send_refer},
    {"SendNotify", a_send_notify},
    {"StartTransferCall", a_start_transfer_call},
    {"StartConsultation", a_start_consultation},
    {"ReplaceDialog", a_replace_dialog},
    {NULL, NULL},
};

const sc_coord_feature sc_coord__feature_transfer = {
    .name = "transfer",
    .needs = "media", /* ReplaceDialog moves the replaced call's media relay (media.h) */
    .guards = guards,
    .actions = actions,
    .start = start,
    .stop = stop,
    .on_transition = on_transition,
    .on_incoming = sc_coord__xfer_on_incoming,
    .on_sip_event = sc_coord__xfer_on_event,
    .leg_free = leg_free,
    .leg_usage = leg_usage,
};
