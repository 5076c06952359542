/* sdp: the core's SDP offer/answer for a leg: our offers and answers (with the RTP port the
 * media provider opened), a pending remote offer, the negotiated media recorded on the session
 * (addresses, codec, direction, telephone-event payload type, our o= line) and handed to the
 * media provider to point its stream at. */
#include "coord/coord_int.h"
#include "coord/media_keep.h"
#include "coord/srtp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

/* ---- SDP -------------------------------------------------------------------------------------- */

void sc_coord__sdp_init(sc_coord_leg *leg)
{
    sc_coord *c = leg->c;
    leg->sdp_id = ++c->next_sdp_id;
    leg->sdp_version = 1;
    leg->local_dir = SC_SDP_SENDRECV;
    snprintf(leg->rtp_addr, sizeof leg->rtp_addr, "%s", c->media_announce); /* empty: by route */
}

/* The media provider's hooks (the media feature). */
static int media_open(sc_coord_leg *leg)
{
    for (size_t i = 0; i < SC_FEAT__COUNT; i++)
        if (sc_coord__features[i]->media_open)
            return sc_coord__features[i]->media_open(leg);
    return 0;
}

static void media_apply(sc_coord_leg *leg, const sc_sdp_info *info, const sc_sdp_codec *codec, sc_sdp_direction ours)
{
    for (size_t i = 0; i < SC_FEAT__COUNT; i++)
        if (sc_coord__features[i]->media_apply) {
            sc_coord__features[i]->media_apply(leg, info, codec, ours);
            return;
        }
}

/* Our side of an SDP; opens the stream on first use. An offer keeps the telephone-event
 * payload type negotiated before (the dtmf_pt field; 101 when none was). */
/* With a wildcard media address and nothing advertised, the address our SDP carries is the one
 * the route to the peer goes out of (never 0.0.0.0, which means hold): toward the offer's
 * connection address, else the SIP peer, else the callee's URI. Kept for the leg's life. */
static int announce_by_route(sc_coord_leg *leg)
{
    struct sockaddr_storage peer;
    int rc = -ENOENT;
    if (leg->offer) {
        memset(&peer, 0, sizeof peer);
        rc = uv_ip4_addr(leg->offer->conn_addr, 9, (struct sockaddr_in *)&peer) == 0 ||
                     uv_ip6_addr(leg->offer->conn_addr, 9, (struct sockaddr_in6 *)&peer) == 0
                 ? 0
                 : -EINVAL;
    }
    if (rc && leg->call) {
        sc_sip_dialog_state *d = malloc(sizeof *d);
        if (!d)
            return -ENOMEM;
        sc_sip_call_dialog(leg->call, d);
        peer = d->remote_addr;
        rc = peer.ss_family ? 0 : -ENOENT;
        free(d);
    }
    if (rc && leg->to)
        rc = sc_coord__uri_addr(leg->to, &peer);
    if (rc == 0)
        rc = sc_sip_route_source(&peer, leg->rtp_addr, sizeof leg->rtp_addr);
    return rc;
}

static int local_of(sc_coord_leg *leg, sc_sdp_direction dir, sc_sdp_local *l)
{
    int rc = media_open(leg);
    if (rc)
        return rc;
    if (!leg->rtp_addr[0] && (rc = announce_by_route(leg)) != 0) {
        sc_log(leg->c->logger, SC_LOG_WARN, "media", "call %s: no address to announce in SDP: %s", leg->id,
               sc_strerror(rc));
        return -EADDRNOTAVAIL;
    }
    memset(l, 0, sizeof *l);
    l->addr = leg->rtp_addr;
    l->port = leg->rtp_port;
    l->session_id = leg->sdp_id;
    l->session_version = leg->sdp_version;
    l->direction = dir;
    sc_session *s = sc_store_get(leg->c->store, leg->id);
    int te = s ? sc_coord__dtmf_pt_parse(sc_session_field(s, SC_FIELD_DTMF_PT), -1) : -1;
    l->dtmf_pt = te >= 0 ? te : 0;
    l->codecs = sc_coord__codec_pref(leg);
    l->opus_pt = leg->opus_pt;
    return 0;
}

/* An SDP with our o= line (sdp_id, sdp_version) was built: record that line in the session
 * (recovery continues from it, RFC 3264 8) and move to the next version. */
static void sdp_built(sc_coord_leg *leg, sc_session *s)
{
    char v[SC_COORD_ORIGIN_MAX];
    if (!s)
        s = sc_store_get(leg->c->store, leg->id);
    if (s) {
        sc_coord__origin_format(v, sizeof v, leg->sdp_id, leg->sdp_version);
        sc_session_set_field(s, SC_FIELD_SDP_ORIGIN, v);
    }
    leg->sdp_version++;
}

