/* history: the bounded per-session ring of transition records (grown lazily 4 -> capacity),
 * and its export as JSON and CSV with ISO-8601 UTC timestamps. */
#include "store/snapshot_int.h"
#include "store/store_int.h"

#include "session_core/base.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING_FIRST 4 /* an answered call holds 4 records (IncomingCall, AcceptCall, DialogACK, CheckConditions) */

const char *sc_outcome_name(sc_outcome o)
{
    switch (o) {
    case SC_OUTCOME_TAKEN: return "taken";
    case SC_OUTCOME_NOT_ACCEPTED: return "not_accepted";
    case SC_OUTCOME_GUARDS_FAILED: return "guards_failed";
    case SC_OUTCOME_ACTION_FAILED: return "action_failed";
    }
    return "unknown";
}

size_t sc_session_history_count(const sc_session *s) { return s->ring_count; }
uint64_t sc_session_history_dropped(const sc_session *s) { return s->dropped; }
uint64_t sc_session_history_next_seq(const sc_session *s) { return s->next_seq; }

const sc_history_record *sc_session_history_get(const sc_session *s, size_t i)
{
    if (i >= s->ring_count)
        return NULL;
    return &s->ring[(s->ring_head + i) % s->ring_cap];
}

/* Grow the ring to ncap records, oldest first at index 0. */
static int ring_grow(sc_session *s, uint32_t ncap)
{
    sc_history_record *n = malloc((size_t)ncap * sizeof *n);
    if (!n)
        return -ENOMEM;
    for (uint32_t i = 0; i < s->ring_count; i++)
        n[i] = s->ring[(s->ring_head + i) % s->ring_cap];
    free(s->ring);
    s->ring = n;
    s->ring_cap = ncap;
    s->ring_head = 0;
    return 0;
}

sc_history_record *sc_session_history_append(sc_session *s)
{
    uint32_t cap = (uint32_t)s->store->history_capacity;
    if (s->ring_count == s->ring_cap && s->ring_cap < cap) {
        uint32_t ncap = s->ring_cap ? s->ring_cap * 2 : RING_FIRST;
        if (ncap > cap)
            ncap = cap;
        if (ring_grow(s, ncap) != 0 && !s->ring_cap) {
            s->dropped++;
            s->next_seq++;
            return NULL;
        }
    }
    sc_history_record *r;
    if (s->ring_count < s->ring_cap) {
        r = &s->ring[(s->ring_head + s->ring_count) % s->ring_cap];
        s->ring_count++;
    } else { /* full: overwrite the oldest */
        r = &s->ring[s->ring_head];
        s->ring_head = (s->ring_head + 1) % s->ring_cap;
        s->dropped++;
    }
    memset(r, 0, offsetof(sc_history_record, guards));
    r->seq = s->next_seq++;
    r->transition = UINT32_MAX;
    return r;
}

size_t sc_session_history_path(const sc_session *s, uint32_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < s->ring_count && n < cap; i++) {
        const sc_history_record *r = sc_session_history_get(s, i);
        if (r->outcome == SC_OUTCOME_TAKEN && r->transition != UINT32_MAX)
            out[n++] = r->transition;
    }
    return n;
}

char *sc_time_format_iso(int64_t wall_us, char *buf, size_t size)
{
    sc_time_format_iso8601(buf, size, wall_us, 6);
    return buf;
}

/* Name of a vocabulary id, or "#<id>" in tmp when unknown. */
const char *sc_store__vocab_name(const sc_session *s, sc_vocab_kind kind, sc_id id, char *tmp, size_t n)
{
    const char *name = sc_vocab_name(sc_table_vocab(s->table), kind, id);
    if (name)
        return name;
    snprintf(tmp, n, "#%u", (unsigned)id);
    return tmp;
}

/* Name of a state of the session's table (or a foreign state, rebase.c), or "#<id>" in tmp
 * when unknown. */
const char *sc_store__state_name(const sc_session *s, sc_id id, char *tmp, size_t n)
{
    const sc_state_info *si = sc_table_state(s->table, id);
    if (si)
        return si->name;
    const char *foreign = sc_store__xstate_name(s, id); /* a state of an earlier version */
    if (foreign)
        return foreign;
    snprintf(tmp, n, "#%u", (unsigned)id);
    return tmp;
}

