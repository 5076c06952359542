/* compile: expands rows into transitions (lists of states, "*"), reports duplicate rows, and
 * builds the lookup index: [role][state][used event] -> one 4-byte cell (offset, count) into a
 * flat pointer array (see struct sc_table). */
#include "table/table_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint8_t role_mask(sc_role r) { return r == SC_ROLE_ANY ? 3 : (uint8_t)(1u << r); }

bool sc_table__is_failure_event(sc_id e)
{
    switch (e) {
    case SC_EV_DialogError:
    case SC_EV_DialogTimeout:
    case SC_EV_Dialog3xx:
    case SC_EV_Dialog4xx:
    case SC_EV_Dialog5xx:
    case SC_EV_Dialog6xx:
    case SC_EV_MediaError:
    case SC_EV_RtpTimeout:
    case SC_EV_ActionFailed:
    case SC_EV_TransferFailed:
    case SC_EV_SessionExpired: return true;
    default: return false;
    }
}

static bool params_equal(const sc_call *a, const sc_call *b)
{
    if (a->nparams != b->nparams)
        return false;
    for (size_t i = 0; i < a->nparams; i++) {
        const sc_param_value *x = &a->params[i], *y = &b->params[i];
        if (strcmp(x->name, y->name) || x->type != y->type)
            return false;
        if (x->type == SC_PARAM_INT && x->i != y->i)
            return false;
        if (x->type == SC_PARAM_BOOL && x->b != y->b)
            return false;
        if (x->type == SC_PARAM_STRING && strcmp(x->s, y->s))
            return false;
    }
    return true;
}

static bool guards_equal(const sc_transition *a, const sc_transition *b)
{
    if (a->nguards != b->nguards)
        return false;
    for (size_t i = 0; i < a->nguards; i++) {
        const sc_call *x = &a->guards[i], *y = &b->guards[i];
        if (x->id != y->id || x->negate != y->negate || !params_equal(x, y))
            return false;
    }
    return true;
}

/* Does wildcard row r reach state s for at least one role no explicit row covers? */
static bool wildcard_applies(const sc_table *t, const sc_table__row *r, size_t s, const uint8_t *covered)
{
    if (t->states[s].terminal)
        return false;
    return (role_mask(r->role) & ~covered[s * t->nevents + r->event]) != 0;
}

static void fill_transition(sc_table *t, size_t row_index, sc_id from)
{
    const sc_table__row *r = &t->rows[row_index];
    size_t i = t->ntrans++;
    sc_transition *tr = &t->trans[i];
    *tr = (sc_transition){
        .index = (uint32_t)i,
        .role = r->role,
        .from = from,
        .event = r->event,
        .to = r->to,
        .nguards = r->nguards,
        .nactions = r->nactions,
        .nset = r->nset,
        .npublish = r->npublish,
        .guards = r->guards,
        .actions = r->actions,
        .set = r->set,
        .publish = r->publish,
        .line = r->line,
        .column = r->column,
        .description = r->description,
    };
    tr->failure = sc_table__is_failure_event(r->event) || (r->to != SC_ID_NONE && t->state_failure[r->to]);
    t->trans_row[i] = (uint32_t)row_index;
}

static int expand(sc_table *t, const uint8_t *covered)
{
    size_t count = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const sc_table__row *r = &t->rows[i];
        if (!r->wildcard) {
            count += r->nfrom;
            continue;
        }
        for (size_t s = 0; s < t->nstates; s++)
            count += wildcard_applies(t, r, s, covered);
    }
    t->trans = sc_table__alloc(&t->arena, (count ? count : 1) * sizeof(*t->trans));
    t->trans_row = sc_table__alloc(&t->arena, (count ? count : 1) * sizeof(*t->trans_row));
    if (!t->trans || !t->trans_row)
        return -ENOMEM;
    for (size_t i = 0; i < t->nrows; i++) {
        const sc_table__row *r = &t->rows[i];
        if (!r->wildcard) {
            for (size_t k = 0; k < r->nfrom; k++)
                fill_transition(t, i, r->from[k]);
            continue;
        }
        for (size_t s = 0; s < t->nstates; s++)
            if (wildcard_applies(t, r, s, covered))
                fill_transition(t, i, (sc_id)s);
    }
    return 0;
}

