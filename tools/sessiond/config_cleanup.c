/* config_cleanup: parsing of sessiond's cleanup and session-timer options. Intervals below
 * RFC 4028's 90 s minimum are refused unless SESSIOND_TEST_SHORT_TIMERS=1 is set in the
 * environment (a test-only switch, so wire tests run in seconds; it also makes the event log
 * pruned every second instead of every minute). */
#include "config_cleanup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RFC4028_MIN 90u
#define MAX_SE 86400u

static unsigned timer_floor(void)
{
    const char *t = getenv("SESSIOND_TEST_SHORT_TIMERS");
    return t && !strcmp(t, "1") ? 1u : RFC4028_MIN;
}

#define MS_MAX (366ull * 86400000ull)

int sd_set_max_session_age(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    if (sd_config_parse_u64(v, MS_MAX, &n))
        return sd_config_bad(err, errsz, "max-session-age-ms", "0..31622400000 (0 = no limit)", v);
    c->cleanup.max_age_ms = n;
    c->cleanup.max_age_set = true;
    return 0;
}

int sd_set_retention(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    if (sd_config_parse_u64(v, MS_MAX, &n))
        return sd_config_bad(err, errsz, "retention-ms", "0..31622400000 (0 = the table's max_ms only)", v);
    c->cleanup.retention_ms = n;
    c->cleanup.retention_set = true;
    return 0;
}

int sd_set_failed_retention(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    if (sd_config_parse_u64(v, MS_MAX, &n))
        return sd_config_bad(err, errsz, "failed-retention-ms", "0..31622400000 (0 = the table's max_ms only)", v);
    c->cleanup.failed_retention_ms = n;
    c->cleanup.failed_retention_set = true;
    return 0;
}

int sd_set_session_expires(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    unsigned lo = timer_floor();
    if (sd_config_parse_u64(v, MAX_SE, &n) || (n && n < lo))
        return sd_config_bad(err, errsz, "session-expires",
                             lo == 1 ? "0 or 1..86400 seconds" : "0 or 90..86400 seconds", v);
    c->cleanup.session_expires_s = (uint32_t)n;
    c->cleanup.session_expires_set = true;
    return 0;
}

int sd_set_min_se(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    unsigned lo = timer_floor();
    if (sd_config_parse_u64(v, MAX_SE, &n) || n < lo)
        return sd_config_bad(err, errsz, "min-se", lo == 1 ? "1..86400 seconds" : "90..86400 seconds", v);
    c->cleanup.min_se_s = (uint32_t)n;
    c->cleanup.min_se_set = true;
    return 0;
}

#define EVENT_LOG_RETENTION_DEFAULT (7ull * 86400000ull)

int sd_set_event_log_retention(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    if (sd_config_parse_u64(v, MS_MAX, &n))
        return sd_config_bad(err, errsz, "event-log-retention-ms", "0..31622400000 (0 = keep the event log forever)",
                             v);
    c->cleanup.event_log_retention_ms = n;
    c->cleanup.event_log_retention_set = true;
    return 0;
}

void sd_event_log_retention(const sd_config *c, uint64_t *retention_ms, unsigned *interval_ms)
{
    const struct sd_cleanup_opts *o = &c->cleanup;
    *retention_ms = o->event_log_retention_set ? o->event_log_retention_ms : EVENT_LOG_RETENTION_DEFAULT;
    *interval_ms = timer_floor() == 1 ? 1000u : 0u; /* 0: the library's 60 s */
}

void sd_cleanup_apply(const sd_config *c, sc_coord_config *api)
{
    const struct sd_cleanup_opts *o = &c->cleanup;
    if (o->max_age_set)
        api->max_session_age_ms = o->max_age_ms;
    if (o->retention_set)
        api->retention_ms = o->retention_ms;
    if (o->failed_retention_set)
        api->failed_retention_ms = o->failed_retention_ms;
    if (o->min_se_set)
        api->min_se_s = o->min_se_s;
    if (o->session_expires_set)
        api->session_expires_s = o->session_expires_s;
    if (api->session_expires_s && api->session_expires_s < api->min_se_s)
        api->session_expires_s = api->min_se_s; /* never ask below our own minimum */
}
