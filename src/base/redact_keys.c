/* redact_keys: SRTP master keys (RFC 4568 "inline:KEY||SALT") masked in a text, so that an SDP
 * body, or a record holding keys, can be shown (inspection) without them. */
#include "session_core/base.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MARK "inline:"
#define MASK "***"

/* The key's characters after "inline:": base64 (and '|' lifetime/MKI fields are kept). */
static size_t key_span(const char *p)
{
    return strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
}

int sc_redact_keys(const char *text, char **out)
{
    *out = NULL;
    if (!text || !strstr(text, MARK))
        return 0;
    size_t len = strlen(text);
    /* each mark's key (>= 1 character) becomes "***": at most 2 more per mark */
    char *o = malloc(len + 1 + 2 * (len / (sizeof MARK - 1) + 1));
    if (!o)
        return -ENOMEM;
    size_t n = 0;
    for (const char *p = text; *p;) {
        const char *m = strstr(p, MARK);
        if (!m) {
            size_t rest = strlen(p);
            memcpy(o + n, p, rest);
            n += rest;
            break;
        }
        size_t pre = (size_t)(m - p) + sizeof MARK - 1;
        memcpy(o + n, p, pre);
        n += pre;
        p = m + sizeof MARK - 1;
        size_t k = key_span(p);
        if (k) {
            memcpy(o + n, MASK, sizeof MASK - 1);
            n += sizeof MASK - 1;
            p += k;
        }
    }
    o[n] = '\0';
    *out = o;
    return 0;
}
