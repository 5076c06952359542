/* dlg: a call's dialog state kept compact (sip_dialog): its seven strings at their exact size
 * in two blocks (the identity, set once, and what the dialog changes), repacked when one of
 * theirs changes, its addresses in 28 bytes (sip_addr), and the
 * conversions to and from the public plain-data form (sc_sip_dialog_state) that is persisted
 * and restored. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_int.h"

static const char empty[] = "";

static const size_t field_off[SIP_DF__COUNT] = {
    offsetof(sip_dialog, call_id),   offsetof(sip_dialog, local_tag),  offsetof(sip_dialog, remote_tag),
    offsetof(sip_dialog, local_uri), offsetof(sip_dialog, remote_uri), offsetof(sip_dialog, remote_target),
    offsetof(sip_dialog, route_set),
};

/* The limits of sc_sip_dialog_state's buffers: a value must be shorter. */
static const size_t field_max[SIP_DF__COUNT] = {
    SC_SIP_CALLID_MAX, SC_SIP_TAG_MAX, SC_SIP_TAG_MAX,      SC_SIP_URI_MAX,
    SC_SIP_URI_MAX,    SC_SIP_URI_MAX, SC_SIP_ROUTESET_MAX,
};

/* The block of each field: 0 the identity (never changes once the call is made: its pointers
 * stay valid), 1 the peer's tag, target and route set. */
static const int field_block[SIP_DF__COUNT] = {0, 0, 1, 0, 0, 1, 1};

static const char **slot(sip_dialog *d, sip_dlg_field f) { return (const char **)(void *)((char *)d + field_off[f]); }
static const char *get(const sip_dialog *d, sip_dlg_field f)
{
    return *(const char *const *)(const void *)((const char *)d + field_off[f]);
}

void sip_dlg_init(sip_dialog *d)
{
    for (int f = 0; f < SIP_DF__COUNT; f++)
        *slot(d, (sip_dlg_field)f) = empty;
    d->str[0] = d->str[1] = NULL;
}

void sip_dlg_free(sip_dialog *d)
{
    free(d->str[0]);
    free(d->str[1]);
    sip_dlg_init(d);
}

/* The blocks rebuilt from v[f] (len[f] bytes each, no NUL needed), each only when one of its
 * fields is not its current value (the same pointer); the old ones freed after the copy, so v
 * may point into them. Empty strings take no room (they point at a static ""). */
static int repack(sip_dialog *d, const char *const v[SIP_DF__COUNT], const size_t len[SIP_DF__COUNT])
{
    size_t total[2] = {0, 0};
    bool redo[2] = {false, false};
    for (int f = 0; f < SIP_DF__COUNT; f++) {
        if (len[f] >= field_max[f])
            return -ENAMETOOLONG;
        total[field_block[f]] += len[f] ? len[f] + 1 : 0;
        redo[field_block[f]] |= v[f] != get(d, (sip_dlg_field)f);
    }
    char *blk[2] = {NULL, NULL};
    for (int b = 0; b < 2; b++)
        if (redo[b] && total[b] && !(blk[b] = malloc(total[b]))) {
            free(blk[0]);
            return -ENOMEM;
        }
    const char *at[SIP_DF__COUNT];
    size_t pos[2] = {0, 0};
    for (int f = 0; f < SIP_DF__COUNT; f++) {
        int b = field_block[f];
        if (!redo[b] || !len[f]) {
            at[f] = redo[b] ? empty : get(d, (sip_dlg_field)f);
            continue;
        }
        memcpy(blk[b] + pos[b], v[f], len[f]);
        blk[b][pos[b] + len[f]] = '\0';
        at[f] = blk[b] + pos[b];
        pos[b] += len[f] + 1;
    }
    for (int b = 0; b < 2; b++)
        if (redo[b]) {
            free(d->str[b]);
            d->str[b] = blk[b];
        }
    for (int f = 0; f < SIP_DF__COUNT; f++)
        *slot(d, (sip_dlg_field)f) = at[f];
    return 0;
}

int sip_dlg_setv(sip_dialog *d, const char *const v[SIP_DF__COUNT])
{
    const char *src[SIP_DF__COUNT];
    size_t len[SIP_DF__COUNT];
    for (int f = 0; f < SIP_DF__COUNT; f++) {
        src[f] = v[f] ? v[f] : get(d, (sip_dlg_field)f);
        len[f] = strlen(src[f]);
    }
    return repack(d, src, len);
}

