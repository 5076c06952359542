/* sdp_crypto: the SDES attribute of RFC 4568 (9.1): `a=crypto:TAG SUITE inline:KEY||SALT...`
 * parsed into tag, suite and master key+salt (base64 decoded, length checked per suite), and
 * written back; lines we cannot run (unknown suite, MKI, several keys, session parameters) are
 * refused so that the offer/answer skips them. Pure functions. */
#include "sip/sdp_crypto.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The suites we can run (media/srtp.c has the same), with their key + salt lengths. */
static const struct {
    const char *name;
    size_t key_len;
} known[] = {
    {"AES_CM_128_HMAC_SHA1_80", 30},
    {"AES_CM_128_HMAC_SHA1_32", 30},
    {"AEAD_AES_128_GCM", 28},
};

static size_t suite_key_len(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i].name) == n && !memcmp(known[i].name, name, n))
            return known[i].key_len;
    return 0;
}

/* ---- base64 (RFC 4648, with padding; RFC 4568 keys are "base64 encoded") ----------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* Strict decode of n characters (a multiple of 4, '=' only at the end): length, or -EINVAL. */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
    if (n == 0 || n % 4)
        return -EINVAL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = b64_val(s[i + k])) < 0) {
                return -EINVAL;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        uint8_t bytes[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
        for (int k = 0; k < 3 - pad; k++) {
            if (o >= cap)
                return -EINVAL;
            out[o++] = bytes[k];
        }
    }
    return (int)o;
}

static size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            w |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            w |= in[i + 2];
        out[o++] = b64[(w >> 18) & 63];
        out[o++] = b64[(w >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(w >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[w & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

/* ---- Parsing ----------------------------------------------------------------------------------- */

/* A lifetime: decimal or "2^N" (RFC 4568 9.1), at most 2^48 (SRTP's limit). */
static bool lifetime_ok(const char *s, size_t n)
{
    if (n == 0 || n > 20)
        return false;
    char buf[24];
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    if (n > 2 && buf[0] == '2' && buf[1] == '^') {
        if (buf[2] < '0' || buf[2] > '9')
            return false;
        long e = strtol(buf + 2, &end, 10);
        return !*end && e >= 1 && e <= 48;
    }
    if (buf[0] < '1' || buf[0] > '9')
        return false;
    unsigned long long v = strtoull(buf, &end, 10);
    return !*end && v <= (1ULL << 48);
}

/* "inline:KEY||SALT[|LIFETIME][|MKI:LEN]" (n octets): key decoded into c. */
static int parse_key_param(const char *s, size_t n, size_t key_len, sc_sdp_crypto *c)
{
    if (n < 7 || memcmp(s, "inline:", 7) != 0)
        return -EINVAL;
    s += 7;
    n -= 7;
    const char *bar = memchr(s, '|', n);
    size_t klen = bar ? (size_t)(bar - s) : n;
    uint8_t key[64];
    int got = b64_decode(s, klen, key, sizeof key);
    if (got < 0)
        return -EINVAL;
    if ((size_t)got != key_len)
        return -EINVAL; /* RFC 4568 6.1: the concatenated key and salt of the suite's sizes */
    if (bar) {
        const char *p = bar + 1, *end = s + n;
        const char *bar2 = memchr(p, '|', (size_t)(end - p));
        const char *f1_end = bar2 ? bar2 : end;
        if (memchr(p, ':', (size_t)(f1_end - p)))
            return -ENOTSUP; /* MKI: the packets would carry an MKI we do not handle */
        if (!lifetime_ok(p, (size_t)(f1_end - p)))
            return -EINVAL;
        if (bar2)
            return -ENOTSUP; /* MKI after the lifetime */
    }
    memcpy(c->key, key, (size_t)got);
    c->key_len = (size_t)got;
    memset(key, 0, sizeof key);
    return 0;
}

int sc_sdp_crypto_parse(const char *value, sc_sdp_crypto *out)
{
    if (!value || !out)
        return -EINVAL;
    sc_sdp_crypto c;
    memset(&c, 0, sizeof c);
    const char *p = value;
    /* tag: 1*9DIGIT */
    size_t n = strspn(p, "0123456789");
    if (n == 0 || n > 9 || p[n] != ' ')
        return -EINVAL;
    c.tag = (unsigned)strtoul(p, NULL, 10);
    p += n;
    while (*p == ' ')
        p++;
    /* suite */
    n = strcspn(p, " \t");
    if (n == 0 || n >= sizeof c.suite || !p[n])
        return -EINVAL;
    memcpy(c.suite, p, n);
    size_t key_len = suite_key_len(p, n);
    p += n;
    while (*p == ' ')
        p++;
    /* key-params: one, with no ';' (several keys need MKIs) */
    n = strcspn(p, " \t\r\n");
    if (n == 0)
        return -EINVAL;
    if (memchr(p, ';', n))
        return -ENOTSUP;
    if (!key_len)
        return -ENOTSUP; /* a suite we do not run: skipped (RFC 4568 7.1.1) */
    int rc = parse_key_param(p, n, key_len, &c);
    if (rc)
        return rc;
    p += n;
    while (*p == ' ' || *p == '\t')
        p++;
    /* session parameters: only a window size hint, which changes nothing for us */
    while (*p && *p != '\r' && *p != '\n') {
        n = strcspn(p, " \t\r\n");
        if (!(n > 4 && !memcmp(p, "WSH=", 4) && strspn(p + 4, "0123456789") == n - 4))
            return -ENOTSUP;
        p += n;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    *out = c;
    memset(&c, 0, sizeof c);
    return 0;
}

int sc_sdp_crypto_format(const sc_sdp_crypto *c, char *buf, size_t cap)
{
    if (!c || !buf || c->key_len == 0 || c->key_len > SC_SDP_CRYPTO_KEY_MAX || !c->suite[0] || c->tag > 999999999u)
        return -EINVAL;
    char key[4 * ((SC_SDP_CRYPTO_KEY_MAX + 2) / 3) + 1];
    b64_encode(c->key, c->key_len, key);
    int n = snprintf(buf, cap, "%u %s inline:%s", c->tag, c->suite, key);
    memset(key, 0, sizeof key);
    if (n < 0 || (size_t)n >= cap)
        return -ENOSPC;
    return n;
}

/* ---- The hooks of sdp.c ------------------------------------------------------------------------- */

void sc_sdp__crypto_attr(sc_sdp_info *out, const char *value)
{
    sc_sdp_crypto c;
    int rc = sc_sdp_crypto_parse(value, &c);
    if (rc == 0 && out->crypto_count < SC_SDP_MAX_CRYPTO) {
        for (size_t i = 0; i < out->crypto_count; i++)
            if (out->crypto[i].tag == c.tag) {
                out->crypto_unusable++; /* a tag twice: the first one stands */
                return;
            }
        out->crypto[out->crypto_count++] = c;
    } else {
        out->crypto_unusable++;
    }
    memset(&c, 0, sizeof c);
}

int sc_sdp__crypto_lines(const sc_sdp_crypto *c, size_t n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (cap - len < 11)
            return -ENOSPC;
        memcpy(buf + len, "a=crypto:", 9);
        len += 9;
        int k = sc_sdp_crypto_format(&c[i], buf + len, cap - len - 2);
        if (k < 0)
            return k;
        len += (size_t)k;
        memcpy(buf + len, "\r\n", 3);
        len += 2;
    }
    return (int)len;
}
