/* check: semantic validation of a compiled table: reachability, ways out, required handlers,
 * internal-event loops, terminal states with exits and state timers nobody handles. */
#include "table/table_int.h"

#include <stdlib.h>
#include <string.h>

static const char *ev_name(const sc_table *t, sc_id e)
{
    const char *n = sc_vocab_name(t->vocab, SC_VOCAB_EVENT, e);
    return n ? n : "?";
}

static void check_reachable(sc_table__ctx *ctx, const sc_table *t)
{
    size_t S = t->nstates;
    bool *seen = calloc(S, sizeof(bool));
    sc_id *queue = calloc(S, sizeof(sc_id));
    uint32_t *start = calloc(S + 1, sizeof(uint32_t));
    sc_id *adj = calloc(t->ntrans ? t->ntrans : 1, sizeof(sc_id));
    if (!seen || !queue || !start || !adj) {
        ctx->nomem = true;
        goto out;
    }
    for (size_t i = 0; i < t->ntrans; i++)
        start[t->trans[i].from + 1]++;
    for (size_t s = 0; s < S; s++)
        start[s + 1] += start[s];
    {
        uint32_t *cur = calloc(S, sizeof(uint32_t));
        if (!cur) {
            ctx->nomem = true;
            goto out;
        }
        for (size_t i = 0; i < t->ntrans; i++) {
            sc_id f = t->trans[i].from;
            adj[start[f] + cur[f]++] = t->trans[i].to;
        }
        free(cur);
    }
    size_t head = 0, tail = 0;
    seen[t->initial] = true;
    queue[tail++] = t->initial;
    while (head < tail) {
        sc_id s = queue[head++];
        for (uint32_t i = start[s]; i < start[s + 1]; i++) {
            sc_id to = adj[i];
            if (to != SC_ID_NONE && !seen[to]) {
                seen[to] = true;
                queue[tail++] = to;
            }
        }
    }
    for (size_t s = 0; s < S; s++)
        if (!seen[s])
            sc_table__error(ctx, t->states[s].line, t->states[s].column,
                            "state '%s' is unreachable from the initial state '%s'", t->states[s].name,
                            t->states[t->initial].name);
out:
    free(seen);
    free(queue);
    free(start);
    free(adj);
}

static void check_way_out(sc_table__ctx *ctx, const sc_table *t)
{
    bool *out = calloc(t->nstates, sizeof(bool));
    if (!out) {
        ctx->nomem = true;
        return;
    }
    for (size_t i = 0; i < t->ntrans; i++)
        if (t->trans[i].to != SC_ID_NONE && t->trans[i].to != t->trans[i].from)
            out[t->trans[i].from] = true;
    for (size_t s = 0; s < t->nstates; s++)
        if (!t->states[s].terminal && !out[s])
            sc_table__error(ctx, t->states[s].line, t->states[s].column,
                            "non-terminal state '%s' has no way out (no transition leads to another state)",
                            t->states[s].name);
    free(out);
}

static void check_required_events(sc_table__ctx *ctx, const sc_table *t)
{
    static const sc_id required[] = {SC_EV_HangupCall, SC_EV_DialogBYE, SC_EV_DialogError};
    for (size_t s = 0; s < t->nstates; s++) {
        if (t->states[s].terminal || s == t->initial)
            continue;
        for (size_t k = 0; k < 3; k++) {
            bool missing[SC_ROLE_COUNT];
            int nmissing = 0;
            for (int r = 0; r < SC_ROLE_COUNT; r++) {
                size_t n;
                sc_table__rows_at(t, r, s, required[k], &n);
                missing[r] = n == 0;
                nmissing += missing[r];
            }
            if (!nmissing)
                continue;
            sc_table__error(ctx, t->states[s].line, t->states[s].column,
                            "state '%s' does not handle %s for role %s (add a row, or a \"*\" row)", t->states[s].name,
                            ev_name(t, required[k]),
                            nmissing == 2 ? "uac and uas"
                            : missing[0]  ? "uac"
                                          : "uas");
        }
    }
}

/* ActionFailed rows taken without a guard whose actions can fail again form a graph with at
 * most one edge a state; a cycle in it (a self-loop included) never settles. */
