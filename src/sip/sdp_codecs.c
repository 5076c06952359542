/* sdp_codecs: the audio codecs of our SDP: the codecs we know (PCMU, PCMA, G.722 with RFC
 * 3551's 8000 clock, Opus as RFC 7587's opus/48000/2 with its fmtp), a preference list, our
 * offer's formats in that order with a telephone-event for each clock rate used, the answer's
 * pick (the first codec of our list that the offer has), and the acceptability check of an
 * offer. Pure functions. */
#include "sip/sdp_codecs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OPUS_PT 111 /* our offer's dynamic payload type for Opus */
#define TE48_PT 110 /* and for telephone-event/48000 (101, or local->dtmf_pt: /8000) */
#define MAX_LIST 8  /* codecs in a preference list */
#define DEFAULT_LIST "pcmu,pcma"
/* what we announce for Opus: we send mono, decode mono or stereo (downmixed), any bandwidth;
 * in-band FEC is welcome (a relayed peer's decoder uses it) */
#define OPUS_FMTP "maxplaybackrate=48000;stereo=0;sprop-stereo=0;useinbandfec=1"

typedef struct known_codec {
    const char *id;   /* in preference lists */
    const char *name; /* encoding name in SDP */
    int static_pt;    /* -1: dynamic */
    int rate;         /* RTP clock */
    const char *channels;
} known_codec;

static const known_codec known[] = {
    {"pcmu", "PCMU", 0, 8000, ""},
    {"pcma", "PCMA", 8, 8000, ""},
    {"g722", "G722", 9, 8000, ""}, /* RFC 3551 4.5.2: 8000 although the audio is 16 kHz */
    {"opus", "opus", -1, 48000, "/2"},
};
#define NKNOWN (sizeof known / sizeof known[0])

int sc_sdp__static_rate(int pt, const char **name)
{
    for (size_t i = 0; i < NKNOWN; i++)
        if (known[i].static_pt == pt) {
            *name = known[i].name;
            return known[i].rate;
        }
    *name = "";
    return 0;
}

static const known_codec *by_id(const char *id, size_t n)
{
    for (size_t i = 0; i < NKNOWN; i++)
        if (strlen(known[i].id) == n && !strncasecmp(known[i].id, id, n))
            return &known[i];
    return NULL;
}

/* Splits list into known codecs, in order; -EINVAL on an unknown or repeated name. */
static int parse_list(const char *list, const known_codec **out, size_t *n, const char **bad)
{
    *n = 0;
    const char *p = list ? list : DEFAULT_LIST;
    while (*p) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, " ,");
        if (!len)
            break;
        const known_codec *k = by_id(p, len);
        bool dup = false;
        for (size_t i = 0; k && i < *n; i++)
            dup |= out[i] == k;
        if (!k || dup || *n >= MAX_LIST) {
            if (bad)
                *bad = p;
            return -EINVAL;
        }
        out[(*n)++] = k;
        p += len;
    }
    if (*n == 0) {
        if (bad)
            *bad = p;
        return -EINVAL;
    }
    return 0;
}

int sc_sdp_codecs_check(const char *list, const char **bad)
{
    const known_codec *k[MAX_LIST];
    size_t n;
    if (!list)
        return -EINVAL;
    return parse_list(list, k, &n, bad);
}

void sc_sdp_codecs_prefer(const char *list, const char *codec, char *out, size_t cap)
{
    const known_codec *k[MAX_LIST];
    size_t n = 0;
    if (!out || !cap)
        return;
    out[0] = '\0';
    if (parse_list(list, k, &n, NULL) < 0)
        return;
    const known_codec *first = codec ? by_id(codec, strcspn(codec, "/")) : NULL; /* "opus/48000": opus */
    size_t len = 0;
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            if ((pass == 0) != (k[i] == first))
                continue;
            int w = snprintf(out + len, cap - len, "%s%s", len ? "," : "", k[i]->id);
            if (w < 0 || (size_t)w >= cap - len)
                return;
            len += (size_t)w;
        }
}

/* An offered codec is this known one (name and clock; a static pt without rtpmap too). */
static bool matches(const sc_sdp_codec *c, const known_codec *k)
{
    return !strcasecmp(c->name, k->name) && (c->rate == k->rate || (c->rate == 0 && k->static_pt == c->pt));
}

static bool is_te(const sc_sdp_codec *c, int rate)
{
    return !strcasecmp(c->name, "telephone-event") && (c->rate == rate || (c->rate == 0 && rate == 8000));
}

const char *sc_sdp_codecs_pick(const sc_sdp_info *offer, const char *list)
{
    const known_codec *k[MAX_LIST];
    size_t n;
    if (!offer || parse_list(list, k, &n, NULL) < 0)
        return NULL;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < offer->codec_count; i++)
            if (matches(&offer->codecs[i], k[j]))
                return k[j]->id;
    return NULL;
}

bool sc_sdp_offer_acceptable(const sc_sdp_info *offer, const char *list)
{
    return sc_sdp_codecs_pick(offer, list) != NULL;
}

const char *sc_sdp__attr_pt(const char *value, int *pt)
{
    char *end;
    long n = strtol(value, &end, 10);
    if (end == value || n < 0 || n > 127)
        return NULL;
    while (*end == ' ')
        end++;
    *pt = (int)n;
    return end;
}

void sc_sdp__apply_fmtp(sc_sdp_info *out, const char *value)
{
    int pt;
    const char *rest = sc_sdp__attr_pt(value, &pt);
    for (size_t i = 0; rest && i < out->codec_count; i++)
        if (out->codecs[i].pt == pt)
            snprintf(out->codecs[i].fmtp, sizeof out->codecs[i].fmtp, "%s", rest);
}

