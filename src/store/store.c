/* store: the session container: creation, lookup by id and by secondary keys, iteration and
 * removal that drops every index entry, attachment and table reference a session holds. */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define HISTORY_CAPACITY_MAX 65536

int sc_store_new(sc_store **out, const sc_store_config *cfg)
{
    if (!out)
        return -EINVAL;
    sc_store *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    st->clock = cfg && cfg->clock ? cfg->clock : sc_clock_system();
    st->logger = cfg ? cfg->logger : NULL;
    st->history_capacity = cfg && cfg->history_capacity ? cfg->history_capacity : SC_HISTORY_DEFAULT_CAPACITY;
    if (st->history_capacity > HISTORY_CAPACITY_MAX)
        st->history_capacity = HISTORY_CAPACITY_MAX;
    if (getrandom(&st->id_seed, sizeof st->id_seed, GRND_NONBLOCK) != (ssize_t)sizeof st->id_seed)
        st->id_seed = (uint64_t)sc_clock_wall_us(st->clock) ^ (uint64_t)(uintptr_t)st;
    *out = st;
    return 0;
}

void sc_store_free(sc_store *st)
{
    if (!st)
        return;
    while (st->head)
        sc_store_remove(st, st->head);
    sc_map__free(&st->by_id);
    for (int k = 0; k < SC_KEY_KIND_COUNT; k++)
        sc_map__free(&st->index[k]);
    sc_store__order_free(st);
    sc_store__slab_free_all(st);
    free(st);
}

const sc_clock *sc_store_clock(const sc_store *st) { return st->clock; }

int sc_store_set_history_capacity(sc_store *st, size_t capacity)
{
    if (capacity > HISTORY_CAPACITY_MAX)
        return -EINVAL;
    st->history_capacity = capacity ? capacity : SC_HISTORY_DEFAULT_CAPACITY;
    return 0;
}

size_t sc_store_history_capacity(const sc_store *st) { return st->history_capacity; }

static bool id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > SC_SESSION_ID_MAX)
        return false;
    for (const char *p = id; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("._~:@+-", c) != NULL;
        if (!ok)
            return false;
    }
    return true;
}

/* Generated ids rise within a store: 20 bits chosen at random per store, then a 44-bit counter
 * from a random start below 2^43. One store's ids never repeat (the counter); two stores' (other
 * nodes, earlier runs) meet only with the same 20 bits and overlapping counter runs, and an id
 * in use is skipped (sc_store_create). Rising ids are what a B-tree store wants: a new session's
 * snapshot and events go into the last leaves of the id indexes, not into a random leaf each,
 * so a commit writes a few pages instead of one per session in it (SQLite at 4,000 CPS: the
 * writer's and the checkpointer's CPU per call nearly halved; docs/benchmarks.md). Ids are
 * not secrets (the HTTP API's access control guards the sessions) and never go on the wire. */
#define ID_COUNTER_BITS 44
#define ID_COUNTER_MASK ((UINT64_C(1) << ID_COUNTER_BITS) - 1)

static void generate_id(sc_store *st, char *buf)
{
    uint64_t start = st->id_seed & (ID_COUNTER_MASK >> 1);
    uint64_t z = (st->id_seed & ~ID_COUNTER_MASK) | ((start + ++st->id_counter) & ID_COUNTER_MASK);
    snprintf(buf, SC_SESSION_ID_MAX + 1, "%016llx", (unsigned long long)z);
}

int sc_store_create(sc_store *st, sc_table *table, sc_role role, const char *id, sc_session **out)
{
    if (!st || !table || !out || (role != SC_ROLE_UAC && role != SC_ROLE_UAS))
        return -EINVAL;
    if (id && !id_valid(id))
        return -EINVAL;
    if (id && sc_map__get(&st->by_id, id))
        return -EEXIST;
    sc_session *s = sc_store__session_alloc(st);
    if (!s)
        return -ENOMEM;
    if (id) {
        memcpy(s->id, id, strlen(id) + 1);
    } else {
        do
            generate_id(st, s->id);
        while (sc_map__get(&st->by_id, s->id));
    }
    int r = sc_map__put(&st->by_id, s->id, s);
    if (r) {
        sc_store__session_free(st, s);
        return r;
    }
    s->store = st;
    s->table = sc_table_ref(table);
    s->role = role;
    s->state = sc_table_initial_state(table);
    s->state_timer.heap_index = UINT32_MAX;
    s->limit_timer.heap_index = UINT32_MAX;
    s->state_timer.session = s;
    s->limit_timer.session = s;
    s->next_seq = 1;
    uint64_t mono = sc_clock_mono_us(st->clock);
    int64_t wall = sc_clock_wall_us(st->clock);
    s->created_mono_us = s->updated_mono_us = s->entered_mono_us = mono;
    s->created_wall_us = s->updated_wall_us = s->entered_wall_us = wall;
    s->prev = st->tail;
    if (st->tail)
        st->tail->next = s;
    else
        st->head = s;
    st->tail = s;
    st->count++;
    /* linked first, so that a failure below can remove it the ordinary way */
    const char *hash = sc_table_hash(table);
    if ((hash && sc_session_set_field(s, SC_FIELD_TABLE_HASH, hash) != 0) || sc_store__order_add(st, s)) {
        sc_store_remove(st, s);
        return -ENOMEM;
    }
    s->updated_mono_us = mono;
    s->updated_wall_us = wall;
    *out = s;
    return 0;
}

