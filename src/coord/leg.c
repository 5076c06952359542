/* leg: the core's per-session SIP leg and its way into the engine: creating and freeing a leg
 * (each feature releases its part through its leg_free hook), copying the dialog onto the
 * session record, the event context of a SIP event, dispatching, linked sessions, and the one
 * path by which every outgoing call (command, B2BUA leg, transfer, consultation) is made. */
#include "coord/coord_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_uri.h>

/* ---- Event context ------------------------------------------------------------------------- */

void sc_coord__evctx_free(void *p)
{
    sc_coord_evctx *c = p;
    if (c)
        sc_coord__sdp_put(c->c, c->sdp);
    free(c);
}

sc_coord_evctx *sc_coord__evctx_new(sc_coord *coord, const char *method, int status)
{
    sc_coord_evctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->c = coord;
    c->magic = SC_COORD_EVCTX_MAGIC;
    snprintf(c->method, sizeof c->method, "%s", method ? method : "");
    c->status = status;
    return c;
}

sc_coord_evctx *sc_coord__evctx_of(const sc_exec *x)
{
    sc_coord_evctx *c = x->event ? x->event->data : NULL;
    return c && c->magic == SC_COORD_EVCTX_MAGIC ? c : NULL;
}

/* ---- The leg ------------------------------------------------------------------------------- */

static void leg_free(void *p)
{
    sc_coord_leg *leg = p;
    if (!leg)
        return;
    if (leg->call) {
        sc_sip_call_set_user(leg->call, NULL);
        sc_sip_call_release(leg->call);
    }
    for (size_t i = 0; i < SC_FEAT__COUNT; i++)
        if (sc_coord__features[i]->leg_free)
            sc_coord__features[i]->leg_free(leg);
    free(leg->to);
    free(leg->from);
    free(leg->invite_headers);
    free(leg->proxy);
    for (size_t i = 0; i < leg->ntargets; i++)
        free(leg->targets[i]);
    free(leg->targets);
    free(leg->early_sdp);
    sc_coord__sdp_put(leg->c, leg->offer);
    free(leg);
}

sc_coord_leg *sc_coord__leg(const sc_session *s) { return s ? sc_session_get_attachment(s, SC_ATTACH_SIP) : NULL; }

int sc_coord__leg_new(sc_coord *c, sc_session *s, sc_coord_leg **out)
{
    sc_coord_leg *leg = calloc(1, sizeof *leg);
    if (!leg)
        return -ENOMEM;
    leg->c = c;
    snprintf(leg->id, sizeof leg->id, "%s", sc_session_id(s));
    sc_coord__sdp_init(leg);
    int rc = sc_session_set_attachment(s, SC_ATTACH_SIP, leg, leg_free);
    if (rc) {
        free(leg);
        return rc;
    }
    *out = leg;
    return 0;
}

