/* SDP for audio calls: parse a remote body (libosip2's SDP parser), build offers and RFC 3264
 * answers (PCMU, PCMA, telephone-event), and detect hold and resume. Pure functions. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <osipparser2/sdp_message.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session_core/sip.h"
#include "sip/sdp_crypto.h"
#include "sip/sdp_codecs.h"

static const char *const dir_names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

const char *sc_sdp_direction_name(sc_sdp_direction d) { return (unsigned)d < 4 ? dir_names[d] : "?"; }

int sc_sdp_direction_parse(const char *name, sc_sdp_direction *out)
{
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, dir_names[i]) == 0) {
            *out = (sc_sdp_direction)i;
            return 0;
        }
    return -EINVAL;
}

static void copy_str(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

static int static_rate(int pt, const char **name) { return sc_sdp__static_rate(pt, name); }

/* Reads "pt name/rate" of an rtpmap value into the codec of the same pt. */
static void apply_rtpmap(sc_sdp_info *out, const char *value)
{
    int pt;
    const char *end = sc_sdp__attr_pt(value, &pt);
    if (!end)
        return;
    char name[32] = "";
    size_t n = strcspn(end, "/ ");
    if (n >= sizeof name)
        n = sizeof name - 1;
    memcpy(name, end, n);
    name[n] = '\0';
    int rate = end[n] == '/' ? atoi(end + n + 1) : 0;
    for (size_t i = 0; i < out->codec_count; i++)
        if (out->codecs[i].pt == pt) {
            copy_str(out->codecs[i].name, sizeof out->codecs[i].name, name);
            out->codecs[i].rate = rate;
        }
}

static bool usable_addr(const char *addr, int *family)
{
    unsigned char buf[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, addr, buf) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, addr, buf) == 1) {
        *family = AF_INET6;
        return true;
    }
    return false;
}

static int parse_attrs(sdp_message_t *sdp, int m, sc_sdp_info *out, bool *dir_set)
{
    for (int i = 0; i < 64; i++) {
        const char *f = sdp_message_a_att_field_get(sdp, m, i);
        if (!f)
            break;
        const char *v = sdp_message_a_att_value_get(sdp, m, i);
        sc_sdp_direction d;
        if (sc_sdp_direction_parse(f, &d) == 0) {
            out->direction = d;
            *dir_set = true;
        } else if (m >= 0 && strcmp(f, "rtpmap") == 0 && v) {
            apply_rtpmap(out, v);
        } else if (m >= 0 && strcmp(f, "fmtp") == 0 && v) {
            sc_sdp__apply_fmtp(out, v); /* sdp_codecs.c: Opus parameters */
        } else if (m >= 0 && strcmp(f, "ptime") == 0 && v) {
            out->ptime = atoi(v);
        } else if (m >= 0 && strcmp(f, "crypto") == 0 && v) {
            sc_sdp__crypto_attr(out, v); /* SRTP keys (sdp_crypto.c) */
        }
    }
    return 0;
}

