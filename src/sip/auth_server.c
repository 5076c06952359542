/* auth_server: digest authentication as a server (RFC 3261 section 22, RFC 7616, RFC 8760):
 * challenges for one realm offering SHA-256 and MD5 with qop=auth, nonces that verify without
 * state (issue time and an HMAC-SHA256 of it under a per-verifier key from the CSPRNG), the
 * check of an Authorization / Proxy-Authorization header against a user lookup (password or
 * HA1), and a per-source failure count that blocks brute force with 403. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <osipparser2/osip_message.h>

#include "sip/sip_int.h"

#define AUTH_SLOTS 4096   /* sources tracked for brute-force protection */
#define AUTH_NONCE_MAX 64 /* our nonces are 16 + 32 hex digits; longer is not ours */
#define AUTH_FIELD_MAX 512

typedef struct auth_source {
    char ip[INET6_ADDRSTRLEN]; /* "" when the slot is free */
    uint32_t failures;         /* within the window that started at window_start */
    int64_t window_start;      /* wall seconds */
    int64_t blocked_until;     /* wall seconds; 0 when not blocked */
} auth_source;

struct sc_sip_auth {
    char *realm;
    const sc_clock *clock;
    unsigned ttl, max_failures, window, block;
    sc_sip_auth_lookup_fn lookup;
    void *ud;
    const char *algs[2]; /* offered, in order */
    size_t nalgs;
    unsigned char key[32];
    sc_sip_auth_stats stats;
    auth_source *sources; /* AUTH_SLOTS, by hash of the address */
};

/* "SHA-256,MD5" and the like into a->algs; false for anything else. */
static bool parse_algorithms(sc_sip_auth *a, const char *list)
{
    char buf[64];
    if (!list)
        list = "SHA-256,MD5";
    if (strlen(list) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        const char *alg = !strcasecmp(t, "SHA-256") ? "SHA-256" : !strcasecmp(t, "MD5") ? "MD5" : NULL;
        if (!alg || a->nalgs == 2 || (a->nalgs == 1 && a->algs[0] == alg))
            return false;
        a->algs[a->nalgs++] = alg;
    }
    return a->nalgs > 0;
}

static bool offered(const sc_sip_auth *a, const char *alg)
{
    for (size_t i = 0; i < a->nalgs; i++)
        if (!strcmp(a->algs[i], alg))
            return true;
    return false;
}

int sc_sip_auth_new(sc_sip_auth **out, const sc_sip_auth_config *cfg)
{
    if (!out || !cfg || !cfg->realm || !*cfg->realm || !cfg->lookup || strchr(cfg->realm, '"'))
        return -EINVAL;
    sc_sip_auth *a = calloc(1, sizeof *a);
    if (!a)
        return -ENOMEM;
    if (!parse_algorithms(a, cfg->algorithms)) {
        free(a);
        return -EINVAL;
    }
    a->realm = strdup(cfg->realm);
    a->sources = calloc(AUTH_SLOTS, sizeof *a->sources);
    if (!a->realm || !a->sources) {
        sc_sip_auth_free(a);
        return -ENOMEM;
    }
    a->clock = cfg->clock ? cfg->clock : sc_clock_system();
    a->ttl = cfg->nonce_ttl_s ? cfg->nonce_ttl_s : 300;
    a->max_failures = cfg->max_failures ? cfg->max_failures : 10;
    a->window = cfg->window_s ? cfg->window_s : 60;
    a->block = cfg->block_s ? cfg->block_s : 300;
    a->lookup = cfg->lookup;
    a->ud = cfg->ud;
    sc_random_bytes(a->key, sizeof a->key);
    *out = a;
    return 0;
}

void sc_sip_auth_free(sc_sip_auth *a)
{
    if (!a)
        return;
    OPENSSL_cleanse(a->key, sizeof a->key);
    free(a->realm);
    free(a->sources);
    free(a);
}

const char *sc_sip_auth_realm(const sc_sip_auth *a) { return a ? a->realm : NULL; }

static int64_t now_s(const sc_sip_auth *a) { return sc_clock_wall_us(a->clock) / 1000000; }

/* ---- nonces ---------------------------------------------------------------------------- */

