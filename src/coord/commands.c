/* commands: the application's commands (make_call, accept, reject, hangup, hold, resume,
 * dtmf): each dispatches the matching table event and returns the engine's distinct result;
 * the table's own events sent by name; and kill, the operator's way out of a session the table
 * will not end. */
#include "coord/coord_int.h"
#include "coord/dtmf_info.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sc_coord_make_call(sc_coord *c, const char *to, const char *from, char *id, size_t idsize)
{
    return sc_coord_make_call_opts(c, to, from, NULL, id, idsize);
}

static bool sip_uri(const char *s) /* sip: or sips: (TLS) */
{
    return s && (strncasecmp(s + (s[0] == '<'), "sip:", 4) == 0 || strncasecmp(s + (s[0] == '<'), "sips:", 5) == 0);
}

/* The call's own fork targets (copied onto the leg). */
static int set_targets(sc_coord_leg *leg, const sc_coord_call_opts *o)
{
    if (!o || !o->ntargets)
        return 0;
    if (!(leg->targets = calloc(o->ntargets, sizeof *leg->targets)))
        return -ENOMEM;
    for (; leg->ntargets < o->ntargets; leg->ntargets++)
        if (!(leg->targets[leg->ntargets] = strdup(o->targets[leg->ntargets])))
            return -ENOMEM;
    return 0;
}

/* A call through a trunk: the trunks feature's dial hook completes To and From and adds the
 * trunk's proxy and credentials (trunks.c); an unknown trunk fails here. */
static int call_via_trunk(sc_coord *c, const char *to, const char *from, const sc_coord_call_opts *o, char *id,
                          size_t idsize)
{
    if (!c || !to || !*to || strlen(to) >= SC_SIP_URI_MAX - 64 || strpbrk(to, " \t\r\n<>\"") ||
        (from && !sc_coord__usable_uri(from)) || !id || idsize < SC_SESSION_ID_MAX + 1)
        return -EINVAL;
    json_t *t = NULL;
    if (sc_coord_trunk(c, o->trunk, &t) != 0)
        return -ENOENT;
    /* the call's own SRTP policy, else the trunk's (its "srtp": off|optional|mandatory|null) */
    const char *ts = json_string_value(json_object_get(t, "srtp"));
    int trunk_srtp = !ts ? 0 : !strcmp(ts, "off") ? 1 : !strcmp(ts, "optional") ? 2 : 3;
    json_decref(t);
    id[0] = '\0';
    sc_session *s = NULL;
    sc_coord_leg *leg = NULL;
    int rc = sc_coord__call_new(c, to, from, "api", &s, &leg);
    if (rc)
        return rc;
    leg->trunk = strdup(o->trunk);
    leg->trunk_from = !from;
    leg->srtp_policy = o->srtp ? o->srtp : trunk_srtp;
    if (!leg->trunk) {
        sc_engine_remove_session(c->engine, s, "error");
        return -ENOMEM;
    }
    snprintf(id, idsize, "%s", sc_session_id(s));
    return sc_coord__command(c, s, SC_EV_MakeCall, 0, to);
}

int sc_coord_make_call_opts(sc_coord *c, const char *to, const char *from, const sc_coord_call_opts *opts, char *id,
                            size_t idsize)
{
    if (opts && (opts->ntargets > SC_COORD_MAX_TARGETS || (opts->ntargets && !opts->targets)))
        return -EINVAL;
    for (size_t i = 0; opts && i < opts->ntargets; i++)
        if (!sip_uri(opts->targets[i]))
            return -EINVAL;
    if (opts && opts->trunk)
        return opts->ntargets ? -EINVAL : call_via_trunk(c, to, from, opts, id, idsize);
    const char *proxy = opts && opts->proxy ? opts->proxy : sc_coord__default_proxy(c);
    bool routed = proxy || (opts && opts->ntargets) || sc_coord__routed(c, to); /* not to itself (registrar) */
    bool to_ok = routed ? sip_uri(to) : sc_coord__usable_uri(to);
    if (!c || !to_ok || (from && !sc_coord__usable_uri(from)) || !id || idsize < SC_SESSION_ID_MAX + 1 ||
        (proxy && !sip_uri(proxy)))
        return -EINVAL;
    id[0] = '\0';
    sc_session *s = NULL;
    sc_coord_leg *leg = NULL;
    int rc = sc_coord__call_new(c, to, from, "api", &s, &leg);
    if (rc)
        return rc;
    leg->srtp_policy = opts ? opts->srtp : 0;
    if ((proxy && !(leg->proxy = strdup(proxy))) || set_targets(leg, opts) != 0) {
        sc_engine_remove_session(c->engine, s, "error");
        return -ENOMEM;
    }
    snprintf(id, idsize, "%s", sc_session_id(s));
    return sc_coord__command(c, s, SC_EV_MakeCall, 0, to);
}

static int command(sc_coord *c, const char *id, sc_id ev, int32_t code, const char *text)
{
    if (!c || !id)
        return -EINVAL;
    sc_session *s = sc_store_get(c->store, id);
    if (!s)
        return -ENOENT;
    return sc_coord__command(c, s, ev, code, text);
}

int sc_coord_accept(sc_coord *c, const char *id) { return command(c, id, SC_EV_AcceptCall, 0, "api"); }

int sc_coord_reject(sc_coord *c, const char *id, int code)
{
    if (code == 0)
        code = 486;
    if (code < 400 || code > 699)
        return -EINVAL;
    return command(c, id, SC_EV_RejectCall, code, "api");
}

