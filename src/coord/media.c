/* media: the media feature: one RTP stream per leg (opened when our first SDP needs its
 * port: the core's media provider), pointed at what the SDP negotiated, closed when the session
 * ends; the table's media actions (music on hold, DTMF, bridge) and the stream's events
 * (DtmfReceived, RtpTimeout) dispatched on the session; the stream in inspections. */
#include "coord/media.h"
#include "coord/dtmf_info.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct media_state {
    sc_media *media; /* RTP streams and MOH classes */
} media_state;

sc_media *sc_coord__media_ctx(sc_coord *c)
{
    media_state *m = sc_coord__feat(c, SC_FEAT_MEDIA);
    return m ? m->media : NULL;
}

static sc_media_stream *stream_of(const sc_coord_leg *leg) { return leg ? (sc_media_stream *)leg->stream : NULL; }

/* ---- Stream events --------------------------------------------------------------------------- */

static void on_dtmf(sc_media_stream *st, char digit, unsigned duration_ms, void *ud)
{
    sc_coord_leg *leg = ud;
    sc_session *s = sc_store_get(leg->c->store, leg->id);
    char text[2] = {digit, '\0'};
    if (s)
        sc_coord__dispatch(leg->c, s, SC_EV_DtmfReceived, (int32_t)duration_ms, text, NULL);
}

static void on_rtp_timeout(sc_media_stream *st, void *ud)
{
    sc_coord_leg *leg = ud;
    sc_session *s = sc_store_get(leg->c->store, leg->id);
    sc_log(leg->c->logger, SC_LOG_INFO, "media", "call %s: no RTP received (timeout)", leg->id);
    if (s)
        sc_coord__dispatch(leg->c, s, SC_EV_RtpTimeout, 0, "rtp timeout", NULL);
}

/* ---- The stream of a leg ------------------------------------------------------------------------ */

static void media_release(sc_coord_leg *leg)
{
    if (!leg || !leg->stream)
        return;
    sc_media_stream_close(stream_of(leg));
    leg->stream = NULL;
}

/* The media provider's open: the leg's stream unless it has one (or its media ended); its
 * port is what we announce. */
static int media_open(sc_coord_leg *leg)
{
    sc_coord *c = leg->c;
    sc_media *media = sc_coord__media_ctx(c);
    if (!leg->stream && !leg->media_stopped && media) {
        sc_media_stream *st = NULL;
        int rc = sc_media_stream_open(media, &st, leg);
        if (rc) {
            sc_log(c->logger, SC_LOG_WARN, "media", "call %s: no RTP port: %s", leg->id, sc_strerror(rc));
            return rc;
        }
        leg->stream = st;
        leg->rtp_port = sc_media_stream_port(st);
    }
    return 0;
}

/* The media provider's apply: point the stream at the negotiated remote (a re-INVITE moves it). */
static void media_apply(sc_coord_leg *leg, const sc_sdp_info *info, const sc_sdp_codec *codec, sc_sdp_direction ours)
{
    sc_media_stream *st = stream_of(leg);
    if (!st)
        return;
    sc_media_format fmt;
    bool known = sc_coord__media_format(info, codec, &fmt) == 0;
    uint16_t port = known ? info->port : 0; /* a codec we do not have: off */
    int rc = sc_media_stream_set_remote_format(st, info->conn_addr, port, &fmt, sc_coord__stream_direction(ours));
    if (rc)
        sc_log(leg->c->logger, SC_LOG_WARN, "media", "call %s: cannot send RTP to %s:%u: %s", leg->id, info->conn_addr,
               info->port, sc_strerror(rc));
}

/* Admission: room in the port range for every session the new one brings (c->admit_need),
 * each active session counting as holding a pair (one not answered yet opens it later; a
 * session's stream closes when it ends). Pairs other sockets hold are not seen. */
static int admit(sc_coord *c, const char **why)
{
    media_state *m = sc_coord__feat(c, SC_FEAT_MEDIA);
    if (!m || !m->media)
        return 0;
    uint32_t total = 0, used = 0;
    sc_media_pairs(m->media, &total, &used);
    if (c->limits.media_pairs < total) /* the descriptor limit's share (admission.c) */
        total = c->limits.media_pairs;
    size_t held = c->active > used ? c->active : used;
    if (held + c->admit_need <= total)
        return 0;
    *why = "media_ports";
    return SC_E_OVERLOAD;
}

/* A session entered a terminal state: its stream closes for good. */
static void on_transition(sc_coord *c, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    if (!sc_coord__entered_terminal(s, rec))
        return;
    sc_coord_leg *leg = sc_coord__leg(s);
    if (leg) {
        media_release(leg);
        leg->media_stopped = true;
    }
}

