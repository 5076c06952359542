/* cmd_trunks: `sessionctl trunks [NAME] [--json]`: a table of the server's trunks (name, state,
 * last status, expiry left, failures, next attempt, uri) from GET /trunks. */
#include "sessionctl/cmd_trunks.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionctl/http_client.h"

static const char *str_or(json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s && *s ? s : dflt;
}

static void print_row(json_t *t)
{
    char status[24] = "-", left[24] = "-", next[24] = "-";
    json_t *st = json_object_get(t, "last_status"), *nx = json_object_get(t, "next_attempt_ms");
    if (json_is_integer(st))
        snprintf(status, sizeof status, "%lld", (long long)json_integer_value(st));
    if (json_integer_value(json_object_get(t, "expires_left")) > 0)
        snprintf(left, sizeof left, "%llds", (long long)json_integer_value(json_object_get(t, "expires_left")));
    if (json_is_integer(nx))
        snprintf(next, sizeof next, "%llds", (long long)(json_integer_value(nx) + 999) / 1000);
    printf("%-16s %-14s %-6s %-8s %-8s %-8lld %s\n", str_or(t, "name", "?"), str_or(t, "state", "?"), status, left,
           next, (long long)json_integer_value(json_object_get(t, "failures")), str_or(t, "uri", "-"));
}

int sessionctl_cmd_trunks(const sctl_args *a)
{
    const char *server = a->server, *token = a->token, *name = a->npos ? a->pos[0] : NULL;
    bool as_json = a->json;
    char path[256], err[256];
    snprintf(path, sizeof path, name ? "/trunks/%s" : "/trunks", name);
    sctl_http_resp r;
    if (sctl_http_request(server, "GET", path, NULL, token, a->timeout_ms, &r, err, sizeof err)) {
        fprintf(stderr, "sessionctl: %s\n", err);
        return 1;
    }
    int rc = r.status >= 400 ? 1 : 0;
    json_t *j = rc ? NULL : json_loads(r.body ? r.body : "", 0, NULL);
    if (as_json || (!rc && !j)) {
        printf("%s\n", r.body ? r.body : "");
    } else if (rc) {
        json_t *e = json_loads(r.body ? r.body : "", 0, NULL);
        fprintf(stderr, "sessionctl: server answered %d: %s\n", r.status, str_or(e, "error", r.body ? r.body : ""));
        json_decref(e);
    } else {
        json_t *list = json_is_array(j) ? json_incref(j) : json_pack("[O]", j);
        size_t i;
        json_t *t;
        printf("%-16s %-14s %-6s %-8s %-8s %-8s %s\n", "NAME", "STATE", "LAST", "EXPIRES", "NEXT", "FAILURES", "URI");
        json_array_foreach(list, i, t)
            print_row(t);
        printf("%zu trunk(s)\n", json_array_size(list));
        json_decref(list);
    }
    json_decref(j);
    sctl_http_resp_free(&r);
    return rc;
}
