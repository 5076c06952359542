/* log_int: the thread's log context for the library's hot paths (the engine's dispatch pushes
 * one per event): sc_log_context_push and _pop inline, the same two stores without a call. */
#ifndef SC_BASE_LOG_INT_H
#define SC_BASE_LOG_INT_H

#include "session_core/base.h"

extern _Thread_local const sc_log_context *sc_log__ctx; /* the innermost context (log.c) */

static inline void sc_log__push(sc_log_context *c)
{
    c->outer = sc_log__ctx;
    sc_log__ctx = c;
}

static inline void sc_log__pop(const sc_log_context *c) { sc_log__ctx = c->outer; }

#endif
