/* sip_in: the bridge from the SIP agent to the engine: a new INVITE creates a uas session and
 * dispatches IncomingCall; every later event of a call becomes the matching Dialog* table
 * event on its session, carrying an event context (method, status, SDP, request to answer). */
#include "coord/admission.h"
#include "coord/coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

/* ---- A new INVITE ------------------------------------------------------------------------------ */

static void reject_incoming(sc_sip_call *call, int code, const char *reason)
{
    sc_sip_call_respond(call, code, reason, NULL);
    sc_sip_call_release(call);
}

/* What answering the INVITE after a crash needs beyond the dialog fields: its Vias and its
 * SDP offer (recover.c). Strict durability: our first 1xx leaves once they are committed. */
static void keep_invite(sc_coord *coord, sc_session *s, sc_sip_call *call, const char *sdp, size_t len)
{
    char vias[4096];
    if (sc_sip_call_incoming_vias(call, vias, sizeof vias) == 0)
        sc_session_set_field(s, SC_FIELD_INVITE_VIAS, vias);
    char *offer = sdp ? strndup(sdp, len) : NULL;
    if (offer)
        sc_session_set_field(s, SC_FIELD_INVITE_OFFER, offer);
    free(offer);
    sc_coord__hold_turn(coord);
}

/* The features' look at a new INVITE (B2BUA route, Replaces): negative when one answered it. */
static int incoming_hooks(sc_coord *c, sc_session *s, sc_coord_leg *leg, const struct osip_message *msg)
{
    for (size_t i = 0; i < SC_FEAT__COUNT; i++) {
        const sc_coord_feature *f = sc_coord__features[i];
        if (f->on_incoming) {
            int rc = f->on_incoming(c, s, leg, msg);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

void sc_coord__on_incoming(sc_sip *sip, sc_sip_call *call, const struct osip_message *msg, void *ud)
{
    sc_coord *coord = ud;
    const char *why = NULL;
    /* admitted at its screen (admission.c) before any provisional; else (not screened) here */
    if (!sc_coord__invite_admitted(coord, msg) && sc_coord__admit(coord, "sip", &why) != 0) {
        sc_log(coord->logger, SC_LOG_INFO, "coord", "rejecting call %s: %s", sc_sip_call_id(call), why);
        sc_sip_call_reject_retry(call, 503, "Service Unavailable", coord->retry_after_s);
        sc_sip_call_release(call);
        return;
    }
    /* The offer is checked before a session exists: an unusable one gets 400/488 right away. */
    sc_coord_evctx *ctx = sc_coord__evctx_new(coord, "INVITE", 0);
    if (!ctx) {
        reject_incoming(call, 500, "Out Of Memory");
        return;
    }
    char ct[64];
    const char *ctype = NULL, *body = NULL;
    size_t blen = 0;
    osip_message_t *m = (osip_message_t *)msg;
    osip_body_t *b = NULL;
    if (m && osip_message_get_body(m, 0, &b) >= 0 && b && b->body) {
        body = b->body;
        blen = b->length;
        if (m->content_type && m->content_type->type && m->content_type->subtype) {
            snprintf(ct, sizeof ct, "%s/%s", m->content_type->type, m->content_type->subtype);
            ctype = ct;
        }
    }
    sc_coord__parse_sdp(ctx, ctype, body, blen);
    if (ctx->has_sdp && !ctx->sdp_ok) {
        int st = sc_sdp_error_status(ctx->sdp_rc);
        sc_log(coord->logger, SC_LOG_INFO, "coord", "rejecting call %s: unusable SDP offer (%d)", sc_sip_call_id(call),
               st);
        sc_coord__evctx_free(ctx);
        reject_incoming(call, st, st == 400 ? "Bad SDP" : "Not Acceptable Here");
        return;
    }
    sc_session *s = NULL;
    sc_coord_leg *leg = NULL;
    int rc = sc_engine_create_session(coord->engine, SC_ROLE_UAS, NULL, &s);
    if (rc == 0 && (rc = sc_coord__leg_new(coord, s, &leg)) != 0)
        sc_engine_remove_session(coord->engine, s, "error");
    if (rc) {
        sc_coord__evctx_free(ctx);
        reject_incoming(call, 500, "Server Internal Error");
        return;
    }
    leg->call = call;
    sc_sip_call_set_user(call, leg);
    if (ctx->sdp_ok)
        sc_coord__set_offer(leg, ctx->sdp);
    sc_coord__sync_dialog(leg, s);
    keep_invite(coord, s, call, ctx->sdp_ok ? body : NULL, blen);
    sc_log(coord->logger, SC_LOG_INFO, "coord", "call %s created (uas) from %s, call-id %s", leg->id,
           sc_sip_call_remote_uri(call), sc_sip_call_id(call));
    if (incoming_hooks(coord, s, leg, msg) < 0) {
        sc_coord__evctx_free(ctx);
        return;
    }
    char id[SC_SESSION_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", leg->id);
    rc = sc_coord__dispatch(coord, s, SC_EV_IncomingCall, 0, sc_sip_call_remote_uri(call), ctx);
    if (rc < 0) {
        s = sc_store_get(coord->store, id);
        sc_log(coord->logger, SC_LOG_WARN, "coord", "call %s: IncomingCall %s", id, sc_strerror(rc));
        if (s && rc != SC_E_ACTION_FAILED) { /* the table cannot take the call */
            leg = sc_coord__leg(s);
            if (leg && leg->call)
                sc_sip_call_respond(leg->call, 500, "Server Internal Error", NULL);
            sc_engine_remove_session(coord->engine, s, "rejected");
        }
    }
}

/* ---- Events of existing calls -------------------------------------------------------------- */

/* The features' look at a SIP event (REFER, NOTIFY): true when one consumed it. */
static bool event_hooks(sc_coord *c, sc_session *s, sc_coord_leg *leg, const sc_sip_event *ev, sc_coord_evctx *ctx)
{
    for (size_t i = 0; i < SC_FEAT__COUNT; i++) {
        const sc_coord_feature *f = sc_coord__features[i];
        if (f->on_sip_event && f->on_sip_event(c, s, leg, ev, ctx))
            return true;
    }
    return false;
}

void sc_coord__on_event(sc_sip_call *call, const sc_sip_event *ev, void *ud)
{
    sc_coord *coord = ud;
    sc_coord_leg *leg = sc_sip_call_user(call);
    if (!leg)
        return;
    sc_session *s = sc_store_get(coord->store, leg->id);
    if (!s)
        return;
    sc_coord_evctx *ctx = sc_coord__evctx_new(coord, ev->method, ev->status);
    if (!ctx)
        return;
    ctx->stx = ev->stx;
    ctx->is_request = ev->status == 0 && ev->msg != NULL;
    sc_coord__parse_sdp(ctx, ev->content_type, ev->body, ev->body_len);
    if (event_hooks(coord, s, leg, ev, ctx))
        return;

    switch (ev->type) {
    case SC_EV_DialogReINVITE: /* answered with sc_sip_call_respond; method is INVITE */
        if (ctx->has_sdp && !ctx->sdp_ok) {
            int st = sc_sdp_error_status(ctx->sdp_rc);
            sc_sip_call_respond(call, st, st == 400 ? "Bad SDP" : "Not Acceptable Here", NULL);
            sc_coord__evctx_free(ctx);
            return;
        }
        if (ctx->sdp_ok)
            sc_coord__set_offer(leg, ctx->sdp);
        else
            sc_coord__clear_offer(leg);
        break;
    case SC_EV_Dialog180Ringing:
    case SC_EV_Dialog183SessionProgress:
    case SC_EV_Dialog200OK:
    case SC_EV_DialogReINVITEAccepted:
        if (ctx->sdp_ok && (!strcmp(ctx->method, "INVITE")))
            sc_coord__sdp_remote(leg, s, ctx->sdp);
        sc_coord__sync_dialog(leg, s);
        break;
    case SC_EV_DialogACK:
        if (ctx->sdp_ok && leg->offer_sent_in_2xx) { /* late offer: the answer is in the ACK */
            sc_coord__sdp_remote(leg, s, ctx->sdp);
            leg->offer_sent_in_2xx = false;
        }
        sc_coord__sync_dialog(leg, s);
        break;
    default: break;
    }
    sc_coord__dispatch(coord, s, (sc_id)ev->type, ev->status, ev->reason, ctx);
}
