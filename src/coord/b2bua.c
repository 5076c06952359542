/* b2bua: sessiond as a back-to-back user agent: routes match an incoming call's
 * Request-URI user and give it an outgoing leg to the route's target; the two legs are linked
 * (PEER_ID on both) and the peer actions (HangupPeer, NotifyPeer) and an ended leg's effect on
 * its peer keep them together; the bridge commands join or split two calls' media. */
#include "coord/coord_int.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

typedef struct b2bua_state {
    char *route_match[SC_COORD_MAX_ROUTES]; /* in config order */
    char *route_target[SC_COORD_MAX_ROUTES];
    char *route_proxy[SC_COORD_MAX_ROUTES]; /* NULL: the default */
    bool route_open[SC_COORD_MAX_ROUTES];   /* any caller may reach it (else: trusted only) */
    int route_srtp[SC_COORD_MAX_ROUTES];    /* its outgoing leg's SRTP policy (0: the global one) */
    size_t nroutes;
    char *default_proxy;                    /* outbound_proxy, or NULL */
    sc_coord_net trust[SC_COORD_MAX_TRUST]; /* who may reach a route that is not open */
    size_t ntrust;
    sc_obs_counter *refused; /* sessioncore_route_refused_total */
} b2bua_state;

const char *sc_coord__default_proxy(const sc_coord *c)
{
    const b2bua_state *b = sc_coord__feat(c, SC_FEAT_B2BUA);
    return b ? b->default_proxy : NULL;
}

/* ---- Routes ------------------------------------------------------------------------------------ */

/* The first route matching msg's Request-URI user (*user set), or -1. */
static int match_route(const b2bua_state *b, const struct osip_message *msg, const char **user)
{
    const osip_message_t *m = (const osip_message_t *)msg;
    if (!b || !b->nroutes || !m || !m->req_uri)
        return -1;
    *user = m->req_uri->username ? m->req_uri->username : "";
    for (size_t i = 0; i < b->nroutes; i++)
        if (fnmatch(b->route_match[i], *user, 0) == 0)
            return (int)i;
    return -1;
}

/* The screen of a new INVITE: a route that is not open is reached only from a trusted source
 * or, when the registrar authenticates callers (its screen runs after this one and challenges
 * every untrusted INVITE), by an authenticated one. Anyone else gets 403 before a call exists,
 * so no caller can make us call a route's (possibly paid) destination. */
static int route_screen(sc_coord *c, const struct osip_message *msg, const struct sockaddr_storage *src, char *hdrs,
                        size_t cap)
{
    (void)hdrs;
    (void)cap;
    b2bua_state *b = sc_coord__feat(c, SC_FEAT_B2BUA);
    const osip_message_t *m = (const osip_message_t *)msg;
    const char *user = NULL;
    if (!m || !m->sip_method || strcmp(m->sip_method, "INVITE") != 0)
        return 0;
    int i = match_route(b, msg, &user);
    if (i < 0 || b->route_open[i] || sc_coord__feat(c, SC_FEAT_REGISTRAR)) /* it challenges them */
        return 0;
    for (size_t k = 0; src && k < b->ntrust; k++)
        if (sc_coord__net_contains(&b->trust[k], src))
            return 0;
    if (b->refused)
        sc_obs_counter_inc(b->refused);
    sc_log(c->logger, SC_LOG_WARN, "b2bua", "INVITE for route %s refused (403): its source is not trusted",
           b->route_match[i]);
    return 403;
}

/* Admission of a new INVITE: a routed one brings its outgoing leg too. */
static unsigned extra_legs(sc_coord *c, const struct osip_message *msg)
{
    const char *user = NULL;
    return match_route(sc_coord__feat(c, SC_FEAT_B2BUA), msg, &user) >= 0 ? 1u : 0u;
}

/* Record the route of an incoming call (Request-URI user against the routes) on its leg. */
static int route_incoming(sc_coord *c, sc_session *s, sc_coord_leg *leg, const struct osip_message *msg)
{
    b2bua_state *b = sc_coord__feat(c, SC_FEAT_B2BUA);
    const char *user = NULL;
    int r = match_route(b, msg, &user);
    if (r >= 0) {
        size_t i = (size_t)r;
        free(leg->route_target);
        if (!strncmp(b->route_target[i], "trunk:", 6)) { /* "trunk:NAME sip:USER": the trunk completes it */
            size_t n = strlen(b->route_target[i]) + strlen(user) + 6;
            leg->route_target = malloc(n);
            if (leg->route_target)
                snprintf(leg->route_target, n, "%s sip:%s", b->route_target[i], user);
        } else {
            leg->route_target = strdup(b->route_target[i]);
        }
        free(leg->route_proxy);
        leg->route_proxy = b->route_proxy[i] ? strdup(b->route_proxy[i]) : NULL;
        leg->route_srtp = b->route_srtp[i];
        sc_log(c->logger, SC_LOG_INFO, "b2bua", "call %s to '%s' matches route %s -> %s", leg->id, user,
               b->route_match[i], b->route_target[i]);
    }
    return 0;
}