static void check_action_failed_loops(sc_table__ctx *ctx, const sc_table *t, bool *reported)
{
    size_t S = t->nstates;
    const sc_transition **next = calloc(S, sizeof(*next));
    uint8_t *color = calloc(S, 1);
    if (!next || !color) {
        ctx->nomem = true;
        goto out;
    }
    for (int r = 0; r < SC_ROLE_COUNT; r++) {
        memset(color, 0, S);
        for (size_t s = 0; s < S; s++) {
            next[s] = NULL;
            size_t n;
            const sc_transition *const *rows = sc_table__rows_at(t, r, s, SC_EV_ActionFailed, &n);
            for (size_t i = 0; i < n; i++) {
                const sc_transition *tr = rows[i];
                if (tr->nguards)
                    continue;
                if (tr->nactions)
                    next[s] = tr;
                break;
            }
        }
        for (size_t s = 0; s < S; s++) {
            size_t cur = s;
            while (color[cur] == 0 && next[cur]) {
                color[cur] = 1; /* on the current walk */
                cur = next[cur]->to == SC_ID_NONE ? cur : next[cur]->to;
            }
            if (color[cur] == 1 && next[cur]) {
                const sc_transition *tr = next[cur];
                uint32_t row = t->trans_row[tr->index];
                if (!reported[row]) {
                    reported[row] = true;
                    sc_table__error(ctx, tr->line, tr->column,
                                    "internal event loop: ActionFailed in '%s' (role %s) runs actions that "
                                    "can fail again and comes back to '%s' without a guard",
                                    t->states[cur].name, sc_role_name((sc_role)r), t->states[cur].name);
                }
            }
            for (cur = s; color[cur] == 1; cur = next[cur]->to == SC_ID_NONE ? cur : next[cur]->to)
                color[cur] = 2; /* done */
        }
    }
out:
    free(next);
    free(color);
}

static void check_check_conditions(sc_table__ctx *ctx, const sc_table *t, bool *reported)
{
    for (size_t i = 0; i < t->ntrans; i++) {
        const sc_transition *tr = &t->trans[i];
        uint32_t row = t->trans_row[i];
        if (tr->event != SC_EV_CheckConditions || reported[row])
            continue;
        for (size_t k = 0; k < tr->nset; k++) {
            for (size_t c = 0; c < t->nestablished; c++) {
                if (t->established[c] != tr->set[k].cond || reported[row])
                    continue;
                reported[row] = true;
                sc_table__error(ctx, tr->line, tr->column,
                                "internal event loop: CheckConditions sets '%s', one of established_when, "
                                "which re-triggers the check it handles",
                                sc_vocab_name(t->vocab, SC_VOCAB_CONDITION, tr->set[k].cond));
            }
        }
    }
}

static void check_terminal_exits(sc_table__ctx *ctx, const sc_table *t)
{
    for (size_t i = 0; i < t->nrows; i++) {
        const sc_table__row *r = &t->rows[i];
        for (size_t k = 0; k < r->nfrom; k++) {
            if (!t->states[r->from[k]].terminal)
                continue;
            sc_table__warn(ctx, r->line, r->column, "terminal state '%s' has an outgoing transition on %s",
                           t->states[r->from[k]].name, ev_name(t, r->event));
            break;
        }
    }
}

static void check_timers(sc_table__ctx *ctx, const sc_table *t)
{
    for (size_t s = 0; s < t->nstates; s++) {
        const sc_state_info *st = &t->states[s];
        if (!st->timer_ms)
            continue;
        bool handled = false;
        for (int r = 0; r < SC_ROLE_COUNT && st->timer_event < t->nevents; r++) {
            size_t n;
            sc_table__rows_at(t, r, s, st->timer_event, &n);
            handled = handled || n > 0;
        }
        if (!handled)
            sc_table__warn(ctx, st->line, st->column, "state '%s' has a timer raising %s but does not handle it",
                           st->name, ev_name(t, st->timer_event));
    }
}

void sc_table__check(sc_table__ctx *ctx, sc_table *t)
{
    if (t->states[t->initial].terminal)
        sc_table__error(ctx, t->initial_line, t->initial_col, "the initial state '%s' is terminal",
                        t->states[t->initial].name);
    check_reachable(ctx, t);
    check_way_out(ctx, t);
    check_required_events(ctx, t);
    bool *reported = calloc(t->nrows ? t->nrows : 1, sizeof(bool));
    if (!reported) {
        ctx->nomem = true;
        return;
    }
    check_action_failed_loops(ctx, t, reported);
    check_check_conditions(ctx, t, reported);
    free(reported);
    check_terminal_exits(ctx, t);
    check_timers(ctx, t);
}
