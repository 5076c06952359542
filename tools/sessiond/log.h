/* log: sessiond's logger: one line per event to stderr (text or JSON lines), to the systemd
 * journal (with fields) or to syslog. */
#ifndef SESSIOND_LOG_H
#define SESSIOND_LOG_H

#include "session_core/base.h"

typedef enum sd_log_target {
    SD_LOG_STDERR = 0,
    SD_LOG_JOURNALD = 1, /* sd_journal_send: MESSAGE, PRIORITY, and SESSION_ID, CALL_ID, STATE, EVENT when known */
    SD_LOG_SYSLOG = 2,   /* syslog(3), facility daemon, ident "sessiond" */
} sd_log_target;

/* Fill logger with sessiond's logger at max level: to target; on stderr, json selects JSON
 * lines (which carry session_id, call_id, state and event fields when the line has them). */
void sd_logger_init(sc_logger *logger, sc_log_level max, bool json, sd_log_target target);

#endif
