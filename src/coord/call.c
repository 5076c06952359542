/* call: the SIP call's own table actions and guards: requests and responses on the session's
 * call (INVITE, responses with their SDP, ACK, BYE, CANCEL, re-INVITE, OPTIONS), auto answer,
 * the event's SDP and code, conditions, outcome and log lines. */
#include "coord/coord_int.h"
#include "coord/recover.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SDP_MAX SC_COORD_SDP_MAX

static sc_coord_leg *leg_of(const sc_exec *x) { return sc_coord__leg(x->session); }

/* ---- Guards ---------------------------------------------------------------------------------- */

static bool g_has_sdp(const sc_exec *x)
{
    sc_coord_evctx *c = sc_coord__evctx_of(x);
    return c && c->has_sdp;
}

static bool g_is_hold(const sc_exec *x)
{
    sc_coord_evctx *c = sc_coord__evctx_of(x);
    return c && c->sdp_ok && sc_sdp_is_hold(c->sdp);
}

static bool g_is_resume(const sc_exec *x)
{
    sc_coord_evctx *c = sc_coord__evctx_of(x);
    sc_coord_leg *leg = leg_of(x);
    return c && c->sdp_ok && leg && leg->remote_held && !sc_sdp_is_hold(c->sdp);
}

static bool g_auto_answer(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    return coord->auto_answer;
}

static bool g_is_bridged(const sc_exec *x) { return sc_session_field(x->session, SC_FIELD_PEER_ID) != NULL; }

static bool g_code_is(const sc_exec *x) { return x->event && x->event->code == sc_exec_param_int(x, "code", -1); }

static bool g_code_in_range(const sc_exec *x)
{
    int64_t c = x->event ? x->event->code : 0;
    return c >= sc_exec_param_int(x, "min", 1) && c <= sc_exec_param_int(x, "max", 0);
}

/* On the ActionFailed path: the action named failed (the event's text). */
static bool g_failed_action_is(const sc_exec *x)
{
    const char *name = sc_exec_param_str(x, "name", NULL);
    return x->event && x->event->type == SC_EV_ActionFailed && x->event->text && name && !strcmp(x->event->text, name);
}

static bool g_condition_is(const sc_exec *x)
{
    const char *name = sc_exec_param_str(x, "name", NULL);
    int id = name ? sc_vocab_lookup(sc_table_vocab(sc_session_table(x->session)), SC_VOCAB_CONDITION, name) : -1;
    if (id < 0)
        return false;
    return sc_session_condition(x->session, (sc_id)id) == sc_exec_param_bool(x, "value", true);
}

/* VarEquals {name, value}: the session variable equals value (an unset one equals ""). */
static bool g_var_equals(const sc_exec *x)
{
    char buf[SC_VAR_VALUE_MAX + 1];
    int n = sc_session_var_get(x->session, sc_exec_param_str(x, "name", ""), buf, sizeof buf);
    return !strcmp(n >= 0 ? buf : "", sc_exec_param_str(x, "value", ""));
}

/* ---- SIP actions ----------------------------------------------------------------------------- */

/* Where the INVITE goes, for a CANCEL after a crash (recover.c): "udp:IP:PORT", or
 * "tcp:[IPv6]:PORT", then " " and its Route headers when it has some (a proxy's). */
static void record_dest(sc_session *s, sc_sip_call *call)
{
    sc_sip_dialog_state *d = malloc(sizeof *d);
    char *buf = malloc(SC_SIP_ROUTESET_MAX + 96);
    char host[64] = "";
    if (d && buf) {
        sc_sip_call_dialog(call, d);
        bool v6 = d->remote_addr.ss_family == AF_INET6;
        unsigned port = v6 ? ntohs(((struct sockaddr_in6 *)&d->remote_addr)->sin6_port)
                           : ntohs(((struct sockaddr_in *)&d->remote_addr)->sin_port);
        if (v6)
            uv_ip6_name((struct sockaddr_in6 *)&d->remote_addr, host, sizeof host);
        else
            uv_ip4_name((struct sockaddr_in *)&d->remote_addr, host, sizeof host);
        snprintf(buf, SC_SIP_ROUTESET_MAX + 96, "%s:%s%s%s:%u%s%s",
                 d->transport == SC_SIP_TCP   ? "tcp"
                 : d->transport == SC_SIP_TLS ? "tls"
                                              : "udp",
                 v6 ? "[" : "", host, v6 ? "]" : "", port, d->route_set[0] ? " " : "", d->route_set);
        sc_session_set_field(s, SC_FIELD_INVITE_DEST, buf);
    }
    free(d);
    free(buf);
}

/* Our INVITE leaves with this Via: now, once its callee's name is resolved, or again after a
 * failover to the next target (RFC 3263). Recovery CANCELs with it (recover.c); with strict
 * durability the INVITE waits for the record. Later than the action that made the call, the
 * session gets a snapshot of its own. */