/* 32 hex digits: the first 16 bytes of HMAC-SHA256(key, "<ts hex>:<realm>"). */
static void nonce_mac(const sc_sip_auth *a, const char *ts_hex, char out[33])
{
    char msg[512];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    snprintf(msg, sizeof msg, "%s:%s", ts_hex, a->realm);
    HMAC(EVP_sha256(), a->key, sizeof a->key, (const unsigned char *)msg, strlen(msg), mac, &n);
    for (unsigned i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static void nonce_make(const sc_sip_auth *a, char out[AUTH_NONCE_MAX])
{
    char ts[17], mac[33];
    snprintf(ts, sizeof ts, "%016" PRIx64, (uint64_t)now_s(a));
    nonce_mac(a, ts, mac);
    snprintf(out, AUTH_NONCE_MAX, "%s%s", ts, mac);
}

/* 0 fresh, 1 ours but expired, -1 not ours. */
static int nonce_check(const sc_sip_auth *a, const char *nonce)
{
    if (strlen(nonce) != 48)
        return -1;
    char ts[17], mac[33];
    memcpy(ts, nonce, 16);
    ts[16] = '\0';
    for (int i = 0; i < 16; i++)
        if (!((ts[i] >= '0' && ts[i] <= '9') || (ts[i] >= 'a' && ts[i] <= 'f')))
            return -1;
    nonce_mac(a, ts, mac);
    if (CRYPTO_memcmp(mac, nonce + 16, 32) != 0)
        return -1;
    int64_t issued = (int64_t)strtoull(ts, NULL, 16), now = now_s(a);
    return issued > now + 5 || now - issued > (int64_t)a->ttl ? 1 : 0;
}

int sc_sip_auth_challenge(sc_sip_auth *a, bool proxy, bool stale, char *out, size_t cap)
{
    if (!a || !out)
        return -EINVAL;
    const char *h = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
    const char *const *algs = a->algs;
    size_t used = 0;
    for (size_t i = 0; i < a->nalgs; i++) {
        char nonce[AUTH_NONCE_MAX];
        nonce_make(a, nonce);
        int n = snprintf(out + used, cap - used,
                         "%s: Digest realm=\"%s\", nonce=\"%s\", algorithm=%s, qop=\"auth\"%s\r\n", h, a->realm, nonce,
                         algs[i], stale ? ", stale=true" : "");
        if (n < 0 || (size_t)n >= cap - used)
            return -ENOSPC;
        used += (size_t)n;
    }
    return (int)used;
}

/* ---- brute-force protection ------------------------------------------------------------ */

static bool source_ip(const struct sockaddr_storage *src, char *ip, size_t cap)
{
    if (!src)
        return false;
    if (src->ss_family == AF_INET)
        return inet_ntop(AF_INET, &((const struct sockaddr_in *)src)->sin_addr, ip, (socklen_t)cap) != NULL;
    if (src->ss_family == AF_INET6)
        return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)src)->sin6_addr, ip, (socklen_t)cap) != NULL;
    return false;
}

/* The slot of ip (create: take it over when free or no longer of interest), or NULL. */
static auth_source *source_slot(sc_sip_auth *a, const char *ip, bool create, int64_t now)
{
    auth_source *s = &a->sources[sc_hash_fnv1a32(ip, strlen(ip)) % AUTH_SLOTS];
    if (!strcmp(s->ip, ip))
        return s;
    if (!create)
        return NULL;
    bool busy = s->ip[0] && (s->blocked_until > now || now - s->window_start < (int64_t)a->window);
    if (busy && s->blocked_until > now)
        return NULL; /* never unblock someone else: this source is simply not tracked */
    memset(s, 0, sizeof *s);
    snprintf(s->ip, sizeof s->ip, "%s", ip);
    s->window_start = now;
    return s;
}

static void count_blocked(sc_sip_auth *a, int64_t now)
{
    uint32_t n = 0;
    for (size_t i = 0; i < AUTH_SLOTS; i++)
        n += a->sources[i].ip[0] && a->sources[i].blocked_until > now;
    a->stats.blocked_sources = n;
}

bool sc_sip_auth_blocked(sc_sip_auth *a, const struct sockaddr_storage *src)
{
    char ip[INET6_ADDRSTRLEN];
    if (!a || !source_ip(src, ip, sizeof ip))
        return false;
    int64_t now = now_s(a);
    auth_source *s = source_slot(a, ip, false, now);
    return s && s->blocked_until > now;
}

static void note_failure(sc_sip_auth *a, const struct sockaddr_storage *src)
{
    char ip[INET6_ADDRSTRLEN];
    int64_t now = now_s(a);
    if (!source_ip(src, ip, sizeof ip))
        return;
    auth_source *s = source_slot(a, ip, true, now);
    if (!s)
        return;
    if (now - s->window_start >= (int64_t)a->window) {
        s->window_start = now;
        s->failures = 0;
    }
    if (++s->failures >= a->max_failures && s->blocked_until <= now) {
        s->blocked_until = now + a->block;
        s->failures = 0;
        a->stats.blocks++;
    }
}

/* ---- verification ---------------------------------------------------------------------- */

