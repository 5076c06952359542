/* webhook: the mapping form of a vocabulary guard or action (`Name: {webhook: URL, ...}`):
 * checks each key of the spec with file:line:column errors, keeps it in the table, and
 * answers which webhook a guard or action id has. */
#include "table/table_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct sc_table__node node;

static const char *kind_word(sc_vocab_kind kind) { return kind == SC_VOCAB_GUARD ? "guard" : "action"; }

static const char *const ACTION_KEYS[] = {"webhook", "timeout_ms", "retries", "token_file", "hmac_key_file", NULL};
static const char *const GUARD_KEYS[] = {"webhook", "timeout_ms", "cache", "token_file", "hmac_key_file", NULL};

/* true when s is an http:// or https:// URL with a host, no blanks and no control bytes */
static bool url_ok(const char *s, const char **why)
{
    size_t skip = 0;
    if (strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else {
        *why = "must start with http:// or https://";
        return false;
    }
    if (strlen(s) > SC_WEBHOOK_URL_MAX) {
        *why = "is too long";
        return false;
    }
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c <= ' ' || *c == 0x7f) {
            *why = "must not contain blanks or control characters";
            return false;
        }
    }
    const char *host = s + skip;
    if (!*host || *host == '/' || *host == ':' || *host == '?' || *host == '#') {
        *why = "has no host";
        return false;
    }
    return true;
}

static const char *scalar(sc_table__ctx *ctx, const node *n, const char *key)
{
    if (n->kind != SCT_SCALAR || sc_table__is_null(n) || !*n->str) {
        sc_table__error(ctx, n->line, n->column, "webhook '%s' must be a non-empty string", key);
        return NULL;
    }
    return n->str;
}