static void leg_free(sc_coord_leg *leg)
{
    free(leg->route_target);
    free(leg->route_proxy);
    leg->route_target = leg->route_proxy = NULL;
}

static void leg_usage(const sc_coord_leg *leg, size_t *bytes, unsigned *sockets)
{
    if (leg->route_target)
        *bytes += strlen(leg->route_target) + 1;
    if (leg->route_proxy)
        *bytes += strlen(leg->route_proxy) + 1;
}

/* ---- Peers ------------------------------------------------------------------------------------- */

static bool g_has_peer(const sc_exec *x)
{
    sc_coord_leg *leg = sc_coord__leg(x->session);
    return sc_session_field(x->session, SC_FIELD_PEER_ID) != NULL ||
           sc_session_field(x->session, SC_FIELD_TRANSFER_ID) != NULL || (leg && leg->route_target);
}

/* Dispatch on the peer unless it is ended or is the one whose action called us. */
static int to_peer(sc_coord *coord, sc_session *self, sc_id ev, int32_t code, const char *text)
{
    sc_session *peer = sc_coord__peer(coord, self);
    if (!peer || sc_coord__is_terminal(peer) || sc_engine_session_busy(coord->engine, peer))
        return 0;
    int rc = sc_coord__dispatch(coord, peer, ev, code, text, NULL);
    return rc == SC_ENGINE_QUEUED ? 0 : rc;
}

/* The status an incoming leg is rejected with when its outgoing leg failed with code. */
static int32_t mapped_status(int32_t code, const char *outcome)
{
    if (code >= 400 && code <= 699)
        return code == 487 ? 487 : code;
    if (code >= 300 && code < 400)
        return 480; /* redirections are not followed */
    if (outcome && !strcmp(outcome, "timeout"))
        return 408;
    return 503;
}

/* ---- Actions --------------------------------------------------------------------------------- */

static int a_create_outgoing_leg(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_coord_leg *leg = sc_coord__leg(x->session);
    if (!leg || !leg->route_target)
        return -EINVAL;
    char self[SC_SESSION_ID_MAX + 1], id[SC_SESSION_ID_MAX + 1];
    snprintf(self, sizeof self, "%s", sc_session_id(x->session));
    const char *from = leg->call ? sc_sip_call_remote_uri(leg->call) : NULL;
    int rc;
    const char *sp = strchr(leg->route_target, ' ');
    sc_coord__codec_hint(coord, leg);                     /* the callee is offered the caller's codec first (sdp.c) */
    if (!strncmp(leg->route_target, "trunk:", 6) && sp) { /* through a trunk (trunks.c), From its AOR */
        char name[SC_SIP_URI_MAX];
        snprintf(name, sizeof name, "%.*s", (int)(sp - leg->route_target - 6), leg->route_target + 6);
        sc_coord_call_opts t = {.trunk = name, .srtp = leg->route_srtp};
        id[0] = '\0';
        rc = sc_coord_make_call_opts(coord, sp + 1, NULL, &t, id, sizeof id);
    } else {
        sc_coord_call_opts o = {.proxy = leg->route_proxy, .srtp = leg->route_srtp};
        rc = sc_coord_make_call_opts(coord, leg->route_target, from, &o, id, sizeof id);
        if (rc == -EINVAL && from)
            rc = sc_coord_make_call_opts(coord, leg->route_target, NULL, &o, id, sizeof id);
    }
    sc_coord__codec_hint(coord, NULL);
    sc_session *out = id[0] ? sc_store_get(coord->store, id) : NULL;
    if (rc || !out || sc_coord__is_terminal(out)) {
        /* Not an action failure: the caller gets a final status through PeerRejected. */
        sc_log(coord->logger, SC_LOG_WARN, "b2bua", "call %s: outgoing leg to %s failed: %s", self, leg->route_target,
               sc_strerror(rc));
        sc_event ev = {.type = SC_EV_PeerRejected,
                       .code = rc == SC_E_OVERLOAD ? 503 : 502,
                       .text = "outgoing leg failed"};
        sc_engine_dispatch(coord->engine, x->session, &ev, NULL); /* queued: we are busy */
        return 0;
    }
    sc_session_set_field(out, SC_FIELD_PEER_ID, self);
    sc_session_set_field(x->session, SC_FIELD_PEER_ID, id);
    sc_log(coord->logger, SC_LOG_INFO, "b2bua", "call %s: outgoing leg %s to %s", self, id, leg->route_target);
    return 0;
}

