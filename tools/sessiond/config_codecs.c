/* config_codecs: the setter of --codecs LIST (config key codecs): the audio codecs of our SDP in
 * order of preference, checked here so that a typo stops the daemon at start. */
#include "config_codecs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_core/coord.h"
#include "session_core/sip.h"

int sd_set_codecs(sd_config *c, const char *v, char *err, size_t errsz)
{
    const char *bad = NULL;
    if (strlen(v) >= 64 || sc_sdp_codecs_check(v, &bad) < 0) {
        snprintf(err, errsz, "--codecs: expected a comma-separated list of %s without repeats, got '%s'",
                 SC_SDP_CODEC_NAMES, v);
        return -1;
    }
    char *d = strdup(v);
    if (!d) {
        snprintf(err, errsz, "--codecs: out of memory");
        return -1;
    }
    free(c->codecs);
    c->codecs = d;
    return 0;
}
