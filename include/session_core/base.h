/* base: error codes, the injectable clock and logger, hashing, time as text, JSON string
 * escaping, a growable text buffer, monotonic condition-variable deadlines, and the export macro that every other module of session-core builds on. */
#ifndef SESSION_CORE_BASE_H
#define SESSION_CORE_BASE_H

#include <pthread.h>
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
#define SC_ERRORS(X)                                                                    \
    X(SC_E_NOT_ACCEPTED, -1001, "event not accepted in the current state")              \
    X(SC_E_GUARDS_FAILED, -1002, "every transition's guards failed")                    \
    X(SC_E_ACTION_FAILED, -1003, "an action of the transition failed")                  \
    X(SC_E_PARSE, -1004, "parse error")                                                 \
    X(SC_E_INVALID_TABLE, -1005, "invalid state table")                                 \
    X(SC_E_UNBOUND, -1006, "the table uses a declared guard or action with no binding") \
    X(SC_E_OVERLOAD, -1007, "limit reached, try again later")                           \
    X(SC_E_TERMINATED, -1008, "the session has ended")                                  \
    X(SC_E_SIP, -1009, "SIP protocol error")                                            \
    X(SC_E_NOT_REGISTERED, -1020, "the called user has no registered contact (480)")

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
    bool unlimited;         /* true: no rate limit on warnings and errors (tests, tools) */
} sc_logger;

/* Warnings and errors are rate-limited per call site: at most SC_LOG_RATE_BURST lines of one
 * format string per SC_LOG_RATE_WINDOW_MS; the next line let through says how many were left
 * out (" (N more like this left out)"). Info and debug lines are not limited. */
#define SC_LOG_RATE_BURST 20
#define SC_LOG_RATE_WINDOW_MS 10000

