/* media_keep: formats and parses the sdp_origin and dtmf_pt session fields (what a
 * recovered leg keeps of its SDP, see docs/persistence.md). */
#include "coord/media_keep.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sc_coord__origin_format(char *buf, size_t cap, uint64_t sess_id, uint64_t version)
{
    snprintf(buf, cap, "%" PRIu64 " %" PRIu64, sess_id, version);
}

/* One unsigned decimal at *p (digits only), advancing *p past it. */
static int parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -EINVAL;
    *out = (uint64_t)v;
    *p = end;
    return 0;
}

int sc_coord__origin_parse(const char *v, uint64_t *sess_id, uint64_t *version)
{
    uint64_t id, ver;
    if (!v)
        return -ENOENT;
    if (parse_u64(&v, &id) || *v++ != ' ' || parse_u64(&v, &ver) || *v)
        return -EINVAL;
    *sess_id = id;
    *version = ver;
    return 0;
}

void sc_coord__dtmf_pt_format(char *buf, size_t cap, int pt)
{
    if (pt >= 96 && pt <= 127)
        snprintf(buf, cap, "%d", pt);
    else
        snprintf(buf, cap, "none");
}

int sc_coord__dtmf_pt_parse(const char *v, int fallback)
{
    if (!v)
        return fallback;
    if (!strcmp(v, "none"))
        return -1;
    uint64_t pt;
    if (parse_u64(&v, &pt) || *v || pt < 96 || pt > 127)
        return fallback;
    return (int)pt;
}
