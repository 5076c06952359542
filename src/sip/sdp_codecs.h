/* sdp_codecs: the codec part of our SDP (sdp_codecs.c), used by sdp.c. */
#ifndef SC_SIP_SDP_CODECS_H
#define SC_SIP_SDP_CODECS_H

#include "session_core/sip.h"

/* The static payload types' names and rates (PCMU, PCMA, G722); 0 and "" for others. */
int sc_sdp__static_rate(int pt, const char **name);
/* Reads "pt params" of an a=fmtp value into the codec of the same pt. */
void sc_sdp__apply_fmtp(sc_sdp_info *out, const char *value);
/* The payload type that starts an rtpmap or fmtp value ("111 opus/48000/2"): the rest after it
 * (spaces skipped), or NULL when it is not 0..127. */
const char *sc_sdp__attr_pt(const char *value, int *pt);
/* Our offer's codecs from l->codecs: the m= line's formats (" 111 9 0 101 110") into fmts and
 * their rtpmap/fmtp lines into attrs. -ENOSPC when a buffer is too small. */
int sc_sdp__offer_codecs(const sc_sdp_local *l, char *fmts, size_t fcap, char *attrs, size_t acap);
/* The answer's codecs: into neg (codec_count, codecs, dtmf_pt) the first codec of list that the
 * offer has, then the offer's telephone-event of that codec's clock (else its 8000 one).
 * -ENOTSUP when the offer has none of list. */
int sc_sdp__answer_pick(const sc_sdp_info *offer, const char *list, bool no_dtmf, sc_sdp_info *neg);
/* The a=rtpmap and a=fmtp lines of one codec of our answer (dtmf_pt: its telephone-event). */
void sc_sdp__codec_lines(const sc_sdp_codec *c, int dtmf_pt, char *buf, size_t cap);

#endif
