/* inspect: the coordinator's inspection: the sessions, one session with every feature's view
 * of it (inspect hooks) and its resources, its history, the table and its versions. */
#include "coord/compact.h"
#include "coord/coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Inspection ------------------------------------------------------------------------------ */

const sc_table *sc_coord_table(const sc_coord *coord) { return sc_engine_table(coord->engine); }
int sc_coord_listener_addr(const sc_coord *coord, size_t idx, struct sockaddr_storage *out)
{
    return sc_sip_listener_addr(coord->sip, idx, out);
}

size_t sc_coord_session_count(const sc_coord *coord) { return sc_store_count(coord->store); }
size_t sc_coord_active_count(const sc_coord *coord) { return coord->active; }

static int add_summary(sc_session *s, void *ud)
{
    json_t *o = NULL;
    if (sc_session_to_json(s, &o))
        return -ENOMEM;
    return json_array_append_new(ud, o) ? -ENOMEM : 0;
}

int sc_coord_sessions(sc_coord *coord, json_t **out)
{
    json_t *a = json_array();
    if (!a)
        return -ENOMEM;
    int rc = sc_store_foreach(coord->store, add_summary, a);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return 0;
}

static bool list_match(const sc_session *s, void *ud)
{
    const sc_coord_list *q = ud;
    if (q->role >= 0 && (int)sc_session_role(s) != q->role)
        return false;
    if (q->live && sc_coord__is_terminal(s))
        return false;
    if (q->state) {
        const char *name = sc_session_state_name(s);
        if (!name || strcmp(name, q->state))
            return false;
    }
    return true;
}

int sc_coord_sessions_page(sc_coord *coord, const sc_coord_list *q, json_t **out, uint64_t *next)
{
    if (!coord || !q || !out || !next)
        return -EINVAL;
    size_t limit = q->limit ? q->limit : SC_COORD_PAGE_DEFAULT;
    if (limit > SC_COORD_PAGE_MAX)
        limit = SC_COORD_PAGE_MAX;
    sc_session **page = malloc(limit * sizeof *page);
    json_t *a = json_array();
    if (!page || !a) {
        free(page);
        json_decref(a);
        return -ENOMEM;
    }
    bool filtered = q->state || q->role >= 0 || q->live;
    size_t n = sc_store_page(coord->store, q->after, filtered ? list_match : NULL, (void *)q, limit, 16 * limit, page,
                             next);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = add_summary(page[i], a);
    free(page);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return 0;
}

int sc_coord_inspect(sc_coord *coord, const char *id, json_t **out)
{
    sc_session *s = id ? sc_store_get(coord->store, id) : NULL;
    if (!s)
        return -ENOENT;
    int rc = sc_store_inspect(s, NULL, out);
    for (size_t i = 0; rc == 0 && i < SC_FEAT__COUNT; i++)
        if (sc_coord__features[i]->inspect)
            sc_coord__features[i]->inspect(coord, s, *out);
    if (rc == 0)
        sc_coord__resources_inspect(coord, s, *out);
    return rc;
}

/* sc_coord_history and sc_coord_history_csv: compact.c (the ring, or the store once released). */

int sc_coord_table_export(sc_coord *coord, sc_graph_format fmt, const char *session_id, char **out)
{
    sc_graph_opts o = {.format = fmt, .role = -1};
    const sc_table *t = sc_engine_table(coord->engine);
    uint32_t path[256];
    if (session_id) {
        sc_session *s = sc_store_get(coord->store, session_id);
        if (!s)
            return -ENOENT;
        t = sc_session_table(s);
        o.npath = sc_session_history_released(s) ? sc_coord__history_path(coord, s, path, 256)
                                                 : sc_session_history_path(s, path, 256);
        o.path = path;
        o.role = (int)sc_session_role(s);
    }
    return sc_table_export(t, &o, out);
}