sc_session *sc_store_get(const sc_store *st, const char *id)
{
    if (!st || !id)
        return NULL;
    return sc_map__get(&st->by_id, id);
}

void sc_store_remove(sc_store *st, sc_session *s)
{
    if (!st || !s)
        return;
    while (s->keys) {
        sc_index_entry *k = s->keys;
        s->keys = k->next;
        sc_map__del(&st->index[k->kind], k->key);
        sc_store__free_string(s, k);
    }
    if (sc_map__get(&st->by_id, s->id) == s) {
        sc_map__del(&st->by_id, s->id);
        sc_store__order_del(st, s);
        if (s->prev)
            s->prev->next = s->next;
        else
            st->head = s->next;
        if (s->next)
            s->next->prev = s->prev;
        else
            st->tail = s->prev;
        st->count--;
    }
    for (int i = 0; i < SC_ATTACH_COUNT; i++)
        if (s->attach[i] && s->attach_free[i])
            s->attach_free[i](s->attach[i]);
    for (int f = 0; f < SC_FIELD__COUNT; f++)
        sc_store__free_string(s, s->fields[f]);
    sc_store__free_string(s, s->outcome);
    sc_store__pack_free(st, s->packed);
    for (size_t i = 0; i < s->nxstates; i++)
        free(s->xstates[i]);
    free(s->xstates);
    free(s->hist);
    sc_table_unref(s->table);
    sc_store__session_free(st, s);
}

size_t sc_store_count(const sc_store *st) { return st ? st->count : 0; }

size_t sc_store_count_in_state(const sc_store *st, const char *state_name)
{
    size_t n = 0;
    if (!st || !state_name)
        return 0;
    for (const sc_session *s = st->head; s; s = s->next) {
        const char *name = sc_session_state_name(s);
        if (name && strcmp(name, state_name) == 0)
            n++;
    }
    return n;
}

int sc_store_foreach(sc_store *st, sc_store_iter_fn fn, void *ud)
{
    if (!st || !fn)
        return -EINVAL;
    sc_session *s = st->head;
    while (s) {
        sc_session *next = s->next; /* fn may remove s */
        int r = fn(s, ud);
        if (r)
            return r;
        s = next;
    }
    return 0;
}

int sc_store_index_add(sc_store *st, sc_key_kind kind, const char *key, sc_session *s)
{
    if (!st || !key || !*key || !s || (unsigned)kind >= SC_KEY_KIND_COUNT)
        return -EINVAL;
    sc_session *cur = sc_map__get(&st->index[kind], key);
    if (cur)
        return cur == s ? 0 : -EEXIST;
    size_t len = strlen(key);
    sc_index_entry *k = malloc(sizeof *k + len + 1);
    if (!k)
        return -ENOMEM;
    k->kind = kind;
    memcpy(k->key, key, len + 1);
    int r = sc_map__put(&st->index[kind], k->key, s);
    if (r) {
        free(k);
        return r;
    }
    k->next = s->keys;
    s->keys = k;
    s->strings_bytes += sizeof *k + len + 1;
    return 0;
}

int sc_store_index_remove(sc_store *st, sc_key_kind kind, const char *key)
{
    if (!st || !key || (unsigned)kind >= SC_KEY_KIND_COUNT)
        return -EINVAL;
    sc_session *s = sc_map__get(&st->index[kind], key);
    if (!s)
        return -ENOENT;
    for (sc_index_entry **pp = &s->keys; *pp; pp = &(*pp)->next) {
        sc_index_entry *k = *pp;
        if (k->kind == kind && strcmp(k->key, key) == 0) {
            sc_map__del(&st->index[kind], key);
            *pp = k->next;
            s->strings_bytes -= sizeof *k + strlen(k->key) + 1;
            sc_store__free_string(s, k);
            return 0;
        }
    }
    sc_map__del(&st->index[kind], key); /* not reached: every mapped key has an entry */
    return 0;
}

sc_session *sc_store_find(const sc_store *st, sc_key_kind kind, const char *key)
{
    if (!st || !key || (unsigned)kind >= SC_KEY_KIND_COUNT)
        return NULL;
    return sc_map__get(&st->index[kind], key);
}

size_t sc_store_dialog_key(char *buf, size_t size, const char *call_id, const char *local_tag, const char *remote_tag)
{
    int n = snprintf(buf, size, "%s;%s;%s", call_id ? call_id : "", local_tag ? local_tag : "",
                     remote_tag ? remote_tag : "");
    return n < 0 ? 0 : (size_t)n;
}
