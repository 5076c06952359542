/* registrar_routes: GET /registrations, the registrar's bindings as JSON: one object per
 * address of record with its contacts (expires left, q, instance, source, user agent); and
 * /users, the registrar's users kept in the store. */
#include "registrar_routes.h"

#include <errno.h>
#include <string.h>

json_t *sd_call_failure_reason(sc_coord *api, const char *id)
{
    json_t *h = NULL, *reason = NULL;
    if (sc_coord_history(api, id, &h) != 0)
        return NULL;
    size_t i, j;
    json_t *rec, *act;
    json_array_foreach(h, i, rec) {
        json_array_foreach(json_object_get(rec, "actions"), j, act) {
            json_int_t rc = json_integer_value(json_object_get(act, "result"));
            if (rc < 0 && !reason)
                reason = json_sprintf("%s: %s", json_string_value(json_object_get(act, "name")), sc_strerror((int)rc));
        }
    }
    json_decref(h);
    return reason;
}

void sd_registrar_route(sc_coord *api, sd_http_req *r)
{
    if (strcmp(r->method, "GET") != 0) {
        sd_http_reply_error(r, 405, "use GET /registrations");
        return;
    }
    json_t *j = NULL;
    int rc = sc_coord_registrations(api, &j);
    if (rc == -ENOENT)
        sd_http_reply_error(r, 404, "no registrar: start sessiond with --realm and --users");
    else if (rc)
        sd_http_reply_error(r, 500, sc_strerror(rc));
    else
        sd_http_reply_json(r, 200, j);
}

static void users_reply(sd_http_req *r, int rc, int ok_status, const char *user)
{
    if (rc >= 0)
        sd_http_reply_json(r, ok_status == 201 && rc == 1 ? 200 : ok_status,
                           json_pack("{s:s, s:s}", "user", user, "source", "store"));
    else if (rc == -EINVAL)
        sd_http_reply_error(
            r, 400,
            "expected {\"user\": NAME, \"password\": TEXT} or {\"user\", \"ha1\", \"ha1_sha256\"} (hex), "
            "NAME of [A-Za-z0-9._+-], at most 64");
    else if (rc == -EEXIST || rc == -EPERM)
        sd_http_reply_error(r, 409, "a user of the users file: change it there");
    else if (rc == -ENOTSUP)
        sd_http_reply_error(r, 409, "no store: start sessiond with --store");
    else if (rc == -ENOENT)
        sd_http_reply_error(r, 404, "no such user, or no registrar (--realm with --users-store yes)");
    else
        sd_http_reply_error(r, 500, sc_strerror(rc));
}

static const char *str(json_t *b, const char *k) { return json_string_value(json_object_get(b, k)); }

bool sd_users_route(sc_coord *api, sd_http_req *r)
{
    const char *p = r->path;
    bool get = !strcmp(r->method, "GET"), post = !strcmp(r->method, "POST");
    if (!strcmp(p, "/users")) {
        if (get) {
            json_t *j = NULL;
            int rc = sc_coord_users(api, &j);
            if (rc == 0)
                sd_http_reply_json(r, 200, j);
            else
                users_reply(r, rc, 200, "");
        } else if (post) {
            json_t *b = r->body_len ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
            const char *user = str(b, "user");
            int rc = json_is_object(b) && user
                         ? sc_coord_user_put(api, user, str(b, "password"), str(b, "ha1"), str(b, "ha1_sha256"))
                         : -EINVAL;
            users_reply(r, rc, 201, user ? user : "");
            json_decref(b);
        } else {
            sd_http_reply_error(r, 405, "use GET or POST");
        }
        return true;
    }
    static const char pre[] = "/users/", suf[] = "/delete";
    size_t n = strlen(p), lp = sizeof pre - 1, ls = sizeof suf - 1;
    if (strncmp(p, pre, lp) != 0)
        return false;
    char user[72];
    if (!post || n <= lp + ls || strcmp(p + n - ls, suf) != 0 || n - lp - ls >= sizeof user) {
        sd_http_reply_error(r, post ? 404 : 405, post ? "no such resource" : "use POST /users/NAME/delete");
        return true;
    }
    snprintf(user, sizeof user, "%.*s", (int)(n - lp - ls), p + lp);
    int rc = sc_coord_user_delete(api, user);
    if (rc == 0)
        sd_http_reply_json(r, 200, json_pack("{s:s, s:b}", "user", user, "deleted", 1));
    else
        users_reply(r, rc, 200, user);
    return true;
}