static void report_duplicates(sc_table__ctx *ctx, sc_table *t, const uint32_t *start, const uint32_t *order)
{
    size_t keys = t->nstates * t->nevents;
    for (size_t k = 0; k < keys; k++) {
        for (uint32_t i = start[k]; i < start[k + 1]; i++) {
            for (uint32_t j = start[k]; j < i; j++) {
                const sc_transition *a = &t->trans[order[j]], *b = &t->trans[order[i]];
                sc_table__row *ra = &t->rows[t->trans_row[a->index]], *rb = &t->rows[t->trans_row[b->index]];
                if (ra == rb || ra->wildcard != rb->wildcard || a->role != b->role || !guards_equal(a, b))
                    continue;
                if (rb->dup_reported)
                    continue;
                rb->dup_reported = true;
                sc_table__error(ctx, rb->line, rb->column,
                                "duplicate transition: role %s, from '%s', event '%s' with the same guards "
                                "at line %u and line %u",
                                sc_role_name(b->role), rb->wildcard ? "*" : t->states[b->from].name,
                                sc_vocab_name(t->vocab, SC_VOCAB_EVENT, b->event), ra->line, rb->line);
            }
        }
    }
}

/* The columns of the index: the events some transition uses, in id order, then one empty
 * column shared by every other event. */
static int build_columns(sc_table *t)
{
    t->col = sc_table__alloc(&t->arena, (t->nevents ? t->nevents : 1) * sizeof(*t->col));
    bool *used = calloc(t->nevents ? t->nevents : 1, sizeof(*used));
    if (!t->col || !used) {
        free(used);
        return -ENOMEM;
    }
    for (size_t i = 0; i < t->ntrans; i++)
        used[t->trans[i].event] = true;
    t->ncols = 0;
    for (size_t e = 0; e < t->nevents; e++)
        if (used[e])
            t->col[e] = (uint16_t)t->ncols++;
    for (size_t e = 0; e < t->nevents; e++)
        if (!used[e])
            t->col[e] = (uint16_t)t->ncols;
    t->ncols++;
    free(used);
    return 0;
}

/* Append the rows of (role, state s, event e) to ptrs, in the order they are tried: explicit
 * exact role, explicit any, then (if none) "*" exact, "*" any. Returns how many. */
static size_t append_rows(sc_table *t, int role, size_t k, const uint32_t *start, const uint32_t *order, size_t nptr)
{
    size_t off = nptr;
    for (int pass = 0; pass < 4; pass++) {
        if (pass == 2 && nptr > off)
            break;
        bool want_wild = pass >= 2;
        sc_role want_role = (pass % 2 == 0) ? (sc_role)role : SC_ROLE_ANY;
        for (uint32_t i = start[k]; i < start[k + 1]; i++) {
            const sc_transition *tr = &t->trans[order[i]];
            if (tr->role == want_role && t->rows[t->trans_row[tr->index]].wildcard == want_wild)
                t->ptrs[nptr++] = tr;
        }
    }
    return nptr - off;
}

/* The cells of every (role, state, used event) over ptrs; the rows of one (role, state) are
 * contiguous in ptrs, in event order. SC_E_INVALID_TABLE when ptrs outgrows a cell's offset. */
static int build_cells(sc_table__ctx *ctx, sc_table *t, const uint32_t *start, const uint32_t *order)
{
    size_t nptr = 0;
    for (int role = 0; role < SC_ROLE_COUNT; role++) {
        for (size_t s = 0; s < t->nstates; s++) {
            for (size_t e = 0; e < t->nevents; e++) {
                size_t off = nptr, cnt = append_rows(t, role, s * t->nevents + e, start, order, nptr);
                nptr += cnt;
                if (!cnt)
                    continue;
                if (off >= SC_TABLE__MAX_PTRS) {
                    sc_table__error(ctx, 1, 1, "table too large: more than %u rows to look up", SC_TABLE__MAX_PTRS);
                    return SC_E_INVALID_TABLE;
                }
                if (cnt >= 0xffu) { /* rare: the count goes to bigcnt, by offset */
                    if (!t->bigcnt)
                        t->bigcnt = sc_table__alloc(&t->arena, t->ntrans * SC_ROLE_COUNT * sizeof(*t->bigcnt));
                    if (!t->bigcnt)
                        return -ENOMEM;
                    t->bigcnt[off] = (uint32_t)cnt;
                }
                t->cells[((size_t)role * t->nstates + s) * t->ncols + t->col[e]] = (uint32_t)off << 8 |
                                                                                   (uint32_t)(cnt < 0xffu ? cnt
                                                                                                          : 0xffu);
            }
        }
    }
    return 0;
}

