/* log: formats sessiond's log lines (text or JSON lines, with an ISO time) onto stderr,
 * one write per line so lines from the HTTP thread and the loop never interleave; or hands
 * them to the systemd journal (one entry with fields) or to syslog. */
#include "log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

static void iso_now(char *buf, size_t size)
{
    sc_time_format_iso8601(buf, size, sc_clock_wall_us(sc_clock_system()), 3);
}

static void write_line(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void log_text(void *ud, sc_log_level level, const char *module, const char *msg)
{
    char ts[40], line[1400];
    iso_now(ts, sizeof ts);
    int n = snprintf(line, sizeof line, "%s %-5s %s: %s\n", ts, sc_log_level_name(level), module ? module : "-", msg);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    write_line(line, (size_t)n);
}

/* The session, call, state and event the line is about (the thread's log context), as fields;
 * a Call-ID that is not UTF-8 as lossless text. */
static void add_fields(json_t *o)
{
    sc_log_fields f;
    sc_log_fields_get(&f);
    const char *names[4] = {"session_id", "call_id", "state", "event"};
    const char *vals[4] = {f.session_id, f.call_id, f.state, f.event};
    char text[SC_TEXT_ESCAPED_MAX(256)];
    for (int i = 0; o && i < 4; i++) {
        const char *v = vals[i];
        size_t len = v ? strlen(v) : 0;
        if (!v || !len)
            continue;
        if (!sc_text_is_plain(v, len)) {
            if (len >= 256 || !sc_text_escape(text, sizeof text, v, len))
                continue;
            v = text;
        }
        json_object_set_new(o, names[i], json_string(v));
    }
}

static void log_json(void *ud, sc_log_level level, const char *module, const char *msg)
{
    char ts[40], text[SC_TEXT_ESCAPED_MAX(1024)];
    iso_now(ts, sizeof ts);
    size_t len = strlen(msg); /* bytes from SIP (a Call-ID) need not be UTF-8: as lossless text */
    if (len < 1024 && !sc_text_is_plain(msg, len) && sc_text_escape(text, sizeof text, msg, len))
        msg = text;
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "time", ts, "level", sc_log_level_name(level), "module",
                          module ? module : "-", "msg", msg);
    add_fields(o);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (s) {
        size_t n = strlen(s);
        s[n] = '\n'; /* overwrite the NUL; write n + 1 bytes */
        write_line(s, n + 1);
        s[n] = '\0';
    }
    free(s);
    json_decref(o);
}

static int priority(sc_log_level level)
{
    switch (level) {
    case SC_LOG_ERROR: return LOG_ERR;
    case SC_LOG_WARN: return LOG_WARNING;
    case SC_LOG_INFO: return LOG_INFO;
    case SC_LOG_DEBUG: return LOG_DEBUG;
    }
    return LOG_INFO;
}

/* One journal field NAME=value in buf (truncated to cap), appended to iov. */
static void journal_field(struct iovec *iov, int *n, char *buf, size_t cap, const char *name, const char *val)
{
    int len = snprintf(buf, cap, "%s=%s", name, val);
    if (len < 0)
        return;
    iov[*n].iov_base = buf;
    iov[*n].iov_len = (size_t)len < cap ? (size_t)len : cap - 1;
    (*n)++;
}

/* One journal entry: the line, its priority and module, and the fields of its context. */
static void log_journal(void *ud, sc_log_level level, const char *module, const char *msg)
{
    (void)ud;
    sc_log_fields f;
    sc_log_fields_get(&f);
    char line[1100], pri[16], mod[64], sid[96], cid[300], st[96], ev[96];
    char prio[4];
    snprintf(prio, sizeof prio, "%d", priority(level));
    struct iovec iov[8];
    int n = 0;
    journal_field(iov, &n, line, sizeof line, "MESSAGE", msg);
    journal_field(iov, &n, pri, sizeof pri, "PRIORITY", prio);
    journal_field(iov, &n, mod, sizeof mod, "SESSIONCORE_MODULE", module ? module : "-");
    iov[n++] = (struct iovec){.iov_base = "SYSLOG_IDENTIFIER=sessiond", .iov_len = 26};
    if (f.session_id)
        journal_field(iov, &n, sid, sizeof sid, "SESSION_ID", f.session_id);
    if (f.call_id)
        journal_field(iov, &n, cid, sizeof cid, "CALL_ID", f.call_id);
    if (f.state)
        journal_field(iov, &n, st, sizeof st, "STATE", f.state);
    if (f.event)
        journal_field(iov, &n, ev, sizeof ev, "EVENT", f.event);
    sd_journal_sendv(iov, n);
}

static void log_syslog(void *ud, sc_log_level level, const char *module, const char *msg)
{
    (void)ud;
    syslog(priority(level), "%s: %s", module ? module : "-", msg);
}

void sd_logger_init(sc_logger *logger, sc_log_level max, bool json, sd_log_target target)
{
    logger->log = json ? log_json : log_text;
    if (target == SD_LOG_JOURNALD)
        logger->log = log_journal;
    if (target == SD_LOG_SYSLOG) {
        openlog("sessiond", LOG_PID | LOG_NDELAY, LOG_DAEMON);
        logger->log = log_syslog;
    }
    logger->ud = NULL;
    logger->max_level = max;
}