/* A quoted-string's content (libosip2 keeps the quotes) into out; false if it does not fit. */
static bool field(const char *v, char *out, size_t cap)
{
    size_t n = v ? strlen(v) : 0;
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v++;
        n -= 2;
    }
    if (n >= cap)
        return false;
    memcpy(out, v ? v : "", n);
    out[n] = '\0';
    return true;
}

/* The credentials among req's (Proxy-)Authorization headers for our realm, or NULL;
 * *malformed when a header has no usable realm at all. */
static osip_authorization_t *our_credentials(const sc_sip_auth *a, const osip_message_t *req, bool proxy,
                                             bool *malformed)
{
    const osip_list_t *l = proxy ? &req->proxy_authorizations : &req->authorizations;
    *malformed = false;
    for (int i = 0; i < osip_list_size(l); i++) {
        osip_authorization_t *h = osip_list_get(l, i);
        char realm[AUTH_FIELD_MAX];
        if (!h)
            continue;
        if (!h->realm || !field(h->realm, realm, sizeof realm) || !realm[0]) {
            *malformed = true;
            continue;
        }
        if (!strcmp(realm, a->realm))
            return h;
    }
    return NULL;
}

/* The digest URI names the Request-URI (RFC 3261 22.4: compared as URIs, loosely). */
static bool same_uri(const osip_message_t *req, const char *duri)
{
    osip_uri_t *u = NULL;
    if (!req->req_uri || osip_uri_init(&u) != 0)
        return false;
    bool same = false;
    if (osip_uri_parse(u, duri) == 0) {
        const osip_uri_t *r = req->req_uri;
        same = r->scheme && u->scheme && !strcasecmp(r->scheme, u->scheme) && r->host && u->host &&
               !strcasecmp(r->host, u->host) && !strcmp(r->username ? r->username : "", u->username ? u->username : "");
        const char *rp = r->port && *r->port ? r->port : "5060", *up = u->port && *u->port ? u->port : "5060";
        same = same && !strcmp(rp, up);
    }
    osip_uri_free(u);
    return same;
}