/* base and bytes from the cells: the states whose keys fit a byte each (see struct sc_table). */
static int build_bytes(sc_table *t)
{
    size_t nrs = SC_ROLE_COUNT * t->nstates;
    t->base = sc_table__alloc(&t->arena, (nrs ? nrs : 1) * sizeof(*t->base));
    size_t nbytes = nrs * t->ncols;
    t->bytes = sc_table__alloc(&t->arena, nbytes ? nbytes : 1);
    if (!t->base || !t->bytes)
        return -ENOMEM;
    for (size_t rs = 0; rs < nrs; rs++) {
        const uint32_t *c = &t->cells[rs * t->ncols];
        uint32_t first = SC_TABLE__WIDE;
        bool fits = true;
        for (size_t k = 0; k < t->ncols && fits; k++) {
            if (!c[k])
                continue;
            uint32_t off = c[k] >> 8;
            if (first == SC_TABLE__WIDE)
                first = off;
            fits = (c[k] & 0xffu) == 1 && off - first < 0xffu;
        }
        if (!fits) {
            t->base[rs] = SC_TABLE__WIDE;
            continue;
        }
        t->base[rs] = first == SC_TABLE__WIDE ? 0 : first; /* no rows: base 0, every byte 0 */
        for (size_t k = 0; k < t->ncols; k++)
            t->bytes[rs * t->ncols + k] = c[k] ? (uint8_t)((c[k] >> 8) - first + 1) : 0;
    }
    return 0;
}

int sc_table__compile(sc_table__ctx *ctx, sc_table *t)
{
    t->nevents = sc_vocab_count(t->vocab, SC_VOCAB_EVENT);
    size_t keys = t->nstates * t->nevents;
    uint8_t *covered = calloc(keys ? keys : 1, 1);
    uint32_t *start = calloc(keys + 1, sizeof(*start));
    int rc = -ENOMEM;
    if (!covered || !start)
        goto out;
    for (size_t i = 0; i < t->nrows; i++) {
        const sc_table__row *r = &t->rows[i];
        for (size_t k = 0; !r->wildcard && k < r->nfrom; k++)
            covered[r->from[k] * t->nevents + r->event] |= role_mask(r->role);
    }
    if ((rc = expand(t, covered)) < 0)
        goto out;
    /* bucket the transitions by (state, event), keeping file order inside a bucket */
    uint32_t *order = sc_table__alloc(&t->arena, (t->ntrans ? t->ntrans : 1) * sizeof(*order));
    t->ptrs = sc_table__alloc(&t->arena, (t->ntrans ? t->ntrans : 1) * SC_ROLE_COUNT * sizeof(*t->ptrs));
    rc = -ENOMEM;
    if (!order || !t->ptrs || build_columns(t) < 0)
        goto out;
    size_t ncells = t->nstates * t->ncols * SC_ROLE_COUNT;
    t->cells = sc_table__alloc(&t->arena, (ncells ? ncells : 1) * sizeof(*t->cells));
    if (!t->cells)
        goto out;
    for (size_t i = 0; i < t->ntrans; i++)
        start[t->trans[i].from * t->nevents + t->trans[i].event + 1]++;
    for (size_t k = 0; k < keys; k++)
        start[k + 1] += start[k];
    uint32_t *fill = covered == NULL ? NULL : calloc(keys ? keys : 1, sizeof(*fill));
    if (!fill)
        goto out;
    for (size_t i = 0; i < t->ntrans; i++) {
        size_t k = t->trans[i].from * t->nevents + t->trans[i].event;
        order[start[k] + fill[k]++] = (uint32_t)i;
    }
    free(fill);
    report_duplicates(ctx, t, start, order);
    if ((rc = build_cells(ctx, t, start, order)) < 0 || (rc = build_bytes(t)) < 0)
        goto out;
    rc = ctx->errors ? SC_E_INVALID_TABLE : 0;
out:
    free(covered);
    free(start);
    return rc;
}