static void invite_sent(sc_sip_call *call, const char *via, void *user)
{
    sc_coord_leg *leg = user;
    sc_session *s = leg ? sc_store_get(leg->c->store, leg->id) : NULL;
    if (!s)
        return;
    sc_coord__hold_turn(leg->c);
    sc_session_set_field(s, SC_FIELD_INVITE_VIA, via);
    record_dest(s, call);
    if (leg->call) /* not inside a_send_invite */
        sc_coord__store_snapshot(leg->c, s);
}

static int a_send_invite(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_coord_leg *leg = leg_of(x);
    if (!leg || !leg->to || leg->call)
        return -EINVAL;
    char sdp[SDP_MAX];
    int n = sc_coord__sdp_offer(leg, leg->local_dir, sdp, sizeof sdp);
    if (n < 0)
        return n;
    sc_sip_call *call = NULL;
    sc_sip_invite_opts opts = {.extra_headers = leg->invite_headers, .sdp_offer = sdp, .on_sent = invite_sent};
    int rc = sc_coord__dial(coord, leg, &opts);
    if (rc)
        return rc;
    if (!opts.proxy) /* a feature's (a trunk's) proxy first, else the call's or the default */
        opts.proxy = leg->proxy ? leg->proxy : sc_coord__default_proxy(coord);
    if (!opts.ntargets && leg->ntargets) { /* the call's own fork targets (POST /calls) */
        opts.targets = (const char *const *)leg->targets;
        opts.ntargets = leg->ntargets;
    }
    /* Strict durability: the INVITE leaves only once the record with its Via is committed. */
    sc_coord__hold_turn(coord);
    rc = sc_sip_call_invite_opts(coord->sip, &call, leg->from, leg->to, &opts, leg);
    if (rc)
        return rc;
    leg->call = call;
    sc_coord__sync_dialog(leg, x->session); /* the Via is recorded by invite_sent */
    sc_log(coord->logger, SC_LOG_INFO, "coord", "call %s created (uac) to %s, call-id %s", leg->id, leg->to,
           sc_sip_call_id(call));
    return 0;
}

/* SDP for a response to the pending INVITE/re-INVITE: an answer to a pending offer, else our
 * offer on a 2xx (late offer; the answer comes in the ACK). *body NULL when none. */
static int response_sdp(sc_coord_leg *leg, sc_session *s, int code, char *buf, size_t cap, const char **body)
{
    *body = NULL;
    if (!((code >= 200 && code < 300) || code == 183))
        return 0;
    if (leg->pending_offer) {
        int n = sc_coord__sdp_answer(leg, s, buf, cap);
        if (n < 0)
            return n;
        *body = buf;
        if (code == 183) { /* the 2xx repeats the answer given in the early response */
            free(leg->early_sdp);
            leg->early_sdp = strdup(buf);
        }
        return 0;
    }
    if (code == 183)
        return 0;
    if (leg->early_sdp) {
        snprintf(buf, cap, "%s", leg->early_sdp);
        free(leg->early_sdp);
        leg->early_sdp = NULL;
        *body = buf;
        return 0;
    }
    int n = sc_coord__sdp_offer(leg, leg->local_dir, buf, cap);
    if (n < 0)
        return n;
    leg->offer_sent_in_2xx = true;
    *body = buf;
    return 0;
}

/* A 2xx to an UPDATE or PRACK whose offer the leg took (early_media.c): our answer, which
 * also becomes what the INVITE's 2xx repeats when an early answer went before. */
static int update_answer(sc_coord_leg *leg, sc_session *s, const sc_coord_evctx *ctx, int code, char *buf, size_t cap,
                         const char **body)
{
    *body = NULL;
    if (!leg || code < 200 || code >= 300 || !ctx->sdp_ok || !leg->pending_offer ||
        (strcmp(ctx->method, "UPDATE") != 0 && strcmp(ctx->method, "PRACK") != 0))
        return 0;
    int n = sc_coord__sdp_answer(leg, s, buf, cap);
    if (n < 0)
        return n;
    if (leg->early_sdp) {
        free(leg->early_sdp);
        leg->early_sdp = strdup(buf);
    }
    *body = buf;
    return 0;
}

static int a_send_response(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_coord_leg *leg = leg_of(x);
    sc_coord_evctx *ctx = sc_coord__evctx_of(x);
    int code = (int)sc_exec_param_int(x, "code", 0);
    const char *reason = sc_exec_param_str(x, "reason", NULL);
    /* code 0: the event's code (e.g. the API's reject code, a peer's rejection). */
    if (code == 0 && x->event) {
        code = x->event->code;
        reason = NULL;
    }
    if (code < 100 || code > 699)
        return -EINVAL;
    /* A non-INVITE request in the event (BYE, INFO, OPTIONS...) is answered directly. */
    if (ctx && ctx->stx && !ctx->answered && strcmp(ctx->method, "INVITE") != 0 && strcmp(ctx->method, "CANCEL") != 0) {
        char sdp[SDP_MAX];
        const char *body = NULL;
        int rc = update_answer(leg, x->session, ctx, code, sdp, sizeof sdp, &body);
        if (rc < 0)
            code = sc_sdp_error_status(rc);
        rc = sc_sip_respond(coord->sip, ctx->stx, code, reason, body ? "application/sdp" : NULL, body);
        if (rc == 0 && code >= 200)
            ctx->answered = true;
        return rc;
    }
    if (!leg || !leg->call)
        return -ENOTCONN;
    char sdp[SDP_MAX];
    const char *body = NULL;
    int rc = response_sdp(leg, x->session, code, sdp, sizeof sdp, &body);
    if (rc < 0) { /* an offer we cannot answer: 488 (400 if unparsable) instead */
        int st = sc_sdp_error_status(rc);
        sc_sip_call_respond(leg->call, st, NULL, NULL);
        if (ctx)
            ctx->answered = true;
        return rc;
    }
    rc = sc_sip_call_respond(leg->call, code, reason, body);
    if (rc == 0 && code >= 200 && ctx && !strcmp(ctx->method, "INVITE"))
        ctx->answered = true;
    return rc;
}