static bool hex_lower(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

/* The expected response for the credentials h (fields already unquoted), given the secret. */
static int expected(const char *alg, const char *user, const char *realm, const char *secret, bool is_ha1,
                    const char *method, const char *uri, const char *nonce, const char *qop, const char *nc,
                    const char *cnonce, char *out, size_t cap)
{
    if (!is_ha1)
        return sip_digest_response(alg, user, realm, secret, method, uri, nonce, qop, nc, cnonce, out, cap);
    char ha2[2 * EVP_MAX_MD_SIZE + 1], buf[2048], ha1[2 * EVP_MAX_MD_SIZE + 1];
    size_t sl = strlen(secret);
    if (sl >= sizeof ha1)
        return -EINVAL;
    memcpy(ha1, secret, sl + 1);
    for (char *p = ha1; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    if (snprintf(buf, sizeof buf, "%s:%s", method, uri) >= (int)sizeof buf)
        return -ENOSPC;
    int rc = sip_digest_hex(alg, buf, ha2, sizeof ha2);
    if (rc)
        return rc;
    int n = qop && *qop ? snprintf(buf, sizeof buf, "%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2)
                        : snprintf(buf, sizeof buf, "%s:%s:%s", ha1, nonce, ha2);
    OPENSSL_cleanse(ha1, sizeof ha1);
    if (n >= (int)sizeof buf)
        return -ENOSPC;
    return sip_digest_hex(alg, buf, out, cap);
}

static void verdict(sc_sip_auth *a, sc_sip_auth_verdict *out, sc_sip_auth_result r, bool proxy, const char *reason)
{
    out->result = r;
    out->reason = reason;
    out->headers[0] = '\0';
    switch (r) {
    case SC_SIP_AUTH_OK:
        out->status = 0;
        a->stats.ok++;
        return;
    case SC_SIP_AUTH_BAD_REQUEST:
        out->status = 400;
        a->stats.bad_request++;
        return;
    case SC_SIP_AUTH_BLOCKED:
        out->status = 403;
        a->stats.blocked_requests++;
        return;
    case SC_SIP_AUTH_CHALLENGE: a->stats.challenged++; break;
    case SC_SIP_AUTH_STALE: a->stats.stale++; break;
    case SC_SIP_AUTH_FAILED: a->stats.failed++; break;
    }
    out->status = proxy ? 407 : 401;
    if (sc_sip_auth_challenge(a, proxy, r == SC_SIP_AUTH_STALE, out->headers, sizeof out->headers) < 0)
        out->headers[0] = '\0';
}

/* Checks the credentials h; returns the result and its reason. */
static sc_sip_auth_result judge(sc_sip_auth *a, const osip_message_t *req, const osip_authorization_t *h,
                                sc_sip_auth_verdict *out, const char **reason)
{
    char user[128], nonce[AUTH_FIELD_MAX], uri[AUTH_FIELD_MAX], resp[AUTH_FIELD_MAX], alg[32], qop[32], nc[32],
        cnonce[AUTH_FIELD_MAX];
    *reason = "malformed";
    if (!h->auth_type || strcasecmp(h->auth_type, "Digest") != 0 || !h->username || !h->nonce || !h->uri ||
        !h->response || !field(h->username, user, sizeof user) || !user[0] || !field(h->nonce, nonce, sizeof nonce) ||
        !field(h->uri, uri, sizeof uri) || !field(h->response, resp, sizeof resp) ||
        !field(h->algorithm ? h->algorithm : "MD5", alg, sizeof alg) ||
        !field(h->message_qop ? h->message_qop : "", qop, sizeof qop) ||
        !field(h->nonce_count ? h->nonce_count : "", nc, sizeof nc) ||
        !field(h->cnonce ? h->cnonce : "", cnonce, sizeof cnonce))
        return SC_SIP_AUTH_BAD_REQUEST;
    if (strcasecmp(alg, "MD5") && strcasecmp(alg, "SHA-256")) {
        *reason = "algorithm";
        return SC_SIP_AUTH_FAILED; /* a challenge again: it offers what we have */
    }
    snprintf(alg, sizeof alg, "%s", strcasecmp(alg, "MD5") ? "SHA-256" : "MD5");
    if (!offered(a, alg)) {
        *reason = "algorithm";
        return SC_SIP_AUTH_FAILED;
    }
    if (qop[0] && (strcasecmp(qop, "auth") || !hex_lower(nc, 8) || !cnonce[0]))
        return SC_SIP_AUTH_BAD_REQUEST;
    if (!same_uri(req, uri)) {
        *reason = "uri";
        return SC_SIP_AUTH_BAD_REQUEST;
    }
    int fresh = nonce_check(a, nonce);
    if (fresh < 0) { /* not ours (forged, or from an earlier run): a new challenge, no failure */
        *reason = "stale";
        return SC_SIP_AUTH_STALE;
    }
    char secret[256], want[2 * EVP_MAX_MD_SIZE + 1];
    bool is_ha1 = false;
    int rc = a->lookup(a->ud, user, alg, secret, sizeof secret, &is_ha1);
    if (rc == -ENOENT) {
        *reason = "unknown_user";
        return SC_SIP_AUTH_FAILED;
    }
    if (rc != 0) {
        *reason = rc == -ENOTSUP ? "algorithm" : "unknown_user";
        return SC_SIP_AUTH_FAILED;
    }
    rc = expected(alg, user, a->realm, secret, is_ha1, req->sip_method, uri, nonce, qop[0] ? "auth" : NULL, nc, cnonce,
                  want, sizeof want);
    OPENSSL_cleanse(secret, sizeof secret);
    for (char *p = resp; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    if (rc != 0 || strlen(resp) != strlen(want) || CRYPTO_memcmp(resp, want, strlen(want)) != 0) {
        *reason = "wrong_password";
        return SC_SIP_AUTH_FAILED;
    }
    if (fresh == 1) { /* right password on an old nonce: RFC 7616 3.3 stale=true */
        *reason = "stale";
        return SC_SIP_AUTH_STALE;
    }
    snprintf(out->user, sizeof out->user, "%s", user);
    *reason = "";
    return SC_SIP_AUTH_OK;
}

int sc_sip_auth_check(sc_sip_auth *a, const struct osip_message *req, const struct sockaddr_storage *src, bool proxy,
                      sc_sip_auth_verdict *out)
{
    if (!a || !req || !out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    if (sc_sip_auth_blocked(a, src)) {
        verdict(a, out, SC_SIP_AUTH_BLOCKED, proxy, "blocked");
        return 0;
    }
    bool malformed = false;
    const osip_authorization_t *h = our_credentials(a, req, proxy, &malformed);
    if (!h && malformed) {
        note_failure(a, src);
        verdict(a, out, SC_SIP_AUTH_BAD_REQUEST, proxy, "malformed");
        return 0;
    }
    if (!h) {
        verdict(a, out, SC_SIP_AUTH_CHALLENGE, proxy, "no_credentials");
        return 0;
    }
    const char *reason = "";
    sc_sip_auth_result r = judge(a, req, h, out, &reason);
    if (r == SC_SIP_AUTH_FAILED || r == SC_SIP_AUTH_BAD_REQUEST)
        note_failure(a, src);
    verdict(a, out, r, proxy, reason);
    return 0;
}

void sc_sip_auth_get_stats(sc_sip_auth *a, sc_sip_auth_stats *out)
{
    if (!a || !out)
        return;
    count_blocked(a, now_s(a));
    *out = a->stats;
}
