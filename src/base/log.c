/* log: formats a line and hands it to the application's logger; never prints itself. */
#include "session_core/base.h"

#include <stdarg.h>
#include <stdio.h>

void sc_log(const sc_logger *logger, sc_log_level level, const char *module, const char *fmt, ...)
{
    if (!logger || !logger->log || level > logger->max_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
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