int sc_history_record_to_json(const sc_session *s, const sc_history_record *r, json_t **out)
{
    char tbuf[40], n1[16];
    json_t *o = json_object();
    json_t *guards = json_array();
    json_t *actions = json_array();
    if (!o || !guards || !actions)
        goto fail;
    json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
    json_object_set_new(o, "time", json_string(sc_time_format_iso(r->wall_us, tbuf, sizeof tbuf)));
    json_object_set_new(o, "mono_us", json_integer((json_int_t)r->mono_us));
    json_object_set_new(o, "from", json_string(sc_store__state_name(s, r->from, n1, sizeof n1)));
    json_object_set_new(o, "event", json_string(sc_store__vocab_name(s, SC_VOCAB_EVENT, r->event, n1, sizeof n1)));
    json_object_set_new(o, "event_code", json_integer(r->event_code));
    json_object_set_new(o, "event_text", r->event_text[0] ? sc_store__json_text(r->event_text) : json_null());
    json_object_set_new(o, "transition", r->transition == UINT32_MAX ? json_null() : json_integer(r->transition));
    for (unsigned i = 0; i < r->nguards; i++) {
        const sc_history_guard *g = &r->guards[i];
        json_t *gj = json_pack("{s:s,s:b,s:b}", "name", sc_store__vocab_name(s, SC_VOCAB_GUARD, g->id, n1, sizeof n1),
                               "negate", g->negate, "passed", g->passed);
        if (gj && g->cached)
            json_object_set_new(gj, "cached", json_true());
        json_array_append_new(guards, gj);
    }
    for (unsigned i = 0; i < r->nactions; i++) {
        const sc_history_action *a = &r->actions[i];
        json_array_append_new(actions, json_pack("{s:s,s:i,s:I}", "name",
                                                 sc_store__vocab_name(s, SC_VOCAB_ACTION, a->id, n1, sizeof n1),
                                                 "result", (int)a->result, "duration_us", (json_int_t)a->duration_us));
    }
    json_object_set_new(o, "guards", guards);
    json_object_set_new(o, "actions", actions);
    json_object_set_new(o, "to", json_string(sc_store__state_name(s, r->to, n1, sizeof n1)));
    json_object_set_new(o, "outcome", json_string(sc_outcome_name(r->outcome)));
    *out = o;
    return 0;
fail:
    json_decref(o);
    json_decref(guards);
    json_decref(actions);
    return -ENOMEM;
}

int sc_session_history_json(const sc_session *s, size_t last, json_t **out)
{
    json_t *arr = json_array();
    if (!arr)
        return -ENOMEM;
    size_t n = s->ring_count;
    size_t start = (last && last < n) ? n - last : 0;
    for (size_t i = start; i < n; i++) {
        json_t *rec;
        if (sc_history_record_to_json(s, sc_session_history_get(s, i), &rec) != 0 ||
            json_array_append_new(arr, rec) != 0) {
            json_decref(arr);
            return -ENOMEM;
        }
    }
    *out = arr;
    return 0;
}

/* A CSV field, quoted (RFC 4180) when it contains a comma, quote, CR or LF. */
static void csv_field(sc_buf *b, const char *str)
{
    if (!strpbrk(str, ",\"\r\n")) {
        sc_buf_puts(b, str);
        return;
    }
    sc_buf_put(b, "\"", 1);
    for (const char *p = str; *p; p++) {
        if (*p == '"')
            sc_buf_put(b, "\"", 1);
        sc_buf_put(b, p, 1);
    }
    sc_buf_put(b, "\"", 1);
}

/* The text in f as a CSV field of b, then f emptied (an allocation failure in f is b's). */
static void csv_flush(sc_buf *b, sc_buf *f)
{
    csv_field(b, f->p ? f->p : "");
    if (f->err && !b->err)
        b->err = f->err;
    sc_buf_reset(f);
}

static void csv_record(sc_buf *b, const sc_session *s, const sc_history_record *r)
{
    char n1[16], tbuf[SC_TIME_ISO8601_MAX];
    sc_time_format_iso8601(tbuf, sizeof tbuf, r->wall_us, 6);
    sc_buf_printf(b, "%" PRIu64 ",%s,%" PRIu64 ",", r->seq, tbuf, r->mono_us);
    csv_field(b, sc_store__state_name(s, r->from, n1, sizeof n1));
    sc_buf_puts(b, ",");
    csv_field(b, sc_store__vocab_name(s, SC_VOCAB_EVENT, r->event, n1, sizeof n1));
    sc_buf_printf(b, ",%d,", (int)r->event_code);
    csv_field(b, r->event_text);
    if (r->transition == UINT32_MAX)
        sc_buf_puts(b, ",,");
    else
        sc_buf_printf(b, ",%u,", (unsigned)r->transition);
    sc_buf f = {0};
    for (unsigned i = 0; i < r->nguards; i++) {
        const sc_history_guard *g = &r->guards[i];
        sc_buf_printf(&f, "%s%s%s=%d", i ? ";" : "", g->negate ? "!" : "",
                      sc_store__vocab_name(s, SC_VOCAB_GUARD, g->id, n1, sizeof n1), g->passed ? 1 : 0);
    }
    csv_flush(b, &f);
    sc_buf_puts(b, ",");
    for (unsigned i = 0; i < r->nactions; i++) {
        const sc_history_action *a = &r->actions[i];
        sc_buf_printf(&f, "%s%s:%d:%u", i ? ";" : "", sc_store__vocab_name(s, SC_VOCAB_ACTION, a->id, n1, sizeof n1),
                      (int)a->result, (unsigned)a->duration_us);
    }
    csv_flush(b, &f);
    sc_buf_free(&f);
    sc_buf_puts(b, ",");
    csv_field(b, sc_store__state_name(s, r->to, n1, sizeof n1));
    sc_buf_puts(b, ",");
    sc_buf_puts(b, sc_outcome_name(r->outcome));
    sc_buf_puts(b, "\n");
}

