/* SIP timers: a binary min-heap of deadlines driven by one uv_timer on the loop, so that
 * transactions and calls arm and disarm timers with no handle to close. */
#include <errno.h>
#include <stdlib.h>

#include "sip/sip_int.h"

#define TIMERS_PER_TURN 1024 /* bounded work per loop turn */

void sip_timer_init(sip_timer *t, sip_timer_cb cb)
{
    t->due = 0;
    t->idx = SIZE_MAX;
    t->cb = cb;
}

static bool earlier(const sip_timer *a, const sip_timer *b) { return a->due < b->due; }

static void heap_swap(sc_sip *sip, size_t i, size_t j)
{
    sip_timer *t = sip->heap[i];
    sip->heap[i] = sip->heap[j];
    sip->heap[j] = t;
    sip->heap[i]->idx = i;
    sip->heap[j]->idx = j;
}

static void sift_up(sc_sip *sip, size_t i)
{
    while (i > 0 && earlier(sip->heap[i], sip->heap[(i - 1) / 2])) {
        heap_swap(sip, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sift_down(sc_sip *sip, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < sip->nheap && earlier(sip->heap[l], sip->heap[m]))
            m = l;
        if (r < sip->nheap && earlier(sip->heap[r], sip->heap[m]))
            m = r;
        if (m == i)
            return;
        heap_swap(sip, i, m);
        i = m;
    }
}

static void uvt_fire(uv_timer_t *h);

static void reschedule(sc_sip *sip)
{
    if (!sip->uvt_init || sip->closing)
        return;
    if (sip->nheap == 0) {
        uv_timer_stop(&sip->uvt);
        return;
    }
    uint64_t now = uv_now(sip->loop);
    uint64_t due = sip->heap[0]->due;
    uv_timer_start(&sip->uvt, uvt_fire, due > now ? due - now : 0, 0);
}

static void heap_remove(sc_sip *sip, sip_timer *t)
{
    size_t i = t->idx;
    sip->nheap--;
    if (i != sip->nheap) {
        sip->heap[i] = sip->heap[sip->nheap];
        sip->heap[i]->idx = i;
        sift_up(sip, i);
        sift_down(sip, sip->heap[i]->idx);
    }
    t->idx = SIZE_MAX;
}

int sip_timer_start(sc_sip *sip, sip_timer *t, uint64_t ms)
{
    if (sip_timer_armed(t))
        heap_remove(sip, t);
    if (sip->nheap == sip->capheap) {
        size_t cap = sip->capheap ? sip->capheap * 2 : 64;
        sip_timer **h = realloc(sip->heap, cap * sizeof *h);
        if (!h)
            return -ENOMEM;
        sip->heap = h;
        sip->capheap = cap;
    }
    t->due = uv_now(sip->loop) + ms;
    t->idx = sip->nheap;
    sip->heap[sip->nheap++] = t;
    sift_up(sip, t->idx);
    if (sip->heap[0] == t)
        reschedule(sip);
    return 0;
}

void sip_timer_shrink(sc_sip *sip)
{
    size_t cap = sip->capheap;
    while (cap > 64 && sip->nheap < cap / 4)
        cap /= 2;
    if (cap == sip->capheap)
        return;
    sip_timer **h = realloc(sip->heap, cap * sizeof *h);
    if (h) {
        sip->heap = h;
        sip->capheap = cap;
    }
}

void sip_timer_stop(sc_sip *sip, sip_timer *t)
{
    if (!sip_timer_armed(t))
        return;
    bool was_first = t->idx == 0;
    heap_remove(sip, t);
    if (was_first)
        reschedule(sip);
}

static void uvt_fire(uv_timer_t *h)
{
    sc_sip *sip = h->data;
    uint64_t now = uv_now(sip->loop);
    sip_enter(sip);
    for (int n = 0; n < TIMERS_PER_TURN && sip->nheap > 0 && sip->heap[0]->due <= now && !sip->closing; n++) {
        sip_timer *t = sip->heap[0];
        heap_remove(sip, t);
        t->cb(t);
    }
    reschedule(sip);
    sip_leave(sip);
}

uint64_t sip_now(const sc_sip *sip) { return uv_now(sip->loop); }
