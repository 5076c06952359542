/* media: what the features that need the media feature call directly (their `needs` says
 * "media"): recovery reopens a stream on its old port and restarts music on hold and bridges;
 * a transfer's Replaces moves a media relay to the new leg. */
#ifndef SC_COORD_MEDIA_H
#define SC_COORD_MEDIA_H

#include "coord/coord_int.h"

/* The media context (RTP streams, MOH classes), or NULL before the feature started. */
sc_media *sc_coord__media_ctx(sc_coord *c);
/* Attended transfer target: move from's media relay (bridge partner, if any) to to's stream
 * (opened now if needed), then close from's stream for good. 0 or the bridge error. */
int sc_coord__media_take_over(sc_coord_leg *to, sc_coord_leg *from);

#endif
