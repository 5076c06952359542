/* srtp: SRTP and SRTCP (RFC 3711) on a stream with libsrtp2, at the socket boundary: packets are
 * protected just before they are sent and authenticated and decrypted just after the source
 * check, so everything in between (the bridge, MOH, DTMF, RTCP reports) works on plain RTP and a
 * bridge between two legs re-encrypts with each leg's own keys. */
#include "media/media_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

_Static_assert(SC_MEDIA_SRTP_TRAILER >= SRTP_MAX_TRAILER_LEN + 4, "room for the SRTCP trailer");

#define REPLAY_WINDOW 1024 /* packets of the receive replay window (libsrtp's default is 128) */

struct sc_media_srtp_ctx {
    srtp_t tx, rx;        /* outbound (any SSRC we send) and inbound (any SSRC we accept) */
    sc_media_srtp tx_key; /* kept to see whether a new setting changes anything */
    sc_media_srtp rx_key;
};

/* ---- libsrtp2: initialised once per process ------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status = -1;
static bool gcm_ok;

static void set_policy(sc_media_srtp_suite suite, srtp_policy_t *p)
{
    switch (suite) {
    case SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
        break;
    case SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32:
        /* RFC 4568 6.2.2: a 32-bit tag for SRTP, the 80-bit one for SRTCP */
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
        break;
    case SC_MEDIA_SRTP_AEAD_AES_128_GCM:
        /* RFC 7714: 16-octet tag for both */
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
        break;
    default: break;
    }
}

/* One session for key and direction: 0, -ENOTSUP (the suite is not in this libsrtp2), -ENOMEM. */
static int session_new(srtp_t *out, const sc_media_srtp *k, bool inbound)
{
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    set_policy(k->suite, &p);
    uint8_t key[SC_MEDIA_SRTP_KEY_MAX];
    memcpy(key, k->key, sizeof key);
    p.key = key;
    p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    p.window_size = REPLAY_WINDOW;
    p.allow_repeat_tx = 1; /* a relayed duplicate goes out with the same sequence number */
    srtp_err_status_t e = srtp_create(out, &p);
    memset(key, 0, sizeof key);
    if (e == srtp_err_status_ok)
        return 0;
    return e == srtp_err_status_alloc_fail ? -ENOMEM : -ENOTSUP;
}

static void init_lib(void)
{
    if (srtp_init() != srtp_err_status_ok)
        return;
    init_status = 0;
    /* AEAD_AES_128_GCM only where libsrtp2 was built with a crypto library that has it */
    sc_media_srtp k = {.suite = SC_MEDIA_SRTP_AEAD_AES_128_GCM};
    srtp_t s = NULL;
    if (session_new(&s, &k, false) == 0) {
        gcm_ok = true;
        srtp_dealloc(s);
    }
}

static int lib_ready(void)
{
    pthread_once(&init_once, init_lib);
    return init_status;
}

/* ---- Suites ------------------------------------------------------------------------------------ */

