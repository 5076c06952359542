/* base: error codes, the injectable clock and logger, and the export macro that every
 * other module of session-core builds on. */
#ifndef SESSION_CORE_BASE_H
#define SESSION_CORE_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(SC_BUILDING_LIBRARY)
#define SC_EXPORT __attribute__((visibility("default")))
#else
#define SC_EXPORT
#endif

/* Errors: functions return 0 on success or a negative errno (-EINVAL, -ENOMEM, -ENOENT,
 * -EAGAIN for backpressure, -ENOTSUP for a backend not built), or one of the project codes
 * below (all under -1000, so they never clash with errno). sc_strerror() names both. */
#define SC_ERRORS(X)                                                                   \
    X(SC_E_NOT_ACCEPTED, -1001, "event not accepted in the current state")             \
    X(SC_E_GUARDS_FAILED, -1002, "every transition's guards failed")                   \
    X(SC_E_ACTION_FAILED, -1003, "an action of the transition failed")                 \
    X(SC_E_PARSE, -1004, "parse error")                                                \
    X(SC_E_INVALID_TABLE, -1005, "invalid state table")                                \
    X(SC_E_UNBOUND, -1006, "the table uses a declared guard or action with no binding") \
    X(SC_E_OVERLOAD, -1007, "limit reached, try again later")                          \
    X(SC_E_TERMINATED, -1008, "the session has ended")                                 \
    X(SC_E_SIP, -1009, "SIP protocol error")

enum sc_error {
#define SC_ERROR_ENUM(name, value, text) name = value,
    SC_ERRORS(SC_ERROR_ENUM)
#undef SC_ERROR_ENUM
};

/* A static string for err (0, a negative errno or an SC_E_* code); never NULL. */
SC_EXPORT const char *sc_strerror(int err);

/* The clock. Everything that reads time takes a const sc_clock *, so that tests inject a
 * manual clock and run hours of timers in no time. Times are microseconds. */
typedef struct sc_clock {
    uint64_t (*mono_us)(void *ud); /* monotonic time */
    int64_t (*wall_us)(void *ud);  /* wall-clock time since the Unix epoch */
    void *ud;                      /* passed to both */
} sc_clock;

/* The process clock (CLOCK_MONOTONIC, CLOCK_REALTIME); a static object, never freed. */
SC_EXPORT const sc_clock *sc_clock_system(void);

/* A manual clock for tests: time moves only when sc_manual_clock_advance() says so. */
typedef struct sc_manual_clock sc_manual_clock;
SC_EXPORT int sc_manual_clock_new(sc_manual_clock **out, uint64_t mono_start_us, int64_t wall_start_us);
SC_EXPORT void sc_manual_clock_free(sc_manual_clock *clk);
SC_EXPORT const sc_clock *sc_manual_clock_get(sc_manual_clock *clk); /* borrowed, lives with clk */
SC_EXPORT void sc_manual_clock_advance(sc_manual_clock *clk, uint64_t us);

static inline uint64_t sc_clock_mono_us(const sc_clock *c) { return c->mono_us(c->ud); }
static inline int64_t sc_clock_wall_us(const sc_clock *c) { return c->wall_us(c->ud); }

/* Logging: library code never prints; it hands lines to the logger the application gave. */
typedef enum sc_log_level {
    SC_LOG_ERROR = 0,
    SC_LOG_WARN = 1,
    SC_LOG_INFO = 2,
    SC_LOG_DEBUG = 3,
} sc_log_level;

typedef struct sc_logger {
    void (*log)(void *ud, sc_log_level level, const char *module, const char *msg);
    void *ud;
    sc_log_level max_level; /* lines above this level are not even formatted */
} sc_logger;

/* Format and send a line to logger (NULL logger: nothing happens). */
SC_EXPORT void sc_log(const sc_logger *logger, sc_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
SC_EXPORT const char *sc_log_level_name(sc_log_level level);

#endif