static int a_hangup_peer(const sc_exec *x) { return to_peer(x->ud, x->session, SC_EV_HangupCall, 0, "peer hangup"); }

static int a_notify_peer(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    const char *name = sc_exec_param_str(x, "event", NULL);
    int ev = name ? sc_vocab_lookup(sc_table_vocab(sc_session_table(x->session)), SC_VOCAB_EVENT, name) : -1;
    if (ev < 0)
        return -EINVAL;
    int32_t code = x->event ? x->event->code : 0;
    sc_session *peer = sc_coord__peer(coord, x->session);
    const char *pst = peer ? sc_session_state_name(peer) : NULL;
    if (ev == SC_EV_BridgeSessions && pst && !strcmp(pst, "Bridged"))
        return 0; /* already bridged with us (an attended transfer's new call took the link over) */
    if (ev == SC_EV_PeerRejected)
        code = mapped_status(code, sc_session_outcome(x->session));
    return to_peer(coord, x->session, (sc_id)ev, code, name);
}

/* ---- A leg ended ------------------------------------------------------------------------------ */

static void on_transition(sc_coord *coord, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    if (!sc_coord__entered_terminal(s, rec))
        return;
    sc_session *peer = sc_coord__peer(coord, s);
    if (!peer || sc_coord__is_terminal(peer))
        return;
    const char *st = sc_session_state_name(peer);
    if (st && (!strcmp(st, "Terminating") || !strcmp(st, "Cancelling")))
        return;
    if (sc_session_role(peer) == SC_ROLE_UAS && st && (!strcmp(st, "Ringing") || !strcmp(st, "Idle"))) {
        int32_t code = mapped_status(rec->event_code, sc_session_outcome(s));
        if (rec->event == SC_EV_DialogTimeout)
            code = 408;
        sc_coord__dispatch(coord, peer, SC_EV_PeerRejected, code, "peer failed", NULL);
        return;
    }
    sc_coord__dispatch(coord, peer, SC_EV_HangupCall, 0, "peer ended", NULL);
}

/* ---- Bridge commands -------------------------------------------------------------------------- */

static int cmd_result(int rc) { return rc == SC_ENGINE_QUEUED ? 0 : rc; }

int sc_coord_bridge(sc_coord *coord, const char *a, const char *b)
{
    if (!coord || !a || !b)
        return -EINVAL;
    if (!strcmp(a, b))
        return -EINVAL;
    sc_session *sa = sc_store_get(coord->store, a), *sb = sc_store_get(coord->store, b);
    if (!sa || !sb)
        return -ENOENT;
    const char *pa = sc_session_field(sa, SC_FIELD_PEER_ID), *pb = sc_session_field(sb, SC_FIELD_PEER_ID);
    if ((pa && strcmp(pa, b)) || (pb && strcmp(pb, a)))
        return -EBUSY;
    const sc_coord_leg *la = sc_coord__leg(sa), *lb = sc_coord__leg(sb);
    if ((la && sc_media_conf_room(la->stream)) || (lb && sc_media_conf_room(lb->stream)))
        return -EBUSY; /* a session in a conference room is not bridged (conference.c) */
    sc_session_set_field(sa, SC_FIELD_PEER_ID, b);
    sc_session_set_field(sb, SC_FIELD_PEER_ID, a);
    int rc = cmd_result(sc_coord__dispatch(coord, sa, SC_EV_BridgeSessions, 0, b, NULL));
    if (rc == 0) {
        sb = sc_store_get(coord->store, b);
        rc = sb ? cmd_result(sc_coord__dispatch(coord, sb, SC_EV_BridgeSessions, 0, a, NULL)) : -ENOENT;
        if (rc) { /* undo the first half */
            sa = sc_store_get(coord->store, a);
            if (sa)
                sc_coord__dispatch(coord, sa, SC_EV_UnbridgeSessions, 0, "bridge failed", NULL);
        }
    }
    if (rc) {
        if ((sa = sc_store_get(coord->store, a)) != NULL && !pa)
            sc_session_set_field(sa, SC_FIELD_PEER_ID, NULL);
        if ((sb = sc_store_get(coord->store, b)) != NULL && !pb)
            sc_session_set_field(sb, SC_FIELD_PEER_ID, NULL);
    }
    return rc;
}

