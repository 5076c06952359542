/* registrar_bind: the registrar's bindings: addresses of record by user in a hash table, each
 * with up to REG_MAX_CONTACTS contacts; expiry; their JSON form in the store and in the API. */
#include "coord/registrar.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t bucket(const char *user) { return sc_hash_fnv1a32(user, strlen(user)) % REG_AOR_BUCKETS; }

reg_aor *reg_find(reg_table *t, const char *user)
{
    for (reg_aor *a = t->buckets[bucket(user)]; a; a = a->next)
        if (!strcmp(a->user, user))
            return a;
    return NULL;
}

reg_aor *reg_get(reg_table *t, const char *user)
{
    reg_aor *a = reg_find(t, user);
    if (a)
        return a;
    a = calloc(1, sizeof *a);
    if (!a || !(a->user = strdup(user))) {
        free(a);
        return NULL;
    }
    size_t b = bucket(user);
    a->next = t->buckets[b];
    t->buckets[b] = a;
    return a;
}

void reg_contact_clear(reg_contact *c)
{
    free(c->uri);
    free(c->instance);
    free(c->call_id);
    free(c->user_agent);
    memset(c, 0, sizeof *c);
}

void reg_remove_contact(reg_table *t, reg_aor *a, size_t i)
{
    reg_contact_clear(&a->c[i]);
    memmove(&a->c[i], &a->c[i + 1], (a->n - i - 1) * sizeof a->c[0]);
    memset(&a->c[a->n - 1], 0, sizeof a->c[0]);
    a->n--;
    t->contacts--;
}

void reg_remove_aor(reg_table *t, reg_aor *a)
{
    for (reg_aor **pp = &t->buckets[bucket(a->user)]; *pp; pp = &(*pp)->next)
        if (*pp == a) {
            *pp = a->next;
            break;
        }
    for (size_t i = 0; i < a->n; i++)
        reg_contact_clear(&a->c[i]);
    t->contacts -= a->n;
    free(a->user);
    free(a);
}

void reg_table_free(reg_table *t)
{
    for (size_t b = 0; b < REG_AOR_BUCKETS; b++)
        while (t->buckets[b])
            reg_remove_aor(t, t->buckets[b]);
}

void reg_expire(reg_table *t, int64_t now, void (*gone)(void *ud, reg_aor *a), void *ud)
{
    if (!t->contacts)
        return;
    for (size_t b = 0; b < REG_AOR_BUCKETS; b++) {
        reg_aor *next;
        for (reg_aor *a = t->buckets[b]; a; a = next) {
            next = a->next;
            bool changed = false;
            for (size_t i = a->n; i-- > 0;)
                if (a->c[i].expires_at <= now) {
                    reg_remove_contact(t, a, i);
                    changed = true;
                }
            if (changed && gone)
                gone(ud, a); /* may remove a (next is kept) */
        }
    }
}

int64_t reg_aor_latest(const reg_aor *a)
{
    int64_t latest = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->c[i].expires_at > latest)
            latest = a->c[i].expires_at;
    return latest;
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

json_t *reg_aor_json(const reg_aor *a)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < a->n; i++) {
        const reg_contact *c = &a->c[i];
        json_array_append_new(arr, json_pack("{s:s, s:I, s:i, s:o, s:i, s:o, s:I, s:s, s:o}", "uri", c->uri,
                                             "expires_at", (json_int_t)c->expires_at, "q", c->q, "instance",
                                             str_or_null(c->instance), "reg_id", (int)c->reg_id, "call_id",
                                             str_or_null(c->call_id), "cseq", (json_int_t)c->cseq, "source", c->source,
                                             "user_agent", str_or_null(c->user_agent)));
    }
    return arr ? json_pack("{s:s, s:o}", "user", a->user, "contacts", arr) : NULL;
}

static char *dup_opt(const json_t *v) { return json_is_string(v) ? strdup(json_string_value(v)) : NULL; }

int reg_aor_load(reg_table *t, const char *text, int64_t now)
{
    json_t *root = json_loads(text, 0, NULL);
    json_t *user = json_object_get(root, "user"), *arr = json_object_get(root, "contacts");
    if (!json_is_string(user) || !*json_string_value(user) || !json_is_array(arr)) {
        json_decref(root);
        return -EINVAL;
    }
    reg_aor *a = reg_find(t, json_string_value(user));
    if (a)
        reg_remove_aor(t, a);
    a = reg_get(t, json_string_value(user));
    if (!a) {
        json_decref(root);
        return -ENOMEM;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        json_t *uri = json_object_get(v, "uri"), *exp = json_object_get(v, "expires_at");
        if (a->n >= REG_MAX_CONTACTS || !json_is_string(uri) || !json_is_integer(exp) || json_integer_value(exp) <= now)
            continue;
        reg_contact *c = &a->c[a->n];
        c->uri = strdup(json_string_value(uri));
        if (!c->uri)
            continue;
        c->expires_at = json_integer_value(exp);
        c->q = (int)json_integer_value(json_object_get(v, "q"));
        c->instance = dup_opt(json_object_get(v, "instance"));
        c->reg_id = (unsigned)json_integer_value(json_object_get(v, "reg_id"));
        c->call_id = dup_opt(json_object_get(v, "call_id"));
        c->cseq = (uint32_t)json_integer_value(json_object_get(v, "cseq"));
        const char *src = json_string_value(json_object_get(v, "source"));
        snprintf(c->source, sizeof c->source, "%s", src ? src : "");
        c->user_agent = dup_opt(json_object_get(v, "user_agent"));
        a->n++;
        t->contacts++;
    }
    json_decref(root);
    if (!a->n)
        reg_remove_aor(t, a);
    return 0;
}

json_t *reg_aor_view(const reg_aor *a, const char *realm, int64_t now)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < a->n; i++) {
        const reg_contact *c = &a->c[i];
        json_array_append_new(arr,
                              json_pack("{s:s, s:I, s:f, s:o, s:i, s:s, s:o, s:o, s:I}", "uri", c->uri, "expires",
                                        (json_int_t)(c->expires_at > now ? c->expires_at - now : 0), "q", c->q / 1000.0,
                                        "instance", str_or_null(c->instance), "reg_id", (int)c->reg_id, "source",
                                        c->source, "user_agent", str_or_null(c->user_agent), "call_id",
                                        str_or_null(c->call_id), "cseq", (json_int_t)c->cseq));
    }
    char aor[SC_SIP_URI_MAX];
    snprintf(aor, sizeof aor, "sip:%s@%s", a->user, realm);
    return arr ? json_pack("{s:s, s:o}", "aor", aor, "contacts", arr) : NULL;
}
