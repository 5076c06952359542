/* reload: the coordinator's table reload and validation: the engine's all-or-nothing
 * reload (running sessions keep their version) plus a TableReloaded event and a log line. */
#include "coord/coord_int.h"

#include <errno.h>
#include <stdio.h>

/* Every feature's table_reloaded hook (the event bus publishes TableReloaded). */
static void tell_features(sc_coord *c, bool ok, const char *version, const char *error)
{
    for (size_t i = 0; i < SC_FEAT__COUNT; i++)
        if (sc_coord__features[i]->table_reloaded)
            sc_coord__features[i]->table_reloaded(c, ok, version, error);
}

/* The first error of a refused report as "file:line:col: message". */
static void first_error(json_t *report, char *buf, size_t cap)
{
    json_t *e = json_array_get(json_object_get(report, "errors"), 0);
    buf[0] = '\0';
    if (!e)
        return;
    snprintf(buf, cap, "%s:%lld:%lld: %s", json_string_value(json_object_get(e, "file")) ?: "?",
             (long long)json_integer_value(json_object_get(e, "line")),
             (long long)json_integer_value(json_object_get(e, "column")),
             json_string_value(json_object_get(e, "message")) ?: "?");
}

/* The features' bind_table hooks for a candidate (webhooks it names), before the engine
 * checks it; a candidate that does not load is left to the engine to report. */
static void bind_candidate(sc_coord *c, const char *path, const char *name, const char *buf, size_t len)
{
    sc_table *t = NULL;
    const sc_vocab *v = sc_engine_vocab(c->engine);
    if ((path ? sc_table_load_file(&t, path, v, NULL) : sc_table_load_buffer(&t, name, buf, len, v, NULL)) != 0)
        return;
    for (size_t i = 0; i < SC_FEAT__COUNT; i++)
        if (sc_coord__features[i]->bind_table && c->started[i])
            sc_coord__features[i]->bind_table(c, t);
    sc_table_unref(t);
}

int sc_coord_table_reload(sc_coord *coord, const char *path, const char *name, const char *buf, size_t len,
                          json_t **report)
{
    if (!coord || (!buf && !path))
        return -EINVAL;
    bind_candidate(coord, buf ? NULL : path, name ? name : "reload", buf, len);
    json_t *rep = NULL;
    int rc = buf ? sc_engine_reload_buffer(coord->engine, name ? name : "reload", buf, len, NULL, &rep)
                 : sc_engine_reload_file(coord->engine, path, NULL, &rep);
    char ver[48], err[160];
    coord->reload_from_body = buf != NULL;
    if (rc == 0) {
        snprintf(ver, sizeof ver, "v%llu", (unsigned long long)sc_engine_current_version(coord->engine));
        const char *res = json_string_value(json_object_get(rep, "result"));
        sc_log(coord->logger, SC_LOG_INFO, "coord", "table reload: %s (version %s)", res ? res : "?", ver);
        tell_features(coord, true, ver, "");
    } else {
        first_error(rep, err, sizeof err);
        if (!err[0])
            snprintf(err, sizeof err, "%s", sc_strerror(rc));
        sc_log(coord->logger, SC_LOG_WARN, "coord", "table reload refused: %s", err);
        tell_features(coord, false, buf ? (name ? name : "reload") : path, err);
    }
    if (report)
        *report = rep;
    else
        json_decref(rep);
    return rc;
}

int sc_coord_table_validate(sc_coord *coord, const char *name, const char *buf, size_t len, json_t **report)
{
    if (!coord || !buf)
        return -EINVAL;
    bind_candidate(coord, NULL, name ? name : "validate", buf, len);
    return sc_engine_validate_buffer(coord->engine, name ? name : "validate", buf, len, NULL, report);
}

int sc_coord_table_versions(sc_coord *coord, json_t **out)
{
    if (!coord || !out)
        return -EINVAL;
    return sc_engine_table_versions(coord->engine, out);
}
