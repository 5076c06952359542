/* commands: the application's commands (make_call, accept, reject, hangup, hold, resume,
 * dtmf): each dispatches the matching table event and returns the engine's distinct result. */
#include "coord/coord_int.h"
#include "coord/limits.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_uri.h>

/* A sip: URI whose host is an IP literal (what the SIP agent can reach without DNS). */
bool sc_coord__usable_uri(const char *s)
{
    osip_uri_t *u = NULL;
    bool ok = false;
    if (!s || strlen(s) > 500 || osip_uri_init(&u) != 0)
        return false;
    if (osip_uri_parse(u, s) == 0 && u->scheme && !strcasecmp(u->scheme, "sip") && u->host) {
        unsigned char buf[16];
        char host[64];
        snprintf(host, sizeof host, "%s", u->host);
        size_t n = strlen(host);
        if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
            host[n - 1] = '\0';
            memmove(host, host + 1, n - 1);
        }
        ok = inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
    }
    osip_uri_free(u);
    return ok;
}

int sc_coord_make_call(sc_coord *api, const char *to, const char *from, char *id, size_t idsize)
{
    if (!api || !sc_coord__usable_uri(to) || (from && !sc_coord__usable_uri(from)) || !id || idsize < SC_SESSION_ID_MAX + 1)
        return -EINVAL;
    id[0] = '\0';
    if (sc_coord__admit(api, "api", NULL) != 0) /* admission control (limits.c) */
        return SC_E_OVERLOAD;
    sc_session *s = NULL;
    sc_coord_leg *leg = NULL;
    int rc = sc_engine_create_session(api->engine, SC_ROLE_UAC, NULL, &s);
    if (rc)
        return rc;
    if ((rc = sc_coord__leg_new(api, s, &leg)) != 0) {
        sc_engine_remove_session(api->engine, s, "error");
        return rc;
    }
    leg->to = strdup(to);
    leg->from = strdup(from ? from : api->default_from);
    if (!leg->to || !leg->from) {
        sc_engine_remove_session(api->engine, s, "error");
        return -ENOMEM;
    }
    sc_session_set_field(s, SC_FIELD_REMOTE_URI, to);
    sc_session_set_field(s, SC_FIELD_LOCAL_URI, leg->from);
    snprintf(id, idsize, "%s", sc_session_id(s));
    rc = sc_coord__dispatch(api, s, SC_EV_MakeCall, 0, to, NULL);
    if (rc == SC_ENGINE_QUEUED)
        rc = 0;
    return rc;
}

static int command(sc_coord *api, const char *id, sc_id ev, int32_t code, const char *text)
{
    if (!api || !id)
        return -EINVAL;
    sc_session *s = sc_store_get(api->store, id);
    if (!s)
        return -ENOENT;
    int rc = sc_coord__dispatch(api, s, ev, code, text, NULL);
    return rc == SC_ENGINE_QUEUED ? 0 : rc;
}

int sc_coord_accept(sc_coord *api, const char *id) { return command(api, id, SC_EV_AcceptCall, 0, "api"); }

int sc_coord_reject(sc_coord *api, const char *id, int code)
{
    if (code == 0)
        code = 486;
    if (code < 400 || code > 699)
        return -EINVAL;
    return command(api, id, SC_EV_RejectCall, code, "api");
}

int sc_coord_hangup(sc_coord *api, const char *id) { return command(api, id, SC_EV_HangupCall, 0, "api"); }
int sc_coord_hold(sc_coord *api, const char *id) { return command(api, id, SC_EV_HoldCall, 0, "api"); }
int sc_coord_resume(sc_coord *api, const char *id) { return command(api, id, SC_EV_ResumeCall, 0, "api"); }

int sc_coord_dtmf(sc_coord *api, const char *id, const char *digits)
{
    if (!digits || !*digits || strspn(digits, "0123456789*#ABCDabcd") != strlen(digits))
        return -EINVAL;
    return command(api, id, SC_EV_SendDTMF, 0, digits);
}
