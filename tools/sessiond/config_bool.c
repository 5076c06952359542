/* config_bool: parses sessiond's boolean option values: yes|no, older spellings with a warning. */
#include "config_bool.h"

#include <stdio.h>
#include <string.h>

/* "--" before a flag's name, nothing before a config key path ("trunks: register"). */
static const char *dashes(const char *flag) { return strchr(flag, ' ') ? "" : "--"; }

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
            fprintf(stderr, "sessiond: warning: %s%s: '%s' is spelled %s (accepted)\n", dashes(flag), flag, v,
                    other[i].v ? "yes" : "no");
            return 0;
        }
    snprintf(err, errsz, "%s%s: expected yes or no, got '%s'", dashes(flag), flag, v);
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
