/* table_int: private structures shared by the table module's files (arena, YAML tree,
 * parsed rows, the compiled table itself). */
#ifndef SC_TABLE_INT_H
#define SC_TABLE_INT_H

#include "session_core/table.h"

#include <stdatomic.h>
#include <stdio.h>

/* ---- Arena: every allocation of one load/table, freed at once ----------------------- */

typedef struct sc_table__chunk sc_table__chunk;
typedef struct sc_table__arena {
    sc_table__chunk *head; /* newest chunk first */
} sc_table__arena;

void *sc_table__alloc(sc_table__arena *a, size_t size);    /* zeroed; NULL on ENOMEM */
char *sc_table__strdup(sc_table__arena *a, const char *s); /* NULL on ENOMEM */
char *sc_table__strndup(sc_table__arena *a, const char *s, size_t n);
void sc_table__arena_free(sc_table__arena *a);
void sc_table__hash_hex(const char *data, size_t len, char out[17]); /* FNV-1a 64 */

/* ---- YAML tree with marks -------------------------------------------------------------- */

typedef enum sc_table__nkind { SCT_SCALAR, SCT_SEQ, SCT_MAP } sc_table__nkind;

typedef struct sc_table__node sc_table__node;
struct sc_table__node {
    sc_table__nkind kind;
    uint32_t line, column;  /* 1-based start of the node */
    const char *str;        /* scalars: the text */
    bool plain;             /* scalars: unquoted (may be int, bool, null) */
    size_t n;               /* sequences: items; mappings: pairs */
    sc_table__node **items; /* sequences: n items; mappings: key, value, key, value... */
};

/* The first document of buf as a tree in arena. On a YAML error adds a diagnostic to
 * ctx and returns SC_E_PARSE; -ENOMEM. An empty document gives *out = NULL. */
typedef struct sc_table__ctx sc_table__ctx;
int sc_table__yaml_parse(sc_table__ctx *ctx, sc_table__arena *a, const char *buf, size_t len, sc_table__node **out);
bool sc_table__is_null(const sc_table__node *n);

/* ---- Load context: where diagnostics go ---------------------------------------------- */

struct sc_table__ctx {
    sc_diags *diags;  /* may be NULL */
    const char *file; /* name used in diagnostics */
    size_t errors;    /* errors reported in this load */
    size_t warnings;
    bool nomem; /* an allocation failed */
};

