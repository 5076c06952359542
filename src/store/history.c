/* history: the bounded per-session ring of transition records, each packed at its used size
 * (grown lazily from 4 records to the capacity), and its export as JSON and CSV with ISO-8601
 * UTC timestamps. */
#include "store/history_ring.h"
#include "store/snapshot_int.h"
#include "store/store_int.h"

#include "session_core/base.h"

#include <errno.h>
#include <stddef.h>
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

/* The ring's packed records (history_ring.h), as read here. */
#define NO_ROOM UINT32_MAX

static inline const uint8_t *hist_rec(const sc_hist *h, size_t i) { return hist_data(h) + h->off[hist_slot(h, i)]; }

/* A packed record's members, read from its bytes. */
#define REC_U8(p, member) ((p)[offsetof(sc_history_record, member)])
static inline unsigned rec_textlen(const uint8_t *p) { return p[HDR_COPY + 1]; }

static uint32_t rec_size(const uint8_t *p)
{
    return packed_size(REC_U8(p, nguards), REC_U8(p, nactions), rec_textlen(p));
}

static void unpack(const uint8_t *p, sc_history_record *r)
{
    memset(r, 0, sizeof *r);
    memcpy(r, p, HDR_COPY);
    r->outcome = (sc_outcome)p[HDR_COPY];
    unsigned ng = r->nguards, na = r->nactions;
    const hist_guard *g = (const hist_guard *)(p + HDR_SIZE);
    for (unsigned i = 0; i < ng; i++) {
        r->guards[i].id = g[i].id;
        r->guards[i].negate = g[i].flags & GUARD_NEGATE;
        r->guards[i].passed = g[i].flags & GUARD_PASSED;
        r->guards[i].cached = g[i].flags & GUARD_CACHED;
    }
    const hist_action *a = (const hist_action *)(const void *)(p + actions_at(ng));
    for (unsigned i = 0; i < na; i++) {
        r->actions[i].id = a[i].id;
        r->actions[i].result = a[i].result;
        r->actions[i].duration_us = a[i].duration_us;
    }
    memcpy(r->event_text, a + na, rec_textlen(p));
}

/* ---- The ring ----------------------------------------------------------------------------- */

#define FIRST_SLOTS 4 /* an answered call holds 4 records (IncomingCall, AcceptCall, DialogACK, CheckConditions) */
#define FIRST_BYTES \
    304 /* the 4 records of an answered call on the default table: ~270 bytes, 295 with a 47-byte text */

size_t sc_session_history_count(const sc_session *s) { return s->hist ? s->hist->count : 0; }
uint64_t sc_session_history_dropped(const sc_session *s) { return s->dropped; }
uint64_t sc_session_history_next_seq(const sc_session *s) { return s->next_seq; }

size_t sc_store__history_bytes(const sc_session *s)
{
    const sc_hist *h = s->hist;
    return h ? sizeof *h + (size_t)h->nslots * sizeof h->off[0] + h->size : 0;
}

int sc_session_history_get(const sc_session *s, size_t i, sc_history_record *out)
{
    if (!s || !out)
        return -EINVAL;
    if (i >= sc_session_history_count(s))
        return -ENOENT;
    unpack(hist_rec(s->hist, i), out);
    return 0;
}

void sc_store__history_set_states(sc_session *s, size_t i, sc_id from, sc_id to, uint32_t transition)
{
    uint8_t *p = (uint8_t *)hist_rec(s->hist, i);
    memcpy(p + offsetof(sc_history_record, from), &from, sizeof from);
    memcpy(p + offsetof(sc_history_record, to), &to, sizeof to);
    memcpy(p + offsetof(sc_history_record, transition), &transition, sizeof transition);
}

/* Where n bytes go in a buffer of size bytes holding count records in [lo, hi) (wrapped when
 * hi <= lo), or NO_ROOM. */
static inline uint32_t room(uint32_t size, uint32_t count, uint32_t lo, uint32_t hi, uint32_t n)
{
    if (!count)
        return n <= size ? 0 : NO_ROOM;
    if (hi > lo) /* not wrapped: free at the end, then before the oldest */
        return hi + n <= size ? hi : n <= lo ? 0 : NO_ROOM;
    return hi + n <= lo ? hi : NO_ROOM; /* wrapped: free between newest and oldest */
}

/* A new block of nslots slots and size bytes holding the records of s's ring but the skip
 * oldest, packed from offset 0 (none yet: an empty one). -ENOMEM: nothing changed. */
static int hist_rebuild(sc_session *s, uint32_t nslots, uint32_t size, uint32_t skip)
{
    sc_hist *n = malloc(sizeof *n + (size_t)nslots * sizeof n->off[0] + size);
    if (!n)
        return -ENOMEM;
    n->nslots = nslots;
    n->size = size;
    n->first = n->lo = n->hi = n->count = 0;
    const sc_hist *h = s->hist;
    for (uint32_t i = skip; h && i < h->count; i++) {
        const uint8_t *p = hist_rec(h, i);
        uint32_t len = rec_size(p);
        memcpy(hist_data(n) + n->hi, p, len);
        n->off[n->count++] = n->hi;
        n->hi += len;
    }
    free(s->hist);
    s->hist = n;
    return 0;
}