static const struct {
    sc_media_srtp_suite suite;
    const char *name;
    size_t key_len; /* master key + master salt */
} suites[] = {
    {SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 30},
    {SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", 30},
    {SC_MEDIA_SRTP_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 28},
};
#define NSUITES (sizeof suites / sizeof suites[0])

const char *sc_media_srtp_suite_name(sc_media_srtp_suite s)
{
    for (size_t i = 0; i < NSUITES; i++)
        if (suites[i].suite == s)
            return suites[i].name;
    return NULL;
}

int sc_media_srtp_suite_parse(const char *name, sc_media_srtp_suite *out)
{
    for (size_t i = 0; name && i < NSUITES; i++)
        if (!strcmp(suites[i].name, name)) {
            *out = suites[i].suite;
            return 0;
        }
    return -ENOENT;
}

size_t sc_media_srtp_key_len(sc_media_srtp_suite s)
{
    for (size_t i = 0; i < NSUITES; i++)
        if (suites[i].suite == s)
            return suites[i].key_len;
    return 0;
}

bool sc_media_srtp_supported(sc_media_srtp_suite s)
{
    if (lib_ready() != 0 || !sc_media_srtp_key_len(s))
        return false;
    return s != SC_MEDIA_SRTP_AEAD_AES_128_GCM || gcm_ok;
}

int sc_media_srtp_keygen(sc_media_srtp *k, sc_media_srtp_suite suite)
{
    if (!k || !sc_media_srtp_supported(suite))
        return -ENOTSUP;
    memset(k, 0, sizeof *k);
    k->suite = suite;
    k->key_len = sc_media_srtp_key_len(suite);
    sc_random_bytes(k->key, k->key_len);
    return 0;
}

/* ---- A stream's contexts ---------------------------------------------------------------------- */

static bool key_ok(const sc_media_srtp *k)
{
    return k && sc_media_srtp_key_len(k->suite) && k->key_len == sc_media_srtp_key_len(k->suite);
}

static bool same_key(const sc_media_srtp *a, const sc_media_srtp *b)
{
    return a->suite == b->suite && a->key_len == b->key_len && !memcmp(a->key, b->key, a->key_len);
}

void sc_srtp__free(sc_media_stream *st)
{
    struct sc_media_srtp_ctx *c = st->srtp;
    if (!c)
        return;
    if (c->tx)
        srtp_dealloc(c->tx);
    if (c->rx)
        srtp_dealloc(c->rx);
    memset(c, 0, sizeof *c); /* no key material left in freed memory */
    free(c);
    st->srtp = NULL;
}

int sc_media_stream_set_srtp(sc_media_stream *st, const sc_media_srtp *tx, const sc_media_srtp *rx)
{
    if (!st || st->closing || (!tx) != (!rx))
        return -EINVAL;
    if (!tx) {
        sc_srtp__free(st);
        return 0;
    }
    if (!key_ok(tx) || !key_ok(rx))
        return -EINVAL;
    if (!sc_media_srtp_supported(tx->suite) || !sc_media_srtp_supported(rx->suite))
        return -ENOTSUP;
    /* a direction whose key is unchanged keeps its context (rollover counter, replay window):
     * a re-INVITE that re-keys one side must not restart the other's packet index */
    struct sc_media_srtp_ctx *old = st->srtp;
    bool keep_tx = old && same_key(&old->tx_key, tx), keep_rx = old && same_key(&old->rx_key, rx);
    if (keep_tx && keep_rx)
        return 0;
    struct sc_media_srtp_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    int rc = keep_tx ? 0 : session_new(&c->tx, tx, false);
    if (rc == 0 && !keep_rx)
        rc = session_new(&c->rx, rx, true);
    if (rc) {
        if (c->tx)
            srtp_dealloc(c->tx);
        free(c);
        return rc;
    }
    if (keep_tx) { /* moved over from the old contexts */
        c->tx = old->tx;
        old->tx = NULL;
    }
    if (keep_rx) {
        c->rx = old->rx;
        old->rx = NULL;
    }
    c->tx_key = *tx;
    c->rx_key = *rx;
    sc_srtp__free(st);
    st->srtp = c;
    return 0;
}

bool sc_media_stream_srtp(const sc_media_stream *st) { return st && st->srtp; }

/* ---- Per packet ------------------------------------------------------------------------------- */

int sc_srtp__protect(sc_media_stream *st, bool rtcp, uint8_t *pkt, size_t *len, size_t cap)
{
    struct sc_media_srtp_ctx *c = st->srtp;
    if (*len > INT32_MAX || *len + SRTP_MAX_TRAILER_LEN + 4 > cap)
        return -ENOSPC;
    int n = (int)*len;
    srtp_err_status_t e = rtcp ? srtp_protect_rtcp(c->tx, pkt, &n) : srtp_protect(c->tx, pkt, &n);
    if (e != srtp_err_status_ok)
        return -EIO;
    *len = (size_t)n;
    st->stats.srtp_protected++;
    st->m->srtp_totals.protected_pkts++;
    return 0;
}

int sc_srtp__unprotect(sc_media_stream *st, bool rtcp, uint8_t *pkt, size_t *len)
{
    struct sc_media_srtp_ctx *c = st->srtp;
    sc_media *m = st->m;
    /* libsrtp reads the header it authenticates: anything shorter than one is not SRTP */
    if (*len < (rtcp ? 8u + 4u : 12u) || *len > INT32_MAX) {
        st->stats.srtp_auth_failures++;
        m->srtp_totals.auth_failures++;
        return -EBADMSG;
    }
    int n = (int)*len;
    srtp_err_status_t e = rtcp ? srtp_unprotect_rtcp(c->rx, pkt, &n) : srtp_unprotect(c->rx, pkt, &n);
    if (e == srtp_err_status_ok) {
        *len = (size_t)n;
        st->stats.srtp_unprotected++;
        m->srtp_totals.unprotected_pkts++;
        return 0;
    }
    if (e == srtp_err_status_replay_fail || e == srtp_err_status_replay_old) {
        st->stats.srtp_replays++;
        m->srtp_totals.replays++;
        return -EALREADY;
    }
    st->stats.srtp_auth_failures++;
    m->srtp_totals.auth_failures++;
    return -EBADMSG;
}

void sc_media_srtp_totals(const sc_media *m, sc_media_srtp_counts *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (m)
        *out = m->srtp_totals;
}
