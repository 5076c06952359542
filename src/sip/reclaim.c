/* reclaim: memory given back after a burst. A flood leaves the transaction index, the timer
 * heap and the allocator's arenas at their peak size; once the transactions and calls alive
 * have fallen by SIP_RECLAIM_DROP and by a quarter from their peak, a low-frequency timer
 * shrinks the index bucket arrays and the heap and asks the allocator to return its free pages
 * (malloc_trim on glibc). Counted in sc_sip_stats.reclaims. The quarter keeps a busy node's
 * ordinary swings (2,048 of 190,000 transactions at 3,000 calls/s) from trimming every period:
 * malloc_trim walks the whole heap with its lock held (~360 ms for 300 MB in a million holes). */
#include <stdlib.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "sip/sip_int.h"

#define SIP_RECLAIM_PERIOD_MS 2000 /* how often the drop is looked at */
#define SIP_RECLAIM_DROP 2048      /* transactions + calls fallen since the peak that make it worth it */
#define SIP_INDEX_MIN 1024         /* the buckets sc_sip_new starts with */

bool sip_reclaim_due(uint32_t high, uint32_t now)
{
    return now < high && high - now >= SIP_RECLAIM_DROP && high - now >= high / 4;
}

static uint32_t alive(const sc_sip *sip) { return sip->stats.active_transactions + sip->stats.active_calls; }

void sip_reclaim_now(sc_sip *sip)
{
    sip_index_shrink(&sip->tx_index, SIP_INDEX_MIN);
    sip_index_shrink(&sip->call_index, SIP_INDEX_MIN);
    sip_index_shrink(&sip->source_index, 64);
    sip_timer_shrink(sip);
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    sip->stats.reclaims++;
    sip->reclaim_high = alive(sip);
}

static void on_tick(uv_timer_t *h)
{
    sc_sip *sip = h->data;
    uint32_t now = alive(sip);
    if (now > sip->reclaim_high)
        sip->reclaim_high = now;
    else if (sip_reclaim_due(sip->reclaim_high, now))
        sip_reclaim_now(sip);
}

int sip_reclaim_init(sc_sip *sip)
{
    if (uv_timer_init(sip->loop, &sip->reclaim_timer) != 0)
        return -ENOMEM;
    sip->reclaim_timer.data = sip;
    sip->reclaim_on = true;
    sip->open_handles++;
    uv_timer_start(&sip->reclaim_timer, on_tick, SIP_RECLAIM_PERIOD_MS, SIP_RECLAIM_PERIOD_MS);
    uv_unref((uv_handle_t *)&sip->reclaim_timer); /* never keeps the loop running by itself */
    return 0;
}

static void reclaim_closed(uv_handle_t *h) { sip_handle_released(h->data); }

void sip_reclaim_close(sc_sip *sip)
{
    if (!sip->reclaim_on)
        return;
    sip->reclaim_on = false;
    uv_close((uv_handle_t *)&sip->reclaim_timer, reclaim_closed);
}
