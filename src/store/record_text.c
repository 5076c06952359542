/* record_text: writes a session's snapshot and event records as compact JSON text into a
 * reusable buffer (no json_t, no per-key allocation), for the persistence recorder. */
#include "session_core/store.h"

#include "store/store_int.h"

#include <string.h>

/* sc_buf_put with its common case inline: room left (a literal's copy is then a few moves). */
static inline void put(sc_buf *b, const char *s, size_t n)
{
    if (__builtin_expect(!b->err && b->len + n < b->cap, 1)) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
        return;
    }
    sc_buf_put(b, s, n);
}

#define PUTS(b, lit) put((b), ("" lit), sizeof("" lit) - 1) /* string literals only */

static void put_i64(sc_buf *b, int64_t v)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *q = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--q = '-';
    put(b, q, (size_t)(e - q));
}

/* A JSON string (sc_json_quote: escaped as jansson does, bytes that are not UTF-8 as
 * sc_text_escape maps them, losslessly; jansson would refuse them on both ends). */
static void put_str(sc_buf *b, const char *str)
{
    size_t len = strlen(str);
    if (!sc_buf_reserve(b, SC_JSON_QUOTED_MAX(len)))
        return;
    b->len += sc_json_quote(b->p + b->len, b->cap - b->len, str, len);
    b->p[b->len] = '\0';
}

static void put_str_or_null(sc_buf *b, const char *s)
{
    if (s)
        put_str(b, s);
    else
        PUTS(b, "null");
}

/* ,"key": (keys are literals without anything to escape): one put */
#define KEY(b, lit) PUTS((b), ",\"" lit "\":")

/* "2026-11-27T12:00:00.123456Z" */
static void put_time(sc_buf *b, int64_t wall_us)
{
    char tbuf[SC_TIME_ISO8601_MAX];
    sc_time_format_iso8601(tbuf, sizeof tbuf, wall_us, 6);
    put_str(b, tbuf);
}

static void put_bool(sc_buf *b, bool v)
{
    if (v)
        PUTS(b, "true");
    else
        PUTS(b, "false");
}

/* {"name":value,...} of the fields in mask (unset ones: null when nulls, else skipped). */
static void put_fields(sc_buf *b, const sc_session *s, uint32_t mask, bool nulls)
{
    bool first = true;
    PUTS(b, "{");
    for (int f = 0; f < SC_FIELD__COUNT; f++) {
        if (!(mask & ((uint32_t)1 << f)) || (!s->fields[f] && !nulls))
            continue;
        if (!first)
            PUTS(b, ",");
        first = false;
        put_str(b, sc_field_name((sc_field)f));
        PUTS(b, ":");
        put_str_or_null(b, s->fields[f]);
    }
    PUTS(b, "}");
}

/* The members of sc_history_record_to_json, without the braces, starting with "seq". */
static void put_history_members(sc_buf *b, const sc_session *s, const sc_history_record *r)
{
    char n1[16];
    PUTS(b, "\"seq\":");
    put_i64(b, (int64_t)r->seq);
    KEY(b, "time");
    put_time(b, r->wall_us);
    KEY(b, "mono_us");
    put_i64(b, (int64_t)r->mono_us);
    KEY(b, "from");
    put_str(b, sc_store__state_name(s, r->from, n1, sizeof n1));
    KEY(b, "event");
    put_str(b, sc_store__vocab_name(s, SC_VOCAB_EVENT, r->event, n1, sizeof n1));
    KEY(b, "event_code");
    put_i64(b, r->event_code);
    KEY(b, "event_text");
    put_str_or_null(b, r->event_text[0] ? r->event_text : NULL);
    KEY(b, "transition");
    if (r->transition == UINT32_MAX)
        PUTS(b, "null");
    else
        put_i64(b, r->transition);
    KEY(b, "guards");
    PUTS(b, "[");
    for (unsigned i = 0; i < r->nguards; i++) {
        const sc_history_guard *g = &r->guards[i];
        if (i)
            PUTS(b, ",");
        PUTS(b, "{\"name\":");
        put_str(b, sc_store__vocab_name(s, SC_VOCAB_GUARD, g->id, n1, sizeof n1));
        KEY(b, "negate");
        put_bool(b, g->negate);
        KEY(b, "passed");
        put_bool(b, g->passed);
        if (g->cached) { /* only when set, as the history's JSON shows it */
            KEY(b, "cached");
            put_bool(b, true);
        }
        PUTS(b, "}");
    }
    PUTS(b, "]");
    KEY(b, "actions");
    PUTS(b, "[");
    for (unsigned i = 0; i < r->nactions; i++) {
        const sc_history_action *a = &r->actions[i];
        if (i)
            PUTS(b, ",");
        PUTS(b, "{\"name\":");
        put_str(b, sc_store__vocab_name(s, SC_VOCAB_ACTION, a->id, n1, sizeof n1));
        KEY(b, "result");
        put_i64(b, a->result);
        KEY(b, "duration_us");
        put_i64(b, a->duration_us);
        PUTS(b, "}");
    }
    PUTS(b, "]");
    KEY(b, "to");
    put_str(b, sc_store__state_name(s, r->to, n1, sizeof n1));
    KEY(b, "outcome");
    put_str(b, sc_outcome_name(r->outcome));
}