static int a_send_ack(const sc_exec *x)
{
    sc_coord_leg *leg = leg_of(x);
    if (!leg || !leg->call)
        return -ENOTCONN;
    return sc_sip_call_ack(leg->call, NULL);
}

static int a_send_bye(const sc_exec *x)
{
    sc_coord_leg *leg = leg_of(x);
    if (!leg || !leg->call)
        return -ENOTCONN;
    int rc = sc_sip_call_bye(leg->call);
    sc_coord__sync_dialog(leg, x->session); /* persistence: the CSeq used */
    return rc;
}

static int a_send_cancel(const sc_exec *x)
{
    sc_coord_leg *leg = leg_of(x);
    if (!leg || !leg->call)
        return -ENOTCONN;
    return sc_sip_call_cancel(leg->call);
}

static int a_send_reinvite(const sc_exec *x)
{
    sc_coord_leg *leg = leg_of(x);
    sc_sdp_direction dir;
    if (!leg || !leg->call)
        return -ENOTCONN;
    if (sc_sdp_direction_parse(sc_exec_param_str(x, "direction", "sendrecv"), &dir))
        return -EINVAL;
    int rc = sc_coord__reinvite(leg, dir);
    sc_coord__sync_dialog(leg, x->session); /* persistence: the CSeq used */
    return rc;
}

static int a_send_options(const sc_exec *x)
{
    sc_coord_leg *leg = leg_of(x);
    if (!leg || !leg->call)
        return -ENOTCONN;
    return sc_sip_call_request(leg->call, "OPTIONS", NULL, NULL, NULL);
}

static int a_schedule_auto_answer(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    int64_t delay = sc_exec_param_int(x, "delay_ms", (int64_t)coord->ring_delay_ms);
    if (delay < 0)
        delay = 0;
    sc_event ev = {.type = SC_EV_AcceptCall, .text = "auto-answer"};
    /* Not cancelled on exit: the action runs before the row's state change; an AcceptCall
     * arriving after a CANCEL is simply not accepted (and visible in the history). */
    return sc_engine_schedule(coord->engine, x->session, (uint64_t)delay, &ev, false);
}

/* ---- Bookkeeping ------------------------------------------------------------------------------ */

static int a_set_outcome(const sc_exec *x)
{
    return sc_session_set_outcome(x->session, sc_exec_param_str(x, "outcome", "normal"));
}

static int a_log(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_log(coord->logger, SC_LOG_INFO, "table", "session %s: %s", sc_session_id(x->session),
           sc_exec_param_str(x, "message", ""));
    return 0;
}

/* SetVar {name, value}: sets (or without value removes) a session variable. */
static int a_set_var(const sc_exec *x)
{
    return sc_session_var_set(x->session, sc_exec_param_str(x, "name", ""), sc_exec_param_str(x, "value", NULL));
}

/* ---- The feature ---------------------------------------------------------------------------- */

static const sc_coord_guard_def guards[] = {
    {"HasSdp", g_has_sdp},
    {"IsHoldOffer", g_is_hold},
    {"IsResumeOffer", g_is_resume},
    {"AutoAnswer", g_auto_answer},
    {"IsBridged", g_is_bridged},
    {"CodeIs", g_code_is},
    {"CodeInRange", g_code_in_range},
    {"ConditionIs", g_condition_is},
    {"FailedActionIs", g_failed_action_is},
    {"VarEquals", g_var_equals},
    {NULL, NULL},
};

static const sc_coord_action_def actions[] = {
    {"SendInvite", a_send_invite},   {"SendResponse", a_send_response},
    {"SendAck", a_send_ack},         {"SendBye", a_send_bye},
    {"SendCancel", a_send_cancel},   {"SendReInvite", a_send_reinvite},
    {"SendOptions", a_send_options}, {"ScheduleAutoAnswer", a_schedule_auto_answer},
    {"SetOutcome", a_set_outcome},   {"Log", a_log},
    {"SetVar", a_set_var},           {NULL, NULL},
};

const sc_coord_feature sc_coord__feature_call = {
    .name = "call",
    .guards = guards,
    .actions = actions,
};
