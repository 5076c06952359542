/* cmd_transfer: `sessionctl transfer ID [TARGET] [--attended [--consult ID]] [--cancel]`: builds
 * the transfer request of the HTTP API and prints its result. */
#include "sessionctl/cmd_transfer.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionctl/http_client.h"

#define USAGE "transfer ID [TARGET] [--attended [--consult ID]] [--cancel]"

typedef struct xfer_opts {
    const char *server, *token, *consult;
    const char *pos[2];
    int npos;
    bool json, attended, cancel;
} xfer_opts;

static int parse(const sctl_args *a, xfer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->server = a->server;
    o->token = a->token;
    o->json = a->json;
    o->attended = sctl_opt_flag(a, "attended");
    o->cancel = sctl_opt_flag(a, "cancel");
    o->consult = sctl_opt_value(a, "consult");
    for (int i = 0; i < a->npos && i < 2; i++)
        o->pos[o->npos++] = a->pos[i];
    if (o->npos < 1 || (o->consult && !o->attended) || (o->cancel && (o->npos > 1 || o->attended)) ||
        (!o->cancel && !o->attended && o->npos != 2) || (o->consult && o->npos > 1)) {
        fprintf(stderr, "usage: sessionctl %s (see sessionctl transfer --help)\n", USAGE);
        return -1;
    }
    return 0;
}

int sessionctl_cmd_transfer(const sctl_args *a)
{
    xfer_opts o;
    if (parse(a, &o))
        return 2;
    char path[512];
    snprintf(path, sizeof path, "/sessions/%s/transfer%s", o.pos[0], o.cancel ? "/cancel" : "");
    json_t *b = json_pack("{s:s}", "mode", o.attended ? "attended" : "blind");
    if (o.npos == 2)
        json_object_set_new(b, "target", json_string(o.pos[1]));
    if (o.consult)
        json_object_set_new(b, "consult", json_string(o.consult));
    char *body = o.cancel ? strdup("{}") : json_dumps(b, JSON_COMPACT);
    json_decref(b);
    sctl_http_resp r;
    char err[256];
    int rc = sctl_http_request(o.server, "POST", path, body, o.token, a->timeout_ms, &r, err, sizeof err);
    free(body);
    if (rc) {
        fprintf(stderr, "sessionctl: %s\n", err);
        return 1;
    }
    if (o.json) {
        printf("%s\n", r.body ? r.body : "");
    } else if (r.status >= 400) {
        json_t *j = json_loads(r.body ? r.body : "", 0, NULL);
        const char *e = json_string_value(json_object_get(j, "error"));
        const char *m = json_string_value(json_object_get(j, "message"));
        const char *st = json_string_value(json_object_get(j, "state"));
        fprintf(stderr, "sessionctl: server answered %d: %s%s%s%s%s\n", r.status, e ? e : (r.body ? r.body : ""),
                m ? ": " : "", m ? m : "", st ? " in state " : "", st ? st : "");
        json_decref(j);
    } else {
        printf("%s transfer%s: ok\n", o.pos[0], o.cancel ? " cancel" : "");
    }
    rc = r.status >= 400 ? 1 : 0;
    sctl_http_resp_free(&r);
    return rc;
}