int sc_session_history_csv(const sc_session *s, char **out, size_t *len)
{
    sc_buf b = {0};
    sc_buf_puts(&b, "seq,time,mono_us,from,event,event_code,event_text,transition,guards,actions,"
                    "to,outcome\n");
    for (size_t i = 0; i < s->ring_count; i++)
        csv_record(&b, s, sc_session_history_get(s, i));
    if (b.err) {
        sc_buf_free(&b);
        return -ENOMEM;
    }
    *out = b.p;
    if (len)
        *len = b.len;
    return 0;
}

/* ---- Released rings (ended sessions whose history the store holds) ------------------------- */

void sc_session_history_release(sc_session *s)
{
    free(s->ring);
    s->ring = NULL;
    s->ring_cap = 0;
    s->ring_head = 0;
    s->ring_count = 0;
    s->history_released = true;
}

bool sc_session_history_released(const sc_session *s) { return s->history_released; }

static const char *jstr(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static void csv_json_record(sc_buf *b, const json_t *r)
{
    sc_buf_printf(b, "%" JSON_INTEGER_FORMAT ",%s,%" JSON_INTEGER_FORMAT ",",
                  json_integer_value(json_object_get(r, "seq")), jstr(r, "time"),
                  json_integer_value(json_object_get(r, "mono_us")));
    csv_field(b, jstr(r, "from"));
    sc_buf_puts(b, ",");
    csv_field(b, jstr(r, "event"));
    sc_buf_printf(b, ",%d,", (int)json_integer_value(json_object_get(r, "event_code")));
    csv_field(b, jstr(r, "event_text"));
    const json_t *t = json_object_get(r, "transition");
    if (json_is_integer(t))
        sc_buf_printf(b, ",%u,", (unsigned)json_integer_value(t));
    else
        sc_buf_puts(b, ",,");
    sc_buf f = {0};
    size_t i;
    const json_t *g, *a;
    json_array_foreach(json_object_get(r, "guards"), i, g)
        sc_buf_printf(&f, "%s%s%s=%d", i ? ";" : "", json_is_true(json_object_get(g, "negate")) ? "!" : "",
                      jstr(g, "name"), json_is_true(json_object_get(g, "passed")) ? 1 : 0);
    csv_flush(b, &f);
    sc_buf_puts(b, ",");
    json_array_foreach(json_object_get(r, "actions"), i, a)
        sc_buf_printf(&f, "%s%s:%d:%u", i ? ";" : "", jstr(a, "name"),
                      (int)json_integer_value(json_object_get(a, "result")),
                      (unsigned)json_integer_value(json_object_get(a, "duration_us")));
    csv_flush(b, &f);
    sc_buf_free(&f);
    sc_buf_puts(b, ",");
    csv_field(b, jstr(r, "to"));
    sc_buf_puts(b, ",");
    sc_buf_puts(b, jstr(r, "outcome"));
    sc_buf_puts(b, "\n");
}

int sc_history_json_to_csv(const json_t *records, char **out, size_t *len)
{
    if (!json_is_array(records) || !out)
        return -EINVAL;
    sc_buf b = {0};
    sc_buf_puts(&b, "seq,time,mono_us,from,event,event_code,event_text,transition,guards,actions,"
                    "to,outcome\n");
    size_t i;
    const json_t *r;
    json_array_foreach(records, i, r)
        csv_json_record(&b, r);
    if (b.err) {
        sc_buf_free(&b);
        return -ENOMEM;
    }
    *out = b.p;
    if (len)
        *len = b.len;
    return 0;
}
