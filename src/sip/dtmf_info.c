/* dtmf_info: DTMF digits carried in SIP INFO bodies, parsed and built (pure functions):
 * application/dtmf-relay ("Signal=5\r\nDuration=160\r\n", the de facto format of Cisco and
 * most PBXs) and application/dtmf (the digit alone, RFC 2976 era). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "session_core/sip.h"

#define DEFAULT_MS 250u /* a dtmf-relay body without Duration */

/* The digit for a Signal value: one of 0-9 * # A-D (a-d), or an RFC 4733 event code 10-15. */
static char digit_of(const char *v, size_t n)
{
    if (n == 1) {
        char c = (char)toupper((unsigned char)v[0]);
        if ((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D'))
            return c;
        return 0;
    }
    if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
        return "*#ABCD"[v[1] - '0'];
    return 0;
}

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* One "Key=Value" line of a dtmf-relay body. */
static int relay_line(const char *p, size_t n, char *digit, unsigned *ms)
{
    const char *eq = memchr(p, '=', n);
    if (!eq)
        return 0; /* not a key=value line: ignored */
    const char *k = p, *v = eq + 1;
    size_t kn = (size_t)(eq - p), vn = n - kn - 1;
    trim(&k, &kn);
    trim(&v, &vn);
    if (kn == 6 && !strncasecmp(k, "Signal", 6)) {
        if (!(*digit = digit_of(v, vn)))
            return -EINVAL;
    } else if (kn == 8 && !strncasecmp(k, "Duration", 8)) {
        unsigned long d = 0;
        if (!vn || vn > 6)
            return -EINVAL;
        for (size_t i = 0; i < vn; i++) {
            if (!isdigit((unsigned char)v[i]))
                return -EINVAL;
            d = d * 10 + (unsigned long)(v[i] - '0');
        }
        *ms = (unsigned)d;
    }
    return 0;
}

int sc_sip_dtmf_info_parse(const char *content_type, const char *body, size_t len, char *digit, unsigned *duration_ms)
{
    if (!content_type || !digit || !duration_ms)
        return -EINVAL;
    char ct[64];
    size_t cn = strcspn(content_type, ";");
    const char *c = content_type;
    trim(&c, &cn);
    if (cn >= sizeof ct)
        return -ENOTSUP;
    memcpy(ct, c, cn);
    ct[cn] = '\0';
    bool relay = !strcasecmp(ct, "application/dtmf-relay"), plain = !strcasecmp(ct, "application/dtmf");
    if (!relay && !plain)
        return -ENOTSUP;
    if (!body)
        return -EINVAL;
    *digit = 0;
    *duration_ms = DEFAULT_MS;
    if (plain) {
        const char *v = body;
        size_t n = len;
        trim(&v, &n);
        return (*digit = digit_of(v, n)) ? 0 : -EINVAL;
    }
    for (size_t i = 0; i < len;) {
        const char *eol = memchr(body + i, '\n', len - i);
        size_t n = eol ? (size_t)(eol - (body + i)) : len - i;
        int rc = relay_line(body + i, n, digit, duration_ms);
        if (rc)
            return rc;
        i += n + 1;
    }
    if (!*digit)
        return -EINVAL;
    if (*duration_ms < 40)
        *duration_ms = 40;
    if (*duration_ms > 8000)
        *duration_ms = 8000;
    return 0;
}

int sc_sip_dtmf_info_body(char digit, unsigned duration_ms, char *buf, size_t cap)
{
    char d = digit_of(&digit, 1);
    if (!d || !buf)
        return -EINVAL;
    int n = snprintf(buf, cap, "Signal=%c\r\nDuration=%u\r\n", d, duration_ms);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}
