/* cmd_registrations: `sessionctl registrations [--json]`: prints GET /registrations as a table
 * (AOR, contact, expires left, q, instance, source, user agent) or as the server's JSON. */
#include "sessionctl/cmd_registrations.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionctl/http_client.h"

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "-";
}

static void print_table(const json_t *arr)
{
    printf("%-32s %-40s %7s %5s  %-24s %s\n", "AOR", "CONTACT", "EXPIRES", "Q", "SOURCE", "USER-AGENT");
    size_t i, j;
    const json_t *a, *c;
    json_array_foreach(arr, i, a) {
        json_array_foreach(json_object_get(a, "contacts"), j, c) {
            printf("%-32s %-40s %7lld %5.3f  %-24s %s\n", str(a, "aor"), str(c, "uri"),
                   (long long)json_integer_value(json_object_get(c, "expires")),
                   json_number_value(json_object_get(c, "q")), str(c, "source"), str(c, "user_agent"));
            if (json_is_string(json_object_get(c, "instance")))
                printf("%-32s   instance %s reg-id %lld\n", "", str(c, "instance"),
                       (long long)json_integer_value(json_object_get(c, "reg_id")));
        }
    }
}

int sessionctl_cmd_registrations(const sctl_args *a)
{
    const char *server = a->server, *token = a->token;
    bool as_json = a->json;
    sctl_http_resp r;
    char err[256];
    if (sctl_http_request(server, "GET", "/registrations", NULL, token, a->timeout_ms, &r, err, sizeof err)) {
        fprintf(stderr, "sessionctl: %s\n", err);
        return 1;
    }
    int rc = 0;
    json_t *j = json_loads(r.body ? r.body : "", 0, NULL);
    if (r.status >= 400) {
        const char *e = json_string_value(json_object_get(j, "error"));
        fprintf(stderr, "sessionctl: server answered %d: %s\n", r.status, e ? e : (r.body ? r.body : ""));
        rc = 1;
    } else if (as_json) {
        printf("%s\n", r.body ? r.body : "[]");
    } else if (!json_is_array(j)) {
        fprintf(stderr, "sessionctl: unexpected answer: %s\n", r.body ? r.body : "");
        rc = 1;
    } else {
        print_table(j);
    }
    json_decref(j);
    sctl_http_resp_free(&r);
    return rc;
}
