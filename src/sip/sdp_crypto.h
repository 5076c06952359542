/* sdp_crypto: the hooks sdp.c calls for RFC 4568 a=crypto lines (sdp_crypto.c). */
#ifndef SC_SIP_SDP_CRYPTO_H
#define SC_SIP_SDP_CRYPTO_H

#include "session_core/sip.h"

/* An a=crypto value of the audio m= line: kept in out->crypto when usable, else counted in
 * out->crypto_unusable. */
void sc_sdp__crypto_attr(sc_sdp_info *out, const char *value);
/* "a=crypto:...\r\n" for each of c[0..n) into buf: length, -ENOSPC or -EINVAL. */
int sc_sdp__crypto_lines(const sc_sdp_crypto *c, size_t n, char *buf, size_t cap);

#endif
