/* srtp: the SRTP feature: the policy (off, optional, mandatory) a new offer is judged by at its
 * screen, the SDES keys of each leg (RFC 4568: ours from the OS CSPRNG, one per suite in our
 * offers, one in our answers; the peer's from its SDP) handed to the leg's stream, the keys kept
 * in the session's `srtp` field so that a recovered call keeps its SRTP context, and the
 * SRTP counters as metrics. Each leg negotiates on its own, so a B2BUA bridges an SRTP leg and a
 * plain one (the media module re-encrypts per leg). */
#include "coord/srtp.h"
#include "coord/media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD "srtp"

typedef struct srtp_state {
    sc_coord_srtp policy;
    bool offer_savp;       /* optional: our offers are RTP/SAVP */
    sc_obs_metric *m_pkts; /* sessioncore_srtp_packets_total{op} */
    sc_obs_metric *m_drop; /* sessioncore_srtp_dropped_total{reason} */
} srtp_state;

/* A leg's keys. */
struct sc_coord_srtp_leg {
    sc_sdp_crypto local[SC_SDP_MAX_CRYPTO]; /* ours: one per suite of our last offer, or the one of our answer */
    size_t nlocal;
    bool offered;         /* local is our offer's set (else our answer's) */
    bool offered_savp;    /* that offer was RTP/SAVP */
    bool active;          /* tx/rx are on the stream */
    sc_sdp_crypto tx, rx; /* in force: our key, the peer's */
};

static const sc_media_srtp_suite our_suites[] = {SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
                                                 SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, SC_MEDIA_SRTP_AEAD_AES_128_GCM};

/* The policy of leg (its route's, else the global one); leg NULL: the global one. */
static sc_coord_srtp policy_of(const sc_coord *c, const sc_coord_leg *leg)
{
    const srtp_state *st = sc_coord__feat(c, SC_FEAT_SRTP);
    if (!st)
        return SC_COORD_SRTP_OFF;
    if (leg && leg->srtp_policy >= 1 && leg->srtp_policy <= 3)
        return (sc_coord_srtp)(leg->srtp_policy - 1);
    return st->policy;
}

const char *sc_coord__srtp_policy_name(sc_coord_srtp p)
{
    return p == SC_COORD_SRTP_MANDATORY ? "mandatory" : p == SC_COORD_SRTP_OPTIONAL ? "optional" : "off";
}

/* The crypto line's suite, when the media module runs it. */
static bool runnable(const sc_sdp_crypto *k, sc_media_srtp_suite *suite)
{
    sc_media_srtp_suite s;
    if (sc_media_srtp_suite_parse(k->suite, &s) != 0 || !sc_media_srtp_supported(s) ||
        k->key_len != sc_media_srtp_key_len(s))
        return false;
    if (suite)
        *suite = s;
    return true;
}

/* The offer's first line we can run (the offerer's preference), or NULL. */
static const sc_sdp_crypto *first_runnable(const sc_sdp_info *offer)
{
    for (size_t i = 0; i < offer->crypto_count; i++)
        if (runnable(&offer->crypto[i], NULL))
            return &offer->crypto[i];
    return NULL;
}

const char *sc_coord__srtp_refusal(const sc_coord *c, const sc_coord_leg *leg, const sc_sdp_info *offer)
{
    sc_coord_srtp p = policy_of(c, leg);
    if (p == SC_COORD_SRTP_OFF)
        return offer->savp ? "RTP/SAVP offered and SRTP is off" : NULL;
    if (first_runnable(offer))
        return NULL;
    if (offer->savp)
        return offer->crypto_count + offer->crypto_unusable ? "no a=crypto line we can use"
                                                            : "RTP/SAVP without a=crypto";
    if (p == SC_COORD_SRTP_MANDATORY)
        return offer->crypto_unusable ? "no a=crypto line we can use (SRTP mandatory)"
                                      : "plain RTP offered and SRTP is mandatory";
    return NULL;
}

static struct sc_coord_srtp_leg *leg_state(sc_coord_leg *leg)
{
    if (!leg->srtp)
        leg->srtp = calloc(1, sizeof *leg->srtp);
    return leg->srtp;
}

static void wipe(struct sc_coord_srtp_leg *k) { memset(k, 0, sizeof *k); }

/* A key for suite with tag: the one in force when it has that suite (a re-offer or re-answer
 * keeps the context), else a fresh one. */
