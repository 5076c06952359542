/* media: a session's real media: one RTP stream per leg (opened with our first SDP, its
 * port announced in it), SDP offer/answer whose outcome drives the stream (remote, codec,
 * telephone-event, direction), the table's media actions (music on hold, DTMF, bridge) and the
 * stream's events (DtmfReceived, RtpTimeout) dispatched on the session. */
#include "coord/b2bua.h"
#include "coord/media_keep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static sc_media_stream *stream_of(const sc_coord_leg *leg)
{
    return leg ? (sc_media_stream *)leg->stream : NULL;
}

/* ---- Stream events --------------------------------------------------------------------------- */

static void on_dtmf(sc_media_stream *st, char digit, unsigned duration_ms, void *ud)
{
    sc_coord_leg *leg = ud;
    sc_session *s = sc_store_get(leg->api->store, leg->id);
    char text[2] = {digit, '\0'};
    if (s)
        sc_coord__dispatch(leg->api, s, SC_EV_DtmfReceived, (int32_t)duration_ms, text, NULL);
}

static void on_rtp_timeout(sc_media_stream *st, void *ud)
{
    sc_coord_leg *leg = ud;
    sc_session *s = sc_store_get(leg->api->store, leg->id);
    sc_log(leg->api->logger, SC_LOG_INFO, "media", "call %s: no RTP received (timeout)", leg->id);
    if (s)
        sc_coord__dispatch(leg->api, s, SC_EV_RtpTimeout, 0, "rtp timeout", NULL);
}

/* ---- Context ---------------------------------------------------------------------------------- */

static bool is_terminal(const sc_session *s, sc_id state)
{
    const sc_state_info *si = sc_table_state(sc_session_table(s), state);
    return si && si->terminal;
}

