/* api_media: SDP offer/answer for a session's leg and the record of the negotiated media on
 * the session (addresses, codec, direction). Media is negotiation only in this version: no
 * RTP flows, the announced port is taken from the configured range. */
#include "api/api_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sc_api__media_init(sc_api_leg *leg)
{
    sc_api *api = leg->api;
    leg->sdp_id = ++api->next_sdp_id;
    leg->sdp_version = 1;
    leg->rtp_port = api->port_next;
    api->port_next = (uint16_t)(api->port_next + 2);
    if (api->port_next > api->port_max || api->port_next < api->port_min)
        api->port_next = api->port_min;
    leg->local_dir = SC_SDP_SENDRECV;
    snprintf(leg->rtp_addr, sizeof leg->rtp_addr, "%s", api->local_host);
}

static void local_of(sc_api_leg *leg, sc_sdp_direction dir, sc_sdp_local *l)
{
    memset(l, 0, sizeof *l);
    l->addr = leg->rtp_addr;
    l->port = leg->rtp_port;
    l->session_id = leg->sdp_id;
    l->session_version = leg->sdp_version;
    l->direction = dir;
}

int sc_api__media_offer(sc_api_leg *leg, sc_sdp_direction dir, char *buf, size_t cap)
{
    sc_sdp_local l;
    local_of(leg, dir, &l);
    int n = sc_sdp_build_offer(&l, buf, cap);
    if (n >= 0)
        leg->sdp_version++;
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

/* Record the media as negotiated with info (the remote view, codecs already intersected). */
static void record(sc_api_leg *leg, sc_session *s, const sc_sdp_info *info, sc_sdp_direction ours)
{
    set_addr_field(s, SC_FIELD_LOCAL_RTP, leg->rtp_addr, leg->rtp_port);
    set_addr_field(s, SC_FIELD_REMOTE_RTP, info->conn_addr, info->port);
    for (size_t i = 0; i < info->codec_count; i++) {
        const sc_sdp_codec *c = &info->codecs[i];
        if (!strcmp(c->name, "telephone-event"))
            continue;
        char v[48];
        snprintf(v, sizeof v, "%s/%d", c->name[0] ? c->name : "?", c->rate ? c->rate : 8000);
        sc_session_set_field(s, SC_FIELD_CODEC, v);
        break;
    }
    sc_session_set_field(s, SC_FIELD_MEDIA_DIRECTION, sc_sdp_direction_name(ours));
}

int sc_api__media_answer(sc_api_leg *leg, sc_session *s, char *buf, size_t cap)
{
    sc_sdp_local l;
    sc_sdp_info neg;
    local_of(leg, leg->local_dir, &l);
    if (!leg->offer)
        return -EINVAL;
    int n = sc_sdp_build_answer(leg->offer, &l, buf, cap, &neg);
    if (n < 0)
        return n;
    leg->sdp_version++;
    leg->remote_held = sc_sdp_is_hold(leg->offer);
    record(leg, s, &neg, sc_sdp_answer_direction(leg->offer->direction, leg->local_dir));
    sc_api__clear_offer(leg);
    return n;
}

int sc_api__set_offer(sc_api_leg *leg, const sc_sdp_info *info)
{
    if (!leg->offer && !(leg->offer = malloc(sizeof *leg->offer))) {
        leg->pending_offer = false;
        return -ENOMEM;
    }
    *leg->offer = *info;
    leg->pending_offer = true;
    return 0;
}

void sc_api__clear_offer(sc_api_leg *leg)
{
    free(leg->offer);
    leg->offer = NULL;
    leg->pending_offer = false;
}

void sc_api__media_remote(sc_api_leg *leg, sc_session *s, const sc_sdp_info *info)
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

void sc_api__media_record(sc_api_leg *leg, sc_session *s, const char *direction_override)
{
    if (direction_override)
        sc_session_set_field(s, SC_FIELD_MEDIA_DIRECTION, direction_override);
}

void sc_api__parse_sdp(sc_api_evctx *ctx, const char *ctype, const char *body, size_t len)
{
    ctx->has_sdp = false;
    ctx->sdp_ok = false;
    if (!body || !len || !ctype || strncasecmp(ctype, "application/sdp", 15) != 0)
        return;
    ctx->has_sdp = true;
    ctx->sdp_ok = sc_sdp_parse(body, len, &ctx->sdp) == 0;
}