static int make_key(struct sc_coord_srtp_leg *k, sc_media_srtp_suite suite, unsigned tag, sc_sdp_crypto *out)
{
    memset(out, 0, sizeof *out);
    out->tag = tag;
    snprintf(out->suite, sizeof out->suite, "%s", sc_media_srtp_suite_name(suite));
    if (k->active && !strcmp(k->tx.suite, out->suite)) {
        memcpy(out->key, k->tx.key, k->tx.key_len);
        out->key_len = k->tx.key_len;
        return 0;
    }
    sc_media_srtp m;
    int rc = sc_media_srtp_keygen(&m, suite);
    if (rc)
        return rc;
    memcpy(out->key, m.key, m.key_len);
    out->key_len = m.key_len;
    memset(&m, 0, sizeof m);
    return 0;
}

int sc_coord__srtp_local(sc_coord_leg *leg, const sc_sdp_info *offer, sc_sdp_local *l)
{
    const srtp_state *st = sc_coord__feat(leg->c, SC_FEAT_SRTP);
    sc_coord_srtp policy = policy_of(leg->c, leg);
    l->crypto = NULL;
    l->crypto_count = 0;
    l->savp = false;
    if (!st || policy == SC_COORD_SRTP_OFF)
        return 0;
    struct sc_coord_srtp_leg *k = leg_state(leg);
    if (!k)
        return -ENOMEM;
    if (!offer) { /* our offer: a key for each suite we run, tags 1.. in our order of preference */
        size_t n = 0;
        for (size_t i = 0; i < sizeof our_suites / sizeof our_suites[0]; i++) {
            if (!sc_media_srtp_supported(our_suites[i]))
                continue;
            sc_sdp_crypto key;
            if (k->offered && n < k->nlocal && !strcmp(k->local[n].suite, sc_media_srtp_suite_name(our_suites[i])))
                key = k->local[n]; /* a re-offer keeps the keys of our last one */
            else if (make_key(k, our_suites[i], (unsigned)n + 1, &key) != 0)
                continue;
            k->local[n++] = key;
        }
        k->nlocal = n;
        k->offered = true;
        l->savp = policy == SC_COORD_SRTP_MANDATORY || st->offer_savp;
        k->offered_savp = l->savp;
    } else { /* our answer: one line, to the offer's first we can run */
        const sc_sdp_crypto *theirs = first_runnable(offer);
        sc_media_srtp_suite suite;
        if (!theirs || !runnable(theirs, &suite))
            return 0; /* plain (an RTP/SAVP offer is then refused by the answer) */
        if (make_key(k, suite, theirs->tag, &k->local[0]) != 0)
            return -EIO;
        k->nlocal = 1;
        k->offered = false;
    }
    l->crypto = k->local;
    l->crypto_count = k->nlocal;
    return 0;
}

static void to_media(const sc_sdp_crypto *c, sc_media_srtp *m)
{
    memset(m, 0, sizeof *m);
    sc_media_srtp_suite_parse(c->suite, &m->suite);
    memcpy(m->key, c->key, c->key_len);
    m->key_len = c->key_len;
}

/* The session's srtp field: "TAG SUITE tx=inline:KEY rx=inline:KEY", or unset for plain RTP. */
static void persist(sc_session *s, const struct sc_coord_srtp_leg *k)
{
    if (!s)
        return;
    if (!k || !k->active) {
        if (sc_session_field(s, SC_FIELD_SRTP))
            sc_session_set_field(s, SC_FIELD_SRTP, NULL);
        return;
    }
    char tx[128], rx[128], v[300];
    if (sc_sdp_crypto_format(&k->tx, tx, sizeof tx) < 0 || sc_sdp_crypto_format(&k->rx, rx, sizeof rx) < 0)
        return;
    /* "TAG SUITE inline:KEY" twice: keep the first's tag and suite, then both keys */
    const char *txkey = strstr(tx, "inline:"), *rxkey = strstr(rx, "inline:");
    snprintf(v, sizeof v, "%u %s tx=%s rx=%s", k->tx.tag, k->tx.suite, txkey, rxkey);
    sc_session_set_field(s, SC_FIELD_SRTP, v);
    memset(tx, 0, sizeof tx);
    memset(rx, 0, sizeof rx);
    memset(v, 0, sizeof v);
}

