/* transfer_routes: parses transfer requests of the HTTP API and runs them on the api. */
#include "transfer_routes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "bodies.h"

static int run(sc_coord *api, const char *id, json_t *b, const char **err)
{
    sd_transfer_body t;
    if (sd_transfer_body_parse(b, &t, err) != 0) /* bodies.c */
        return -EINVAL;
    if (!t.attended) {
        int rc = sc_coord_transfer(api, id, t.target);
        if (rc == -EINVAL)
            *err = "\"target\" is not a usable SIP URI";
        return rc;
    }
    int rc = sc_coord_transfer_attended(api, id, t.consult, t.target);
    if (rc == -EINVAL)
        *err = t.target ? "\"target\" is not a usable SIP URI"
                        : "\"consult\" must name another answered call (or start one with \"target\")";
    return rc;
}

int sd_transfer_command(sc_coord *api, const char *id, const char *body, size_t len, const char **err)
{
    *err = NULL;
    json_t *b = len ? json_loadb(body, len, 0, NULL) : json_object();
    if (!b || !json_is_object(b)) {
        json_decref(b);
        *err = "body must be a JSON object";
        return -EINVAL;
    }
    int rc = run(api, id, b, err);
    json_decref(b);
    return rc;
}

bool sd_transfer_cancel_path(const char *path, char *id, size_t idsz)
{
    return sd_session_subpath(path, "/transfer/cancel", id, idsz);
}
