/* routes: maps each HTTP request (method, path, query, JSON body) to a coordinator call and
 * its result to a status and JSON body: 404 unknown session, 409 event not accepted or guards
 * failed (naming the state and the accepted events), 400 bad request, 503 overload. */
#include "routes.h"
#include "ops_routes.h"
#include "transfer_routes.h"
#include "trunk_routes.h"
#include "registrar_routes.h"
#include "conference_routes.h"
#include "history_routes.h"
#include "bodies.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_text(sd_http_req *r, int status, char *text, const char *ctype)
{
    r->status = status;
    r->resp = text;
    r->content_type = ctype;
}

/* 409 body: what happened, the state, and the events the state accepts. */
static void set_conflict(sd_routes *rt, sd_http_req *r, const char *id, const char *command, int rc)
{
    json_t *ins = NULL;
    json_t *body = json_pack("{s:s,s:s,s:s}", "error", rc == SC_E_GUARDS_FAILED ? "guards_failed" : "not_accepted",
                             "message",
                             rc == SC_E_GUARDS_FAILED
                                 ? "the state accepts the event but every transition's guards failed"
                                 : "the event is not accepted in the current state",
                             "command", command);
    if (body && sc_coord_inspect(rt->api, id, &ins) == 0) {
        json_object_set(body, "state", json_object_get(ins, "state"));
        json_object_set(body, "accepted_events", json_object_get(ins, "possible_events"));
    }
    json_decref(ins);
    sd_http_reply_json(r, 409, body);
}

/* Map a command's result to a response. */
static void command_result(sd_routes *rt, sd_http_req *r, const char *id, const char *command, int rc)
{
    switch (rc) {
    case 0: sd_http_reply_json(r, 200, json_pack("{s:s,s:s}", "id", id, "result", "ok")); return;
    case -ENOENT: sd_http_reply_error(r, 404, "no such session"); return;
    case SC_E_NOT_ACCEPTED:
    case SC_E_GUARDS_FAILED: set_conflict(rt, r, id, command, rc); return;
    case SC_E_ACTION_FAILED: {
        json_t *b = json_pack("{s:s,s:s,s:s}", "error", "action_failed", "message",
                              "an action of the transition failed; the table's ActionFailed path ran", "command",
                              command);
        sd_http_reply_json(r, 409, b);
        return;
    }
    case SC_E_OVERLOAD: sd_http_reply_error(r, 503, "overloaded or shutting down"); return;
    case -EINVAL: sd_http_reply_error(r, 400, "invalid argument"); return;
    case -ENOTSUP: /* POST /dtmf: neither telephone-event nor INFO toward this peer; the call goes on */
        sd_http_reply_json(r, 409,
                           json_pack("{s:s,s:s,s:s}", "error", "no_dtmf_method", "message",
                                     "the peer negotiated no telephone-event and takes no INFO", "command", command));
        return;
    default: sd_http_reply_error(r, 500, sc_strerror(rc)); return;
    }
}

/* Parse the body as a JSON object (an empty body is {}); NULL and a 400 on error (bodies.c). */
static json_t *body_object(sd_http_req *r)
{
    json_t *j = NULL;
    char msg[256];
    int rc = sd_body_object(r->body, r->body_len, &j, msg, sizeof msg);
    if (rc == -EINVAL)
        sd_http_reply_error(r, 400, msg);
    else if (rc)
        sd_http_reply_error(r, 500, sc_strerror(rc));
    return j;
}

