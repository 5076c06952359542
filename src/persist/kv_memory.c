/* kv_memory: the key-value entries of the "memory:" backend: one array kept sorted by
 * (namespace, key), bytewise, so a namespace is a contiguous run found by binary search.
 * The caller holds the store's lock around every call. */
#include "persist/persist_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct kv_entry {
    char *ns, *key, *text; /* owned */
    size_t len;
    int64_t expires_us; /* 0 = never */
} kv_entry;

struct sc_persist__kvmap {
    kv_entry *v;
    size_t n, cap;
};

int sc_persist__kvmap_new(sc_persist__kvmap **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -ENOMEM;
}

static void entry_free(kv_entry *e)
{
    free(e->ns);
    free(e->key);
    free(e->text);
}

void sc_persist__kvmap_clear(sc_persist__kvmap *m)
{
    for (size_t i = 0; i < m->n; i++)
        entry_free(&m->v[i]);
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
}

void sc_persist__kvmap_free(sc_persist__kvmap *m)
{
    if (!m)
        return;
    sc_persist__kvmap_clear(m);
    free(m);
}

static int cmp(const kv_entry *e, const char *ns, const char *key)
{
    int c = strcmp(e->ns, ns);
    return c ? c : strcmp(e->key, key);
}

/* Index of the first entry >= (ns, key); key "" gives the namespace's first entry. */
static size_t lower(const sc_persist__kvmap *m, const char *ns, const char *key)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(&m->v[mid], ns, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool expired(const kv_entry *e, int64_t now_us) { return e->expires_us && e->expires_us <= now_us; }

static void remove_at(sc_persist__kvmap *m, size_t i)
{
    entry_free(&m->v[i]);
    memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof *m->v);
    m->n--;
}

/* Removes the namespace's expired entries. */
static void purge(sc_persist__kvmap *m, const char *ns, int64_t now_us)
{
    size_t i = lower(m, ns, "");
    while (i < m->n && strcmp(m->v[i].ns, ns) == 0) {
        if (expired(&m->v[i], now_us))
            remove_at(m, i);
        else
            i++;
    }
}

int sc_persist__kvmap_put(sc_persist__kvmap *m, const char *ns, const char *key, const char *text, size_t len,
                          int64_t expires_us, int64_t now_us)
{
    purge(m, ns, now_us);
    char *copy = malloc(len + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    size_t i = lower(m, ns, key);
    if (i < m->n && cmp(&m->v[i], ns, key) == 0) {
        free(m->v[i].text);
        m->v[i].text = copy;
        m->v[i].len = len;
        m->v[i].expires_us = expires_us;
        return 0;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        kv_entry *v = realloc(m->v, cap * sizeof *v);
        if (!v) {
            free(copy);
            return -ENOMEM;
        }
        m->v = v;
        m->cap = cap;
    }
    kv_entry e = {strdup(ns), strdup(key), copy, len, expires_us};
    if (!e.ns || !e.key) {
        entry_free(&e);
        return -ENOMEM;
    }
    memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof *m->v);
    m->v[i] = e;
    m->n++;
    return 0;
}

/* The live entry (ns, key), or NULL; an expired one is removed on the way. */
static kv_entry *find(sc_persist__kvmap *m, const char *ns, const char *key, int64_t now_us)
{
    size_t i = lower(m, ns, key);
    if (i == m->n || cmp(&m->v[i], ns, key) != 0)
        return NULL;
    if (expired(&m->v[i], now_us)) {
        remove_at(m, i);
        return NULL;
    }
    return &m->v[i];
}

int sc_persist__kvmap_get(sc_persist__kvmap *m, const char *ns, const char *key, int64_t now_us, char **text)
{
    kv_entry *e = find(m, ns, key, now_us);
    if (!e)
        return -ENOENT;
    char *copy = malloc(e->len + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, e->text, e->len + 1);
    *text = copy;
    return 0;
}

int sc_persist__kvmap_del(sc_persist__kvmap *m, const char *ns, const char *key, int64_t now_us)
{
    purge(m, ns, now_us);
    kv_entry *e = find(m, ns, key, now_us);
    if (!e)
        return -ENOENT;
    remove_at(m, (size_t)(e - m->v));
    return 0;
}

int sc_persist__kvmap_copy(sc_persist__kvmap *m, const char *ns, int64_t now_us, sc_persist__kvmap **out)
{
    purge(m, ns, now_us);
    int rc = sc_persist__kvmap_new(out);
    size_t i = lower(m, ns, "");
    for (; rc == 0 && i < m->n && strcmp(m->v[i].ns, ns) == 0; i++)
        rc = sc_persist__kvmap_put(*out, ns, m->v[i].key, m->v[i].text, m->v[i].len, m->v[i].expires_us, 0);
    if (rc < 0) {
        sc_persist__kvmap_free(*out);
        *out = NULL;
    }
    return rc;
}

int sc_persist__kvmap_walk(const sc_persist__kvmap *m, sc_persist_kv_cb cb, void *ud)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < m->n; i++)
        rc = cb(m->v[i].key, m->v[i].text, m->v[i].len, m->v[i].expires_us, ud);
    return rc;
}
