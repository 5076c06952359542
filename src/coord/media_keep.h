/* media_keep: the text of the session fields that let a recovered leg keep its SDP origin
 * and its telephone-event payload type (sdp_origin, dtmf_pt), and their fallbacks for a record
 * written before they existed. */
#ifndef SC_COORD_MEDIA_KEEP_H
#define SC_COORD_MEDIA_KEEP_H

#include <stddef.h>
#include <stdint.h>

#define SC_COORD_ORIGIN_MAX 48 /* "sess-id version": two 20-digit numbers, a space, a NUL */
#define SC_COORD_DTMF_PT_MAX 8

/* "<sess-id> <version>" of the o= line of an SDP we sent, into buf. */
void sc_coord__origin_format(char *buf, size_t cap, uint64_t sess_id, uint64_t version);
/* The reverse: 0, -ENOENT for NULL (a record without the field), -EINVAL if malformed. */
int sc_coord__origin_parse(const char *v, uint64_t *sess_id, uint64_t *version);

/* "96" for a telephone-event payload type in 96..127, "none" for anything else (no
 * telephone-event negotiated). */
void sc_coord__dtmf_pt_format(char *buf, size_t cap, int pt);
/* The reverse: the payload type, -1 for "none"; fallback for NULL (a record without the field)
 * or anything malformed. */
int sc_coord__dtmf_pt_parse(const char *v, int fallback);

#endif
