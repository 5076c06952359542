/* recover: the persistence feature's private interface between its files: store.c opens the
 * store and runs recovery, recover.c rebuilds each recovered session (record, SIP dialog, RTP
 * stream, music on hold, bridge, in-flight transactions). Loop thread only. */
#ifndef SC_COORD_RECOVER_H
#define SC_COORD_RECOVER_H

#include "coord/coord_int.h"

/* store.c: snapshot s now (fields changed outside a dispatch). No-op without a store. */
void sc_coord__store_snapshot(sc_coord *coord, sc_session *s);

/* ---- recover.c: rebuilding one recovered session ------------------------------------- */

typedef struct sc_coord_recover_ctx {
    sc_coord *coord;
    char (*ids)[SC_SESSION_ID_MAX + 1]; /* recovered sessions, for the second phase */
    size_t n, cap;
    sc_coord_store_report *rep;
} sc_coord_recover_ctx;

/* First phase (the sc_coord_persist_recover callback, ud = sc_coord_recover_ctx): the leg, the
 * SIP dialog and the RTP stream of s from its fields. */
void sc_coord__recover_rebuild(sc_session *s, void *ud);
/* Second phase, with the recorder attached (so it is logged): re-bridge linked sessions,
 * dispatch Recovered, resolve in-flight transactions, snapshot. */
void sc_coord__recover_finish(sc_coord_recover_ctx *c);

#endif