static void post_calls(sd_routes *rt, sd_http_req *r)
{
    json_t *b = body_object(r);
    if (!b)
        return;
    sd_call_body c;
    const char *err = NULL;
    if (sd_call_body_parse(b, &c, &err) != 0) { /* bodies.c */
        sd_http_reply_error(r, 400, err);
    } else if (c.trunk) { /* through a trunk (trunk_routes.c) */
        sd_trunk_post_call(rt->api, r, &c);
    } else {
        char id[SC_SESSION_ID_MAX + 1];
        sc_coord_call_opts o = {.proxy = c.proxy, .targets = c.targets, .ntargets = c.ntargets};
        int rc = sc_coord_make_call_opts(rt->api, c.to, c.from, &o, id, sizeof id);
        if (rc == 0)
            sd_http_reply_json(r, 201, json_pack("{s:s}", "id", id));
        else if (rc == -EINVAL)
            sd_http_reply_error(r, 400, "\"to\" is not a usable SIP URI");
        else if (rc == SC_E_OVERLOAD) /* admission: the limit that refused it ("media_ports", ...) */
            sd_http_reply_json(r, 503,
                               json_pack("{s:s,s:s?}", "error", "overloaded or shutting down", "reason",
                                         sc_coord_admission_refusal(rt->api)));
        else if (rc == SC_E_NOT_ACCEPTED || rc == SC_E_GUARDS_FAILED || rc == SC_E_ACTION_FAILED)
            sd_http_reply_json(r, 409,
                               json_pack("{s:s,s:s,s:o*}", "error", sc_strerror(rc), "id", id, "reason",
                                         sd_call_failure_reason(rt->api, id))); /* registrar_routes.c */
        else
            sd_http_reply_error(r, 500, sc_strerror(rc));
    }
    json_decref(b);
}

/* reject, dtmf and bridge: the body parsed (bodies.c), then the command; *err set for a 400
 * (or a 409 when rc is -EBUSY). */
static int body_command(sd_routes *rt, const char *id, const char *cmd, json_t *b, const char **err)
{
    const char *arg = NULL;
    int code = 0, rc;
    if (!strcmp(cmd, "reject"))
        return sd_reject_body_parse(b, &code, err) ? -EINVAL : sc_coord_reject(rt->api, id, code);
    if (!strcmp(cmd, "dtmf"))
        return sd_dtmf_body_parse(b, &arg, err) ? -EINVAL : sc_coord_dtmf(rt->api, id, arg);
    rc = sd_bridge_body_parse(b, &arg, err) ? -EINVAL : sc_coord_bridge(rt->api, id, arg);
    if (rc == -EINVAL)
        *err = "\"with\" must be another session's id";
    else if (rc == -EBUSY)
        *err = "a session is bridged with another one, or in a conference room";
    return rc;
}

static void post_command(sd_routes *rt, sd_http_req *r, const char *id, const char *cmd)
{
    int rc;
    if (!strcmp(cmd, "accept")) {
        rc = sc_coord_accept(rt->api, id);
    } else if (!strcmp(cmd, "hangup")) {
        rc = sc_coord_hangup(rt->api, id);
    } else if (!strcmp(cmd, "hold")) { /* {"moh": CLASS} optional */
        json_t *b = body_object(r);
        if (!b)
            return;
        json_t *moh = json_object_get(b, "moh");
        if (moh && !json_is_string(moh)) {
            json_decref(b);
            sd_http_reply_error(r, 400, "\"moh\" must be the name of a music on hold class");
            return;
        }
        rc = sc_coord_hold_moh(rt->api, id, moh ? json_string_value(moh) : NULL);
        json_decref(b);
        if (rc == -ENODATA || rc == -EINVAL) {
            sd_http_reply_error(r, 400, "no music on hold class of that name (see --moh-class)");
            return;
        }
    } else if (!strcmp(cmd, "resume")) {
        rc = sc_coord_resume(rt->api, id);
    } else if (!strcmp(cmd, "reject") || !strcmp(cmd, "dtmf") || !strcmp(cmd, "bridge")) {
        json_t *b = body_object(r);
        if (!b)
            return;
        const char *err = NULL;
        rc = body_command(rt, id, cmd, b, &err);
        json_decref(b);
        if (err) {
            sd_http_reply_error(r, rc == -EBUSY ? 409 : 400, err);
            return;
        }
    } else if (!strcmp(cmd, "send")) { /* {"event": NAME, "code": N, "text": "..."} */
        json_t *b = body_object(r);
        if (!b)
            return;
        json_t *ev = json_object_get(b, "event"), *code = json_object_get(b, "code"),
               *text = json_object_get(b, "text");
        if (!json_is_string(ev) || (code && !json_is_integer(code)) || (text && !json_is_string(text))) {
            json_decref(b);
            sd_http_reply_error(r, 400, "\"event\" must be an event name; \"code\" an integer, \"text\" a string");
            return;
        }
        rc = sc_coord_send_event(rt->api, id, json_string_value(ev), code ? (int32_t)json_integer_value(code) : 0,
                                 text ? json_string_value(text) : NULL);
        json_decref(b);
        if (rc == -ENODATA || rc == -EPERM || rc == -EINVAL) {
            sd_http_reply_error(r, 400,
                                rc == -EPERM ? "a built-in event: SIP, media and commands have their own paths"
                                             : "the session's table declares no event of that name");
            return;
        }
    } else if (!strcmp(cmd, "unbridge")) {
        rc = sc_coord_unbridge(rt->api, id);
    } else if (!strcmp(cmd, "transfer")) { /* transfer_routes.c */
        const char *err = NULL;
        rc = sd_transfer_command(rt->api, id, r->body, r->body_len, &err);
        if (err && rc == -EINVAL) {
            sd_http_reply_error(r, 400, err);
            return;
        }
    } else {
        sd_http_reply_error(r, 404,
                            "no such command (accept, reject, hangup, hold, resume, dtmf, "
                            "bridge, unbridge, transfer, send)");
        return;
    }
    command_result(rt, r, id, cmd, rc);
}

