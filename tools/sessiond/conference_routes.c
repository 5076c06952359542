/* conference_routes: GET /conferences and /conferences/{room} (rooms and their participants,
 * from sc_coord_conferences) and POST /sessions/{id}/conference/mute (sc_coord_conference_mute;
 * its path and body are parsed in bodies.c, where fuzz_http_body reaches them). */
#include "conference_routes.h"
#include "bodies.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void post_mute(sc_coord *api, sd_http_req *r, const char *id)
{
    json_t *b = NULL;
    char msg[256];
    const char *err = NULL;
    bool mute = true;
    int rc = sd_body_object(r->body, r->body_len, &b, msg, sizeof msg);
    if (rc) {
        sd_http_reply_error(r, rc == -EINVAL ? 400 : 500, rc == -EINVAL ? msg : sc_strerror(rc));
        return;
    }
    rc = sd_conference_mute_body_parse(b, &mute, &err);
    json_decref(b);
    if (rc) {
        sd_http_reply_error(r, 400, err);
        return;
    }
    rc = sc_coord_conference_mute(api, id, mute);
    if (rc == -ENOENT) {
        sd_http_reply_error(r, 404, "no such session");
    } else if (rc == -ENOTCONN) {
        sd_http_reply_json(r, 409,
                           json_pack("{s:s,s:s}", "error", "not_in_conference", "message",
                                     "the session is in no conference room"));
    } else if (rc) {
        sd_http_reply_error(r, 500, sc_strerror(rc));
    } else {
        json_t *ins = NULL;
        const char *room = "";
        if (sc_coord_inspect(api, id, &ins) == 0)
            room = json_string_value(json_object_get(json_object_get(ins, "conference"), "room"));
        sd_http_reply_json(r, 200, json_pack("{s:s,s:s,s:b}", "id", id, "room", room ? room : "", "muted", mute));
        json_decref(ins);
    }
}

bool sd_conference_routes_handle(sc_coord *api, sd_http_req *r)
{
    const char *p = r->path;
    char id[SC_SESSION_ID_MAX + 1];
    if (!strcmp(r->method, "POST") &&
        sd_conference_mute_path(p, id, sizeof id)) { /* other methods: routes.c's answers */
        post_mute(api, r, id);
        return true;
    }
    if (strcmp(p, "/conferences") != 0 && strcmp(p, "/conferences/") != 0 && strncmp(p, "/conferences/", 13) != 0)
        return false;
    if (strcmp(r->method, "GET") != 0) {
        sd_http_reply_error(r, 405, "use GET");
        return true;
    }
    const char *room = p[12] == '/' && p[13] ? p + 13 : NULL;
    json_t *j = NULL;
    int rc = sc_coord_conferences(api, room, &j);
    if (rc == -ENOENT)
        sd_http_reply_error(r, 404, "no such room");
    else if (rc)
        sd_http_reply_error(r, 500, sc_strerror(rc));
    else
        sd_http_reply_json(r, 200, j);
    return true;
}
