/* log: formats a line and hands it to the application's logger; never prints itself. Warnings
 * and errors are rate-limited per call site (its format string): a flood of one kind of bad
 * input cannot flood the log; what was left out is counted on the site's next line. Keeps each
 * thread's log context (the session and call a line is about) for loggers with fields. */
#include "base/log_int.h"
#include "session_core/base.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define LOG_SITES 256 /* call sites tracked at once (a direct-mapped table; a clash re-starts a site) */

typedef struct log_site {
    const char *fmt;       /* the call site's format string (its identity) */
    uint64_t window_start; /* monotonic µs */
    unsigned lines;        /* lines let through in this window */
    unsigned long dropped; /* lines left out since the last one let through */
} log_site;

static log_site sites[LOG_SITES];
static pthread_mutex_t sites_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Whether a line of this site may go out now; *dropped: lines left out before it. */
static bool site_admit(const char *fmt, unsigned long *dropped)
{
    uint64_t now = mono_us();
    size_t i = (size_t)(sc_hash_mix64((uint64_t)(uintptr_t)fmt) % LOG_SITES);
    pthread_mutex_lock(&sites_lock);
    log_site *s = &sites[i];
    if (s->fmt != fmt) {
        *s = (log_site){.fmt = fmt, .window_start = now};
    } else if (now - s->window_start >= (uint64_t)SC_LOG_RATE_WINDOW_MS * 1000u) {
        s->window_start = now;
        s->lines = 0;
    }
    bool ok = s->lines < SC_LOG_RATE_BURST;
    if (ok) {
        s->lines++;
        *dropped = s->dropped;
        s->dropped = 0;
    } else {
        s->dropped++;
    }
    pthread_mutex_unlock(&sites_lock);
    return ok;
}

void sc_log(const sc_logger *logger, sc_log_level level, const char *module, const char *fmt, ...)
{
    if (!logger || !logger->log || level > logger->max_level)
        return;
    unsigned long dropped = 0;
    if (level <= SC_LOG_WARN && !logger->unlimited && !site_admit(fmt, &dropped))
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (dropped && n >= 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, " (%lu more like this left out)", dropped);
    logger->log(logger->ud, level, module, line);
}

const char *sc_log_level_name(sc_log_level level)
{
    switch (level) {
    case SC_LOG_ERROR: return "error";
    case SC_LOG_WARN: return "warn";
    case SC_LOG_INFO: return "info";
    case SC_LOG_DEBUG: return "debug";
    }
    return "unknown";
}

_Thread_local const sc_log_context *sc_log__ctx; /* the innermost context of this thread (log_int.h) */

void sc_log_context_push(sc_log_context *c) { sc_log__push(c); }

void sc_log_context_pop(const sc_log_context *c) { sc_log__pop(c); }

void sc_log_fields_get(sc_log_fields *out)
{
    *out = (sc_log_fields){0};
    sc_log_fields f;
    for (const sc_log_context *c = sc_log__ctx; c; c = c->outer) {
        f = (sc_log_fields){0};
        c->fill(c->obj, &f);
        if (!out->session_id)
            out->session_id = f.session_id;
        if (!out->call_id)
            out->call_id = f.call_id;
        if (!out->state)
            out->state = f.state;
        if (!out->event)
            out->event = f.event;
    }
}