/* The value of param in an fmtp ("a=1;b=2" or "a=1; b=2"); -1 when absent. */
static long fmtp_param(const char *fmtp, const char *param)
{
    size_t pl = strlen(param);
    for (const char *p = fmtp; p && *p;) {
        p += strspn(p, " ;");
        if (!strncasecmp(p, param, pl) && p[pl] == '=')
            return strtol(p + pl + 1, NULL, 10);
        p = strchr(p, ';');
    }
    return -1;
}

void sc_sdp_opus_params(const char *fmtp, bool *fec, bool *stereo, unsigned *maxrate)
{
    long v;
    if (fec)
        *fec = fmtp && fmtp_param(fmtp, "useinbandfec") == 1;
    if (stereo)
        *stereo = fmtp && fmtp_param(fmtp, "stereo") == 1;
    if (maxrate)
        *maxrate = fmtp && (v = fmtp_param(fmtp, "maxplaybackrate")) >= 8000 && v <= 48000 ? (unsigned)v : 0;
}

int sc_sdp__offer_codecs(const sc_sdp_local *l, char *fmts, size_t fcap, char *attrs, size_t acap)
{
    const known_codec *k[MAX_LIST];
    size_t n, fl = 0, al = 0;
    if (parse_list(l->codecs, k, &n, NULL) < 0)
        return -EINVAL;
    /* dynamic payload types: the ones negotiated before, else ours; never the same twice */
    int te8 = l->dtmf_pt >= 96 && l->dtmf_pt <= 127 ? l->dtmf_pt : 101;
    int opus = l->opus_pt >= 96 && l->opus_pt <= 127 && l->opus_pt != te8 ? l->opus_pt : OPUS_PT;
    while (opus == te8)
        opus = opus == 127 ? 96 : opus + 1;
    int te48 = TE48_PT;
    while (te48 == te8 || te48 == opus)
        te48 = te48 == 96 ? 127 : te48 - 1;
    bool rate8 = false, rate48 = false;
    int w;
#define PUT(buf, len, cap, ...)                          \
    do {                                                 \
        w = snprintf(buf + len, cap - len, __VA_ARGS__); \
        if (w < 0 || (size_t)w >= cap - len)             \
            return -ENOSPC;                              \
        len += (size_t)w;                                \
    } while (0)
    fmts[0] = attrs[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int pt = k[i]->static_pt >= 0 ? k[i]->static_pt : opus;
        PUT(fmts, fl, fcap, " %d", pt);
        PUT(attrs, al, acap, "a=rtpmap:%d %s/%d%s\r\n", pt, k[i]->name, k[i]->rate, k[i]->channels);
        if (k[i]->static_pt < 0)
            PUT(attrs, al, acap, "a=fmtp:%d %s\r\n", pt, OPUS_FMTP);
        rate8 |= k[i]->rate == 8000;
        rate48 |= k[i]->rate == 48000;
    }
    if (!l->no_dtmf && rate48) {
        PUT(fmts, fl, fcap, " %d", te48);
        PUT(attrs, al, acap, "a=rtpmap:%d telephone-event/48000\r\na=fmtp:%d 0-16\r\n", te48, te48);
    }
    if (!l->no_dtmf && rate8) {
        PUT(fmts, fl, fcap, " %d", te8);
        PUT(attrs, al, acap, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", te8, te8);
    }
#undef PUT
    return 0;
}

int sc_sdp__answer_pick(const sc_sdp_info *offer, const char *list, bool no_dtmf, sc_sdp_info *neg)
{
    const known_codec *k[MAX_LIST];
    size_t n;
    if (parse_list(list, k, &n, NULL) < 0)
        return -EINVAL;
    neg->codec_count = 0;
    neg->dtmf_pt = -1;
    const known_codec *chosen = NULL;
    for (size_t j = 0; j < n && !chosen; j++)
        for (size_t i = 0; i < offer->codec_count; i++)
            if (matches(&offer->codecs[i], k[j])) {
                neg->codecs[neg->codec_count++] = offer->codecs[i];
                chosen = k[j];
                break;
            }
    if (!chosen)
        return -ENOTSUP;
    /* RFC 4733 2.1: telephone-event at the audio's clock; a peer offering only /8000 with
     * Opus gets that one (its events are timed in 8000 units then) */
    for (int pass = 0; pass < 2 && !no_dtmf && neg->dtmf_pt < 0; pass++) {
        int rate = pass == 0 ? chosen->rate : 8000;
        for (size_t i = 0; i < offer->codec_count; i++)
            if (is_te(&offer->codecs[i], rate)) {
                neg->codecs[neg->codec_count++] = offer->codecs[i];
                neg->dtmf_pt = offer->codecs[i].pt;
                break;
            }
    }
    return 0;
}

void sc_sdp__codec_lines(const sc_sdp_codec *c, int dtmf_pt, char *buf, size_t cap)
{
    bool opus = !strcasecmp(c->name, "opus");
    int rate = c->rate ? c->rate : 8000;
    if (c->pt == dtmf_pt)
        snprintf(buf, cap, "a=rtpmap:%d %s/%d\r\na=fmtp:%d 0-16\r\n", c->pt, c->name, rate, c->pt);
    else if (opus)
        snprintf(buf, cap, "a=rtpmap:%d %s/%d/2\r\na=fmtp:%d %s\r\n", c->pt, c->name, rate, c->pt, OPUS_FMTP);
    else
        snprintf(buf, cap, "a=rtpmap:%d %s/%d\r\n", c->pt, c->name, rate);
}
