/* config_transfer: setters of sessiond's call transfer options, each checked with a
 * one-line error naming the flag. */
#include "config_transfer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sd_set_accept_refer(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true")) {
        c->refuse_refer = false;
        return 0;
    }
    if (!strcmp(v, "no") || !strcmp(v, "false")) {
        c->refuse_refer = true;
        return 0;
    }
    snprintf(err, errsz, "--accept-refer: expected yes or no, got '%s'", v);
    return -1;
}

int sd_set_transfer_timeout(sd_config *c, const char *v, char *err, size_t errsz)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || errno || n < 100 || n > 3600000 || v[0] == '-') {
        snprintf(err, errsz, "--transfer-timeout-ms: expected 100..3600000, got '%s'", v);
        return -1;
    }
    c->transfer_timeout_ms = (uint32_t)n;
    return 0;
}