void sc_table__error(sc_table__ctx *ctx, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sc_table__warn(sc_table__ctx *ctx, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- Vocabulary internals -------------------------------------------------------------- */

/* A copy of v (names and specs), for a table that declares its own names. */
int sc_table__vocab_clone(const sc_vocab *v, sc_vocab **out);
bool sc_table__valid_name(const char *name);

/* webhook.c: the spec of a webhook-bound guard or action (value of `Name:` in the mapping
 * form of the vocabulary) added to t; errors go to ctx. */
void sc_table__webhook_parse(sc_table__ctx *ctx, sc_table *t, sc_vocab_kind kind, sc_id id, const char *name,
                             const sc_table__node *key, const sc_table__node *spec);

/* webhook.c: "webhooks": {"old": [W], "new": [W]} into a diff when a's and b's differ (one
 * difference), W = {kind, name, url, timeout_ms, line, retries|cache, token_file, hmac_key_file}. */
void sc_table__webhooks_diff(const sc_table *a, const sc_table *b, json_t *out, size_t *ndiff);

/* ---- Parsed rows (before expansion) ---------------------------------------------------- */

typedef struct sc_table__row {
    uint32_t line, column; /* start of the row */
    sc_role role;
    bool wildcard; /* from: "*" */
    sc_id *from;   /* explicit states (wildcard: none) */
    size_t nfrom;
    sc_id event;
    sc_id to; /* SC_ID_NONE = stay */
    sc_call *guards;
    sc_call *actions;
    sc_cond_update *set;
    sc_publish *publish;
    uint16_t nguards, nactions, nset, npublish;
    const char *description;
    bool dup_reported; /* a duplicate error already names this row */
} sc_table__row;

struct sc_table {
    atomic_int refs;
    sc_table__arena arena;
    const sc_vocab *vocab; /* borrowed, or own_vocab */
    sc_vocab *own_vocab;   /* owned when the table declares names */
    char *source;          /* the YAML text, NUL-terminated */
    size_t source_len;
    const char *path;
    char hash[17];
    const char *name, *version, *description;

    sc_state_info *states;
    bool *state_failure; /* `failure: true` (graph styling) */
    size_t nstates;
    sc_id initial;
    uint32_t initial_line, initial_col;
    sc_id *established;
    size_t nestablished;

    sc_webhook_spec *webhooks; /* webhook.c: webhooks of the vocabulary, file order */
    size_t nwebhooks, webhooks_cap;

    sc_migrate_entry *migrate; /* `migrate:` entries, file order */
    size_t nmigrate;

    sc_table__row *rows; /* as written */
    size_t nrows;
    sc_transition *trans; /* expanded, file order */
    uint32_t *trans_row;  /* row index of each transition */
    size_t ntrans;

    /* The lookup index (compile.c): the rows of (role, state, event) are ptrs[off, off + cnt),
     * found through one 4-byte cell of a dense [role][state][column] array whose columns are
     * only the events some row uses, plus one column that is always empty for all the others
     * (col[event]): a table of 100,000 rows is a few hundred KB of cells, and a lookup reads
     * one of them (and col, which stays in cache). */
    size_t nevents;   /* events known when compiled (entries in col) */
    uint16_t *col;    /* by event id: its column; ncols - 1 (empty) for events no row uses */
    size_t ncols;     /* events used by at least one row, plus the empty column */
    uint32_t *cells;  /* [role][state][column]: 0 = no rows, else off << 8 | min(cnt, 255) */
    uint32_t *bigcnt; /* by off: the count of a key with 255 rows or more (NULL when none) */
    /* The same for most states in a quarter of the bytes: a state whose keys have one row
     * each, within 255 rows of its first, has base[role][state] = that first row's offset and
     * its keys in bytes[role][state][column] (0: none, else 1 + offset - base); the others
     * have base SC_TABLE__WIDE and are read from cells. */
    uint32_t *base;
    uint8_t *bytes;
    const sc_transition **ptrs;
};

#define SC_TABLE__MAX_PTRS (1u << 24) /* the offsets a cell holds */
#define SC_TABLE__WIDE UINT32_MAX     /* base of a state read from cells */

/* parse.c: tree -> header fields, states and rows (structure + names). */
int sc_table__parse(sc_table__ctx *ctx, sc_table *t, const sc_table__node *root, const sc_vocab *vocab);
/* compile.c: rows -> transitions and the lookup arrays; reports duplicates. */
int sc_table__compile(sc_table__ctx *ctx, sc_table *t);
/* check.c: semantic checks on the compiled table. */
void sc_table__check(sc_table__ctx *ctx, sc_table *t);
bool sc_table__is_failure_event(sc_id event);

/* The rows of (role, state, event), in the order they are tried; *n = 0 (and NULL) when there
 * are none. role < SC_ROLE_COUNT, state < t->nstates and event < t->nevents: checked by the
 * caller. */
static inline const sc_transition *const *sc_table__rows_at(const sc_table *t, int role, size_t state, size_t event,
                                                            size_t *n)
{
    size_t rs = (size_t)role * t->nstates + state, k = rs * t->ncols + t->col[event];
    uint32_t base = t->base[rs];
    if (__builtin_expect(base != SC_TABLE__WIDE, 1)) {
        unsigned b = t->bytes[k];
        *n = b != 0;
        return b ? &t->ptrs[base + b - 1] : NULL;
    }
    uint32_t cell = t->cells[k];
    size_t cnt = cell & 0xffu, off = cell >> 8;
    if (__builtin_expect(cnt == 0xffu, 0))
        cnt = t->bigcnt[off];
    *n = cnt;
    return cnt ? &t->ptrs[off] : NULL;
}

#endif