int sc_coord__sdp_offer(sc_coord_leg *leg, sc_sdp_direction dir, char *buf, size_t cap)
{
    sc_sdp_local l;
    int rc = local_of(leg, dir, &l);
    if (rc == 0)
        rc = sc_coord__srtp_local(leg, NULL, &l); /* our a=crypto lines */
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

/* Record the media as negotiated with info (the remote view, codecs already intersected) and
 * apply it to the stream. */
static void record(sc_coord_leg *leg, sc_session *s, const sc_sdp_info *info, sc_sdp_direction ours, bool answered)
{
    const sc_sdp_codec *codec = NULL;
    sc_sdp_info *off = NULL;
    if (!sc_coord__srtp_apply(leg, s, info, answered) && (off = malloc(sizeof *off)) != NULL) {
        *off = *info; /* SRTP required and not agreed: the stream sends nothing */
        off->port = 0;
        info = off;
    }
    set_addr_field(s, SC_FIELD_LOCAL_RTP, leg->rtp_addr, leg->rtp_port);
    set_addr_field(s, SC_FIELD_REMOTE_RTP, info->conn_addr, info->port);
    for (size_t i = 0; i < info->codec_count; i++) {
        const sc_sdp_codec *c = &info->codecs[i];
        if (!strcasecmp(c->name, "telephone-event"))
            continue;
        char v[48];
        snprintf(v, sizeof v, "%s/%d", c->name[0] ? c->name : "?", c->rate ? c->rate : 8000);
        sc_session_set_field(s, SC_FIELD_CODEC, v);
        snprintf(v, sizeof v, "%d", c->pt);
        sc_session_set_field(s, SC_FIELD_CODEC_PT, v);
        codec = c;
        if (!strcasecmp(c->name, "opus"))
            leg->opus_pt = c->pt; /* our re-offers keep it */
        break;
    }
    sc_session_set_field(s, SC_FIELD_MEDIA_DIRECTION, sc_sdp_direction_name(ours));
    char pt[SC_COORD_DTMF_PT_MAX];
    sc_coord__dtmf_pt_format(pt, sizeof pt, dtmf_pt_of(info));
    sc_session_set_field(s, SC_FIELD_DTMF_PT, pt);
    media_apply(leg, info, codec, ours);
    free(off);
}

int sc_coord__sdp_answer(sc_coord_leg *leg, sc_session *s, char *buf, size_t cap)
{
    sc_sdp_local l;
    sc_sdp_info neg;
    if (!leg->offer)
        return -EINVAL;
    if (sc_coord__srtp_refusal(leg->c, leg, leg->offer))
        return -ENOTSUP; /* SRTP policy (a re-INVITE's offer; a new INVITE's was screened) */
    int rc = local_of(leg, leg->local_dir, &l);
    if (rc == 0)
        rc = sc_coord__srtp_local(leg, leg->offer, &l); /* our a=crypto line */
    if (rc)
        return rc;
    int n = sc_sdp_build_answer(leg->offer, &l, buf, cap, &neg);
    if (n < 0)
        return n;
    sdp_built(leg, s);
    leg->remote_held = sc_sdp_is_hold(leg->offer);
    record(leg, s, &neg, sc_sdp_answer_direction(leg->offer->direction, leg->local_dir), true);
    sc_coord__clear_offer(leg);
    return n;
}

sc_sdp_info *sc_coord__sdp_get(sc_coord *c)
{
    if (c && c->nsdp_spare)
        return c->sdp_spare[--c->nsdp_spare];
    return malloc(sizeof(sc_sdp_info));
}

void sc_coord__sdp_put(sc_coord *c, sc_sdp_info *p)
{
    if (!p)
        return;
    if (c && c->nsdp_spare < sizeof c->sdp_spare / sizeof c->sdp_spare[0])
        c->sdp_spare[c->nsdp_spare++] = p;
    else
        free(p);
}

int sc_coord__set_offer(sc_coord_leg *leg, const sc_sdp_info *info)
{
    if (!leg->offer && !(leg->offer = sc_coord__sdp_get(leg->c))) {
        leg->pending_offer = false;
        return -ENOMEM;
    }
    *leg->offer = *info;
    leg->pending_offer = true;
    return 0;
}

void sc_coord__clear_offer(sc_coord_leg *leg)
{
    sc_coord__sdp_put(leg->c, leg->offer);
    leg->offer = NULL;
    leg->pending_offer = false;
}

void sc_coord__sdp_remote(sc_coord_leg *leg, sc_session *s, const sc_sdp_info *info)
{
    /* Our direction as seen from the remote's answer: it answers sendonly->recvonly etc. */
    sc_sdp_direction ours = leg->local_dir;
    switch (info->direction) {
    case SC_SDP_RECVONLY: ours = SC_SDP_SENDONLY; break;
    case SC_SDP_SENDONLY: ours = SC_SDP_RECVONLY; break;
    case SC_SDP_INACTIVE: ours = SC_SDP_INACTIVE; break;
    case SC_SDP_SENDRECV: break;
    }
    record(leg, s, info, ours, false);
}

/* ---- Codecs ----------------------------------------------------------------------------------- */

/* The codec to put first in leg's SDP: the one it negotiated already (its codec field,
 * "opus/48000": a re-INVITE keeps it), else the one its B2BUA partner negotiated, else the one
 * our answer to the partner's pending offer would pick; NULL without one. */
static const char *peer_codec(sc_coord_leg *leg, char *buf, size_t cap)
{
    sc_session *s = sc_store_get(leg->c->store, leg->id);
    const char *own = s ? sc_session_field(s, SC_FIELD_CODEC) : NULL;
    if (own && *own && !leg->media_stopped) {
        snprintf(buf, cap, "%s", own);
        return buf;
    }
    sc_session *ps = s ? sc_coord__peer(leg->c, s) : NULL;
    sc_coord_leg *pl = ps ? sc_coord__leg(ps) : NULL;
    if (!pl)
        return NULL;
    const char *f = sc_session_field(ps, SC_FIELD_CODEC);
    if (f && *f) {
        snprintf(buf, cap, "%s", f);
        return buf;
    }
    if (pl->offer)
        return sc_sdp_codecs_pick(pl->offer, leg->c->codecs);
    return NULL;
}

void sc_coord__codec_hint(sc_coord *c, const sc_coord_leg *from)
{
    const char *pick = from && from->offer ? sc_sdp_codecs_pick(from->offer, c->codecs) : NULL;
    snprintf(c->codec_hint, sizeof c->codec_hint, "%s", pick ? pick : "");
}

const char *sc_coord__codec_pref(sc_coord_leg *leg)
{
    if (!leg->c->codecs[0])
        return NULL; /* no media feature: PCMU and PCMA */
    char peer[48];
    const char *first = peer_codec(leg, peer, sizeof peer);
    if (!first && leg->c->codec_hint[0])
        first = leg->c->codec_hint; /* a B2BUA's new outgoing leg, before the legs are linked */
    sc_sdp_codecs_prefer(leg->c->codecs, first, leg->codec_pref, sizeof leg->codec_pref);
    return leg->codec_pref[0] ? leg->codec_pref : leg->c->codecs;
}

void sc_coord__parse_sdp(sc_coord_evctx *ctx, const char *ctype, const char *body, size_t len)
{
    ctx->has_sdp = false;
    ctx->sdp_ok = false;
    if (!body || !len || !ctype || strncasecmp(ctype, "application/sdp", 15) != 0)
        return;
    ctx->has_sdp = true;
    if (!ctx->sdp && !(ctx->sdp = sc_coord__sdp_get(ctx->c))) {
        ctx->sdp_rc = -ENOMEM;
        return;
    }
    ctx->sdp_rc = sc_sdp_parse(body, len, ctx->sdp);
    ctx->sdp_ok = ctx->sdp_rc == 0;
}

/* A new INVITE's offer at its screen, before any provisional, parsed once: 0 when we can
 * answer it, else the status to refuse it with (488: the SRTP policy refuses it, or it has no
 * codec of ours). A body that is not SDP or does not parse is left to sip_in.c (400/488 with
 * its reason). */
int sc_coord__sdp_acceptable(sc_coord *c, const struct osip_message *msg)
{
    osip_message_t *m = (osip_message_t *)msg;
    osip_body_t *b = NULL;
    if (!m || !m->content_type || !m->content_type->type || !m->content_type->subtype ||
        strcasecmp(m->content_type->type, "application") || strcasecmp(m->content_type->subtype, "sdp") ||
        osip_message_get_body(m, 0, &b) < 0 || !b || !b->body)
        return 0;
    if (!c->sdp_scratch && !(c->sdp_scratch = malloc(sizeof *c->sdp_scratch)))
        return 0;
    sc_sdp_info *offer = c->sdp_scratch;
    if (sc_sdp_parse(b->body, b->length, offer) != 0)
        return 0;
    const char *why = sc_coord__srtp_refusal(c, NULL, offer); /* SRTP policy (srtp.c) */
    if (!why && c->codecs[0] && !sc_sdp_offer_acceptable(offer, c->codecs))
        why = "no codec of --codecs in the offer";
    if (why) {
        sc_log(c->logger, SC_LOG_INFO, "coord", "refusing INVITE %s (488): %s",
               m->call_id && m->call_id->number ? m->call_id->number : "", why);
        return 488;
    }
    return 0;
}

int sc_coord__reinvite(sc_coord_leg *leg, sc_sdp_direction dir)
{
    char sdp[SC_COORD_SDP_MAX];
    int n = sc_coord__sdp_offer(leg, dir, sdp, sizeof sdp);
    if (n < 0)
        return n;
    int rc = sc_sip_call_reinvite(leg->call, sdp);
    if (rc == 0)
        leg->local_dir = dir;
    return rc;
}