/* A decimal query value in [min, max]; false when absent or bad. */
static bool query_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!v || !*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 19)
        return false;
    unsigned long long n = strtoull(v, NULL, 10);
    if (n < min || n > max)
        return false;
    *out = n;
    return true;
}

/* GET /sessions[?state=&role=&live=&limit=&after=]: one page of summaries, creation order;
 * a Link header (rel="next") names the next page while one follows. */
static void get_sessions(sd_routes *rt, sd_http_req *r)
{
    sc_coord_list q = {.state = r->q_state, .role = -1};
    uint64_t limit = SC_COORD_PAGE_DEFAULT;
    if ((r->q_limit && !query_u64(r->q_limit, 1, SC_COORD_PAGE_MAX, &limit)) ||
        (r->q_after && !query_u64(r->q_after, 0, UINT64_MAX / 2, &q.after))) {
        sd_http_reply_error(r, 400, "limit must be 1..1000 and after a cursor from a Link header");
        return;
    }
    q.limit = (size_t)limit;
    if (r->q_role) {
        if (strcmp(r->q_role, "uac") && strcmp(r->q_role, "uas")) {
            sd_http_reply_error(r, 400, "role must be uac or uas");
            return;
        }
        q.role = strcmp(r->q_role, "uac") ? SC_ROLE_UAS : SC_ROLE_UAC;
    }
    if (r->q_live) {
        bool yes = !strcmp(r->q_live, "true"), no = !strcmp(r->q_live, "false");
        if (!yes && !no) {
            sd_http_reply_error(r, 400, "live must be true or false");
            return;
        }
        q.live = yes;
    }
    json_t *j = NULL;
    uint64_t next = 0;
    int rc = sc_coord_sessions_page(rt->api, &q, &j, &next);
    if (rc) {
        sd_http_reply_error(r, 500, sc_strerror(rc));
        return;
    }
    if (next) {
        /* the same filters, the next cursor; the state name percent-encoded */
        char state[3 * 64 + 1] = "", link[512];
        for (size_t i = 0, o = 0; q.state && q.state[i] && o + 4 < sizeof state; i++) {
            unsigned char ch = (unsigned char)q.state[i];
            if (isalnum(ch) || strchr("-._~", ch))
                state[o++] = (char)ch;
            else
                o += (size_t)snprintf(state + o, sizeof state - o, "%%%02X", ch);
        }
        snprintf(link, sizeof link, "</sessions?limit=%zu&after=%llu%s%s%s%s>; rel=\"next\"", q.limit,
                 (unsigned long long)next, q.state ? "&state=" : "", state,
                 q.role < 0              ? ""
                 : q.role == SC_ROLE_UAC ? "&role=uac"
                                         : "&role=uas",
                 q.live ? "&live=true" : "");
        r->resp_link = strdup(link);
    }
    sd_http_reply_json(r, 200, j);
}