static void leg_usage(const sc_coord_leg *leg, size_t *bytes, unsigned *sockets)
{
    if (leg->stream)
        *sockets += 2; /* RTP + RTCP */
}

int sc_coord__media_take_over(sc_coord_leg *to, sc_coord_leg *from)
{
    sc_media_stream *old = stream_of(from);
    sc_media_stream *partner = sc_media_bridge_peer(old);
    int rc = 0;
    if (partner && to) {
        sc_media_unbridge(old);
        rc = media_open(to);
        if (rc == 0)
            rc = sc_media_bridge(stream_of(to), partner);
        sc_log(to->c->logger, rc ? SC_LOG_WARN : SC_LOG_INFO, "media", "call %s takes over the relay of %s: %s", to->id,
               from->id, rc ? sc_strerror(rc) : "ok");
    }
    if (from) {
        media_release(from);
        from->media_stopped = true;
    }
    return rc;
}

/* ---- Inspection ------------------------------------------------------------------------------- */

static void media_inspect(sc_coord *c, const sc_session *s, json_t *out)
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
    json_t *o = json_pack("{s:b,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:b,s:b,s:I}", "open", 1, "local_port",
                          (int)sc_media_stream_port(st), "packets_in", (json_int_t)ms.packets_received, "packets_out",
                          (json_int_t)ms.packets_sent, "bytes_in", (json_int_t)ms.bytes_received, "bytes_out",
                          (json_int_t)ms.bytes_sent, "lost", (json_int_t)ms.lost, "dtmf_in",
                          (json_int_t)ms.dtmf_received, "jitter_ms", ms.jitter_ms, "moh", sc_media_moh_playing(st),
                          "bridged", peer != NULL, "rtcp_in", (json_int_t)ms.rtcp_received);
    if (!o)
        return;
    /* the source checks: packets dropped from other addresses, held by the SSRC probation,
     * and the source accepted (the SDP's or the latched one; "" while a latch is pending) */
    char source[80];
    sc_media_stream_source(st, source, sizeof source);
    json_object_set_new(o, "rejected", json_integer((json_int_t)ms.rejected));
    json_object_set_new(o, "probation", json_integer((json_int_t)ms.probation));
    json_object_set_new(o, "ssrc_changes", json_integer((json_int_t)ms.ssrc_changes));
    json_object_set_new(o, "latched", json_boolean(ms.latched));
    json_object_set_new(o, "source", json_string(source));
    /* codecs: packets the bridge sent re-encoded (0 when it relays), payloads it could not decode */
    json_object_set_new(o, "transcoded", json_integer((json_int_t)ms.transcoded));
    json_object_set_new(o, "decode_errors", json_integer((json_int_t)ms.decode_errors));
    json_object_set_new(out, "media", o);
}

/* ---- Actions ---------------------------------------------------------------------------------- */

static sc_coord_leg *leg_of(const sc_exec *x) { return sc_coord__leg(x->session); }

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
    media_release(leg);
    leg->media_stopped = true;
    if (leg->media_started) {
        leg->media_started = false;
        sc_session_set_field(x->session, SC_FIELD_MEDIA_DIRECTION, "inactive");
    }
    return 0;
}

static int a_update_media(const sc_exec *x) { return 0; /* the SDP exchange of the event already moved the stream */ }

static int a_play_moh(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_media_stream *st = stream_of(leg_of(x));
    if (!st)
        return -ENOTCONN;
    const sc_coord_leg *leg = leg_of(x);
    /* the class the hold command chose wins over the table's */
    const char *cls = leg && leg->moh_class[0] ? leg->moh_class : sc_exec_param_str(x, "class", NULL);
    int rc = sc_media_moh_start(st, cls);
    if (rc == -ENOENT && cls) {
        sc_log(coord->logger, SC_LOG_WARN, "media", "session %s: no music on hold class '%s', playing default",
               sc_session_id(x->session), cls);
        rc = sc_media_moh_start(st, NULL);
    }
    return rc;
}

int sc_coord_hold_moh(sc_coord *c, const char *id, const char *moh)
{
    if (!c || !id || (moh && (!*moh || strlen(moh) >= sizeof((sc_coord_leg *)0)->moh_class)))
        return -EINVAL;
    sc_session *s = sc_store_get(c->store, id);
    sc_coord_leg *leg = s ? sc_coord__leg(s) : NULL;
    if (!s)
        return -ENOENT;
    sc_media *m = sc_coord__media_ctx(c);
    size_t pos, len;
    if (moh && (!m || sc_media_moh_class_position(m, moh, &pos, &len) == -ENOENT))
        return -ENODATA;
    if (leg)
        snprintf(leg->moh_class, sizeof leg->moh_class, "%s", moh ? moh : "");
    return sc_coord__command(c, s, SC_EV_HoldCall, 0, "api");
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
    if (!digits || !*digits)
        return -EINVAL;
    int rc = st ? sc_media_stream_send_dtmf(st, digits, 100) : -ENOTCONN;
    if (rc == -ENOTSUP || !st) /* no telephone-event negotiated: SIP INFO (dtmf_info.c) */
        rc = sc_coord__dtmf_info_send(leg_of(x), digits);
    return rc;
}

