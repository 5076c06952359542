/* order: the sessions in creation order as a sorted array of (sequence, session), for listing
 * by cursor: a page starts with a binary search for the cursor's sequence, so its cost follows
 * the page and not the number of sessions, and a cursor stays valid when the session it names
 * is removed. Removal leaves a hole (session NULL, sequence kept); holes are squeezed out once
 * they are more than half of the array. */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>

int sc_store__order_add(sc_store *st, sc_session *s)
{
    if (st->order_len == st->order_cap) {
        size_t cap = st->order_cap ? st->order_cap * 2 : 64;
        sc_order_entry *n = realloc(st->order, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        st->order = n;
        st->order_cap = cap;
    }
    s->order_seq = ++st->order_next;
    st->order[st->order_len++] = (sc_order_entry){.seq = s->order_seq, .s = s};
    return 0;
}

/* Index of the first entry whose sequence is greater than seq (order_len if none). */
static size_t first_after(const sc_store *st, uint64_t seq)
{
    size_t lo = 0, hi = st->order_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->order[mid].seq <= seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void squeeze(sc_store *st)
{
    size_t w = 0;
    for (size_t r = 0; r < st->order_len; r++)
        if (st->order[r].s)
            st->order[w++] = st->order[r];
    st->order_len = w;
    st->order_dead = 0;
    if (st->order_cap > 64 && w < st->order_cap / 4) {
        size_t cap = st->order_cap / 2;
        sc_order_entry *n = realloc(st->order, cap * sizeof *n);
        if (n) {
            st->order = n;
            st->order_cap = cap;
        }
    }
}

void sc_store__order_del(sc_store *st, sc_session *s)
{
    if (!s->order_seq)
        return;
    size_t i = first_after(st, s->order_seq - 1);
    if (i >= st->order_len || st->order[i].s != s)
        return;
    st->order[i].s = NULL;
    s->order_seq = 0;
    if (++st->order_dead > 32 && st->order_dead * 2 > st->order_len)
        squeeze(st);
}

void sc_store__order_free(sc_store *st)
{
    free(st->order);
    st->order = NULL;
    st->order_len = st->order_cap = st->order_dead = 0;
}

uint64_t sc_session_order(const sc_session *s) { return s ? s->order_seq : 0; }

size_t sc_store_page(const sc_store *st, uint64_t after, sc_store_match_fn match, void *ud, size_t limit,
                     size_t scan_max, sc_session **out, uint64_t *next)
{
    *next = 0;
    if (!st || !limit || !out)
        return 0;
    size_t n = 0, scanned = 0, i = first_after(st, after);
    for (; i < st->order_len && n < limit; i++) {
        const sc_order_entry *e = &st->order[i];
        if (scan_max && scanned == scan_max)
            break;
        if (!e->s)
            continue;
        scanned++;
        if (!match || match(e->s, ud))
            out[n++] = e->s;
    }
    /* more may follow: the cursor is the last entry looked at */
    while (i < st->order_len && !st->order[i].s)
        i++;
    if (i < st->order_len && i > 0)
        *next = st->order[i - 1].seq;
    return n;
}
