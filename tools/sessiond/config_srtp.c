/* config_srtp: the setters of sessiond's SRTP options: the policy (--srtp) and the profile of
 * our offers under the optional policy (--srtp-offer); docs/operations.md "SRTP". */
#include "config_srtp.h"

#include "session_core/coord.h"

#include <stdio.h>
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

int sd_route_srtp_parse(const char *v, int *out)
{
    static const char *const names[] = {"off", "optional", "mandatory"};
    for (int i = 0; v && i < 3; i++)
        if (!strcmp(v, names[i])) {
            *out = i + 1;
            return 0;
        }
    return -1;
}

int sd_route_srtp_split(const char *v, char *head, size_t cap, int *out, char *err, size_t errsz)
{
    *out = 0;
    const char *last = NULL;
    for (const char *p = strstr(v, ",srtp="); p; p = strstr(p + 1, ",srtp="))
        last = p;
    size_t n = last ? (size_t)(last - v) : strlen(v);
    if (n >= cap) {
        snprintf(err, errsz, "--route: too long (at '%.64s')", v);
        return -1;
    }
    if (last && sd_route_srtp_parse(last + 6, out) < 0) {
        snprintf(err, errsz, "--route: srtp= is off, optional or mandatory (and the last option), got '%s'", last + 6);
        return -1;
    }
    memcpy(head, v, n);
    head[n] = '\0';
    return 0;
}