static int a_bridge_media(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_session *peer = sc_coord__peer(coord, x->session);
    sc_media_stream *a = stream_of(leg_of(x)), *b = peer ? stream_of(sc_coord__leg(peer)) : NULL;
    if (!peer)
        return -ENOENT;
    if (!a || !b)
        return -ENOTCONN;
    if (sc_media_bridge_peer(a) == b)
        return 0; /* the peer's BridgeMedia ran first */
    /* a leg in a conference room (conference.c) is not bridged too */
    if (sc_media_conf_room(a) || sc_media_conf_room(b)) {
        sc_log(coord->logger, SC_LOG_WARN, "media", "session %s: BridgeMedia refused: a leg is in a conference room",
               sc_session_id(x->session));
        return -EBUSY;
    }
    return sc_media_bridge(a, b);
}

static int a_unbridge_media(const sc_exec *x)
{
    sc_media_unbridge(stream_of(leg_of(x)));
    return 0;
}

static const sc_coord_action_def actions[] = {
    {"StartMedia", a_start_media},   {"StopMedia", a_stop_media},         {"UpdateMedia", a_update_media},
    {"PlayMusicOnHold", a_play_moh}, {"StopMusicOnHold", a_stop_moh},     {"SendDtmf", a_send_dtmf},
    {"BridgeMedia", a_bridge_media}, {"UnbridgeMedia", a_unbridge_media}, {NULL, NULL},
};

/* ---- Start and stop --------------------------------------------------------------------------- */

static int start(sc_coord *c, const sc_coord_config *cfg)
{
    int crc = sc_coord__codecs_config(c, cfg); /* codecs.c */
    if (crc)
        return crc;
    media_state *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    c->feat[SC_FEAT_MEDIA] = m;
    if (cfg->media_off)
        return 0; /* signalling only: no stream is opened, our SDP's port is 0 (RFC 3264 6) */
    sc_media_config mc = {.clock = c->clock,
                          .logger = c->logger,
                          .bind_addr = c->media_addr,
                          .port_min = c->port_min,
                          .port_max = c->port_max,
                          .rtp_timeout_ms = cfg->rtp_timeout_ms,
                          .latch = cfg->rtp_latch,
                          .park_max = cfg->rtp_park,
                          .pair_limit = c->limits.media_pairs, /* the descriptor budget (admission.c) */
                          .cb = {.on_dtmf = on_dtmf, .on_rtp_timeout = on_rtp_timeout}};
    int rc = sc_media_new(&m->media, c->loop, &mc);
    if (rc) {
        sc_log(c->logger, SC_LOG_ERROR, "media", "cannot use RTP address %s ports %u-%u: %s", c->media_addr,
               c->port_min, c->port_max, sc_strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < cfg->nmoh && i < SC_COORD_MAX_MOH; i++) {
        rc = sc_media_moh_class_add(m->media, cfg->moh_names[i], cfg->moh_paths[i]);
        if (rc) {
            sc_log(c->logger, SC_LOG_ERROR, "media", "music on hold class %s (%s): %s",
                   cfg->moh_names[i] ? cfg->moh_names[i] : "?", cfg->moh_paths[i] ? cfg->moh_paths[i] : "built-in",
                   sc_strerror(rc));
            return rc;
        }
    }
    return 0;
}

/* Its handles close in the loop runs of sc_coord_free. */
static void stop(sc_coord *c)
{
    media_state *m = c->feat[SC_FEAT_MEDIA];
    if (!m)
        return;
    sc_media_free(m->media);
    free(m);
    c->feat[SC_FEAT_MEDIA] = NULL;
}

const sc_coord_feature sc_coord__feature_media = {
    .name = "media",
    .needs = "dtmf_info", /* SendDtmf falls back to SIP INFO */
    .actions = actions,
    .start = start,
    .stop = stop,
    .on_transition = on_transition,
    .admit = admit,
    .leg_free = media_release,
    .leg_usage = leg_usage,
    .inspect = media_inspect,
    .media_open = media_open,
    .media_apply = media_apply,
};