void sc_coord__sync_dialog(sc_coord_leg *leg, sc_session *s)
{
    if (!leg->call)
        return;
    if (!leg->c->dlg_scratch && !(leg->c->dlg_scratch = malloc(sizeof *leg->c->dlg_scratch)))
        return;
    sc_sip_dialog_state *d = leg->c->dlg_scratch;
    sc_sip_call_dialog(leg->call, d);
    char num[16];
    const char *old_cid = sc_session_field(s, SC_FIELD_CALL_ID);
    if (!old_cid || strcmp(old_cid, d->call_id) != 0) {
        sc_session_set_field(s, SC_FIELD_CALL_ID, d->call_id);
        sc_store_index_add(leg->c->store, SC_KEY_CALL_ID, d->call_id, s);
    }
    sc_session_set_field(s, SC_FIELD_LOCAL_TAG, d->local_tag[0] ? d->local_tag : NULL);
    sc_session_set_field(s, SC_FIELD_REMOTE_TAG, d->remote_tag[0] ? d->remote_tag : NULL);
    if (d->phase == SC_SIP_DIALOG_CONFIRMED && !leg->dialog_indexed) {
        char key[SC_SIP_CALLID_MAX + 2 * SC_SIP_TAG_MAX + 4];
        sc_store_dialog_key(key, sizeof key, d->call_id, d->local_tag, d->remote_tag);
        leg->dialog_indexed = sc_store_index_add(leg->c->store, SC_KEY_DIALOG, key, s) == 0;
    }
    sc_session_set_field(s, SC_FIELD_LOCAL_URI, d->local_uri[0] ? d->local_uri : NULL);
    sc_session_set_field(s, SC_FIELD_REMOTE_URI, d->remote_uri[0] ? d->remote_uri : NULL);
    sc_session_set_field(s, SC_FIELD_REMOTE_TARGET, d->remote_target[0] ? d->remote_target : NULL);
    sc_session_set_field(s, SC_FIELD_ROUTE_SET, d->route_set[0] ? d->route_set : NULL);
    snprintf(num, sizeof num, "%u", d->local_cseq);
    sc_session_set_field(s, SC_FIELD_LOCAL_CSEQ, num);
    snprintf(num, sizeof num, "%u", d->remote_cseq);
    sc_session_set_field(s, SC_FIELD_REMOTE_CSEQ, num);
    sc_session_set_field(s, SC_FIELD_TRANSPORT,
                         d->transport == SC_SIP_TCP   ? "tcp"
                         : d->transport == SC_SIP_TLS ? "tls"
                                                      : "udp");
}

/* ---- Dispatch ------------------------------------------------------------------------------ */

/* After a dispatch that ran now: an incoming request nobody answered gets a response. */
static void answer_leftover(sc_coord *c, const char *id, sc_coord_evctx *ctx)
{
    if (!ctx || !ctx->stx || ctx->answered)
        return;
    sc_session *s = sc_store_get(c->store, id);
    sc_coord_leg *leg = sc_coord__leg(s);
    if (!strcmp(ctx->method, "INVITE")) {
        if (leg && leg->call)
            sc_sip_call_respond(leg->call, 500, "Not Accepted In This State", NULL);
        return;
    }
    sc_sip_respond(c->sip, ctx->stx, 500, "Not Accepted In This State", NULL, NULL);
}

int sc_coord__dispatch(sc_coord *c, sc_session *s, sc_id type, int32_t code, const char *text, sc_coord_evctx *ctx)
{
    char id[SC_SESSION_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", sc_session_id(s));
    sc_event ev = {
        .type = type, .code = code, .text = text, .data = ctx, .data_free = ctx ? sc_coord__evctx_free : NULL};
    int rc = sc_engine_dispatch(c->engine, s, &ev, NULL);
    if (rc == SC_ENGINE_QUEUED)
        return rc; /* the engine owns ctx now */
    answer_leftover(c, id, ctx);
    sc_coord__evctx_free(ctx);
    return rc;
}

int sc_coord__command(sc_coord *c, sc_session *s, sc_id type, int32_t code, const char *text)
{
    int rc = sc_coord__dispatch(c, s, type, code, text, NULL);
    return rc == SC_ENGINE_QUEUED ? 0 : rc;
}

/* ---- Linked sessions ------------------------------------------------------------------------ */

sc_session *sc_coord__linked(sc_coord *c, const sc_session *s, sc_field f)
{
    const char *id = s ? sc_session_field(s, f) : NULL;
    return id ? sc_store_get(c->store, id) : NULL;
}

sc_session *sc_coord__peer(sc_coord *c, const sc_session *s) { return sc_coord__linked(c, s, SC_FIELD_PEER_ID); }

bool sc_coord__is_terminal(const sc_session *s)
{
    const sc_state_info *si = sc_table_state(sc_session_table(s), sc_session_state(s));
    return si && si->terminal;
}

bool sc_coord__entered_terminal(const sc_session *s, const sc_history_record *rec)
{
    const sc_table *t = sc_session_table(s);
    const sc_state_info *from = sc_table_state(t, rec->from), *to = sc_table_state(t, rec->to);
    return rec->from != rec->to && from && to && !from->terminal && to->terminal;
}

/* ---- Outgoing calls -------------------------------------------------------------------------- */

int sc_coord__uri_addr(const char *uri, struct sockaddr_storage *out)
{
    osip_uri_t *u = NULL;
    int rc = -EINVAL;
    if (!uri || strlen(uri) > 500 || osip_uri_init(&u) != 0)
        return -EINVAL;
    bool sips = false;
    if (osip_uri_parse(u, uri) == 0 && u->scheme &&
        (!strcasecmp(u->scheme, "sip") || (sips = !strcasecmp(u->scheme, "sips"))) && u->host) {
        char host[64];
        snprintf(host, sizeof host, "%s", u->host);
        size_t n = strlen(host);
        if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
            host[n - 1] = '\0';
            memmove(host, host + 1, n - 1);
        }
        int port = u->port && *u->port ? atoi(u->port) : sips ? 5061 : 5060;
        memset(out, 0, sizeof *out);
        if (uv_ip4_addr(host, port, (struct sockaddr_in *)out) == 0 ||
            uv_ip6_addr(host, port, (struct sockaddr_in6 *)out) == 0)
            rc = 0;
    }
    osip_uri_free(u);
    return rc;
}