/* "/sessions/ID/events/NAME" split in place into id and name; false for any other path. */
static bool events_path(char *path, char **id, char **name)
{
    if (strncmp(path, "/sessions/", 10))
        return false;
    char *p = path + 10, *mark = strstr(p, "/events/");
    if (!mark || mark == p)
        return false;
    char *n = mark + strlen("/events/");
    if (!*n || strchr(n, '/') || memchr(p, '/', (size_t)(mark - p)))
        return false;
    *mark = '\0';
    *id = p;
    *name = n;
    return true;
}

/* POST /sessions/{id}/events/{name}: the table's own event, after the body's variables. */
static void post_app_event(sd_routes *rt, sd_http_req *r, const char *id, const char *name)
{
    json_t *b = body_object(r);
    if (!b)
        return;
    sd_event_body eb;
    const char *err = NULL;
    if (sd_event_body_parse(b, &eb, &err)) {
        json_decref(b);
        sd_http_reply_error(r, 400, err);
        return;
    }
    int rc = sc_coord_send_event_vars(rt->api, id, name, eb.code, eb.text, eb.vars, eb.nvars);
    json_decref(b);
    if (rc == -ENODATA || rc == -EPERM) {
        sd_http_reply_json(r, 422,
                           json_pack("{s:s,s:s,s:s}", "error", "undeclared_event", "message",
                                     rc == -EPERM ? "a built-in event: SIP, media and commands have their own paths"
                                                  : "the session's table declares no event of that name",
                                     "event", name));
        return;
    }
    if (rc == -E2BIG || rc == -EINVAL) {
        sd_http_reply_error(r, 400, "bad variables (a name of [A-Za-z0-9_.-], at most 32 per session)");
        return;
    }
    command_result(rt, r, id, name, rc);
}

static void get_table(sd_routes *rt, sd_http_req *r, sc_graph_format fmt)
{
    if (r->q_session) { /* its path highlighted: history_routes.c */
        sd_history_graph(rt->api, r, fmt);
        return;
    }
    char *out = NULL;
    int rc = sc_coord_table_export(rt->api, fmt, NULL, &out);
    if (rc == -ENOENT) {
        sd_http_reply_error(r, 404, "no such session");
        return;
    }
    if (rc) {
        sd_http_reply_error(r, 500, sc_strerror(rc));
        return;
    }
    set_text(r, 200, out,
             fmt == SC_GRAPH_JSON  ? SD_HTTP_CT_JSON
             : fmt == SC_GRAPH_DOT ? "text/vnd.graphviz"
                                   : "text/plain; charset=utf-8");
}

static void get_session(sd_routes *rt, sd_http_req *r, const char *id, const char *sub)
{
    json_t *j = NULL;
    int rc;
    if (!sub) {
        rc = sc_coord_inspect(rt->api, id, &j);
    } else if (!strcmp(sub, "history")) {
        sd_history_get(rt->api, r, id); /* history_routes.c: the store's part off the loop */
        return;
    } else {
        sd_http_reply_error(r, 404, "no such resource");
        return;
    }
    if (rc == -ENOENT)
        sd_http_reply_error(r, 404, "no such session");
    else if (rc)
        sd_http_reply_error(r, 500, sc_strerror(rc));
    else
        sd_http_reply_json(r, 200, j);
}

/* DELETE /sessions/{id}: the session is ended on the wire and removed, whatever the table
 * says (sc_coord_kill). 200 {"id","state","killed":true}. */
static void kill_session(sd_routes *rt, sd_http_req *r, const char *id)
{
    char state[64] = "";
    int rc = sc_coord_kill(rt->api, id, state, sizeof state);
    if (rc == -ENOENT)
        sd_http_reply_error(r, 404, "no such session");
    else if (rc == -EBUSY)
        sd_http_reply_error(r, 409, "the session is running an event; try again");
    else if (rc)
        sd_http_reply_error(r, 500, sc_strerror(rc));
    else
        sd_http_reply_json(r, 200, json_pack("{s:s,s:s,s:b}", "id", id, "state", state, "killed", 1));
}

