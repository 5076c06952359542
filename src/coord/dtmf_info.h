/* dtmf_info: what the media feature calls when RFC 4733 cannot carry a digit (its `needs`
 * says "dtmf_info"), and the API's check before SendDTMF. */
#ifndef SC_COORD_DTMF_INFO_H
#define SC_COORD_DTMF_INFO_H

#include "coord/coord_int.h"

/* Sends digits as SIP INFO (application/dtmf-relay), one INFO at a time, in order. 0,
 * -ENOTSUP (no confirmed dialog, or the peer's Allow lacks INFO), -EAGAIN (queue full), -ENOMEM. */
int sc_coord__dtmf_info_send(sc_coord_leg *leg, const char *digits);
/* Can s send DTMF at all: telephone-event negotiated on an open stream, or INFO? 0, -ENOTSUP. */
int sc_coord__dtmf_possible(sc_coord *c, sc_session *s);

#endif
