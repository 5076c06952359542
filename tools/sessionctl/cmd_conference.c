/* cmd_conference: `sessionctl conferences [ROOM] [--json]`: one line per participant (room,
 * session id, muted) from GET /conferences or /conferences/ROOM; `sessionctl mute ID` and
 * `unmute ID`: POST /sessions/ID/conference/mute. */
#include "sessionctl/cmd_conference.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sessionctl/http_client.h"

static const char *str_or(json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s && *s ? s : dflt;
}

/* One request; on success *j is the parsed body (NULL with --json: printed as it came). The
 * exit status. */
static int request(const sctl_args *a, const char *method, const char *path, const char *body, json_t **j)
{
    char err[256];
    sctl_http_resp r;
    *j = NULL;
    if (sctl_http_request(a->server, method, path, body, a->token, a->timeout_ms, &r, err, sizeof err)) {
        fprintf(stderr, "sessionctl: %s\n", err);
        return 1;
    }
    int rc = r.status >= 400 ? 1 : 0;
    if (rc) {
        json_t *e = json_loads(r.body ? r.body : "", 0, NULL);
        fprintf(stderr, "sessionctl: server answered %d: %s\n", r.status, str_or(e, "error", r.body ? r.body : ""));
        json_decref(e);
    } else if (a->json || !(*j = json_loads(r.body ? r.body : "", 0, NULL))) {
        printf("%s\n", r.body ? r.body : "");
    }
    sctl_http_resp_free(&r);
    return rc;
}

int sessionctl_cmd_conferences(const sctl_args *a)
{
    const char *room = a->npos ? a->pos[0] : NULL;
    char path[256];
    snprintf(path, sizeof path, room ? "/conferences/%s" : "/conferences", room);
    json_t *j;
    int rc = request(a, "GET", path, NULL, &j);
    if (!j)
        return rc;
    json_t *rooms = json_is_array(j) ? json_incref(j) : json_pack("[O]", j);
    size_t i, k, n = 0;
    json_t *r, *p;
    printf("%-24s %-20s %s\n", "ROOM", "SESSION", "MUTED");
    json_array_foreach(rooms, i, r) {
        json_array_foreach(json_object_get(r, "participants"), k, p) {
            printf("%-24s %-20s %s\n", str_or(r, "room", "?"), str_or(p, "id", "?"),
                   json_is_true(json_object_get(p, "muted")) ? "yes" : "no");
            n++;
        }
    }
    printf("%zu room(s), %zu participant(s)\n", json_array_size(rooms), n);
    json_decref(rooms);
    json_decref(j);
    return rc;
}

static int mute(const sctl_args *a, bool on)
{
    char path[256];
    snprintf(path, sizeof path, "/sessions/%s/conference/mute", a->pos[0]);
    json_t *j;
    int rc = request(a, "POST", path, on ? "{\"mute\":true}" : "{\"mute\":false}", &j);
    if (j)
        printf("%s %s in room %s\n", a->pos[0], on ? "muted" : "unmuted", str_or(j, "room", "?"));
    json_decref(j);
    return rc;
}

int sessionctl_cmd_mute(const sctl_args *a) { return mute(a, true); }
int sessionctl_cmd_unmute(const sctl_args *a) { return mute(a, false); }