static int fill_info(sdp_message_t *sdp, sc_sdp_info *out)
{
    const char *sid = sdp_message_o_sess_id_get(sdp);
    const char *sver = sdp_message_o_sess_version_get(sdp);
    out->session_id = sid ? strtoull(sid, NULL, 10) : 0;
    out->session_version = sver ? strtoull(sver, NULL, 10) : 0;
    out->dtmf_pt = -1;
    out->audio_index = -1;
    bool dir_set = false;
    parse_attrs(sdp, -1, out, &dir_set); /* session-level direction is the default */
    sc_sdp_direction session_dir = out->direction;
    for (int m = 0;; m++) {
        const char *media = sdp_message_m_media_get(sdp, m);
        if (!media)
            break;
        if (m == SC_SDP_MAX_MEDIA)
            return -ENOTSUP; /* every m= line needs its line in the answer (RFC 3264 6): 488 */
        out->media_count++;
        copy_str(out->media_types[m], sizeof out->media_types[m], media);
        copy_str(out->media_protos[m], sizeof out->media_protos[m], sdp_message_m_proto_get(sdp, m));
        copy_str(out->media_fmt[m], sizeof out->media_fmt[m], sdp_message_m_payload_get(sdp, m, 0));
        if (out->audio_index >= 0 || strcmp(media, "audio") != 0)
            continue;
        const char *proto = sdp_message_m_proto_get(sdp, m);
        if (!proto || (strncmp(proto, "RTP/AVP", 7) != 0 && strcmp(proto, "RTP/SAVP") != 0))
            continue;
        out->audio_index = m;
        out->savp = !strcmp(proto, "RTP/SAVP");
        const char *port = sdp_message_m_port_get(sdp, m);
        long p = port ? strtol(port, NULL, 10) : -1;
        if (p < 0 || p > 65535)
            return SC_E_PARSE;
        out->port = (uint16_t)p;
        for (int i = 0; i < 64; i++) {
            const char *pl = sdp_message_m_payload_get(sdp, m, i);
            if (!pl)
                break;
            char *end;
            long pt = strtol(pl, &end, 10);
            if (*end || pt < 0 || pt > 127 || out->codec_count >= SC_SDP_MAX_CODECS)
                continue;
            sc_sdp_codec *c = &out->codecs[out->codec_count++];
            const char *name;
            c->pt = (int)pt;
            c->rate = static_rate(c->pt, &name);
            copy_str(c->name, sizeof c->name, name);
        }
        out->direction = session_dir;
        parse_attrs(sdp, m, out, &dir_set);
        const char *addr = sdp_message_c_addr_get(sdp, m, 0);
        if (!addr)
            addr = sdp_message_c_addr_get(sdp, -1, 0);
        copy_str(out->conn_addr, sizeof out->conn_addr, addr);
    }
    for (size_t i = 0; i < out->codec_count; i++)
        if (strcasecmp(out->codecs[i].name, "telephone-event") == 0)
            out->dtmf_pt = out->codecs[i].pt;
    if (out->audio_index < 0)
        return -ENOENT;
    if (!usable_addr(out->conn_addr, &out->family))
        return -EADDRNOTAVAIL;
    return 0;
}

/* The body with every line ending (CRLF, bare LF or bare CR) made CRLF, a final CRLF, and NUL
 * padding behind it: libosip2's sdp_message_parse reads past the end of a body whose lines end
 * in a bare CR or LF (a heap over-read in libosip2 5.3, Debian 12's). NULL: -ENOMEM. A NUL
 * inside the body is kept (and refused by the caller). */
#define SDP_PAD 8
static char *normalise_lines(const char *body, size_t len, size_t *out_len)
{
    char *o = malloc(2 * len + 2 + SDP_PAD);
    if (!o)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (body[i] == '\r' || body[i] == '\n') {
            if (body[i] == '\r' && i + 1 < len && body[i + 1] == '\n')
                i++;
            o[n++] = '\r';
            o[n++] = '\n';
        } else {
            o[n++] = body[i];
        }
    }
    if (n < 2 || o[n - 1] != '\n') {
        o[n++] = '\r';
        o[n++] = '\n';
    }
    memset(o + n, 0, SDP_PAD);
    *out_len = n;
    return o;
}

