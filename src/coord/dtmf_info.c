/* dtmf_info: DTMF by SIP INFO. An INFO with application/dtmf-relay or application/dtmf in a
 * dialog is answered 200 (400 for an unreadable digit) and its digit dispatched as
 * DtmfReceived, as an RFC 4733 digit is (history, events, IVR); INFOs of other types go on to
 * the table as before. Digits the media stream cannot send (no telephone-event negotiated) go
 * as INFO, one at a time; the answers to our INFOs are consumed here, so a peer refusing one
 * never ends the call. */
#include "coord/dtmf_info.h"
#include "coord/media_keep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DTMF_INFO_QUEUE 64
#define DTMF_INFO_MS 160 /* Duration of the digits we send */

struct sc_coord_dq {
    char q[DTMF_INFO_QUEUE + 1]; /* digits not yet sent */
    size_t n;
    bool in_flight; /* an INFO of ours awaits its final answer */
};

/* ---- Sending ----------------------------------------------------------------------------------- */

static bool info_possible(sc_coord_leg *leg)
{
    if (!leg || !leg->call || !sc_sip_call_peer_allows(leg->call, "INFO"))
        return false;
    sc_sip_dialog_state *d = malloc(sizeof *d);
    if (!d)
        return false;
    sc_sip_call_dialog(leg->call, d);
    bool ok = d->phase == SC_SIP_DIALOG_CONFIRMED;
    free(d);
    return ok;
}

/* The next digit as INFO; false when none left or it could not leave. */
static bool send_next(sc_coord_leg *leg)
{
    struct sc_coord_dq *t = leg->dtmf_q;
    while (t->n) {
        char body[64];
        char d = t->q[0];
        memmove(t->q, t->q + 1, t->n);
        t->n--;
        if (sc_sip_dtmf_info_body(d, DTMF_INFO_MS, body, sizeof body) < 0)
            continue;
        int rc = sc_sip_call_request(leg->call, "INFO", NULL, "application/dtmf-relay", body);
        if (rc == 0) {
            t->in_flight = true;
            return true;
        }
        sc_log(leg->c->logger, SC_LOG_WARN, "coord", "call %s: DTMF INFO not sent: %s", leg->id, sc_strerror(rc));
        t->n = 0;
    }
    t->in_flight = false;
    return false;
}

int sc_coord__dtmf_info_send(sc_coord_leg *leg, const char *digits)
{
    if (!info_possible(leg))
        return -ENOTSUP;
    if (!leg->dtmf_q && !(leg->dtmf_q = calloc(1, sizeof *leg->dtmf_q)))
        return -ENOMEM;
    struct sc_coord_dq *t = leg->dtmf_q;
    size_t n = strlen(digits);
    if (t->n + n > DTMF_INFO_QUEUE)
        return -EAGAIN;
    memcpy(t->q + t->n, digits, n + 1);
    t->n += n;
    if (!t->in_flight && !send_next(leg))
        return -ENOTSUP;
    sc_log(leg->c->logger, SC_LOG_INFO, "coord", "call %s: DTMF %s by SIP INFO (no telephone-event)", leg->id, digits);
    return 0;
}

int sc_coord__dtmf_possible(sc_coord *c, sc_session *s)
{
    sc_coord_leg *leg = sc_coord__leg(s);
    if (!leg)
        return -ENOTSUP;
    if (leg->stream && sc_coord__dtmf_pt_parse(sc_session_field(s, SC_FIELD_DTMF_PT), -1) >= 0)
        return 0;
    return info_possible(leg) ? 0 : -ENOTSUP;
}

/* ---- Receiving, and the answers to ours ---------------------------------------------------------- */

static bool incoming_info(sc_coord *c, sc_session *s, sc_coord_leg *leg, const sc_sip_event *ev, sc_coord_evctx *ctx)
{
    char digit = 0;
    unsigned ms = 0;
    int rc = sc_sip_dtmf_info_parse(ev->content_type, ev->body, ev->body_len, &digit, &ms);
    if (rc == -ENOTSUP)
        return false; /* not DTMF: the table's DialogINFO rows */
    sc_sip_respond(c->sip, ctx->stx, rc ? 400 : 200, rc ? "Bad DTMF Body" : NULL, NULL, NULL);
    sc_coord__evctx_free(ctx);
    if (rc) {
        sc_log(c->logger, SC_LOG_INFO, "coord", "call %s: INFO with an unreadable DTMF body: 400", leg->id);
        return true;
    }
    char text[2] = {digit, '\0'};
    sc_coord__dispatch(c, s, SC_EV_DtmfReceived, (int32_t)ms, text, NULL);
    return true;
}

static bool on_sip_event(sc_coord *c, sc_session *s, sc_coord_leg *leg, const sc_sip_event *ev, sc_coord_evctx *ctx)
{
    if (ev->type == SC_EV_DialogINFO && ctx->stx)
        return incoming_info(c, s, leg, ev, ctx);
    struct sc_coord_dq *t = leg->dtmf_q;
    if (!t || !t->in_flight || ev->stx || strcmp(ev->method, "INFO") != 0)
        return false;
    if (ev->status >= 300 || ev->type == SC_EV_DialogTimeout || ev->type == SC_EV_DialogError)
        sc_log(c->logger, SC_LOG_INFO, "coord", "call %s: our DTMF INFO got %d %s", leg->id, ev->status, ev->reason);
    sc_coord__evctx_free(ctx);
    send_next(leg);
    return true;
}

static void leg_free(sc_coord_leg *leg)
{
    free(leg->dtmf_q);
    leg->dtmf_q = NULL;
}

const sc_coord_feature sc_coord__feature_dtmf_info = {
    .name = "dtmf_info",
    .on_sip_event = on_sip_event,
    .leg_free = leg_free,
};
