/* url: where the password of a store URL is (userinfo "user:PASSWORD@" or a "password=" query
 * keyword), so that it can be masked in /proc/PID/cmdline and left out of error messages. */
#include "session_core/base.h"

#include <stdio.h>
#include <string.h>

bool sc_url_password_span(const char *url, size_t *off, size_t *len)
{
    const char *scheme_end = url ? strstr(url, "://") : NULL;
    if (scheme_end) {
        const char *auth = scheme_end + 3;
        size_t auth_len = strcspn(auth, "/?#");
        const char *at = memchr(auth, '@', auth_len);
        const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon && at > colon + 1) {
            *off = (size_t)(colon + 1 - url);
            *len = (size_t)(at - colon - 1);
            return true;
        }
    }
    for (const char *q = url ? strchr(url, '?') : NULL; q; q = strchr(q + 1, '&')) {
        if (strncmp(q + 1, "password=", 9) == 0 && q[10] && q[10] != '&') {
            *off = (size_t)(q + 10 - url);
            *len = strcspn(q + 10, "&#");
            return true;
        }
    }
    return false;
}

void sc_url_redact(const char *url, char *out, size_t cap)
{
    size_t off, len;
    if (!cap)
        return;
    if (!url) {
        out[0] = '\0';
        return;
    }
    if (!sc_url_password_span(url, &off, &len)) {
        snprintf(out, cap, "%s", url);
        return;
    }
    snprintf(out, cap, "%.*s***%s", (int)off, url, url + off + len);
}
