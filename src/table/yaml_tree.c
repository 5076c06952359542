/* yaml_tree: reads a YAML document with libyaml into a small tree that keeps the line and
 * column of every node, refusing aliases, over-deep nesting and duplicate mapping keys. */
#include "table/table_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define SC_YAML_MAX_DEPTH 64

typedef struct tree_builder {
    yaml_parser_t parser;
    sc_table__ctx *ctx;
    sc_table__arena *arena;
    bool failed; /* a diagnostic or ENOMEM stopped the build */
    int err;
} tree_builder;

bool sc_table__is_null(const sc_table__node *n)
{
    if (!n)
        return true;
    if (n->kind != SCT_SCALAR || !n->plain)
        return false;
    const char *s = n->str;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static void parser_error(tree_builder *b)
{
    yaml_parser_t *p = &b->parser;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    uint32_t line = (uint32_t)p->problem_mark.line + 1, col = (uint32_t)p->problem_mark.column + 1;
    if (p->context)
        sc_table__error(b->ctx, line, col, "YAML syntax error: %s %s", problem, p->context);
    else
        sc_table__error(b->ctx, line, col, "YAML syntax error: %s", problem);
    b->failed = true;
    b->err = SC_E_PARSE;
}

static bool next_event(tree_builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev)) {
        if (b->parser.error == YAML_MEMORY_ERROR) {
            b->failed = true;
            b->err = -ENOMEM;
        } else {
            parser_error(b);
        }
        return false;
    }
    return true;
}

static sc_table__node *new_node(tree_builder *b, sc_table__nkind kind, const yaml_event_t *ev)
{
    sc_table__node *n = sc_table__alloc(b->arena, sizeof(*n));
    if (!n) {
        b->failed = true;
        b->err = -ENOMEM;
        return NULL;
    }
    n->kind = kind;
    n->line = (uint32_t)ev->start_mark.line + 1;
    n->column = (uint32_t)ev->start_mark.column + 1;
    return n;
}

static sc_table__node *build(tree_builder *b, yaml_event_t *ev, int depth);

/* Reports every key of a mapping that an earlier key repeats, in document order: one pass with
 * an open-addressing set of the keys seen (linear, where comparing each key with all earlier
 * ones was quadratic on a large table). */
static void check_duplicate_keys(tree_builder *b, sc_table__node **items, size_t pairs)
{
    size_t cap = 16;
    while (cap < 2 * pairs)
        cap *= 2;
    const sc_table__node **seen = calloc(cap, sizeof *seen);
    if (!seen) {
        b->failed = true;
        b->err = -ENOMEM;
        return;
    }
    for (size_t i = 0; i < pairs; i++) {
        const sc_table__node *key = items[2 * i];
        if (key->kind != SCT_SCALAR)
            continue;
        size_t slot = sc_hash_fnv1a32(key->str, strlen(key->str)) & (cap - 1);
        while (seen[slot] && strcmp(seen[slot]->str, key->str) != 0)
            slot = (slot + 1) & (cap - 1);
        if (seen[slot])
            sc_table__error(b->ctx, key->line, key->column, "duplicate key '%s' (first at line %u)", key->str,
                            seen[slot]->line);
        else
            seen[slot] = key;
    }
    free(seen);
}

/* Reads children until the matching end event into n->items. */
static void build_children(tree_builder *b, sc_table__node *n, yaml_event_type_t end, int depth)
{
    size_t cap = 8, count = 0;
    sc_table__node **tmp = malloc(cap * sizeof(*tmp));
    if (!tmp) {
        b->failed = true;
        b->err = -ENOMEM;
        return;
    }
    for (;;) {
        yaml_event_t ev;
        if (!next_event(b, &ev))
            break;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            break;
        }
        sc_table__node *child = build(b, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (!child)
            break;
        if (count == cap) {
            cap *= 2;
            sc_table__node **nt = realloc(tmp, cap * sizeof(*nt));
            if (!nt) {
                b->failed = true;
                b->err = -ENOMEM;
                break;
            }
            tmp = nt;
        }
        tmp[count++] = child;
    }
    if (!b->failed && n->kind == SCT_MAP)
        check_duplicate_keys(b, tmp, count / 2);
    if (!b->failed) {
        n->items = sc_table__alloc(b->arena, (count ? count : 1) * sizeof(*tmp));
        if (!n->items) {
            b->failed = true;
            b->err = -ENOMEM;
        } else {
            memcpy(n->items, tmp, count * sizeof(*tmp));
            n->n = n->kind == SCT_MAP ? count / 2 : count;
        }
    }
    free(tmp);
}

static sc_table__node *build(tree_builder *b, yaml_event_t *ev, int depth)
{
    if (depth > SC_YAML_MAX_DEPTH) {
        sc_table__error(b->ctx, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                        "nesting deeper than %d levels", SC_YAML_MAX_DEPTH);
        b->failed = true;
        b->err = SC_E_PARSE;
        return NULL;
    }
    sc_table__node *n = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = new_node(b, SCT_SCALAR, ev);
        if (n) {
            n->str = sc_table__strndup(b->arena, (const char *)ev->data.scalar.value, ev->data.scalar.length);
            n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (!n->str) {
                b->failed = true;
                b->err = -ENOMEM;
                return NULL;
            }
        }
        return n;
    case YAML_SEQUENCE_START_EVENT:
        n = new_node(b, SCT_SEQ, ev);
        if (n)
            build_children(b, n, YAML_SEQUENCE_END_EVENT, depth);
        return b->failed ? NULL : n;
    case YAML_MAPPING_START_EVENT:
        n = new_node(b, SCT_MAP, ev);
        if (n)
            build_children(b, n, YAML_MAPPING_END_EVENT, depth);
        return b->failed ? NULL : n;
    case YAML_ALIAS_EVENT:
        sc_table__error(b->ctx, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                        "YAML aliases are not supported in state tables");
        b->failed = true;
        b->err = SC_E_PARSE;
        return NULL;
    default:
        sc_table__error(b->ctx, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                        "unexpected YAML structure");
        b->failed = true;
        b->err = SC_E_PARSE;
        return NULL;
    }
}

int sc_table__yaml_parse(sc_table__ctx *ctx, sc_table__arena *a, const char *buf, size_t len, sc_table__node **out)
{
    tree_builder b = {.ctx = ctx, .arena = a};
    *out = NULL;
    if (!yaml_parser_initialize(&b.parser))
        return -ENOMEM;
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
    sc_table__node *root = NULL;
    bool in_doc = false;
    for (;;) {
        yaml_event_t ev;
        if (!next_event(&b, &ev))
            break;
        yaml_event_type_t type = ev.type;
        if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (type == YAML_DOCUMENT_START_EVENT) {
            if (root || in_doc) {
                sc_table__error(ctx, (uint32_t)ev.start_mark.line + 1, (uint32_t)ev.start_mark.column + 1,
                                "a state table file holds one YAML document");
                yaml_event_delete(&ev);
                b.failed = true;
                b.err = SC_E_PARSE;
                break;
            }
            in_doc = true;
        } else if (type != YAML_STREAM_START_EVENT && type != YAML_DOCUMENT_END_EVENT) {
            root = build(&b, &ev, 0);
        }
        yaml_event_delete(&ev);
        if (b.failed)
            break;
        if (type == YAML_DOCUMENT_END_EVENT)
            in_doc = false;
    }
    yaml_parser_delete(&b.parser);
    if (b.failed)
        return b.err ? b.err : SC_E_PARSE;
    *out = root;
    return 0;
}