int sc_coord_hangup(sc_coord *c, const char *id) { return command(c, id, SC_EV_HangupCall, 0, "api"); }
int sc_coord_hold(sc_coord *c, const char *id) { return sc_coord_hold_moh(c, id, NULL); }
int sc_coord_resume(sc_coord *c, const char *id) { return command(c, id, SC_EV_ResumeCall, 0, "api"); }

int sc_coord_dtmf(sc_coord *c, const char *id, const char *digits)
{
    if (!digits || !*digits || strspn(digits, "0123456789*#ABCDabcd") != strlen(digits))
        return -EINVAL;
    sc_session *s = c && id ? sc_store_get(c->store, id) : NULL;
    size_t rows = 0;
    if (s)
        sc_table_lookup(sc_session_table(s), sc_session_role(s), sc_session_state(s), SC_EV_SendDTMF, &rows);
    if (rows && sc_coord__dtmf_possible(c, s) != 0) /* neither RFC 4733 nor INFO: 409, the call goes on */
        return -ENOTSUP;
    return command(c, id, SC_EV_SendDTMF, 0, digits);
}

int sc_coord_add_credentials(sc_coord *c, const char *realm, const char *user, const char *password)
{
    return c ? sc_sip_add_credentials(c->sip, realm, user, password) : -EINVAL;
}

/* Ends the leg's SIP side without the table: BYE for a confirmed dialog, CANCEL for our
 * INVITE not yet answered, 480 for an incoming one not yet answered (each when it applies;
 * an ended dialog needs nothing). Which one went is returned for the log ("" for none). */
static const char *end_sip(sc_coord_leg *leg)
{
    if (!leg || !leg->call)
        return "";
    sc_sip_dialog_state d;
    sc_sip_call_dialog(leg->call, &d);
    if (d.phase == SC_SIP_DIALOG_CONFIRMED)
        return sc_sip_call_bye(leg->call) == 0 ? "BYE" : "";
    if (d.phase == SC_SIP_DIALOG_TERMINATED)
        return "";
    if (d.is_uac)
        return sc_sip_call_cancel(leg->call) == 0 ? "CANCEL" : "";
    return sc_sip_call_respond(leg->call, 480, NULL, NULL) == 0 ? "480" : "";
}

int sc_coord_kill(sc_coord *c, const char *id, char *state, size_t state_cap)
{
    if (!c || !id)
        return -EINVAL;
    sc_session *s = sc_store_get(c->store, id);
    if (!s)
        return -ENOENT;
    if (sc_engine_session_busy(c->engine, s))
        return -EBUSY;
    if (state && state_cap)
        snprintf(state, state_cap, "%s", sc_session_state_name(s) ? sc_session_state_name(s) : "");
    const char *sent = sc_coord__is_terminal(s) ? "" : end_sip(sc_coord__leg(s));
    char text[64];
    snprintf(text, sizeof text, "api%s%s", *sent ? ": " : "", sent);
    sc_engine_note(c->engine, s, SC_EV_Killed, 0, text); /* in the history, the log, the bus */
    sc_log(c->logger, SC_LOG_WARN, "api", "session %s killed by the operator in %s%s%s", id,
           sc_session_state_name(s) ? sc_session_state_name(s) : "?", *sent ? ", sent " : "", sent);
    sc_engine_remove_session(c->engine, s, "killed");
    return 0;
}

int sc_coord_send_event(sc_coord *c, const char *id, const char *event, int32_t code, const char *text)
{
    return sc_coord_send_event_vars(c, id, event, code, text, NULL, 0);
}

/* The variables of an application event, checked all before any is set. */
static int vars_check(const char *const *vars, size_t nvars)
{
    if (nvars > SC_VARS_MAX)
        return -E2BIG;
    for (size_t i = 0; i < nvars; i++)
        if (!sc_var_name_valid(vars[2 * i]) || !vars[2 * i + 1] || strlen(vars[2 * i + 1]) > SC_VAR_VALUE_MAX)
            return -EINVAL;
    return 0;
}

int sc_coord_send_event_vars(sc_coord *c, const char *id, const char *event, int32_t code, const char *text,
                             const char *const *vars, size_t nvars)
{
    if (!c || !id || !event || !*event || (nvars && !vars))
        return -EINVAL;
    int r = vars_check(vars, nvars);
    if (r)
        return r;
    sc_session *s = sc_store_get(c->store, id);
    if (!s)
        return -ENOENT;
    int ev = sc_vocab_lookup(sc_table_vocab(sc_session_table(s)), SC_VOCAB_EVENT, event);
    if (ev < 0)
        return -ENODATA;
    if (ev < SC_EV__BUILTIN_COUNT) /* SIP, media and commands have their own paths */
        return -EPERM;
    /* no row for it in this state: refused before any variable changes */
    size_t rows = 0;
    sc_table_lookup(sc_session_table(s), sc_session_role(s), sc_session_state(s), (sc_id)ev, &rows);
    if (!rows && !sc_engine_session_busy(c->engine, s))
        return SC_E_NOT_ACCEPTED;
    for (size_t i = 0; i < nvars; i++)
        if ((r = sc_session_var_set(s, vars[2 * i], vars[2 * i + 1])) < 0)
            return r;
    return sc_coord__command(c, s, (sc_id)ev, code, text && *text ? text : "api");
}
