/* log: formats sessiond's log lines (text or JSON lines, with an ISO time) onto stderr,
 * one write per line so lines from the HTTP thread and the loop never interleave. */
#include "log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void log_json(void *ud, sc_log_level level, const char *module, const char *msg)
{
    char ts[40], text[SC_TEXT_ESCAPED_MAX(1024)];
    iso_now(ts, sizeof ts);
    size_t len = strlen(msg); /* bytes from SIP (a Call-ID) need not be UTF-8: as lossless text */
    if (len < 1024 && !sc_text_is_plain(msg, len) && sc_text_escape(text, sizeof text, msg, len))
        msg = text;
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "time", ts, "level", sc_log_level_name(level), "module",
                          module ? module : "-", "msg", msg);
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

void sd_logger_init(sc_logger *logger, sc_log_level max, bool json)
{
    logger->log = json ? log_json : log_text;
    logger->ud = NULL;
    logger->max_level = max;
}
