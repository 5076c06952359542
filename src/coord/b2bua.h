/* b2bua: private interface of the coordinator's media glue (media.c: RTP streams,
 * music on hold, DTMF, bridge) and B2BUA routing (b2bua.c: routes, outgoing legs, peers). */
#ifndef SC_COORD_B2BUA_H
#define SC_COORD_B2BUA_H

#include "coord/coord_int.h"
#include "session_core/media.h"

/* Owned by the api (api->mx). */
typedef struct sc_coord_mx {
    sc_media *media;                       /* RTP streams and MOH classes */
    char addr[64];                         /* RTP address (bind and SDP) */
    char *route_match[SC_COORD_MAX_ROUTES];  /* B2BUA routes, in config order */
    char *route_target[SC_COORD_MAX_ROUTES];
    size_t nroutes;
} sc_coord_mx;

/* media.c: create the media context, MOH classes and routes from cfg (after the SIP
 * listeners exist), bind the media/B2BUA actions and add the api's media observer. */
int sc_coord__media_open(sc_coord *api, const sc_coord_config *cfg);
/* Free the media context (run the loop afterwards); NULL mx is a no-op. */
void sc_coord__media_close(sc_coord *api);
/* Close the leg's stream (session ended or leg freed). */
void sc_coord__media_release(sc_coord_leg *leg);
/* Attended transfer target: move from's media relay (bridge partner, if any) to to's stream
 * (opened now if needed), then close from's stream for good. 0 or the bridge error. */
int sc_coord__media_take_over(sc_coord_leg *to, sc_coord_leg *from);
/* Add a "media" object (ports, codec, direction, stats, MOH) to an inspection. */
void sc_coord__media_inspect(const sc_session *s, json_t *out);
/* Rebind the table's media and B2BUA actions and the HasPeer guard to the real ones. */
int sc_coord__media_bind(sc_coord *api);

/* b2bua.c */
/* Record the route of an incoming call (Request-URI user against the routes) on leg. */
void sc_coord__b2bua_route(sc_coord *api, sc_coord_leg *leg, const struct osip_message *msg);
/* Table actions and guard. */
bool sc_coord__g_has_peer(const sc_exec *x);
int sc_coord__a_create_outgoing_leg(const sc_exec *x);
int sc_coord__a_hangup_peer(const sc_exec *x);
int sc_coord__a_notify_peer(const sc_exec *x);
/* Engine observer: a leg that ended ends (or rejects) its peer. */
void sc_coord__b2bua_ended(sc_coord *api, sc_session *s, const sc_history_record *rec);
/* The linked session, or NULL. */
sc_session *sc_coord__peer(sc_coord *api, const sc_session *s);

#endif