bool sc_coord__usable_uri(const char *s)
{
    osip_uri_t *u = NULL;
    if (!s || strlen(s) >= SC_SIP_URI_MAX || osip_uri_init(&u) != 0)
        return false;
    const char *t = s + (s[0] == '<');
    char buf[SC_SIP_URI_MAX];
    snprintf(buf, sizeof buf, "%s", t);
    char *gt = strchr(buf, '>');
    if (gt)
        *gt = '\0';
    bool ok = osip_uri_parse(u, buf) == 0 && u->scheme &&
              (strcasecmp(u->scheme, "sip") == 0 || strcasecmp(u->scheme, "sips") == 0) && u->host && *u->host;
    osip_uri_free(u);
    return ok;
}

/* Our From for a call to `to` when none was given: sip:sessiond@<advertised or bound host>, or
 * with a wildcard bind the address the route to the callee goes out of. */
static void default_from(sc_coord *c, const char *to, char *out, size_t cap)
{
    struct sockaddr_storage peer;
    char host[64];
    if (!c->from_route || sc_coord__uri_addr(to, &peer) != 0 || sc_sip_route_source(&peer, host, sizeof host) != 0) {
        snprintf(out, cap, "%s", c->default_from);
        return;
    }
    const char *port = strrchr(c->default_from, ':'); /* "...@0.0.0.0:5060": keep the port */
    snprintf(out, cap, strchr(host, ':') ? "sip:sessiond@[%s]%s" : "sip:sessiond@%s%s", host, port ? port : "");
}

int sc_coord__call_new(sc_coord *c, const char *to, const char *from, const char *source, sc_session **out,
                       sc_coord_leg **leg_out)
{
    if (sc_coord__admit(c, source, NULL) != 0) /* counted by the limits feature */
        return SC_E_OVERLOAD;
    sc_session *s = NULL;
    sc_coord_leg *leg = NULL;
    int rc = sc_engine_create_session(c->engine, SC_ROLE_UAC, NULL, &s);
    if (rc)
        return rc;
    if ((rc = sc_coord__leg_new(c, s, &leg)) != 0) {
        sc_engine_remove_session(c->engine, s, "error");
        return rc;
    }
    leg->to = strdup(to);
    char dflt[SC_SIP_URI_MAX];
    if (!from || !*from)
        default_from(c, to, dflt, sizeof dflt);
    leg->from = strdup(from && *from ? from : dflt);
    if (!leg->to || !leg->from) {
        sc_engine_remove_session(c->engine, s, "error");
        return -ENOMEM;
    }
    sc_session_set_field(s, SC_FIELD_REMOTE_URI, to);
    sc_session_set_field(s, SC_FIELD_LOCAL_URI, leg->from);
    *out = s;
    *leg_out = leg;
    return 0;
}
