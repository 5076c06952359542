/* transfer_routes: the HTTP side of call transfer: POST /sessions/{id}/transfer (blind or
 * attended) and POST /sessions/{id}/transfer/cancel, mapped onto the api's transfer commands. */
#ifndef SESSIOND_TRANSFER_ROUTES_H
#define SESSIOND_TRANSFER_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "session_core/coord.h"

/* Runs the transfer the JSON body asks for: {"target": URI, "mode": "blind"} (mode defaults to
 * blind), {"mode": "attended", "consult": ID} or {"mode": "attended", "target": URI}. Returns
 * the api's result; on a bad body returns -EINVAL and sets *err to a static message (400). */
int sd_transfer_command(sc_coord *api, const char *id, const char *body, size_t len, const char **err);
/* True when path is "/sessions/ID/transfer/cancel"; ID is copied into id. */
bool sd_transfer_cancel_path(const char *path, char *id, size_t idsz);

#endif