static void obs_transition(void *ud, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    sc_coord *api = ud;
    if (rec->from == rec->to || is_terminal(s, rec->from) || !is_terminal(s, rec->to))
        return;
    sc_coord_leg *leg = sc_coord__leg(s);
    if (leg) {
        sc_coord__media_release(leg);
        leg->media_stopped = true;
    }
    sc_coord__b2bua_ended(api, s, rec);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int add_routes(sc_coord *api, sc_coord_mx *mx, const sc_coord_config *cfg)
{
    if (cfg->nroutes > SC_COORD_MAX_ROUTES)
        return -EINVAL;
    for (size_t i = 0; i < cfg->nroutes; i++) {
        if (!cfg->route_match[i] || !cfg->route_target[i])
            return -EINVAL;
        mx->route_match[i] = dup_or_null(cfg->route_match[i]);
        mx->route_target[i] = dup_or_null(cfg->route_target[i]);
        mx->nroutes = i + 1;
        if (!mx->route_match[i] || !mx->route_target[i])
            return -ENOMEM;
        sc_log(api->logger, SC_LOG_INFO, "api", "route %s -> %s", cfg->route_match[i], cfg->route_target[i]);
    }
    return 0;
}

int sc_coord__media_open(sc_coord *api, const sc_coord_config *cfg)
{
    sc_coord_mx *mx = calloc(1, sizeof *mx);
    if (!mx)
        return -ENOMEM;
    api->mx = mx;
    snprintf(mx->addr, sizeof mx->addr, "%s",
             cfg->media_address && *cfg->media_address ? cfg->media_address : api->local_host);
    sc_media_config mc = {.clock = api->clock, .logger = api->logger, .bind_addr = mx->addr,
                          .port_min = api->port_min, .port_max = api->port_max,
                          .rtp_timeout_ms = cfg->rtp_timeout_ms,
                          .cb = {.on_dtmf = on_dtmf, .on_rtp_timeout = on_rtp_timeout}};
    int rc = sc_media_new(&mx->media, api->loop, &mc);
    if (rc) {
        sc_log(api->logger, SC_LOG_ERROR, "media", "cannot use RTP address %s ports %u-%u: %s", mx->addr,
               api->port_min, api->port_max, sc_strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < cfg->nmoh && i < SC_COORD_MAX_MOH; i++) {
        rc = sc_media_moh_class_add(mx->media, cfg->moh_names[i], cfg->moh_paths[i]);
        if (rc) {
            sc_log(api->logger, SC_LOG_ERROR, "media", "music on hold class %s (%s): %s",
                   cfg->moh_names[i] ? cfg->moh_names[i] : "?", cfg->moh_paths[i] ? cfg->moh_paths[i] : "built-in",
                   sc_strerror(rc));
            return rc;
        }
    }
    if ((rc = add_routes(api, mx, cfg)) != 0)
        return rc;
    sc_engine_observer obs = {.on_transition = obs_transition, .ud = api};
    rc = sc_engine_add_observer(api->engine, &obs);
    return rc < 0 ? rc : 0;
}

void sc_coord__media_close(sc_coord *api)
{
    sc_coord_mx *mx = api ? api->mx : NULL;
    if (!mx)
        return;
    sc_media_free(mx->media);
    for (size_t i = 0; i < mx->nroutes; i++) {
        free(mx->route_match[i]);
        free(mx->route_target[i]);
    }
    free(mx);
    api->mx = NULL;
}

void sc_coord__media_release(sc_coord_leg *leg)
{
    if (!leg || !leg->stream)
        return;
    sc_media_stream_close(stream_of(leg));
    leg->stream = NULL;
}

static int ensure_stream(sc_coord_leg *leg);

int sc_coord__media_take_over(sc_coord_leg *to, sc_coord_leg *from)
{
    sc_media_stream *old = stream_of(from);
    sc_media_stream *partner = sc_media_bridge_peer(old);
    int rc = 0;
    if (partner && to) {
        sc_media_unbridge(old);
        rc = ensure_stream(to);
        if (rc == 0)
            rc = sc_media_bridge(stream_of(to), partner);
        sc_log(to->api->logger, rc ? SC_LOG_WARN : SC_LOG_INFO, "media", "call %s takes over the relay of %s: %s",
               to->id, from->id, rc ? sc_strerror(rc) : "ok");
    }
    if (from) {
        sc_coord__media_release(from);
        from->media_stopped = true;
    }
    return rc;
}

/* ---- SDP -------------------------------------------------------------------------------------- */

void sc_coord__media_init(sc_coord_leg *leg)
{
    sc_coord *api = leg->api;
    leg->sdp_id = ++api->next_sdp_id;
    leg->sdp_version = 1;
    leg->local_dir = SC_SDP_SENDRECV;
    snprintf(leg->rtp_addr, sizeof leg->rtp_addr, "%s", api->mx ? api->mx->addr : api->local_host);
}

/* Open the leg's stream unless it has one (or its media ended); its port is what we announce. */
static int ensure_stream(sc_coord_leg *leg)
{
    sc_coord *api = leg->api;
    if (!leg->stream && !leg->media_stopped && api->mx) {
        sc_media_stream *st = NULL;
        int rc = sc_media_stream_open(api->mx->media, &st, leg);
        if (rc) {
            sc_log(api->logger, SC_LOG_WARN, "media", "call %s: no RTP port: %s", leg->id, sc_strerror(rc));
            return rc;
        }
        leg->stream = st;
        leg->rtp_port = sc_media_stream_port(st);
    }
    return 0;
}

/* Our side of an SDP; opens the stream on first use. An offer keeps the telephone-event
 * payload type negotiated before (the dtmf_pt field; 101 when none was). */
static int local_of(sc_coord_leg *leg, sc_sdp_direction dir, sc_sdp_local *l)
{
    int rc = ensure_stream(leg);
    if (rc)
        return rc;
    memset(l, 0, sizeof *l);
    l->addr = leg->rtp_addr;
    l->port = leg->rtp_port;
    l->session_id = leg->sdp_id;
    l->session_version = leg->sdp_version;
    l->direction = dir;
    sc_session *s = sc_store_get(leg->api->store, leg->id);
    int te = s ? sc_coord__dtmf_pt_parse(sc_session_field(s, SC_FIELD_DTMF_PT), -1) : -1;
    l->dtmf_pt = te >= 0 ? te : 0;
    return 0;
}

/* An SDP with our o= line (sdp_id, sdp_version) was built: record that line in the session
 * (recovery continues from it, RFC 3264 8) and move to the next version. */
static void sdp_built(sc_coord_leg *leg, sc_session *s)
{
    char v[SC_COORD_ORIGIN_MAX];
    if (!s)
        s = sc_store_get(leg->api->store, leg->id);
    if (s) {
        sc_coord__origin_format(v, sizeof v, leg->sdp_id, leg->sdp_version);
        sc_session_set_field(s, SC_FIELD_SDP_ORIGIN, v);
    }
    leg->sdp_version++;
}

int sc_coord__media_offer(sc_coord_leg *leg, sc_sdp_direction dir, char *buf, size_t cap)
{
    sc_sdp_local l;
    int rc = local_of(leg, dir, &l);
    if (rc)
        return rc;
    int n = sc_sdp_build_offer(&l, buf, cap);
    if (n >= 0)
        sdp_built(leg, NULL);
    return n;
}

static void set_addr_field(sc_session *s, sc_field f, const char *addr, uint16_t port)
{
    char v[96];
    if (strchr(addr, ':'))
        snprintf(v, sizeof v, "[%s]:%u", addr, port);
    else
        snprintf(v, sizeof v, "%s:%u", addr, port);
    sc_session_set_field(s, f, v);
}

/* The negotiated telephone-event payload type (96..127), or -1. */
static int dtmf_pt_of(const sc_sdp_info *info)
{
    return info->dtmf_pt >= 96 && info->dtmf_pt <= 127 ? info->dtmf_pt : -1;
}

/* Point the stream at the negotiated remote (a re-INVITE moves it). */
sc_media_direction sc_coord__stream_direction(sc_sdp_direction ours)
{
    return ours == SC_SDP_RECVONLY ? SC_MEDIA_INACTIVE : (sc_media_direction)ours;
}

static void apply(sc_coord_leg *leg, const sc_sdp_info *info, const sc_sdp_codec *codec, sc_sdp_direction ours)
{
    sc_media_stream *st = stream_of(leg);
    if (!st)
        return;
    sc_media_codec c = codec && codec->pt == 8 ? SC_MEDIA_PCMA : SC_MEDIA_PCMU;
    uint16_t port = codec && (codec->pt == 0 || codec->pt == 8) ? info->port : 0; /* no G.711: off */
    int te = dtmf_pt_of(info);
    int rc = sc_media_stream_set_remote(st, info->conn_addr, port, c, te, sc_coord__stream_direction(ours));
    if (rc)
        sc_log(leg->api->logger, SC_LOG_WARN, "media", "call %s: cannot send RTP to %s:%u: %s", leg->id,
               info->conn_addr, info->port, sc_strerror(rc));
}

/* Record the media as negotiated with info (the remote view, codecs already intersected) and
 * apply it to the stream. */
static void record(sc_coord_leg *leg, sc_session *s, const sc_sdp_info *info, sc_sdp_direction ours)
{
    const sc_sdp_codec *codec = NULL;
    set_addr_field(s, SC_FIELD_LOCAL_RTP, leg->rtp_addr, leg->rtp_port);
    set_addr_field(s, SC_FIELD_REMOTE_RTP, info->conn_addr, info->port);
    for (size_t i = 0; i < info->codec_count; i++) {
        const sc_sdp_codec *c = &info->codecs[i];
        if (!strcasecmp(c->name, "telephone-event"))
            continue;
        char v[48];
        snprintf(v, sizeof v, "%s/%d", c->name[0] ? c->name : "?", c->rate ? c->rate : 8000);
        sc_session_set_field(s, SC_FIELD_CODEC, v);
        codec = c;
        break;
    }
    sc_session_set_field(s, SC_FIELD_MEDIA_DIRECTION, sc_sdp_direction_name(ours));
    char pt[SC_COORD_DTMF_PT_MAX];
    sc_coord__dtmf_pt_format(pt, sizeof pt, dtmf_pt_of(info));
    sc_session_set_field(s, SC_FIELD_DTMF_PT, pt);
    apply(leg, info, codec, ours);
}

int sc_coord__media_answer(sc_coord_leg *leg, sc_session *s, char *buf, size_t cap)
{
    sc_sdp_local l;
    sc_sdp_info neg;
    if (!leg->offer)
        return -EINVAL;
    int rc = local_of(leg, leg->local_dir, &l);
    if (rc)
        return rc;
    int n = sc_sdp_build_answer(leg->offer, &l, buf, cap, &neg);
    if (n < 0)
        return n;
    sdp_built(leg, s);
    leg->remote_held = sc_sdp_is_hold(leg->offer);
    record(leg, s, &neg, sc_sdp_answer_direction(leg->offer->direction, leg->local_dir));
    sc_coord__clear_offer(leg);
    return n;
}

int sc_coord__set_offer(sc_coord_leg *leg, const sc_sdp_info *info)
{
    if (!leg->offer && !(leg->offer = malloc(sizeof *leg->offer))) {
        leg->pending_offer = false;
        return -ENOMEM;
    }
    *leg->offer = *info;
    leg->pending_offer = true;
    return 0;
}

void sc_coord__clear_offer(sc_coord_leg *leg)
{
    free(leg->offer);
    leg->offer = NULL;
    leg->pending_offer = false;
}

void sc_coord__media_remote(sc_coord_leg *leg, sc_session *s, const sc_sdp_info *info)
{
    /* Our direction as seen from the remote's answer: it answers sendonly->recvonly etc. */
    sc_sdp_direction ours = leg->local_dir;
    switch (info->direction) {
    case SC_SDP_RECVONLY:
        ours = SC_SDP_SENDONLY;
        break;
    case SC_SDP_SENDONLY:
        ours = SC_SDP_RECVONLY;
        break;
    case SC_SDP_INACTIVE:
        ours = SC_SDP_INACTIVE;
        break;
    case SC_SDP_SENDRECV:
        break;
    }
    record(leg, s, info, ours);
}

void sc_coord__media_record(sc_coord_leg *leg, sc_session *s, const char *direction_override)
{
    if (direction_override)
        sc_session_set_field(s, SC_FIELD_MEDIA_DIRECTION, direction_override);
}

void sc_coord__parse_sdp(sc_coord_evctx *ctx, const char *ctype, const char *body, size_t len)
{
    ctx->has_sdp = false;
    ctx->sdp_ok = false;
    if (!body || !len || !ctype || strncasecmp(ctype, "application/sdp", 15) != 0)
        return;
    ctx->has_sdp = true;
    ctx->sdp_ok = sc_sdp_parse(body, len, &ctx->sdp) == 0;
}

/* ---- Inspection ------------------------------------------------------------------------------- */

void sc_coord__media_inspect(const sc_session *s, json_t *out)
{
    sc_media_stream *st = stream_of(sc_coord__leg(s));
    if (!json_is_object(out))
        return;
    if (!st) {
        json_object_set_new(out, "media", json_pack("{s:b}", "open", 0));
        return;
    }
    sc_media_stats ms;
    sc_media_stream_stats(st, &ms);
    sc_media_stream *peer = sc_media_bridge_peer(st);
    json_object_set_new(out, "media",
                        json_pack("{s:b,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:b,s:b,s:I}", "open", 1,
                                  "local_port", (int)sc_media_stream_port(st),
                                  "packets_in", (json_int_t)ms.packets_received,
                                  "packets_out", (json_int_t)ms.packets_sent,
                                  "bytes_in", (json_int_t)ms.bytes_received,
                                  "bytes_out", (json_int_t)ms.bytes_sent,
                                  "lost", (json_int_t)ms.lost,
                                  "dtmf_in", (json_int_t)ms.dtmf_received,
                                  "jitter_ms", ms.jitter_ms,
                                  "moh", sc_media_moh_playing(st),
                                  "bridged", peer != NULL,
                                  "rtcp_in", (json_int_t)ms.rtcp_received));
}

/* ---- Actions ---------------------------------------------------------------------------------- */

static sc_coord_leg *leg_of(const sc_exec *x)
{
    return sc_coord__leg(x->session);
}

static int a_start_media(const sc_exec *x)
{
    sc_coord_leg *leg = leg_of(x);
    if (leg)
        leg->media_started = true; /* the stream follows the negotiation already */
    return 0;
}

static int a_stop_media(const sc_exec *x)
{
    sc_coord_leg *leg = leg_of(x);
    if (!leg)
        return 0;
    sc_coord__media_release(leg);
    leg->media_stopped = true;
    if (leg->media_started) {
        leg->media_started = false;
        sc_session_set_field(x->session, SC_FIELD_MEDIA_DIRECTION, "inactive");
    }
    return 0;
}

static int a_update_media(const sc_exec *x)
{
    return 0; /* the SDP exchange of the event already moved the stream */
}

static int a_play_moh(const sc_exec *x)
{
    sc_coord *api = x->ud;
    sc_media_stream *st = stream_of(leg_of(x));
    if (!st)
        return -ENOTCONN;
    const char *cls = sc_exec_param_str(x, "class", NULL);
    int rc = sc_media_moh_start(st, cls);
    if (rc == -ENOENT && cls) {
        sc_log(api->logger, SC_LOG_WARN, "media", "session %s: no music on hold class '%s', playing default",
               sc_session_id(x->session), cls);
        rc = sc_media_moh_start(st, NULL);
    }
    return rc;
}

static int a_stop_moh(const sc_exec *x)
{
    sc_media_moh_stop(stream_of(leg_of(x)));
    return 0;
}

static int a_send_dtmf(const sc_exec *x)
{
    sc_media_stream *st = stream_of(leg_of(x));
    const char *digits = x->event ? x->event->text : NULL;
    if (!st)
        return -ENOTCONN;
    if (!digits || !*digits)
        return -EINVAL;
    return sc_media_stream_send_dtmf(st, digits, 100);
}

static int a_bridge_media(const sc_exec *x)
{
    sc_coord *api = x->ud;
    sc_session *peer = sc_coord__peer(api, x->session);
    sc_media_stream *a = stream_of(leg_of(x)), *b = peer ? stream_of(sc_coord__leg(peer)) : NULL;
    if (!peer)
        return -ENOENT;
    if (!a || !b)
        return -ENOTCONN;
    if (sc_media_bridge_peer(a) == b)
        return 0; /* the peer's BridgeMedia ran first */
    return sc_media_bridge(a, b);
}

static int a_unbridge_media(const sc_exec *x)
{
    sc_media_unbridge(stream_of(leg_of(x)));
    return 0;
}

typedef struct action_bind {
    const char *name;
    sc_action_fn fn;
} action_bind;

static const action_bind actions[] = {
    {"StartMedia", a_start_media},
    {"StopMedia", a_stop_media},
    {"UpdateMedia", a_update_media},
    {"PlayMusicOnHold", a_play_moh},
    {"StopMusicOnHold", a_stop_moh},
    {"SendDtmf", a_send_dtmf},
    {"BridgeMedia", a_bridge_media},
    {"UnbridgeMedia", a_unbridge_media},
    {"CreateOutgoingLeg", sc_coord__a_create_outgoing_leg},
    {"HangupPeer", sc_coord__a_hangup_peer},
    {"NotifyPeer", sc_coord__a_notify_peer},
};

int sc_coord__media_bind(sc_coord *api)
{
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        int rc = sc_engine_bind_action(api->engine, actions[i].name, actions[i].fn, api);
        if (rc)
            return rc;
    }
    return sc_engine_bind_guard(api->engine, "HasPeer", sc_coord__g_has_peer, api);
}
