/* sip: the bridge from the SIP agent to the engine: a new INVITE creates a uas session and
 * dispatches IncomingCall; every later event of a call becomes the matching Dialog* table
 * event on its session, carrying an event context (method, status, SDP, request to answer). */
#include "coord/coord_int.h"
#include "coord/b2bua.h"
#include "coord/transfer.h"
#include "coord/limits.h"
#include "coord/recover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

void sc_coord__evctx_free(void *p)
{
    free(p);
}

static sc_coord_evctx *evctx_new(const char *method, int status)
{
    sc_coord_evctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->magic = SC_COORD_EVCTX_MAGIC;
    snprintf(c->method, sizeof c->method, "%s", method ? method : "");
    c->status = status;
    return c;
}

static void leg_free(void *p)
{
    sc_coord_leg *leg = p;
    if (!leg)
        return;
    if (leg->call) {
        sc_sip_call_set_user(leg->call, NULL);
        sc_sip_call_release(leg->call);
    }
    sc_coord__media_release(leg);
    free(leg->route_target);
    sc_coord__xfer_free(leg->xfer);
    free(leg->to);
    free(leg->from);
    free(leg->early_sdp);
    free(leg->offer);
    free(leg);
}

sc_coord_leg *sc_coord__leg(const sc_session *s)
{
    return s ? sc_session_get_attachment(s, SC_ATTACH_SIP) : NULL;
}

int sc_coord__leg_new(sc_coord *api, sc_session *s, sc_coord_leg **out)
{
    sc_coord_leg *leg = calloc(1, sizeof *leg);
    if (!leg)
        return -ENOMEM;
    leg->api = api;
    snprintf(leg->id, sizeof leg->id, "%s", sc_session_id(s));
    sc_coord__media_init(leg);
    int rc = sc_session_set_attachment(s, SC_ATTACH_SIP, leg, leg_free);
    if (rc) {
        free(leg);
        return rc;
    }
    *out = leg;
    return 0;
}

/* Copy the dialog's identity onto the session record (and index its dialog id). */
void sc_coord__sync_dialog(sc_coord_leg *leg, sc_session *s)
{
    if (!leg->call)
        return;
    sc_sip_dialog_state *d = malloc(sizeof *d);
    if (!d)
        return;
    sc_sip_call_dialog(leg->call, d);
    char num[16];
    const char *old_cid = sc_session_field(s, SC_FIELD_CALL_ID);
    if (!old_cid || strcmp(old_cid, d->call_id) != 0) {
        sc_session_set_field(s, SC_FIELD_CALL_ID, d->call_id);
        sc_store_index_add(leg->api->store, SC_KEY_CALL_ID, d->call_id, s);
    }
    sc_session_set_field(s, SC_FIELD_LOCAL_TAG, d->local_tag[0] ? d->local_tag : NULL);
    sc_session_set_field(s, SC_FIELD_REMOTE_TAG, d->remote_tag[0] ? d->remote_tag : NULL);
    if (d->phase == SC_SIP_DIALOG_CONFIRMED && !leg->dialog_indexed) {
        char key[SC_SIP_CALLID_MAX + 2 * SC_SIP_TAG_MAX + 4];
        sc_store_dialog_key(key, sizeof key, d->call_id, d->local_tag, d->remote_tag);
        leg->dialog_indexed = sc_store_index_add(leg->api->store, SC_KEY_DIALOG, key, s) == 0;
    }
    sc_session_set_field(s, SC_FIELD_LOCAL_URI, d->local_uri[0] ? d->local_uri : NULL);
    sc_session_set_field(s, SC_FIELD_REMOTE_URI, d->remote_uri[0] ? d->remote_uri : NULL);
    sc_session_set_field(s, SC_FIELD_REMOTE_TARGET, d->remote_target[0] ? d->remote_target : NULL);
    sc_session_set_field(s, SC_FIELD_ROUTE_SET, d->route_set[0] ? d->route_set : NULL);
    snprintf(num, sizeof num, "%u", d->local_cseq);
    sc_session_set_field(s, SC_FIELD_LOCAL_CSEQ, num);
    snprintf(num, sizeof num, "%u", d->remote_cseq);
    sc_session_set_field(s, SC_FIELD_REMOTE_CSEQ, num);
    sc_session_set_field(s, SC_FIELD_TRANSPORT, d->transport == SC_SIP_TCP ? "tcp" : "udp");
    free(d);
}

