/* bodies: the JSON bodies of the HTTP API's POST endpoints, parsed and validated without running
 * anything: the routes call these and then the coordinator; fuzz/fuzz_http_body.c feeds them
 * arbitrary bytes. Strings in the results are borrowed from the JSON object given. Every
 * error is -EINVAL with a static message for the 400 answer. */
#ifndef SESSIOND_BODIES_H
#define SESSIOND_BODIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "session_core/coord.h"

/* The body as a JSON object (an empty body is {}): 0 and *out (a new reference), or -EINVAL
 * with the message ("body is not JSON: ... (line L column C)", "body must be a JSON object")
 * in err. */
int sd_body_object(const char *body, size_t len, json_t **out, char *err, size_t cap);

/* POST /calls: {"to", "from"?, "proxy"?, "targets"?} or, through a trunk, {"trunk", "to", "from"?}. */
typedef struct sd_call_body {
    const char *trunk; /* a trunk's name: the call goes through it (to may be a bare user) */
    const char *to;
    const char *from;  /* NULL: the default */
    const char *proxy; /* NULL: none (not with a trunk) */
    const char *targets[SC_COORD_MAX_TARGETS];
    size_t ntargets;
} sd_call_body;
int sd_call_body_parse(json_t *b, sd_call_body *out, const char **err);

/* POST /sessions/{id}/reject: {"code"?: 400..699} (486 when absent). */
int sd_reject_body_parse(json_t *b, int *code, const char **err);
/* POST /sessions/{id}/dtmf: {"digits": "0-9 * # A-D"}. */
int sd_dtmf_body_parse(json_t *b, const char **digits, const char **err);
/* POST /sessions/{id}/bridge: {"with": ID}. */
int sd_bridge_body_parse(json_t *b, const char **with, const char **err);

/* POST /sessions/{id}/transfer: {"target": URI, "mode"?: "blind"}, {"mode": "attended",
 * "consult": ID} or {"mode": "attended", "target": URI}. */
typedef struct sd_transfer_body {
    bool attended;
    const char *target;  /* NULL when absent */
    const char *consult; /* NULL when absent (attended only) */
} sd_transfer_body;
int sd_transfer_body_parse(json_t *b, sd_transfer_body *out, const char **err);

/* POST /sessions/{id}/events/{name}: {"variables"?: {NAME: STRING...}, "code"?: int, "text"?:
 * STRING}. vars gets name, value pairs (borrowed from b) for sc_coord_send_event_vars(). */
#define SD_EVENT_VARS_MAX 32
typedef struct sd_event_body {
    const char *vars[2 * SD_EVENT_VARS_MAX];
    size_t nvars;
    int32_t code;
    const char *text; /* NULL when absent */
} sd_event_body;
int sd_event_body_parse(json_t *b, sd_event_body *out, const char **err);

/* POST /debug/health (test hooks): {"check": NAME, "ok": bool, "reason"?: TEXT}; b may be
 * anything (NULL, not an object: no check). */
typedef struct sd_health_body {
    const char *check;
    bool ok;
    const char *reason; /* NULL when absent */
} sd_health_body;
int sd_health_body_parse(json_t *b, sd_health_body *out, const char **err);

/* POST /sessions/{id}/conference/mute (conference_routes.c): {"mute"?: bool} (true when
 * absent). 0, or -EINVAL with *err set. */
int sd_conference_mute_body_parse(const json_t *b, bool *mute, const char **err);
/* "/sessions/ID/conference/mute": true with ID (no slash, shorter than cap) copied into id. */
bool sd_conference_mute_path(const char *path, char *id, size_t cap);
/* "/sessions/ID" + suffix (e.g. "/transfer/cancel"): ID copied into id (cap bytes, no '/');
 * false for any other path or an ID that does not fit. */
bool sd_session_subpath(const char *path, const char *suffix, char *id, size_t cap);

#endif