/* Put tx/rx on the stream (or plain when !active): false when the stream refused them. */
static bool to_stream(sc_coord_leg *leg, struct sc_coord_srtp_leg *k)
{
    sc_media_stream *st = leg->stream;
    if (!st)
        return true;
    if (!k || !k->active)
        return sc_media_stream_set_srtp(st, NULL, NULL) == 0;
    sc_media_srtp tx, rx;
    to_media(&k->tx, &tx);
    to_media(&k->rx, &rx);
    int rc = sc_media_stream_set_srtp(st, &tx, &rx);
    memset(&tx, 0, sizeof tx);
    memset(&rx, 0, sizeof rx);
    if (rc)
        sc_log(leg->c->logger, SC_LOG_WARN, MOD, "call %s: SRTP keys refused by the stream: %s", leg->id,
               sc_strerror(rc));
    return rc == 0;
}

bool sc_coord__srtp_apply(sc_coord_leg *leg, sc_session *s, const sc_sdp_info *info, bool answered)
{
    sc_coord_srtp p = policy_of(leg->c, leg);
    struct sc_coord_srtp_leg *k = leg->srtp;
    const sc_sdp_crypto *mine = NULL, *theirs = NULL;
    if (k && info->crypto_count) {
        theirs = &info->crypto[0];
        for (size_t i = 0; i < k->nlocal && !mine; i++) /* answer: our line; offer: the one answered */
            if (k->local[i].tag == theirs->tag && !strcmp(k->local[i].suite, theirs->suite))
                mine = &k->local[i];
    }
    /* without SRTP the media stays off: policy mandatory, an RTP/SAVP line, or our RTP/SAVP offer */
    bool want = p == SC_COORD_SRTP_MANDATORY || info->savp || (k && k->offered_savp && !answered);
    if (!mine || !theirs || !runnable(theirs, NULL)) {
        if (k)
            k->active = false;
        persist(s, k);
        if (want && p != SC_COORD_SRTP_OFF) {
            sc_log(leg->c->logger, SC_LOG_WARN, MOD,
                   "call %s: the peer's SDP has no SRTP key we can use: media stays off", leg->id);
            if (leg->stream)
                sc_media_stream_set_srtp(leg->stream, NULL, NULL);
            return false;
        }
        to_stream(leg, k);
        return true;
    }
    k->tx = *mine;
    k->rx = *theirs;
    k->active = true;
    if (!to_stream(leg, k)) {
        k->active = false;
        persist(s, k);
        return false;
    }
    persist(s, k);
    return true;
}

int sc_coord__srtp_recover(sc_coord_leg *leg, sc_session *s)
{
    const char *v = sc_session_field(s, SC_FIELD_SRTP);
    if (!v)
        return 0;
    unsigned tag = 0;
    char suite[32] = "", tx[64] = "", rx[64] = "";
    if (sscanf(v, "%u %31s tx=inline:%63s rx=inline:%63s", &tag, suite, tx, rx) != 4)
        return -EINVAL;
    char line[160];
    struct sc_coord_srtp_leg *k = leg_state(leg);
    if (!k)
        return -ENOMEM;
    snprintf(line, sizeof line, "%u %s inline:%s", tag, suite, tx);
    int rc = sc_sdp_crypto_parse(line, &k->tx);
    snprintf(line, sizeof line, "%u %s inline:%s", tag, suite, rx);
    if (rc == 0)
        rc = sc_sdp_crypto_parse(line, &k->rx);
    memset(line, 0, sizeof line);
    memset(tx, 0, sizeof tx);
    memset(rx, 0, sizeof rx);
    if (rc)
        return rc;
    k->local[0] = k->tx;
    k->nlocal = 1;
    k->offered = false;
    k->active = true;
    return to_stream(leg, k) ? 0 : -ENOTSUP;
}

/* ---- The feature ---------------------------------------------------------------------------------- */

static void leg_free(sc_coord_leg *leg)
{
    if (!leg->srtp)
        return;
    wipe(leg->srtp);
    free(leg->srtp);
    leg->srtp = NULL;
}

static void leg_usage(const sc_coord_leg *leg, size_t *bytes, unsigned *sockets)
{
    if (leg->srtp)
        *bytes += sizeof *leg->srtp;
}

