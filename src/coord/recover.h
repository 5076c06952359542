/* recover: the persistence feature's private interface between its files: store.c opens the
 * store and runs recovery, recover.c rebuilds each recovered session (record, SIP dialog, RTP
 * stream, music on hold, bridge, in-flight transactions). Loop thread only. */
#ifndef SC_COORD_RECOVER_H
#define SC_COORD_RECOVER_H

#include "coord/coord_int.h"

/* store.c: snapshot s now (fields changed outside a dispatch). No-op without a store. */
void sc_coord__store_snapshot(sc_coord *coord, sc_session *s);
/* store.c, for the cluster feature: the loop's synchronous handle and the store's node id (in
 * a cluster, this incarnation), or NULL without a store. */
sc_persist *sc_coord__store_handle(sc_coord *coord);
const char *sc_coord__store_node(sc_coord *coord);
/* store.c: stop recording (a node that lets its sessions go: what is stored stays as it is
 * for the node that takes them), then wait at most flush_ms for what was queued to commit.
 * 0, or -ETIMEDOUT when the writer did not get there in time. */
int sc_coord__store_let_go(sc_coord *coord, unsigned flush_ms);
/* store.c: the recorder skips the creation of sessions restored while it runs. */
void sc_coord__store_mute(sc_coord *coord, bool muted);

/* recorder.c: as sc_coord_persist_recover, for the sessions named (loaded one by one, whoever
 * saved them); skipped: those already here, those with no live snapshot. */
int sc_coord__persist_recover_ids(sc_engine *e, sc_persist *p, const char *const *ids, size_t n,
                                  sc_coord_recovered_fn on_recovered, void *ud, size_t *recovered, size_t *failed);
void sc_coord__persist_mute(sc_coord_persist *r, bool muted);

/* ---- recover.c: rebuilding one recovered session ------------------------------------- */

typedef struct sc_coord_recover_ctx {
    sc_coord *coord;
    char (*ids)[SC_SESSION_ID_MAX + 1]; /* recovered sessions, for the second phase */
    size_t n, cap;
    sc_coord_store_report *rep;
    const char *taken_from; /* a takeover (cluster.c): the incarnation they come from; NULL: a restart */
} sc_coord_recover_ctx;

/* First phase (the sc_coord_persist_recover callback, ud = sc_coord_recover_ctx): the leg, the
 * SIP dialog and the RTP stream of s from its fields. */
void sc_coord__recover_rebuild(sc_session *s, void *ud);
/* Second phase, with the recorder attached (so it is logged): re-bridge linked sessions,
 * dispatch Recovered, resolve in-flight transactions, snapshot. */
void sc_coord__recover_finish(sc_coord_recover_ctx *c);

/* ---- recover_fields.c: the stored text fields, parsed ----------------------------------- */

/* "1.2.3.4:5" or "[::1]:5" (local_rtp, remote_rtp) -> host, port: 0 or -EINVAL. */
int sc_coord__recover_split_addr(const char *v, char *host, size_t cap, uint16_t *port);
/* The address of a SIP URI with an IP literal host ("sip:u@[::1]:5070;transport=tcp"): 0 or
 * -EINVAL. */
int sc_coord__recover_uri_dest(const char *uri, struct sockaddr_storage *out);
/* Where in-dialog requests go: the first Route of d's route set, else its remote target. */
int sc_coord__recover_first_hop(const sc_sip_dialog_state *d, struct sockaddr_storage *out);
/* A new dialog state (caller frees) from s's recorded fields; NULL on ENOMEM. */
sc_sip_dialog_state *sc_coord__recover_dialog_of(const sc_session *s);
/* The recorded codec: PCMU (also when absent), PCMA, G722 (*pt -1), or Opus with its
 * recorded dynamic payload type (*pt 96..127); false for another one. */
bool sc_coord__recover_codec(const sc_session *s, sc_media_codec *c, int *pt);
/* invite_dest ("udp:IP:PORT[ <route>, ...]") into d's address, transport and route set;
 * nothing when absent or unreadable. */
void sc_coord__recover_invite_dest(const char *v, sc_sip_dialog_state *d);

#endif
