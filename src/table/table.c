/* table: loading entry points (file or buffer), reference counting, and the read-only
 * accessors of a compiled table, including the O(1) lookup. */
#include "table/table_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SC_TABLE_MAX_BYTES (16u * 1024u * 1024u)

static void table_free(sc_table *t)
{
    if (!t)
        return;
    sc_vocab_free(t->own_vocab);
    sc_table__arena_free(&t->arena);
    free(t);
}

int sc_table_load_buffer(sc_table **out, const char *name, const char *buf, size_t len, const sc_vocab *vocab,
                         sc_diags *diags)
{
    if (!out || (!buf && len) || !vocab)
        return -EINVAL;
    if (!name)
        name = "<buffer>";
    sc_table__ctx ctx = {.diags = diags, .file = name};
    if (len > SC_TABLE_MAX_BYTES) {
        sc_table__error(&ctx, 1, 1, "the table is larger than %u bytes", SC_TABLE_MAX_BYTES);
        return SC_E_INVALID_TABLE;
    }
    sc_table *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    atomic_init(&t->refs, 1);
    t->source = sc_table__strndup(&t->arena, buf ? buf : "", len);
    t->path = sc_table__strdup(&t->arena, name);
    int rc = -ENOMEM;
    if (!t->source || !t->path)
        goto fail;
    t->source_len = len;
    sc_table__hash_hex(t->source, len, t->hash);
    sc_table__node *root = NULL;
    rc = sc_table__yaml_parse(&ctx, &t->arena, t->source, len, &root);
    if (rc < 0)
        goto fail;
    rc = sc_table__parse(&ctx, t, root, vocab);
    if (rc < 0)
        goto fail;
    if ((rc = sc_table__compile(&ctx, t)) < 0)
        goto fail;
    sc_table__check(&ctx, t);
    rc = ctx.nomem ? -ENOMEM : ctx.errors ? SC_E_INVALID_TABLE : 0;
    if (rc < 0)
        goto fail;
    *out = t;
    return 0;
fail:
    table_free(t);
    if (rc == SC_E_PARSE)
        rc = SC_E_INVALID_TABLE;
    return ctx.nomem ? -ENOMEM : rc;
}

int sc_table_load_file(sc_table **out, const char *path, const sc_vocab *vocab, sc_diags *diags)
{
    if (!out || !path || !vocab)
        return -EINVAL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? -ENOENT : errno == EACCES ? -EACCES : -EIO;
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    int rc = 0;
    while (buf) {
        if (len == cap) {
            if (cap > SC_TABLE_MAX_BYTES) {
                rc = -EFBIG;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = -EIO;
            break;
        }
    }
    fclose(f);
    if (!buf)
        return -ENOMEM;
    if (rc == 0)
        rc = sc_table_load_buffer(out, path, buf, len, vocab, diags);
    free(buf);
    return rc;
}

sc_table *sc_table_ref(sc_table *t)
{
    if (t)
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void sc_table_unref(sc_table *t)
{
    if (t && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
        table_free(t);
}

const sc_vocab *sc_table_vocab(const sc_table *t) { return t ? t->vocab : NULL; }

const char *sc_table_name(const sc_table *t) { return t ? t->name : NULL; }

const char *sc_table_version(const sc_table *t) { return t ? t->version : NULL; }

const char *sc_table_hash(const sc_table *t) { return t ? t->hash : NULL; }

const char *sc_table_source(const sc_table *t, size_t *len)
{
    if (len)
        *len = t ? t->source_len : 0;
    return t ? t->source : NULL;
}

const char *sc_table_path(const sc_table *t) { return t ? t->path : NULL; }

size_t sc_table_state_count(const sc_table *t) { return t ? t->nstates : 0; }

const sc_state_info *sc_table_state(const sc_table *t, sc_id state)
{
    return t && state < t->nstates ? &t->states[state] : NULL;
}

int sc_table_state_id(const sc_table *t, const char *name)
{
    if (!t || !name)
        return -ENOENT;
    for (size_t i = 0; i < t->nstates; i++)
        if (strcmp(t->states[i].name, name) == 0)
            return (int)i;
    return -ENOENT;
}

sc_id sc_table_initial_state(const sc_table *t) { return t ? t->initial : SC_ID_NONE; }

const sc_id *sc_table_established_conditions(const sc_table *t, size_t *n)
{
    if (n)
        *n = t ? t->nestablished : 0;
    return t ? t->established : NULL;
}

size_t sc_table_migrate_count(const sc_table *t) { return t ? t->nmigrate : 0; }

const sc_migrate_entry *sc_table_migrate_entry(const sc_table *t, size_t i)
{
    return t && i < t->nmigrate ? &t->migrate[i] : NULL;
}

int sc_table_migrate_target(const sc_table *t, const char *old_name)
{
    for (size_t i = 0; t && old_name && i < t->nmigrate; i++)
        if (strcmp(t->migrate[i].from, old_name) == 0)
            return t->migrate[i].to;
    return -ENOENT;
}

size_t sc_table_transition_count(const sc_table *t) { return t ? t->ntrans : 0; }

const sc_transition *sc_table_transition(const sc_table *t, size_t index)
{
    return t && index < t->ntrans ? &t->trans[index] : NULL;
}

const sc_transition *const *sc_table_lookup(const sc_table *t, sc_role role, sc_id state, sc_id event, size_t *n)
{
    if ((unsigned)role >= SC_ROLE_COUNT || state >= t->nstates || event >= t->nevents) {
        *n = 0;
        return NULL;
    }
    return sc_table__rows_at(t, (int)role, state, event, n);
}

size_t sc_table_accepted_events(const sc_table *t, sc_role role, sc_id state, sc_id *out, size_t cap)
{
    if (!t || (unsigned)role >= SC_ROLE_COUNT || state >= t->nstates)
        return 0;
    size_t n = 0;
    for (size_t e = 0; e < t->nevents && n < cap; e++)
        if (t->cells[((size_t)role * t->nstates + state) * t->ncols + t->col[e]])
            out[n++] = (sc_id)e;
    return n;
}
