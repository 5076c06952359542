/* embed: what a host program that embeds the coordinator needs beyond the commands: its own
 * guards and actions bound (at sc_coord_new, before the table is checked, or later), the
 * engine for observers and session reads, and sessions by id. docs/embedding.md. */
#include "coord/coord_int.h"

#include <errno.h>

int sc_coord_bind(sc_coord *coord, const sc_coord_binding *b)
{
    if (!coord || !b || !b->name)
        return -EINVAL;
    if (b->kind == SC_VOCAB_GUARD && b->guard)
        return sc_engine_bind_guard(coord->engine, b->name, b->guard, b->ud);
    if (b->kind == SC_VOCAB_ACTION && b->action)
        return sc_engine_bind_action(coord->engine, b->name, b->action, b->ud);
    return -EINVAL;
}

int sc_coord__bind_host(sc_coord *coord, const sc_coord_config *cfg)
{
    if (cfg->nbindings && !cfg->bindings)
        return -EINVAL;
    for (size_t i = 0; i < cfg->nbindings; i++) {
        const sc_coord_binding *b = &cfg->bindings[i];
        int rc = sc_coord_bind(coord, b);
        if (rc) {
            sc_log(coord->logger, SC_LOG_ERROR, "coord", "host %s %s: %s",
                   b->kind == SC_VOCAB_GUARD ? "guard" : "action", b->name ? b->name : "(null)", sc_strerror(rc));
            return rc;
        }
    }
    return 0;
}

sc_engine *sc_coord_engine(sc_coord *coord) { return coord ? coord->engine : NULL; }

sc_session *sc_coord_session(sc_coord *coord, const char *id)
{
    return coord && id ? sc_store_get(coord->store, id) : NULL;
}