/* After a dispatch that ran now: an incoming request nobody answered gets a response. */
static void answer_leftover(sc_coord *api, const char *id, sc_coord_evctx *ctx)
{
    if (!ctx || !ctx->stx || ctx->answered)
        return;
    sc_session *s = sc_store_get(api->store, id);
    sc_coord_leg *leg = sc_coord__leg(s);
    if (!strcmp(ctx->method, "INVITE")) {
        if (leg && leg->call)
            sc_sip_call_respond(leg->call, 500, "Not Accepted In This State", NULL);
        return;
    }
    sc_sip_respond(api->sip, ctx->stx, 500, "Not Accepted In This State", NULL, NULL);
}

int sc_coord__dispatch(sc_coord *api, sc_session *s, sc_id type, int32_t code, const char *text,
                     sc_coord_evctx *ctx)
{
    char id[SC_SESSION_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", sc_session_id(s));
    sc_event ev = {.type = type, .code = code, .text = text, .data = ctx,
                   .data_free = ctx ? sc_coord__evctx_free : NULL};
    int rc = sc_engine_dispatch(api->engine, s, &ev, NULL);
    if (rc == SC_ENGINE_QUEUED)
        return rc; /* the engine owns ctx now */
    answer_leftover(api, id, ctx);
    free(ctx);
    return rc;
}

/* ---- A new INVITE ------------------------------------------------------------------------------ */

static void reject_incoming(sc_sip_call *call, int code, const char *reason)
{
    sc_sip_call_respond(call, code, reason, NULL);
    sc_sip_call_release(call);
}

/* What answering the INVITE after a crash needs beyond the dialog fields: its Vias and its
 * SDP offer (recover.c). Strict durability: our first 1xx leaves once they are committed. */
static void keep_invite(sc_coord *api, sc_session *s, sc_sip_call *call, const char *sdp, size_t len)
{
    char vias[4096];
    if (sc_sip_call_incoming_vias(call, vias, sizeof vias) == 0)
        sc_session_set_field(s, SC_FIELD_INVITE_VIAS, vias);
    char *offer = sdp ? strndup(sdp, len) : NULL;
    if (offer)
        sc_session_set_field(s, SC_FIELD_INVITE_OFFER, offer);
    free(offer);
    sc_coord__store_hold_turn(api);
}

void sc_coord__on_incoming(sc_sip *sip, sc_sip_call *call, const struct osip_message *msg, void *ud)
{
    sc_coord *api = ud;
    const char *why = NULL;
    if (sc_coord__admit(api, "sip", &why) != 0) { /* admission control (limits.c) */
        sc_log(api->logger, SC_LOG_INFO, "api", "rejecting call %s: %s", sc_sip_call_id(call), why);
        sc_sip_call_reject_retry(call, 503, "Service Unavailable", sc_coord__retry_after(api));
        sc_sip_call_release(call);
        return;
    }
    if (api->shutting_down) {
        reject_incoming(call, 503, "Shutting Down");
        return;
    }
    if (api->max_sessions && api->active >= api->max_sessions) {
        sc_log(api->logger, SC_LOG_WARN, "api", "rejecting call %s: %zu active sessions (limit)",
               sc_sip_call_id(call), api->active);
        reject_incoming(call, 503, "Too Many Sessions");
        return;
    }
    /* The offer is checked before a session exists: an unusable one gets 400/488 right away. */
    sc_coord_evctx *ctx = evctx_new("INVITE", 0);
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
        int st = sc_sdp_error_status(sc_sdp_parse(body, blen, &ctx->sdp));
        sc_log(api->logger, SC_LOG_INFO, "api", "rejecting call %s: unusable SDP offer (%d)",
               sc_sip_call_id(call), st);
        free(ctx);
        reject_incoming(call, st, st == 400 ? "Bad SDP" : "Not Acceptable Here");
        return;
    }
    sc_session *s = NULL;
    sc_coord_leg *leg = NULL;
    int rc = sc_engine_create_session(api->engine, SC_ROLE_UAS, NULL, &s);
    if (rc == 0 && (rc = sc_coord__leg_new(api, s, &leg)) != 0)
        sc_engine_remove_session(api->engine, s, "error");
    if (rc) {
        free(ctx);
        reject_incoming(call, 500, "Server Internal Error");
        return;
    }
    leg->call = call;
    sc_sip_call_set_user(call, leg);
    sc_coord__b2bua_route(api, leg, msg);
    if (ctx->sdp_ok)
        sc_coord__set_offer(leg, &ctx->sdp);
    sc_coord__sync_dialog(leg, s);
    keep_invite(api, s, call, ctx->sdp_ok ? body : NULL, blen);
    sc_log(api->logger, SC_LOG_INFO, "api", "call %s created (uas) from %s, call-id %s", leg->id,
           sc_sip_call_remote_uri(call), sc_sip_call_id(call));
    if (sc_coord__xfer_on_incoming(api, s, leg, msg) < 0) { /* Replaces (transfer.c) */
        free(ctx);
        return;
    }
    char id[SC_SESSION_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", leg->id);
    rc = sc_coord__dispatch(api, s, SC_EV_IncomingCall, 0, sc_sip_call_remote_uri(call), ctx);
    if (rc < 0) {
        s = sc_store_get(api->store, id);
        sc_log(api->logger, SC_LOG_WARN, "api", "call %s: IncomingCall %s", id, sc_strerror(rc));
        if (s && rc != SC_E_ACTION_FAILED) { /* the table cannot take the call */
            leg = sc_coord__leg(s);
            if (leg && leg->call)
                sc_sip_call_respond(leg->call, 500, "Server Internal Error", NULL);
            sc_engine_remove_session(api->engine, s, "rejected");
        }
    }
}

/* ---- Events of existing calls -------------------------------------------------------------- */

void sc_coord__on_event(sc_sip_call *call, const sc_sip_event *ev, void *ud)
{
    sc_coord *api = ud;
    sc_coord_leg *leg = sc_sip_call_user(call);
    if (!leg)
        return;
    sc_session *s = sc_store_get(api->store, leg->id);
    if (!s)
        return;
    sc_coord_evctx *ctx = evctx_new(ev->method, ev->status);
    if (!ctx)
        return;
    ctx->stx = ev->stx;
    ctx->is_request = ev->status == 0 && ev->msg != NULL;
    sc_coord__parse_sdp(ctx, ev->content_type, ev->body, ev->body_len);
    if (sc_coord__xfer_on_event(api, s, leg, ev, ctx)) /* REFER, NOTIFY (transfer.c) */
        return;

    switch (ev->type) {
    case SC_EV_DialogReINVITE: /* answered with sc_sip_call_respond; method is INVITE */
        if (ctx->has_sdp && !ctx->sdp_ok) {
            int st = sc_sdp_error_status(sc_sdp_parse(ev->body, ev->body_len, &ctx->sdp));
            sc_sip_call_respond(call, st, st == 400 ? "Bad SDP" : "Not Acceptable Here", NULL);
            free(ctx);
            return;
        }
        if (ctx->sdp_ok)
            sc_coord__set_offer(leg, &ctx->sdp);
        else
            sc_coord__clear_offer(leg);
        break;
    case SC_EV_Dialog180Ringing:
    case SC_EV_Dialog183SessionProgress:
    case SC_EV_Dialog200OK:
    case SC_EV_DialogReINVITEAccepted:
        if (ctx->sdp_ok && (!strcmp(ctx->method, "INVITE")))
            sc_coord__media_remote(leg, s, &ctx->sdp);
        sc_coord__sync_dialog(leg, s);
        break;
    case SC_EV_DialogACK:
        if (ctx->sdp_ok && leg->offer_sent_in_2xx) { /* late offer: the answer is in the ACK */
            sc_coord__media_remote(leg, s, &ctx->sdp);
            leg->offer_sent_in_2xx = false;
        }
        sc_coord__sync_dialog(leg, s);
        break;
    default:
        break;
    }
    sc_coord__dispatch(api, s, (sc_id)ev->type, ev->status, ev->reason, ctx);
}
