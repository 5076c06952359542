/* config_bool: parses sessiond's boolean option values: yes|no, older spellings with a warning. */
#include "config_bool.h"

#include <stdio.h>
#include <string.h>

int sd_config_bool(const char *flag, const char *v, bool *out, char *err, size_t errsz)
{
    static const struct {
        const char *s;
        bool v;
    } other[] = {{"true", true}, {"false", false}, {"on", true}, {"off", false}, {"1", true}, {"0", false}};
    if (!v || !strcmp(v, "yes") || !strcmp(v, "no")) {
        *out = !v || v[0] == 'y';
        return 0;
    }
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (!strcmp(v, other[i].s)) {
            *out = other[i].v;
            fprintf(stderr, "sessiond: warning: --%s: '%s' is spelled %s (accepted)\n", flag, v,
                    other[i].v ? "yes" : "no");
            return 0;
        }
    snprintf(err, errsz, "--%s: expected yes or no, got '%s'", flag, v);
    return -1;
}

bool sd_config_is_switch(const char *name)
{
    static const char *const switches[] = {"metrics-public", "rtp-latch", "watch"};
    for (size_t i = 0; i < sizeof switches / sizeof switches[0]; i++)
        if (!strcmp(name, switches[i]))
            return true;
    return false;
}
