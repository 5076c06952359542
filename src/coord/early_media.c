/* early_media: media before the answer. BridgeEarlyMedia answers the caller's offer in a 183
 * (repeated in the 2xx) and relays the media with the B2BUA peer, whose leg got a 183 with SDP
 * (PeerEarlyMedia), so the callee's ringback or announcement reaches the caller before the 200.
 * Offers in UPDATE (RFC 3311) and PRACK (RFC 3262) are taken as the leg's pending offer, so
 * the table's SendResponse 200 carries our answer and moves the stream; an offer while one is
 * unanswered gets 500 with Retry-After (RFC 3311 5.2), an unusable one 400/488. */
#include "coord/coord_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static sc_media_stream *stream_of(const sc_coord_leg *leg) { return leg ? (sc_media_stream *)leg->stream : NULL; }

/* ---- BridgeEarlyMedia -------------------------------------------------------------------------- */

static int a_bridge_early_media(const sc_exec *x)
{
    sc_coord *coord = x->ud;
    sc_coord_leg *leg = sc_coord__leg(x->session);
    if (!leg || !leg->call)
        return -ENOTCONN;
    if (leg->pending_offer) {
        char sdp[SC_COORD_SDP_MAX];
        int n = sc_coord__sdp_answer(leg, x->session, sdp, sizeof sdp);
        if (n < 0)
            return n;
        char *keep = strdup(sdp); /* the 2xx repeats it */
        if (!keep)
            return -ENOMEM;
        free(leg->early_sdp);
        leg->early_sdp = keep;
        int rc = sc_sip_call_respond(leg->call, 183, "Session Progress", sdp);
        if (rc)
            return rc;
    } else if (!leg->early_sdp) {
        /* A late-offer INVITE: nothing to answer early; the caller hears its own ringback. */
        sc_log(coord->logger, SC_LOG_INFO, "coord", "call %s: no offer to answer early: no early media", leg->id);
        return 0;
    }
    sc_session *peer = sc_coord__peer(coord, x->session);
    sc_media_stream *a = stream_of(leg), *b = peer ? stream_of(sc_coord__leg(peer)) : NULL;
    if (!a || !b || sc_media_bridge_peer(a) == b)
        return 0;
    int rc = sc_media_bridge(a, b);
    if (rc)
        sc_log(coord->logger, SC_LOG_WARN, "coord", "call %s: early media not relayed: %s", leg->id, sc_strerror(rc));
    return 0;
}

/* ---- Offers in UPDATE and PRACK ---------------------------------------------------------------- */

static bool refuse(sc_coord *c, sc_coord_evctx *ctx, int code, const char *reason, const char *hdrs)
{
    sc_sip_respond_ex(c->sip, ctx->stx, code, reason, hdrs, NULL, NULL);
    sc_coord__evctx_free(ctx);
    return true;
}

static bool on_sip_event(sc_coord *c, sc_session *s, sc_coord_leg *leg, const sc_sip_event *ev, sc_coord_evctx *ctx)
{
    if (ev->type != SC_EV_DialogUPDATE || !ctx->stx || !ctx->has_sdp)
        return false;
    if (!ctx->sdp_ok) {
        int st = sc_sdp_error_status(ctx->sdp_rc);
        return refuse(c, ctx, st, st == 400 ? "Bad SDP" : "Not Acceptable Here", NULL);
    }
    if (leg->pending_offer) /* RFC 3311 5.2: we owe an answer to an earlier offer */
        return refuse(c, ctx, 500, "Offer Pending", "Retry-After: 1\r\n");
    if (sc_coord__set_offer(leg, ctx->sdp) != 0)
        return refuse(c, ctx, 500, "Out Of Memory", NULL);
    sc_log(c->logger, SC_LOG_INFO, "coord", "call %s: offer in %s (%s)", leg->id, ev->method,
           sc_session_state_name(s) ? sc_session_state_name(s) : "?");
    return false; /* the table answers it: SendResponse 200 carries our answer */
}

static const sc_coord_action_def actions[] = {
    {"BridgeEarlyMedia", a_bridge_early_media},
    {NULL, NULL},
};

const sc_coord_feature sc_coord__feature_early_media = {
    .name = "early_media",
    .actions = actions,
    .on_sip_event = on_sip_event,
};