/* Split "/sessions/ID[/SUB]" into id and sub (sub NULL when absent); 0 or -1. */
static int split_session_path(char *path, char **id, char **sub)
{
    char *p = path + strlen("/sessions/");
    if (!*p)
        return -1;
    char *slash = strchr(p, '/');
    *sub = NULL;
    if (slash) {
        *slash = '\0';
        *sub = slash + 1;
        if (!**sub || strchr(*sub, '/'))
            return -1;
    }
    *id = p;
    return 0;
}

void sd_routes_handle(void *ud, sd_http_req *r)
{
    sd_routes *rt = ud;
    bool get = !strcmp(r->method, "GET"), post = !strcmp(r->method, "POST");
    const char *p = r->path;
    char xid[SC_SESSION_ID_MAX + 1]; /* POST /sessions/{id}/transfer/cancel */
    char *ev_id, *ev_name;           /* POST /sessions/{id}/events/{name} */
    if (sd_ops_handle(rt->ops, r)) {
        /* /metrics, /table/reload, /table/validate, GET /table + versions, /debug (ops_routes.c) */
    } else if (sd_trunk_routes_handle(rt->api, r)) {
        /* GET /trunks, /trunks/{name} (trunk_routes.c) */
    } else if (sd_conference_routes_handle(rt->api, r)) {
        /* GET /conferences[/{room}], POST /sessions/{id}/conference/mute (conference_routes.c) */
    } else if (!strcmp(p, "/calls")) {
        if (post)
            post_calls(rt, r);
        else
            sd_http_reply_error(r, 405, "use POST /calls");
    } else if (!strcmp(p, "/sessions") || !strcmp(p, "/sessions/")) {
        if (get)
            get_sessions(rt, r);
        else
            sd_http_reply_error(r, 405, "use GET /sessions");
    } else if (post && events_path(r->path, &ev_id, &ev_name)) {
        post_app_event(rt, r, ev_id, ev_name);
    } else if (post && sd_transfer_cancel_path(p, xid, sizeof xid)) { /* transfer_routes.c */
        command_result(rt, r, xid, "transfer/cancel", sc_coord_transfer_cancel(rt->api, xid));
    } else if (!strncmp(p, "/sessions/", 10)) {
        char *id, *sub;
        if (!strcmp(r->method, "DELETE") && (split_session_path(r->path, &id, &sub) || sub)) {
            sd_http_reply_error(r, 405, "use DELETE /sessions/{id}");
        } else if (split_session_path(r->path, &id, &sub)) {
            sd_http_reply_error(r, 404, "no such resource");
        } else if (get) {
            get_session(rt, r, id, sub);
        } else if (post && sub) {
            post_command(rt, r, id, sub);
        } else if (!strcmp(r->method, "DELETE") && !sub) {
            kill_session(rt, r, id);
        } else {
            sd_http_reply_error(r, 405, "method not allowed here");
        }
    } else if (!strcmp(p, "/registrations")) { /* registrar_routes.c */
        sd_registrar_route(rt->api, r);
    } else if (sd_users_route(rt->api, r)) { /* /users: registrar_routes.c */
    } else if (!strcmp(p, "/table") || !strcmp(p, "/table.json")) {
        get ? get_table(rt, r, SC_GRAPH_JSON) : sd_http_reply_error(r, 405, "use GET");
    } else if (!strcmp(p, "/table.dot")) {
        get ? get_table(rt, r, SC_GRAPH_DOT) : sd_http_reply_error(r, 405, "use GET");
    } else if (!strcmp(p, "/table.mmd")) {
        get ? get_table(rt, r, SC_GRAPH_MERMAID) : sd_http_reply_error(r, 405, "use GET");
    } else {
        sd_http_reply_error(r, 404, "no such resource");
    }
    if (r->status >= 400 && r->status != 404)
        sc_log(rt->logger, SC_LOG_DEBUG, "http", "%s %s -> %d", r->method, r->path, r->status);
}