static void inspect(sc_coord *c, const sc_session *s, json_t *out)
{
    sc_coord_leg *leg = sc_coord__leg(s);
    json_t *media = json_is_object(out) ? json_object_get(out, "media") : NULL;
    if (!json_is_object(media) || !leg)
        return;
    const struct sc_coord_srtp_leg *k = leg->srtp;
    if (!k)
        return; /* SRTP never offered nor answered on this leg */
    json_t *o = json_object();
    if (!o)
        return;
    json_object_set_new(o, "active", json_boolean(k->active));
    if (k->active)
        json_object_set_new(o, "suite", json_string(k->tx.suite)); /* never the keys */
    if (leg->stream) {
        sc_media_stats ms;
        sc_media_stream_stats(leg->stream, &ms);
        json_object_set_new(o, "protected", json_integer((json_int_t)ms.srtp_protected));
        json_object_set_new(o, "unprotected", json_integer((json_int_t)ms.srtp_unprotected));
        json_object_set_new(o, "auth_failures", json_integer((json_int_t)ms.srtp_auth_failures));
        json_object_set_new(o, "replays", json_integer((json_int_t)ms.srtp_replays));
    }
    json_object_set_new(media, "srtp", o);
}

static void collect(void *ud, sc_obs_registry *r)
{
    sc_coord *c = ud;
    srtp_state *st = sc_coord__feat(c, SC_FEAT_SRTP);
    if (!st)
        return;
    sc_media_srtp_counts t;
    sc_media_srtp_totals(sc_coord__media_ctx(c), &t);
    sc_obs_counter *x;
    if (st->m_pkts && (x = sc_obs_counter_with(st->m_pkts, "protect")) != NULL)
        x->value = t.protected_pkts;
    if (st->m_pkts && (x = sc_obs_counter_with(st->m_pkts, "unprotect")) != NULL)
        x->value = t.unprotected_pkts;
    if (st->m_drop && (x = sc_obs_counter_with(st->m_drop, "auth_failure")) != NULL)
        x->value = t.auth_failures;
    if (st->m_drop && (x = sc_obs_counter_with(st->m_drop, "replay")) != NULL)
        x->value = t.replays;
}

static int start(sc_coord *c, const sc_coord_config *cfg)
{
    srtp_state *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    c->feat[SC_FEAT_SRTP] = st;
    st->policy = cfg->srtp;
    st->offer_savp = cfg->srtp_offer_savp;
    if (st->policy != SC_COORD_SRTP_OFF && !sc_media_srtp_supported(SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80)) {
        sc_log(c->logger, SC_LOG_ERROR, MOD, "SRTP %s, but libsrtp2 cannot start",
               sc_coord__srtp_policy_name(st->policy));
        return -ENOTSUP;
    }
    if (st->policy != SC_COORD_SRTP_OFF) /* off: libsrtp2 (and its crypto library) is not even started */
        sc_log(c->logger, SC_LOG_INFO, MOD, "SRTP %s (suites: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32%s)",
               sc_coord__srtp_policy_name(st->policy),
               sc_media_srtp_supported(SC_MEDIA_SRTP_AEAD_AES_128_GCM) ? ", AEAD_AES_128_GCM" : "");
    if (!c->reg)
        return 0;
    sc_obs_desc p = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_srtp_packets_total",
                     .help = "SRTP and SRTCP packets protected (sent) and unprotected (received and authentic)",
                     .labels = {"op"}};
    sc_obs_desc d = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_srtp_dropped_total",
                     .help = "SRTP and SRTCP packets dropped: failed authentication, or replayed",
                     .labels = {"reason"}};
    int rc = sc_obs_register(c->reg, &p, &st->m_pkts);
    if (rc == 0)
        rc = sc_obs_register(c->reg, &d, &st->m_drop);
    if (rc == 0)
        rc = sc_obs_registry_add_collector(c->reg, collect, c);
    return rc;
}

static void stop(sc_coord *c)
{
    srtp_state *st = c->feat[SC_FEAT_SRTP];
    if (!st)
        return;
    if (c->reg)
        sc_obs_registry_remove_collector(c->reg, collect, c);
    free(st);
    c->feat[SC_FEAT_SRTP] = NULL;
}

const sc_coord_feature sc_coord__feature_srtp = {
    .name = "srtp",
    .needs = "media",
    .start = start,
    .stop = stop,
    .leg_free = leg_free,
    .leg_usage = leg_usage,
    .inspect = inspect,
};