/* A value no longer than the one it replaces is written over it in the block (never fails: a
 * tag cleared or a shorter target costs no allocation); a longer one repacks. */
int sip_dlg_set(sip_dialog *d, sip_dlg_field f, const char *v)
{
    const char *old = get(d, f);
    size_t n = v ? strlen(v) : 0, had = strlen(old);
    if (n == 0) {
        *slot(d, f) = empty;
        return 0;
    }
    if (n <= had && old != empty) {
        memmove((char *)old, v, n + 1); /* our own block: writable */
        return 0;
    }
    const char *all[SIP_DF__COUNT] = {NULL};
    all[f] = v;
    return sip_dlg_setv(d, all);
}

int sip_dlg_copy(sip_dialog *dst, const sip_dialog *src)
{
    sip_dialog tmp = *src;
    sip_dlg_init(&tmp);
    const char *v[SIP_DF__COUNT];
    for (int f = 0; f < SIP_DF__COUNT; f++)
        v[f] = get(src, (sip_dlg_field)f);
    int rc = sip_dlg_setv(&tmp, v);
    if (rc != 0)
        return rc;
    sip_dlg_free(dst);
    *dst = tmp;
    return 0;
}

/* A public buffer's string: at most cap - 1 bytes, NUL or not. */
static size_t bounded(const char *s, size_t cap) { return strnlen(s, cap - 1); }

int sip_dlg_from_state(sip_dialog *d, const sc_sip_dialog_state *st)
{
    const char *v[SIP_DF__COUNT] = {st->call_id,    st->local_tag,     st->remote_tag, st->local_uri,
                                    st->remote_uri, st->remote_target, st->route_set};
    const size_t len[SIP_DF__COUNT] = {
        bounded(st->call_id, sizeof st->call_id),       bounded(st->local_tag, sizeof st->local_tag),
        bounded(st->remote_tag, sizeof st->remote_tag), bounded(st->local_uri, sizeof st->local_uri),
        bounded(st->remote_uri, sizeof st->remote_uri), bounded(st->remote_target, sizeof st->remote_target),
        bounded(st->route_set, sizeof st->route_set),
    };
    int rc = repack(d, v, len);
    if (rc != 0)
        return rc;
    d->local_cseq = st->local_cseq;
    d->remote_cseq = st->remote_cseq;
    d->transport = st->transport;
    sip_addr_set(&d->local_addr, &st->local_addr);
    sip_addr_set(&d->remote_addr, &st->remote_addr);
    d->secure = st->secure;
    d->is_uac = st->is_uac;
    d->phase = st->phase;
    return 0;
}

/* s (shorter than its limit, which is cap) into a public buffer. */
static void put(char *dst, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

void sip_dlg_to_state(const sip_dialog *d, sc_sip_dialog_state *out)
{
    memset(out, 0, sizeof *out);
    put(out->call_id, sizeof out->call_id, d->call_id);
    put(out->local_tag, sizeof out->local_tag, d->local_tag);
    put(out->remote_tag, sizeof out->remote_tag, d->remote_tag);
    put(out->local_uri, sizeof out->local_uri, d->local_uri);
    put(out->remote_uri, sizeof out->remote_uri, d->remote_uri);
    put(out->remote_target, sizeof out->remote_target, d->remote_target);
    put(out->route_set, sizeof out->route_set, d->route_set);
    out->local_cseq = d->local_cseq;
    out->remote_cseq = d->remote_cseq;
    out->transport = d->transport;
    sip_addr_ss(&d->local_addr, &out->local_addr);
    sip_addr_ss(&d->remote_addr, &out->remote_addr);
    out->secure = d->secure;
    out->is_uac = d->is_uac;
    out->phase = d->phase;
}

void sip_addr_set(sip_addr *a, const struct sockaddr_storage *ss)
{
    memset(a, 0, sizeof *a);
    if (ss->ss_family == AF_INET)
        memcpy(&a->in, ss, sizeof a->in);
    else if (ss->ss_family == AF_INET6)
        memcpy(&a->in6, ss, sizeof a->in6);
}

struct sockaddr_storage *sip_addr_ss(const sip_addr *a, struct sockaddr_storage *buf)
{
    memset(buf, 0, sizeof *buf);
    if (a->sa.sa_family == AF_INET)
        memcpy(buf, &a->in, sizeof a->in);
    else if (a->sa.sa_family == AF_INET6)
        memcpy(buf, &a->in6, sizeof a->in6);
    return buf;
}
