/* srtp: what the core's SDP code and recovery call of the SRTP feature (srtp.c): the policy's
 * verdict on an offer, our a=crypto lines, the keys put on a leg's stream once negotiated, and
 * the keys restored from the session's `srtp` field after a crash. */
#ifndef SC_COORD_SRTP_H
#define SC_COORD_SRTP_H

#include "coord/coord_int.h"

struct sc_coord_srtp_leg;

/* Why the policy (leg's: its route's or the global one; leg NULL: the global one) refuses offer
 * (a static text; the offer gets 488), or NULL when we can answer it. */
const char *sc_coord__srtp_refusal(const sc_coord *c, const sc_coord_leg *leg, const sc_sdp_info *offer);
/* Fill l's SRTP members: for our offer (offer NULL) a fresh key per suite we run (a re-offer keeps
 * them), for our answer one key for the offer's first line we run; nothing with SRTP off or
 * nothing to answer. 0, -ENOMEM, -EIO. */
int sc_coord__srtp_local(sc_coord_leg *leg, const sc_sdp_info *offer, sc_sdp_local *l);
/* The SDP exchange ended with info (answered: the negotiated view of the offer we answered; else
 * the peer's answer to our offer): its keys go on the leg's stream and in s's srtp field. False
 * when the media must stay off (SRTP required and not agreed, or keys the stream refused). */
bool sc_coord__srtp_apply(sc_coord_leg *leg, sc_session *s, const sc_sdp_info *info, bool answered);
/* Recovery: the keys of s's srtp field on the leg's (reopened) stream. 0 (also with none),
 * -EINVAL (a bad field), -ENOMEM, -ENOTSUP. */
int sc_coord__srtp_recover(sc_coord_leg *leg, sc_session *s);
const char *sc_coord__srtp_policy_name(sc_coord_srtp p); /* "off", "optional", "mandatory" */

#endif