/* An integer in [min, max]; false (reported) otherwise. */
static bool number(sc_table__ctx *ctx, const node *n, const char *key, long long min, long long max, uint32_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = n->kind == SCT_SCALAR && n->plain && *n->str ? strtoll(n->str, &end, 10) : 0;
    if (!end || *end || errno || v < min || v > max) {
        sc_table__error(ctx, n->line, n->column, "webhook '%s' must be an integer from %lld to %lld", key, min, max);
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool known_key(const char *const *keys, const char *k)
{
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(keys[i], k) == 0)
            return true;
    return false;
}

/* One key of the spec into w. */
static void spec_key(sc_table__ctx *ctx, sc_table *t, sc_webhook_spec *w, const node *k, const node *v)
{
    const char *const *keys = w->kind == SC_VOCAB_GUARD ? GUARD_KEYS : ACTION_KEYS;
    const char *key = k->kind == SCT_SCALAR ? k->str : "?";
    if (k->kind != SCT_SCALAR || !known_key(keys, key)) {
        const char *hint = !strcmp(key, "retries") ? " (guards are never retried)"
                           : !strcmp(key, "cache") ? " (only guards are cached)"
                                                   : "";
        sc_table__error(ctx, k->line, k->column, "unknown key '%s' in the webhook of %s '%s'%s (allowed: %s)", key,
                        w->kind == SC_VOCAB_GUARD ? "guard" : "action", w->name, hint,
                        w->kind == SC_VOCAB_GUARD ? "webhook, timeout_ms, cache, token_file, hmac_key_file"
                                                  : "webhook, timeout_ms, retries, token_file, hmac_key_file");
        return;
    }
    const char *s;
    const char *why = NULL;
    if (!strcmp(key, "webhook")) {
        if ((s = scalar(ctx, v, key)) && !url_ok(s, &why))
            sc_table__error(ctx, v->line, v->column, "webhook URL '%.80s' %s", s, why);
        else if (s && !(w->url = sc_table__strdup(&t->arena, s)))
            ctx->nomem = true;
    } else if (!strcmp(key, "timeout_ms")) {
        number(ctx, v, key, 1, SC_WEBHOOK_TIMEOUT_MAX_MS, &w->timeout_ms);
    } else if (!strcmp(key, "retries")) {
        number(ctx, v, key, 0, SC_WEBHOOK_RETRIES_MAX, &w->retries);
    } else if (!strcmp(key, "cache")) {
        s = v->kind == SCT_SCALAR ? v->str : "";
        if (!strcmp(s, "none"))
            w->cache = SC_WEBHOOK_CACHE_NONE;
        else if (!strcmp(s, "transition"))
            w->cache = SC_WEBHOOK_CACHE_TRANSITION;
        else if (!strcmp(s, "session"))
            w->cache = SC_WEBHOOK_CACHE_SESSION;
        else
            sc_table__error(ctx, v->line, v->column, "webhook 'cache' must be none, transition or session");
    } else if ((s = scalar(ctx, v, key))) {
        const char *copy = sc_table__strdup(&t->arena, s);
        if (!copy)
            ctx->nomem = true;
        else if (!strcmp(key, "token_file"))
            w->token_file = copy;
        else
            w->hmac_key_file = copy;
    }
}

static int push(sc_table *t, const sc_webhook_spec *w)
{
    if (t->nwebhooks == t->webhooks_cap) {
        size_t cap = t->webhooks_cap ? 2 * t->webhooks_cap : 8;
        sc_webhook_spec *n = sc_table__alloc(&t->arena, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        if (t->nwebhooks)
            memcpy(n, t->webhooks, t->nwebhooks * sizeof *n);
        t->webhooks = n; /* the old array stays in the arena until the table goes */
        t->webhooks_cap = cap;
    }
    t->webhooks[t->nwebhooks++] = *w;
    return 0;
}

void sc_table__webhook_parse(sc_table__ctx *ctx, sc_table *t, sc_vocab_kind kind, sc_id id, const char *name,
                             const node *key, const node *spec)
{
    if (spec->kind != SCT_MAP) {
        sc_table__error(ctx, spec->line, spec->column,
                        "the value of %s '%s' must be a mapping ({webhook: URL, ...}) or null", kind_word(kind), name);
        return;
    }
    sc_webhook_spec w = {
        .kind = kind, .id = id, .timeout_ms = SC_WEBHOOK_TIMEOUT_DEFAULT_MS, .line = key->line, .column = key->column};
    if (!(w.name = sc_table__strdup(&t->arena, name))) {
        ctx->nomem = true;
        return;
    }
    size_t before = ctx->errors;
    for (size_t i = 0; i < spec->n; i++)
        spec_key(ctx, t, &w, spec->items[2 * i], spec->items[2 * i + 1]);
    if (!w.url && ctx->errors == before)
        sc_table__error(ctx, spec->line, spec->column, "%s '%s' has no 'webhook' URL", kind_word(kind), name);
    if (ctx->errors == before && push(t, &w) < 0)
        ctx->nomem = true;
}

size_t sc_table_webhook_count(const sc_table *t) { return t ? t->nwebhooks : 0; }

const sc_webhook_spec *sc_table_webhook_at(const sc_table *t, size_t i)
{
    return t && i < t->nwebhooks ? &t->webhooks[i] : NULL;
}

const sc_webhook_spec *sc_table_webhook(const sc_table *t, sc_vocab_kind kind, sc_id id)
{
    for (size_t i = 0; t && i < t->nwebhooks; i++)
        if (t->webhooks[i].kind == kind && t->webhooks[i].id == id)
            return &t->webhooks[i];
    return NULL;
}

const char *sc_webhook_cache_name(sc_webhook_cache c)
{
    switch (c) {
    case SC_WEBHOOK_CACHE_NONE: return "none";
    case SC_WEBHOOK_CACHE_TRANSITION: return "transition";
    case SC_WEBHOOK_CACHE_SESSION: return "session";
    }
    return "?";
}

/* ---- Diff ------------------------------------------------------------------------------- */

static json_t *spec_json(const sc_webhook_spec *w)
{
    json_t *o = json_pack("{sssssssisi}", "kind", kind_word(w->kind), "name", w->name, "url", w->url, "timeout_ms",
                          (int)w->timeout_ms, "line", (int)w->line);
    if (!o)
        return NULL;
    if (w->kind == SC_VOCAB_ACTION)
        json_object_set_new(o, "retries", json_integer(w->retries));
    else
        json_object_set_new(o, "cache", json_string(sc_webhook_cache_name(w->cache)));
    json_object_set_new(o, "token_file", w->token_file ? json_string(w->token_file) : json_null());
    json_object_set_new(o, "hmac_key_file", w->hmac_key_file ? json_string(w->hmac_key_file) : json_null());
    return o;
}

/* The webhooks as a JSON object keyed "guard Name" / "action Name" (line left out). */
static json_t *specs_by_name(const sc_table *t)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < t->nwebhooks; i++) {
        json_t *w = spec_json(&t->webhooks[i]);
        char key[80];
        snprintf(key, sizeof key, "%s %s", kind_word(t->webhooks[i].kind), t->webhooks[i].name);
        json_object_del(w, "line");
        json_object_set_new(o, key, w);
    }
    return o;
}

static json_t *specs_json(const sc_table *t)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < t->nwebhooks; i++)
        json_array_append_new(a, spec_json(&t->webhooks[i]));
    return a;
}

void sc_table__webhooks_diff(const sc_table *a, const sc_table *b, json_t *out, size_t *ndiff)
{
    json_t *x = specs_by_name(a), *y = specs_by_name(b);
    bool same = x && y && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    if (same)
        return;
    (*ndiff)++;
    json_object_set_new(out, "webhooks", json_pack("{soso}", "old", specs_json(a), "new", specs_json(b)));
}
