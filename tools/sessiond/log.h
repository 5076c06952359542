/* log: sessiond's logger: one line per event to stderr, as text or JSON lines. */
#ifndef SESSIOND_LOG_H
#define SESSIOND_LOG_H

#include "session_core/base.h"

/* Fill logger with sessiond's stderr logger at max level; json selects JSON lines. */
void sd_logger_init(sc_logger *logger, sc_log_level max, bool json);

#endif
