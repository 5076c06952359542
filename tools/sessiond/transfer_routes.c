/* transfer_routes: parses transfer requests of the HTTP API and runs them on the api. */
#include "transfer_routes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

static int run(sc_coord *api, const char *id, json_t *b, const char **err)
{
    json_t *jmode = json_object_get(b, "mode"), *jt = json_object_get(b, "target"), *jc = json_object_get(b, "consult");
    const char *mode = jmode ? json_string_value(jmode) : "blind";
    const char *target = jt && !json_is_null(jt) ? json_string_value(jt) : NULL;
    const char *consult = jc && !json_is_null(jc) ? json_string_value(jc) : NULL;
    if (!mode || (strcmp(mode, "blind") != 0 && strcmp(mode, "attended") != 0)) {
        *err = "\"mode\" must be \"blind\" or \"attended\"";
        return -EINVAL;
    }
    if ((jt && !json_is_null(jt) && !target) || (jc && !json_is_null(jc) && !consult)) {
        *err = "\"target\" and \"consult\" must be strings";
        return -EINVAL;
    }
    if (target && strncmp(target, "sip:", 4) != 0) {
        *err = "\"target\" must be a SIP URI (sip:user@host:port)";
        return -EINVAL;
    }
    if (!strcmp(mode, "blind")) {
        if (!target) {
            *err = "a blind transfer needs \"target\"";
            return -EINVAL;
        }
        int rc = sc_coord_transfer(api, id, target);
        if (rc == -EINVAL)
            *err = "\"target\" is not a usable SIP URI";
        return rc;
    }
    if (consult && target) {
        *err = "give either \"consult\" (complete) or \"target\" (start a consultation), not both";
        return -EINVAL;
    }
    int rc = sc_coord_transfer_attended(api, id, consult, target);
    if (rc == -EINVAL)
        *err = target ? "\"target\" is not a usable SIP URI"
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
    static const char pre[] = "/sessions/", suf[] = "/transfer/cancel";
    size_t n = strlen(path), lp = sizeof pre - 1, ls = sizeof suf - 1;
    if (n <= lp + ls || strncmp(path, pre, lp) != 0 || strcmp(path + n - ls, suf) != 0)
        return false;
    size_t idlen = n - lp - ls;
    if (idlen >= idsz || memchr(path + lp, '/', idlen))
        return false;
    memcpy(id, path + lp, idlen);
    id[idlen] = '\0';
    return true;
}