int sc_coord_unbridge(sc_coord *coord, const char *id)
{
    if (!coord || !id)
        return -EINVAL;
    sc_session *s = sc_store_get(coord->store, id);
    if (!s)
        return -ENOENT;
    char pid[SC_SESSION_ID_MAX + 1] = "";
    const char *p = sc_session_field(s, SC_FIELD_PEER_ID);
    if (p)
        snprintf(pid, sizeof pid, "%s", p);
    int rc = cmd_result(sc_coord__dispatch(coord, s, SC_EV_UnbridgeSessions, 0, "api", NULL));
    if (rc)
        return rc;
    sc_session *peer = pid[0] ? sc_store_get(coord->store, pid) : NULL;
    if (peer)
        sc_coord__dispatch(coord, peer, SC_EV_UnbridgeSessions, 0, "api", NULL);
    if ((s = sc_store_get(coord->store, id)) != NULL)
        sc_session_set_field(s, SC_FIELD_PEER_ID, NULL);
    if (pid[0] && (peer = sc_store_get(coord->store, pid)) != NULL)
        sc_session_set_field(peer, SC_FIELD_PEER_ID, NULL);
    return 0;
}

/* ---- Start and stop --------------------------------------------------------------------------- */

/* sessioncore_route_refused_total: INVITEs for a trusted-only route from untrusted sources. */
static void refused_metric(sc_coord *c, b2bua_state *b)
{
    sc_obs_metric *m = NULL;
    sc_obs_desc d = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_route_refused_total",
                     .help = "INVITEs for a B2BUA route that only trusted or authenticated callers may reach, "
                             "refused with 403"};
    if (c->reg && sc_obs_register(c->reg, &d, &m) == 0)
        b->refused = sc_obs_counter_with(m, NULL);
}

static int start(sc_coord *c, const sc_coord_config *cfg)
{
    if (cfg->nroutes > SC_COORD_MAX_ROUTES || cfg->ntrust > SC_COORD_MAX_TRUST)
        return -EINVAL;
    b2bua_state *b = calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    c->feat[SC_FEAT_B2BUA] = b;
    for (size_t i = 0; i < cfg->ntrust; i++)
        if (sc_coord__net_parse(cfg->trust[i], &b->trust[b->ntrust++]) != 0)
            return -EINVAL;
    if (cfg->nroutes)
        refused_metric(c, b);
    for (size_t i = 0; i < cfg->nroutes; i++) {
        if (!cfg->route_match[i] || !cfg->route_target[i])
            return -EINVAL;
        b->route_match[i] = strdup(cfg->route_match[i]);
        b->route_target[i] = strdup(cfg->route_target[i]);
        b->route_proxy[i] = cfg->route_proxy[i] ? strdup(cfg->route_proxy[i]) : NULL;
        b->route_open[i] = cfg->route_open[i];
        b->route_srtp[i] = cfg->route_srtp[i] >= 1 && cfg->route_srtp[i] <= 3 ? cfg->route_srtp[i] : 0;
        b->nroutes = i + 1;
        if (!b->route_match[i] || !b->route_target[i] || (cfg->route_proxy[i] && !b->route_proxy[i]))
            return -ENOMEM;
        sc_log(c->logger, SC_LOG_INFO, "b2bua", "route %s -> %s%s%s, for %s", cfg->route_match[i], cfg->route_target[i],
               b->route_proxy[i] ? " via " : "", b->route_proxy[i] ? b->route_proxy[i] : "",
               b->route_open[i] ? "any caller (from=any)" : "trusted or authenticated callers");
    }
    if (cfg->outbound_proxy && !(b->default_proxy = strdup(cfg->outbound_proxy)))
        return -ENOMEM;
    if (b->default_proxy)
        sc_log(c->logger, SC_LOG_INFO, "b2bua", "outbound proxy %s", b->default_proxy);
    return 0;
}

static void stop(sc_coord *c)
{
    b2bua_state *b = c->feat[SC_FEAT_B2BUA];
    if (!b)
        return;
    for (size_t i = 0; i < b->nroutes; i++) {
        free(b->route_match[i]);
        free(b->route_target[i]);
        free(b->route_proxy[i]);
    }
    free(b->default_proxy);
    free(b);
    c->feat[SC_FEAT_B2BUA] = NULL;
}

static const sc_coord_guard_def guards[] = {
    {"HasPeer", g_has_peer},
    {NULL, NULL},
};

static const sc_coord_action_def actions[] = {
    {"CreateOutgoingLeg", a_create_outgoing_leg},
    {"HangupPeer", a_hangup_peer},
    {"NotifyPeer", a_notify_peer},
    {NULL, NULL},
};

const sc_coord_feature sc_coord__feature_b2bua = {
    .name = "b2bua",
    .guards = guards,
    .actions = actions,
    .start = start,
    .stop = stop,
    .on_transition = on_transition,
    .on_incoming = route_incoming,
    .screen = route_screen,
    .extra_legs = extra_legs,
    .leg_free = leg_free,
    .leg_usage = leg_usage,
};