static int done(const sc_buf *b) { return b->err; }

int sc_session_snapshot_text(const sc_session *s, const char *node, sc_buf *b)
{
    sc_buf_reset(b);
    const sc_vocab *v = sc_table_vocab(s->table);
    PUTS(b, "{\"v\":1");
    KEY(b, "id");
    put_str(b, s->id);
    KEY(b, "role");
    put_str(b, sc_role_name(s->role));
    KEY(b, "state");
    put_str(b, sc_session_state_name(s));
    KEY(b, "table_hash");
    put_str_or_null(b, sc_table_hash(s->table));
    KEY(b, "conditions");
    PUTS(b, "{");
    size_t n = sc_vocab_count(v, SC_VOCAB_CONDITION);
    for (size_t i = 0; i < n && i < 64; i++) {
        if (i)
            PUTS(b, ",");
        put_str(b, sc_vocab_name(v, SC_VOCAB_CONDITION, (sc_id)i));
        PUTS(b, ":");
        put_bool(b, sc_session_condition(s, (sc_id)i));
    }
    PUTS(b, "}");
    KEY(b, "established_fired");
    put_bool(b, s->established_fired);
    KEY(b, "outcome");
    put_str_or_null(b, s->outcome);
    KEY(b, "fields");
    put_fields(b, s, UINT32_MAX, false);
    KEY(b, "created_us");
    put_i64(b, s->created_wall_us);
    KEY(b, "updated_us");
    put_i64(b, s->updated_wall_us);
    KEY(b, "state_entered_us");
    put_i64(b, s->entered_wall_us);
    KEY(b, "failed_transitions");
    put_i64(b, s->failed);
    KEY(b, "last_seq");
    put_i64(b, (int64_t)(s->next_seq - 1));
    if (sc_store__history_in_log(s)) {
        KEY(b, "history_in_log");
        put_bool(b, true);
    } else {
        KEY(b, "history");
        PUTS(b, "[");
        sc_history_record r;
        for (size_t i = 0; sc_session_history_get(s, i, &r) == 0; i++) {
            if (i)
                PUTS(b, ",");
            PUTS(b, "{");
            put_history_members(b, s, &r);
            PUTS(b, "}");
        }
        PUTS(b, "]");
    }
    if (s->nxstates) { /* states of earlier table versions the history names (rebase.c) */
        KEY(b, "foreign_states");
        PUTS(b, "[");
        for (size_t i = 0; i < s->nxstates; i++) {
            if (i)
                PUTS(b, ",");
            put_str(b, s->xstates[i]);
        }
        PUTS(b, "]");
    }
    if (node) {
        KEY(b, "node");
        put_str(b, node);
    }
    PUTS(b, "}");
    return done(b);
}

/* The keys every event record carries (event_record.c's add_common). */
static void put_common(sc_buf *b, const sc_session *s, const char *kind)
{
    KEY(b, "kind");
    put_str(b, kind);
    KEY(b, "session_id");
    put_str(b, s->id);
    KEY(b, "role");
    put_str(b, sc_role_name(s->role));
    KEY(b, "table_hash");
    put_str_or_null(b, sc_table_hash(s->table));
    KEY(b, "state_after");
    put_str(b, sc_session_state_name(s));
    KEY(b, "conditions_after");
    put_i64(b, (int64_t)s->conditions);
    KEY(b, "established_fired");
    put_bool(b, s->established_fired);
    KEY(b, "session_outcome");
    put_str_or_null(b, s->outcome);
    KEY(b, "failed_transitions");
    put_i64(b, s->failed);
    KEY(b, "updated_us");
    put_i64(b, s->updated_wall_us);
    KEY(b, "entered_us");
    put_i64(b, s->entered_wall_us);
}

int sc_session_created_text(const sc_session *s, sc_buf *b)
{
    sc_buf_reset(b);
    PUTS(b, "{\"seq\":0");
    KEY(b, "time");
    put_time(b, s->created_wall_us);
    put_common(b, s, "created");
    KEY(b, "created_us");
    put_i64(b, s->created_wall_us);
    KEY(b, "fields");
    put_fields(b, s, UINT32_MAX, false);
    PUTS(b, "}");
    return done(b);
}

int sc_session_event_text(const sc_session *s, const sc_history_record *rec, sc_buf *b)
{
    sc_buf_reset(b);
    PUTS(b, "{");
    put_history_members(b, s, rec);
    put_common(b, s, "transition");
    KEY(b, "fields");
    put_fields(b, s, s->dirty_fields, true);
    PUTS(b, "}");
    return done(b);
}