int sc_sdp_parse(const char *body, size_t len, sc_sdp_info *out)
{
    if (!body || !out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    size_t n = 0;
    char *copy = normalise_lines(body, len, &n);
    if (!copy)
        return -ENOMEM;
    if (strlen(copy) != n || strncmp(copy, "v=", 2) != 0) {
        free(copy);
        return SC_E_PARSE;
    }
    sdp_message_t *sdp = NULL;
    int rc = sdp_message_init(&sdp);
    if (rc != 0) {
        free(copy);
        return -ENOMEM;
    }
    rc = sdp_message_parse(sdp, copy) != 0 ? SC_E_PARSE : fill_info(sdp, out);
    sdp_message_free(sdp);
    free(copy);
    return rc;
}

sc_sdp_direction sc_sdp_answer_direction(sc_sdp_direction offered, sc_sdp_direction local)
{
    bool can_send = local == SC_SDP_SENDRECV || local == SC_SDP_SENDONLY;
    bool can_recv = local == SC_SDP_SENDRECV || local == SC_SDP_RECVONLY;
    switch (offered) {
    case SC_SDP_SENDONLY: return can_recv ? SC_SDP_RECVONLY : SC_SDP_INACTIVE;
    case SC_SDP_RECVONLY: return can_send ? SC_SDP_SENDONLY : SC_SDP_INACTIVE;
    case SC_SDP_INACTIVE: return SC_SDP_INACTIVE;
    case SC_SDP_SENDRECV: return local;
    }
    return SC_SDP_INACTIVE;
}

bool sc_sdp_is_hold(const sc_sdp_info *info)
{
    return info->direction == SC_SDP_SENDONLY || info->direction == SC_SDP_INACTIVE ||
           strcmp(info->conn_addr, "0.0.0.0") == 0;
}

bool sc_sdp_is_resume(const sc_sdp_info *prev, const sc_sdp_info *cur)
{
    return sc_sdp_is_hold(prev) && !sc_sdp_is_hold(cur);
}

int sc_sdp_error_status(int err)
{
    if (err == SC_E_PARSE)
        return 400;
    if (err == -ENOTSUP || err == -EADDRNOTAVAIL || err == -ENOENT)
        return 488;
    return 500;
}

/* A growing writer over a fixed buffer; overflow is reported once at the end. */
typedef struct sdp_buf {
    char *p;
    size_t cap, len;
    bool overflow;
} sdp_buf;

static void bprintf(sdp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(sdp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->len < b->cap ? b->cap - b->len : 0;
    int n = vsnprintf(b->p + (room ? b->len : 0), room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        b->overflow = true;
    else
        b->len += (size_t)n;
}

static void write_session(sdp_buf *b, const sc_sdp_local *l, int family)
{
    const char *ip = family == AF_INET6 ? "IP6" : "IP4";
    bprintf(b, "v=0\r\no=- %" PRIu64 " %" PRIu64 " IN %s %s\r\ns=session-core\r\nc=IN %s %s\r\nt=0 0\r\n",
            l->session_id, l->session_version, ip, l->addr, ip, l->addr);
}

/* Our a=crypto lines (sdp_crypto.c). */
static int crypto_lines(sdp_buf *b, const sc_sdp_local *l)
{
    char lines[SC_SDP_MAX_CRYPTO * 96];
    int n = l->crypto_count ? sc_sdp__crypto_lines(l->crypto, l->crypto_count, lines, sizeof lines) : 0;
    if (n > 0)
        bprintf(b, "%s", lines);
    memset(lines, 0, sizeof lines);
    return n;
}

static int finish(sdp_buf *b)
{
    if (b->overflow)
        return -ENOSPC;
    return (int)b->len;
}

int sc_sdp_build_offer(const sc_sdp_local *l, char *buf, size_t cap)
{
    int family;
    if (!l || !buf || !l->addr || !usable_addr(l->addr, &family))
        return -EINVAL;
    int te = l->dtmf_pt >= 96 && l->dtmf_pt <= 127 ? l->dtmf_pt : 101;
    sdp_buf b = {buf, cap, 0, false};
    write_session(&b, l, family);
    if (l->codecs) { /* a preference list: sdp_codecs.c */
        char fmts[128], attrs[768];
        if (sc_sdp__offer_codecs(l, fmts, sizeof fmts, attrs, sizeof attrs) < 0)
            return -EINVAL;
        bprintf(&b, "m=audio %u %s%s\r\n%s", l->port, l->savp ? "RTP/SAVP" : "RTP/AVP", fmts, attrs);
    } else {
        bprintf(&b, "m=audio %u %s%s%s", l->port, l->savp ? "RTP/SAVP" : "RTP/AVP", l->no_pcmu ? "" : " 0",
                l->no_pcma ? "" : " 8");
        if (!l->no_dtmf)
            bprintf(&b, " %d", te);
        bprintf(&b, "\r\n");
        if (!l->no_pcmu)
            bprintf(&b, "a=rtpmap:0 PCMU/8000\r\n");
        if (!l->no_pcma)
            bprintf(&b, "a=rtpmap:8 PCMA/8000\r\n");
        if (!l->no_dtmf)
            bprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", te, te);
    }
    bprintf(&b, "a=ptime:20\r\na=%s\r\n", sc_sdp_direction_name(l->direction));
    if (crypto_lines(&b, l) < 0)
        return -EINVAL;
    return finish(&b);
}

static bool local_accepts(const sc_sdp_local *l, const sc_sdp_codec *c)
{
    if (strcasecmp(c->name, "PCMU") == 0 && (c->rate == 8000 || c->rate == 0))
        return !l->no_pcmu;
    if (strcasecmp(c->name, "PCMA") == 0 && (c->rate == 8000 || c->rate == 0))
        return !l->no_pcma;
    if (strcasecmp(c->name, "telephone-event") == 0 && (c->rate == 8000 || c->rate == 0))
        return !l->no_dtmf;
    return false;
}

int sc_sdp_build_answer(const sc_sdp_info *offer, const sc_sdp_local *l, char *buf, size_t cap, sc_sdp_info *negotiated)
{
    int family;
    if (!offer || !l || !buf || !l->addr || !usable_addr(l->addr, &family))
        return -EINVAL;
    if (offer->audio_index < 0 || offer->port == 0)
        return -ENOENT;
    int ofam;
    if (!usable_addr(offer->conn_addr, &ofam))
        return -EADDRNOTAVAIL;
    sc_sdp_info neg = *offer;
    neg.codec_count = 0;
    neg.dtmf_pt = -1;
    bool audio = false;
    if (l->codecs) { /* the first codec of our list that the offer has: sdp_codecs.c */
        int prc = sc_sdp__answer_pick(offer, l->codecs, l->no_dtmf, &neg);
        if (prc < 0)
            return prc;
        audio = true;
    }
    for (size_t i = 0; i < offer->codec_count && !l->codecs; i++) {
        const sc_sdp_codec *c = &offer->codecs[i];
        if (!local_accepts(l, c))
            continue;
        if (strcasecmp(c->name, "telephone-event") == 0) {
            if (neg.dtmf_pt >= 0)
                continue;
            neg.dtmf_pt = c->pt;
        } else {
            audio = true;
        }
        neg.codecs[neg.codec_count++] = *c;
    }
    if (!audio)
        return -ENOTSUP;
    /* SRTP: the offer's line that our one answers (same tag); an RTP/SAVP offer needs one */
    neg.crypto_count = 0;
    for (size_t i = 0; l->crypto_count && i < offer->crypto_count && !neg.crypto_count; i++)
        if (offer->crypto[i].tag == l->crypto[0].tag && !strcmp(offer->crypto[i].suite, l->crypto[0].suite))
            neg.crypto[neg.crypto_count++] = offer->crypto[i];
    if ((offer->savp || l->crypto_count) && !neg.crypto_count)
        return -ENOTSUP;
    neg.direction = sc_sdp_answer_direction(offer->direction, l->direction);
    sdp_buf b = {buf, cap, 0, false};
    write_session(&b, l, family);
    for (size_t m = 0; m < offer->media_count; m++) {
        if ((int)m != offer->audio_index) {
            bprintf(&b, "m=%s 0 %s %s\r\n", offer->media_types[m], offer->media_protos[m], offer->media_fmt[m]);
            continue;
        }
        bprintf(&b, "m=audio %u %s", l->port, offer->savp ? "RTP/SAVP" : "RTP/AVP");
        for (size_t i = 0; i < neg.codec_count; i++)
            bprintf(&b, " %d", neg.codecs[i].pt);
        bprintf(&b, "\r\n");
        for (size_t i = 0; i < neg.codec_count; i++) {
            char lines[256];
            sc_sdp__codec_lines(&neg.codecs[i], neg.dtmf_pt, lines, sizeof lines);
            bprintf(&b, "%s", lines);
        }
        bprintf(&b, "a=ptime:20\r\na=%s\r\n", sc_sdp_direction_name(neg.direction));
        if (crypto_lines(&b, l) < 0)
            return -EINVAL;
    }
    int rc = finish(&b);
    if (rc >= 0 && negotiated)
        *negotiated = neg;
    return rc;
}
