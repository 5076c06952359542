/* park: closed streams whose RTP/RTCP sockets stay bound for the next opens. A call's pair
 * costs ten system calls to make and drop (socket, bind, epoll add, epoll delete and close,
 * twice); a parked pair costs none when reused. Parked sockets keep being read (whatever
 * arrives is dropped: recv_cb sees a closing stream), so their queues stay empty and they
 * never leave the loop's epoll set. A pair is reused oldest first and only after its
 * quarantine, so that the late RTP of its last call finds no new call; a pair unused for
 * park_idle_ms is closed by a sweep, so an idle process holds no ports. */
#include "media/media_int.h"

#include <stdint.h>

#define PARK_QUARANTINE_MS 500u /* default quarantine */
#define PARK_IDLE_MS 5000u      /* default: a parked pair unused this long is closed */
#define PARK_SWEEP_MS 1000u     /* sweep period while pairs are parked (at most) */

static void unlink_parked(sc_media *m, sc_media_stream *st)
{
    if (st->prev)
        st->prev->next = st->next;
    else
        m->park_head = st->next;
    if (st->next)
        st->next->prev = st->prev;
    else
        m->park_tail = st->prev;
    st->prev = st->next = NULL;
    m->nparked--;
    if (!m->nparked)
        uv_timer_stop(&m->park_timer);
}

/* Close a parked stream for good: its ports are free once this returns. */
static void close_parked(sc_media *m, sc_media_stream *st)
{
    unlink_parked(m, st);
    m->pair_used[st->pair] = SC_PAIR_FREE;
    sc_media__close_stream_handles(st);
}

static void sweep_cb(uv_timer_t *t)
{
    sc_media *m = t->data;
    uint64_t now = uv_now(m->loop);
    while (m->park_head && now - m->park_head->parked_ms >= m->park_idle_ms)
        close_parked(m, m->park_head);
}

static void park_timer_closed(uv_handle_t *h) { sc_media__release(h->data); }

void sc_media__park_init(sc_media *m, const sc_media_config *cfg)
{
    m->park_max = cfg->park_max;
    m->park_quarantine_ms = cfg->park_quarantine_ms ? cfg->park_quarantine_ms : PARK_QUARANTINE_MS;
    m->park_idle_ms = cfg->park_idle_ms ? cfg->park_idle_ms : PARK_IDLE_MS;
    if (!m->park_max)
        return;
    uv_timer_init(m->loop, &m->park_timer);
    m->park_timer.data = m;
    m->live++; /* the timer, released by its close */
}

bool sc_media__park(sc_media *m, sc_media_stream *st)
{
    if (m->nparked >= m->park_max || m->freeing)
        return false;
    uv_timer_stop(&st->timer);
    uv_timer_stop(&st->dtmf_timer);
    st->parked_ms = uv_now(m->loop);
    m->pair_used[st->pair] = SC_PAIR_PARKED;
    st->next = NULL;
    st->prev = m->park_tail;
    if (m->park_tail)
        m->park_tail->next = st;
    else
        m->park_head = st;
    m->park_tail = st;
    if (!m->nparked++) {
        uint64_t every = m->park_idle_ms < PARK_SWEEP_MS ? m->park_idle_ms : PARK_SWEEP_MS;
        uv_timer_start(&m->park_timer, sweep_cb, every, every);
    }
    return true;
}

sc_media_stream *sc_media__unpark(sc_media *m, bool any)
{
    sc_media_stream *st = m->park_head;
    if (!st || (!any && uv_now(m->loop) - st->parked_ms < m->park_quarantine_ms))
        return NULL;
    unlink_parked(m, st);
    return st;
}

sc_media_stream *sc_media__unpark_pair(sc_media *m, uint32_t pair)
{
    for (sc_media_stream *st = m->park_head; st; st = st->next)
        if (st->pair == pair) {
            unlink_parked(m, st);
            return st;
        }
    return NULL;
}

void sc_media__park_free(sc_media *m)
{
    while (m->park_head)
        close_parked(m, m->park_head);
    if (m->park_max)
        uv_close((uv_handle_t *)&m->park_timer, park_timer_closed);
}

uint32_t sc_media_pairs_parked(const sc_media *m) { return m ? m->nparked : 0; }