/* Format and send a line to logger (NULL logger: nothing happens). */
SC_EXPORT void sc_log(const sc_logger *logger, sc_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
SC_EXPORT const char *sc_log_level_name(sc_log_level level);

/* What a line is about, for loggers that keep fields (JSON lines, the journal): the session,
 * its SIP Call-ID, its state and the event being run. Each NULL when unknown. */
typedef struct sc_log_fields {
    const char *session_id;
    const char *call_id;
    const char *state;
    const char *event;
} sc_log_fields;

/* A thread's log context: who is working on what. The engine pushes one while it runs a
 * session's events, the SIP agent one while it handles a message; they nest (a SIP message
 * that makes the engine run an event), and fill is called only when a line is logged, so a
 * push costs two stores. fill sets the fields it knows and leaves the others alone. */
typedef struct sc_log_context {
    void (*fill)(const void *obj, sc_log_fields *out);
    const void *obj;
    const struct sc_log_context *outer; /* set by push */
} sc_log_context;

/* Makes c the thread's innermost context (c must stay valid until the matching pop). */
SC_EXPORT void sc_log_context_push(sc_log_context *c);
/* Back to the context that was innermost before c's push. */
SC_EXPORT void sc_log_context_pop(const sc_log_context *c);
/* The fields of the thread's contexts, innermost first: a field an inner context knows wins.
 * For loggers: call it from the logger's callback (the same thread as sc_log). */
SC_EXPORT void sc_log_fields_get(sc_log_fields *out);

/* Secrets in URLs (src/base/url.c): the password of "scheme://user:PASSWORD@host/..." or of a
 * "?password=PASSWORD" keyword. span: its offset and length in url (false: none). redact: url
 * with it replaced by "***", into out (truncated to cap). */
SC_EXPORT bool sc_url_password_span(const char *url, size_t *off, size_t *len);
SC_EXPORT void sc_url_redact(const char *url, char *out, size_t cap);
/* SRTP keys in a text (src/base/redact_keys.c): *out is a malloc'd copy of text with every
 * RFC 4568 "inline:KEY" key replaced by "***" (free() it), or NULL when text holds no key (show
 * text as it is). -ENOMEM: show nothing. */
SC_EXPORT int sc_redact_keys(const char *text, char **out);

/* Hashing: FNV-1a over len bytes. Table hashes (stored with each table version, shown by
 * /table) are sc_hash_fnv1a64 of the table's text, so these values never change. */
SC_EXPORT uint32_t sc_hash_fnv1a32(const void *data, size_t len);
SC_EXPORT uint64_t sc_hash_fnv1a64(const void *data, size_t len);
/* A 64-bit finaliser (MurmurHash3's fmix64): spreads every input bit over the low bits, for
 * hash tables that pick a bucket by masking. */
SC_EXPORT uint64_t sc_hash_mix64(uint64_t h);

/* Time as text: wall-clock microseconds since the epoch as ISO 8601 / RFC 3339 UTC,
 * "2026-11-27T12:00:00.123456Z", with digits (0-6) fractional digits (none: no '.'), the
 * fraction truncated. Times before the epoch count back (-1 is "1969-12-31T23:59:59.999999Z");
 * years past 9999 take more digits, years before 0 a '-'. Writes the text and a NUL and returns
 * its length; 0 (buf "" when cap > 0) if digits is out of range or cap is too small. */
#define SC_TIME_ISO8601_MAX 32 /* bytes that always suffice, NUL included */
SC_EXPORT size_t sc_time_format_iso8601(char *buf, size_t cap, int64_t wall_us, int digits);
/* The inverse, for years 0000-9999: "YYYY-MM-DDTHH:MM:SS", an optional fraction (digits past
 * the sixth are dropped), an optional 'Z' (UTC either way). 0 and *wall_us set, or -EINVAL for
 * any other text or an impossible date (2026-02-30) or time (*wall_us untouched). */
SC_EXPORT int sc_time_parse_iso8601(const char *text, int64_t *wall_us);

/* Bytes as text, losslessly (src/base/json_text.c): SIP gives bytes (a Call-ID, a tag, a
 * display name) that need not be UTF-8, while JSON, the API and the stores hold text. Each byte
 * that is not part of valid UTF-8 (RFC 3629), and each byte of a code point U+F780..U+F7FF in
 * the input, becomes the private-use code point U+F700 + byte (3 bytes of UTF-8); everything
 * else stays as it is, so valid text is unchanged. sc_text_unescape maps back exactly.
 * escape: writes a NUL-terminated text and returns its length; 0 (nothing written) when
 * cap < SC_TEXT_ESCAPED_MAX(len). unescape: out needs len + 1 bytes (0 otherwise). is_plain:
 * escaping would change nothing. */
#define SC_TEXT_ESCAPED_MAX(len) (3 * (size_t)(len) + 1)
SC_EXPORT size_t sc_text_escape(char *out, size_t cap, const char *s, size_t len);
SC_EXPORT size_t sc_text_unescape(char *out, size_t cap, const char *s, size_t len);
SC_EXPORT bool sc_text_is_plain(const char *s, size_t len);

/* JSON strings (RFC 8259), escaped as jansson escapes them: '"', '\\', \b \f \n \r \t by
 * name, other control characters as \u00XX (upper-case hex), DEL and valid UTF-8 as they
 * are, and bytes that are not text as sc_text_escape maps them (lossless). Writes the len
 * bytes at s (a NUL among them is escaped too) as a quoted literal, no NUL after it, and
 * returns its length; 0 when cap < SC_JSON_QUOTED_MAX(len) (nothing written). */
#define SC_JSON_QUOTED_MAX(len) (6 * (size_t)(len) + 2)
SC_EXPORT size_t sc_json_quote(char *out, size_t cap, const char *s, size_t len);

/* ---- A growable text buffer (src/base/buf.c): what the library's writers render into
 * (metrics exposition, recorder documents, history CSV, table graphs). ---------------------- */

/* Zero-initialise it, append, reuse it (sc_buf_reset), free it with sc_buf_free. */
typedef struct sc_buf {
    char *p;    /* the text, NUL-terminated once anything was added; owned */
    size_t len; /* bytes of text */
    size_t cap; /* bytes allocated */
    int err;    /* 0, or -ENOMEM once an allocation failed: the text is incomplete */
} sc_buf;

SC_EXPORT void sc_buf_reset(sc_buf *b); /* empty again, memory kept, err cleared */
SC_EXPORT void sc_buf_free(sc_buf *b);  /* frees the text and zeroes b */
/* Room for n more bytes and the NUL; false (and nothing appended from then on) once an
 * allocation failed. A writer may then fill b->p + b->len itself and add to b->len. */
SC_EXPORT bool sc_buf_reserve(sc_buf *b, size_t n);
SC_EXPORT void sc_buf_put(sc_buf *b, const char *s, size_t n);
SC_EXPORT void sc_buf_puts(sc_buf *b, const char *s);
SC_EXPORT void sc_buf_printf(sc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- Condition variables timed on CLOCK_MONOTONIC (src/base/cond.c): a wall-clock step never
 * stretches or cuts a wait. ------------------------------------------------------------------ */

struct timespec;
/* pthread_cond_init with CLOCK_MONOTONIC as the clock of pthread_cond_timedwait: 0 or its error. */
SC_EXPORT int sc_cond_init_monotonic(pthread_cond_t *cv);
/* The CLOCK_MONOTONIC time ms milliseconds from now, for pthread_cond_timedwait on such a cv. */
SC_EXPORT void sc_cond_deadline(struct timespec *ts, uint64_t ms);

/* ---- Unpredictable values (src/base/random.c): the OS CSPRNG (getrandom), buffered per
 * thread. For everything a peer sees: tags, Call-IDs, branches, nonces, SSRCs, keys. ------- */

SC_EXPORT void sc_random_bytes(void *out, size_t n);
SC_EXPORT uint64_t sc_random_u64(void);
/* nhex random lowercase hex digits and a NUL into out (nhex + 1 bytes). */
SC_EXPORT void sc_random_hex(char *out, size_t nhex);

#endif
