/* config_srtp: the setters of sessiond's SRTP options: the policy (--srtp) and the profile of
 * our offers under the optional policy (--srtp-offer); docs/operations.md "SRTP". */
#include "config_srtp.h"

#include "session_core/coord.h"

#include <string.h>

int sd_set_srtp(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!strcmp(v, "off"))
        c->srtp = SC_COORD_SRTP_OFF;
    else if (!strcmp(v, "optional"))
        c->srtp = SC_COORD_SRTP_OPTIONAL;
    else if (!strcmp(v, "mandatory"))
        c->srtp = SC_COORD_SRTP_MANDATORY;
    else
        return sd_config_bad(err, errsz, "srtp", "off, optional or mandatory", v);
    return 0;
}

int sd_set_srtp_offer(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!strcmp(v, "avp"))
        c->srtp_offer_savp = false;
    else if (!strcmp(v, "savp"))
        c->srtp_offer_savp = true;
    else
        return sd_config_bad(err, errsz, "srtp-offer", "avp or savp", v);
    return 0;
}
