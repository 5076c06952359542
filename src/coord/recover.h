/* recover: persistence inside the coordinator: opening the store, recovering its live
 * sessions at start (record, SIP dialog, RTP stream, music on hold, bridge, in-flight
 * transactions), the recorder, strict durability (SIP messages held until the loop turn's
 * changes are committed) and the store's health. Loop thread only. */
#ifndef SC_COORD_RECOVER_H
#define SC_COORD_RECOVER_H

#include "coord/coord_int.h"
#include "session_core/persist.h"

typedef struct sc_coord_store_config {
    const char *url;                  /* "memory:", "sqlite:PATH", "redis://...", "postgresql://..." */
    sc_persist_durability durability; /* strict (default), batched, none (nothing stored) */
    const char *node_id;              /* owner of the snapshots; NULL: "<hostname>:<first SIP port>" */
    unsigned snapshot_every;          /* a snapshot every N event records; 0 = 16 */
    size_t queue_cap;                 /* writer queue; 0 = 65536; full: new calls get 503 */
} sc_coord_store_config;

typedef struct sc_coord_store_report {
    char node_id[128];    /* the node id in use */
    size_t recovered;     /* sessions restored from the store */
    size_t failed;        /* snapshots that could not be restored (skipped) */
    size_t resolved;      /* recovered sessions whose in-flight transaction was resolved */
    size_t media_moved;   /* streams that could not get their old RTP port back */
    double seconds;       /* time spent in recovery */
} sc_coord_store_report;

/* Open the store (cfg->url), recover its live sessions of this node, then start recording
 * through an asynchronous writer. Call once, after sc_coord_new and before the loop runs.
 * rep (may be NULL) receives what recovery did. err gets a one-line message on failure.
 * 0, -EINVAL (bad URL / config), -EALREADY, a store error (-ECONNREFUSED, -EIO, -EPROTO),
 * -ENOMEM. With durability none nothing is opened and 0 is returned. */
int sc_coord_store_open(sc_coord *api, const sc_coord_store_config *cfg, sc_coord_store_report *rep, char *err,
                      size_t errsz);

/* The writer's health (thread-safe snapshot). -ENOENT when no store is open (durability
 * none or sc_coord_store_open not called). backend (may be NULL) receives "sqlite"... */
int sc_coord_store_health(sc_coord *api, sc_persist_health *out, const char **backend);

/* Messages held by strict durability: now waiting, and in total since start. */
void sc_coord_store_held(const sc_coord *api, size_t *waiting, uint64_t *total);

/* ---- Hooks of the other api files -------------------------------------------------------- */

/* sc_sip_config.send_hook (ud = the api): in strict mode, holds an outgoing message while
 * changes of this loop turn are not yet committed; it is sent from the commit callback. */
bool sc_coord__store_send_hook(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data,
                             size_t len);
/* Strict mode: every message sent for the rest of this loop turn is held until the turn's
 * commit, even if nothing is pending yet (an action about to send what the transition record,
 * submitted after the actions, describes: our INVITE and its invite_via). No-op otherwise. */
void sc_coord__store_hold_turn(sc_coord *api);
/* True when the writer's queue is (nearly) full: admission refuses new sessions (503). */
bool sc_coord__store_full(sc_coord *api);
/* Snapshot s now (fields changed outside a dispatch). No-op without a store. */
void sc_coord__store_snapshot(sc_coord *api, sc_session *s);
/* From sc_coord_free, after the sessions are removed and before the SIP agent closes: commit
 * what is queued, send what strict mode held, stop the writer, close the store. */
void sc_coord__store_free(sc_coord *api);

/* ---- recover.c: rebuilding one recovered session ------------------------------------- */

typedef struct sc_coord_recover_ctx {
    sc_coord *api;
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