/* The bytes held by the records of h but the skip oldest. */
static uint32_t hist_live(const sc_hist *h, uint32_t skip)
{
    uint32_t sum = 0;
    for (uint32_t i = skip; i < h->count; i++)
        sum += rec_size(hist_rec(h, i));
    return sum;
}

/* Grow (or first make) s's ring so that a record of n bytes fits: more slots while it holds
 * fewer than the capacity, more bytes when they are short; a full ring leaves its oldest
 * record out (the caller counts it). 0 or -ENOMEM (nothing changed). */
static int hist_grow(sc_session *s, uint32_t n, bool full)
{
    const sc_hist *h = s->hist;
    uint32_t cap = (uint32_t)s->store->history_capacity;
    if (!h)
        return hist_rebuild(s, cap < FIRST_SLOTS ? cap : FIRST_SLOTS, n > FIRST_BYTES ? n : FIRST_BYTES, 0);
    uint32_t nslots = h->nslots;
    if (!full && h->count == nslots)
        nslots = nslots * 2 < cap ? nslots * 2 : cap;
    uint32_t need = hist_live(h, full) + n;
    uint32_t size = h->size;
    if (need > size || nslots == h->nslots) { /* bytes short (or too scattered to take n) */
        size += size / 2;
        if (size < need + need / 4)
            size = need + need / 4;
    }
    return hist_rebuild(s, nslots, (size + 7) & ~7u, full);
}

/* Pack r with seq as the newest record, whatever the ring's state: made, grown (slots or
 * bytes), or its oldest record dropped. 0 or -ENOMEM (nothing changed). */
int sc_store__hist_put_any(sc_session *s, const sc_history_record *r, uint64_t seq)
{
    unsigned ng, na, tl;
    uint32_t n = packed_of(r, &ng, &na, &tl);
    sc_hist *h = s->hist;
    bool full = false;
    if (h && h->count == h->nslots && h->nslots >= s->store->history_capacity) {
        full = true; /* the oldest makes room, if the bytes it frees are enough */
        uint32_t first = h->first + 1 == h->nslots ? 0 : h->first + 1, count = h->count - 1;
        uint32_t lo = count ? h->off[first] : 0, hi = count ? h->hi : 0;
        uint32_t at = room(h->size, count, lo, hi, n);
        if (at != NO_ROOM) {
            pack(hist_data(h) + at, r, seq, ng, na, tl);
            h->off[h->first] = at; /* the oldest's slot is the newest's now */
            h->first = first;
            h->lo = count ? lo : at;
            h->hi = at + n;
            s->dropped++;
            return 0;
        }
    } else if (h && h->count < h->nslots) {
        uint32_t at = room(h->size, h->count, h->lo, h->hi, n);
        if (at != NO_ROOM) {
            pack(hist_data(h) + at, r, seq, ng, na, tl);
            h->off[hist_slot(h, h->count)] = at;
            h->lo = h->count++ ? h->lo : at;
            h->hi = at + n;
            return 0;
        }
    }
    if (hist_grow(s, n, full)) /* the rebuild leaves out the oldest of a full ring */
        return -ENOMEM;
    h = s->hist;
    uint32_t at = h->hi;
    pack(hist_data(h) + at, r, seq, ng, na, tl);
    h->off[h->count++] = at;
    h->hi = at + n;
    s->dropped += full;
    return 0;
}

int sc_session_history_commit(sc_session *s, sc_history_record *r) { return sc_store__history_commit(s, r); }

int sc_store__history_put_raw(sc_session *s, const sc_history_record *r)
{
    return sc_store__hist_put_any(s, r, r->seq);
}

size_t sc_session_history_path(const sc_session *s, uint32_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < sc_session_history_count(s) && n < cap; i++) {
        const uint8_t *p = hist_rec(s->hist, i);
        uint32_t transition;
        memcpy(&transition, p + offsetof(sc_history_record, transition), sizeof transition);
        if (p[HDR_COPY] == SC_OUTCOME_TAKEN && transition != UINT32_MAX)
            out[n++] = transition;
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
    size_t n = sc_session_history_count(s);
    size_t start = (last && last < n) ? n - last : 0;
    for (size_t i = start; i < n; i++) {
        json_t *rec;
        sc_history_record r;
        if (sc_session_history_get(s, i, &r) != 0 || sc_history_record_to_json(s, &r, &rec) != 0 ||
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
    sc_history_record r;
    for (size_t i = 0; sc_session_history_get(s, i, &r) == 0; i++)
        csv_record(&b, s, &r);
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
    free(s->hist);
    s->hist = NULL;
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
