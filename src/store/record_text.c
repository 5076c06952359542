/* record_text: writes a session's snapshot and event records as compact JSON text into a
 * reusable buffer (no json_t, no per-key allocation), for the persistence recorder. */
#include "session_core/store.h"

#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sc_text_reset(sc_text *b)
{
    b->len = 0;
    b->oom = false;
    if (b->p)
        b->p[0] = '\0';
}

void sc_text_free(sc_text *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static bool grow(sc_text *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap : 1024;
    while (ncap < b->len + n + 1)
        ncap *= 2;
    char *np = realloc(b->p, ncap);
    if (!np) {
        b->oom = true;
        return false;
    }
    b->p = np;
    b->cap = ncap;
    return true;
}

__attribute__((noinline)) static void put(sc_text *b, const char *s, size_t n)
{
    if (!grow(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

#define PUTS(b, lit) put((b), ("" lit), sizeof("" lit) - 1) /* string literals only */

static void put_i64(sc_text *b, int64_t v)
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

/* Length of the valid UTF-8 sequence at s (0 if invalid). */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* A JSON string: escapes quotes, backslashes and control characters; invalid UTF-8 bytes
 * become U+FFFD (jansson refuses invalid UTF-8 on both ends). */
static void put_str(sc_text *b, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    PUTS(b, "\"");
    while (*s) {
        const unsigned char *run = s;
        while (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
            s++;
        put(b, (const char *)run, (size_t)(s - run));
        if (!*s)
            break;
        if (*s >= 0x80) {
            size_t n = utf8_len(s);
            if (n) {
                put(b, (const char *)s, n);
                s += n;
            } else {
                PUTS(b, "\\ufffd");
                s++;
            }
            continue;
        }
        char esc[6] = {'\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 15]};
        switch (*s) {
        case '"': PUTS(b, "\\\""); break;
        case '\\': PUTS(b, "\\\\"); break;
        case '\n': PUTS(b, "\\n"); break;
        case '\r': PUTS(b, "\\r"); break;
        case '\t': PUTS(b, "\\t"); break;
        default: put(b, esc, sizeof esc); break;
        }
        s++;
    }
    PUTS(b, "\"");
}

static void put_str_or_null(sc_text *b, const char *s)
{
    if (s)
        put_str(b, s);
    else
        PUTS(b, "null");
}

/* ,"key": (keys are literals without anything to escape) */
static void key(sc_text *b, const char *k)
{
    PUTS(b, ",\"");
    put(b, k, strlen(k));
    PUTS(b, "\":");
}

/* "2026-11-27T12:00:00.123456Z" as sc_time_format_iso writes it. */
static void put_time(sc_text *b, int64_t wall_us)
{
    char tbuf[40];
    sc_time_format_iso(wall_us, tbuf, sizeof tbuf);
    put_str(b, tbuf);
}

static void put_bool(sc_text *b, bool v)
{
    if (v)
        PUTS(b, "true");
    else
        PUTS(b, "false");
}

/* {"name":value,...} of the fields in mask (unset ones: null when nulls, else skipped). */
static void put_fields(sc_text *b, const sc_session *s, uint32_t mask, bool nulls)
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
static void put_history_members(sc_text *b, const sc_session *s, const sc_history_record *r)
{
    char n1[16];
    PUTS(b, "\"seq\":");
    put_i64(b, (int64_t)r->seq);
    key(b, "time");
    put_time(b, r->wall_us);
    key(b, "mono_us");
    put_i64(b, (int64_t)r->mono_us);
    key(b, "from");
    put_str(b, sc_store__state_name(s, r->from, n1, sizeof n1));
    key(b, "event");
    put_str(b, sc_store__vocab_name(s, SC_VOCAB_EVENT, r->event, n1, sizeof n1));
    key(b, "event_code");
    put_i64(b, r->event_code);
    key(b, "event_text");
    put_str_or_null(b, r->event_text[0] ? r->event_text : NULL);
    key(b, "transition");
    if (r->transition == UINT32_MAX)
        PUTS(b, "null");
    else
        put_i64(b, r->transition);
    key(b, "guards");
    PUTS(b, "[");
    for (unsigned i = 0; i < r->nguards; i++) {
        const sc_history_guard *g = &r->guards[i];
        if (i)
            PUTS(b, ",");
        PUTS(b, "{\"name\":");
        put_str(b, sc_store__vocab_name(s, SC_VOCAB_GUARD, g->id, n1, sizeof n1));
        key(b, "negate");
        put_bool(b, g->negate);
        key(b, "passed");
        put_bool(b, g->passed);
        PUTS(b, "}");
    }
    PUTS(b, "]");
    key(b, "actions");
    PUTS(b, "[");
    for (unsigned i = 0; i < r->nactions; i++) {
        const sc_history_action *a = &r->actions[i];
        if (i)
            PUTS(b, ",");
        PUTS(b, "{\"name\":");
        put_str(b, sc_store__vocab_name(s, SC_VOCAB_ACTION, a->id, n1, sizeof n1));
        key(b, "result");
        put_i64(b, a->result);
        key(b, "duration_us");
        put_i64(b, a->duration_us);
        PUTS(b, "}");
    }
    PUTS(b, "]");
    key(b, "to");
    put_str(b, sc_store__state_name(s, r->to, n1, sizeof n1));
    key(b, "outcome");
    put_str(b, sc_outcome_name(r->outcome));
}

static int done(sc_text *b) { return b->oom ? -ENOMEM : 0; }

int sc_session_snapshot_text(const sc_session *s, const char *node, sc_text *b)
{
    sc_text_reset(b);
    const sc_vocab *v = sc_table_vocab(s->table);
    PUTS(b, "{\"v\":1");
    key(b, "id");
    put_str(b, s->id);
    key(b, "role");
    put_str(b, sc_role_name(s->role));
    key(b, "state");
    put_str(b, sc_session_state_name(s));
    key(b, "table_hash");
    put_str_or_null(b, sc_table_hash(s->table));
    key(b, "conditions");
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
    key(b, "established_fired");
    put_bool(b, s->established_fired);
    key(b, "outcome");
    put_str_or_null(b, s->outcome);
    key(b, "fields");
    put_fields(b, s, UINT32_MAX, false);
    key(b, "created_us");
    put_i64(b, s->created_wall_us);
    key(b, "updated_us");
    put_i64(b, s->updated_wall_us);
    key(b, "state_entered_us");
    put_i64(b, s->entered_wall_us);
    key(b, "failed_transitions");
    put_i64(b, s->failed);
    key(b, "last_seq");
    put_i64(b, (int64_t)(s->next_seq - 1));
    key(b, "history");
    PUTS(b, "[");
    for (size_t i = 0; i < s->ring_count; i++) {
        if (i)
            PUTS(b, ",");
        PUTS(b, "{");
        put_history_members(b, s, sc_session_history_get(s, i));
        PUTS(b, "}");
    }
    PUTS(b, "]");
    if (s->nxstates) { /* states of earlier table versions the history names (rebase.c) */
        key(b, "foreign_states");
        PUTS(b, "[");
        for (size_t i = 0; i < s->nxstates; i++) {
            if (i)
                PUTS(b, ",");
            put_str(b, s->xstates[i]);
        }
        PUTS(b, "]");
    }
    if (node) {
        key(b, "node");
        put_str(b, node);
    }
    PUTS(b, "}");
    return done(b);
}

/* The keys every event record carries (event_record.c's add_common). */
static void put_common(sc_text *b, const sc_session *s, const char *kind)
{
    key(b, "kind");
    put_str(b, kind);
    key(b, "session_id");
    put_str(b, s->id);
    key(b, "role");
    put_str(b, sc_role_name(s->role));
    key(b, "table_hash");
    put_str_or_null(b, sc_table_hash(s->table));
    key(b, "state_after");
    put_str(b, sc_session_state_name(s));
    key(b, "conditions_after");
    put_i64(b, (int64_t)s->conditions);
    key(b, "established_fired");
    put_bool(b, s->established_fired);
    key(b, "session_outcome");
    put_str_or_null(b, s->outcome);
    key(b, "failed_transitions");
    put_i64(b, s->failed);
    key(b, "updated_us");
    put_i64(b, s->updated_wall_us);
    key(b, "entered_us");
    put_i64(b, s->entered_wall_us);
}

int sc_session_created_text(const sc_session *s, sc_text *b)
{
    sc_text_reset(b);
    PUTS(b, "{\"seq\":0");
    key(b, "time");
    put_time(b, s->created_wall_us);
    put_common(b, s, "created");
    key(b, "created_us");
    put_i64(b, s->created_wall_us);
    key(b, "fields");
    put_fields(b, s, UINT32_MAX, false);
    PUTS(b, "}");
    return done(b);
}

int sc_session_event_text(const sc_session *s, const sc_history_record *rec, sc_text *b)
{
    sc_text_reset(b);
    PUTS(b, "{");
    put_history_members(b, s, rec);
    put_common(b, s, "transition");
    key(b, "fields");
    put_fields(b, s, s->dirty_fields, true);
    PUTS(b, "}");
    return done(b);
}
