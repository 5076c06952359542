/* auth: digest authentication as a client (RFC 3261 section 22.2, RFC 7616 / RFC 8760): the
 * agent's credentials, the answer to a 401/407 challenge (MD5 or SHA-256, qop=auth with a
 * cnonce from the CSPRNG, or no qop), computed with OpenSSL. Passwords are kept in memory only
 * and appear in no log line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <osipparser2/osip_message.h>

#include "sip/sip_int.h"

int sip_cred_add(struct sip_cred **list, const char *realm, const char *user, const char *password)
{
    if (!user || !*user || !password)
        return -EINVAL;
    struct sip_cred *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->realm = realm && *realm ? strdup(realm) : NULL;
    c->user = strdup(user);
    c->password = strdup(password);
    if ((realm && *realm && !c->realm) || !c->user || !c->password) {
        c->next = NULL;
        sip_cred_free(c);
        return -ENOMEM;
    }
    c->next = *list;
    *list = c;
    return 0;
}

void sip_cred_free(struct sip_cred *list)
{
    for (struct sip_cred *c = list, *n; c; c = n) {
        n = c->next;
        free(c->realm);
        free(c->user);
        if (c->password)
            OPENSSL_cleanse(c->password, strlen(c->password));
        free(c->password);
        free(c);
    }
}

int sc_sip_add_credentials(sc_sip *sip, const char *realm, const char *user, const char *password)
{
    return sip ? sip_cred_add(&sip->creds, realm, user, password) : -EINVAL;
}

void sip_auth_free(sc_sip *sip)
{
    sip_cred_free(sip->creds);
    sip->creds = NULL;
}

/* A quoted-string's content (libosip2 keeps the quotes) into out. */
static void unquote(const char *v, char *out, size_t cap)
{
    size_t n = v ? strlen(v) : 0;
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v++;
        n -= 2;
    }
    snprintf(out, cap, "%.*s", (int)n, v ? v : "");
}

static const struct sip_cred *find_cred(const struct sip_cred *list, const char *realm)
{
    const struct sip_cred *any = NULL;
    for (const struct sip_cred *c = list; c; c = c->next) {
        if (c->realm && !strcmp(c->realm, realm))
            return c;
        if (!c->realm && !any)
            any = c;
    }
    return any;
}

int sip_digest_hex(const char *algorithm, const char *text, char *out, size_t cap)
{
    const EVP_MD *md = !strcasecmp(algorithm, "SHA-256") ? EVP_sha256()
                       : !strcasecmp(algorithm, "MD5")   ? EVP_md5()
                                                         : NULL;
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!md)
        return -ENOTSUP;
    if (!EVP_Digest(text, strlen(text), h, &n, md, NULL) || cap < 2 * (size_t)n + 1)
        return -EINVAL;
    for (unsigned int i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
    return 0;
}

int sip_digest_response(const char *algorithm, const char *user, const char *realm, const char *password,
                        const char *method, const char *uri, const char *nonce, const char *qop, const char *nc,
                        const char *cnonce, char *out, size_t cap)
{
    char ha1[2 * EVP_MAX_MD_SIZE + 1], ha2[sizeof ha1], buf[2048];
    if (snprintf(buf, sizeof buf, "%s:%s:%s", user, realm, password) >= (int)sizeof buf)
        return -ENOSPC;
    int rc = sip_digest_hex(algorithm, buf, ha1, sizeof ha1);
    OPENSSL_cleanse(buf, sizeof buf);
    if (rc == 0 && snprintf(buf, sizeof buf, "%s:%s", method, uri) >= (int)sizeof buf)
        rc = -ENOSPC;
    if (rc == 0)
        rc = sip_digest_hex(algorithm, buf, ha2, sizeof ha2);
    if (rc)
        return rc;
    int n = qop && *qop ? snprintf(buf, sizeof buf, "%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2)
                        : snprintf(buf, sizeof buf, "%s:%s:%s", ha1, nonce, ha2);
    if (n >= (int)sizeof buf)
        return -ENOSPC;
    return sip_digest_hex(algorithm, buf, out, cap);
}

/* The challenge we can answer among resp's WWW-/Proxy-Authenticate headers: Digest, an
 * algorithm we have (SHA-256 preferred over MD5, RFC 8760), credentials for its realm. */
static osip_www_authenticate_t *pick_challenge(const struct sip_cred *list, const osip_message_t *resp, bool proxy,
                                               const struct sip_cred **cred)
{
    const osip_list_t *l = proxy ? &resp->proxy_authenticates : &resp->www_authenticates;
    osip_www_authenticate_t *best = NULL;
    for (int i = 0; i < osip_list_size(l); i++) {
        osip_www_authenticate_t *w = osip_list_get(l, i);
        char realm[256], alg[32];
        if (!w || !w->auth_type || strcasecmp(w->auth_type, "Digest") != 0 || !w->nonce || !w->realm)
            continue;
        unquote(w->algorithm ? w->algorithm : "MD5", alg, sizeof alg);
        unquote(w->realm, realm, sizeof realm);
        if ((strcasecmp(alg, "MD5") && strcasecmp(alg, "SHA-256")) || !find_cred(list, realm))
            continue;
        if (!best || !strcasecmp(alg, "SHA-256")) {
            best = w;
            *cred = find_cred(list, realm);
        }
    }
    return best;
}

int sip_auth_answer(const struct sip_cred *creds, const osip_message_t *resp, const char *method, const char *uri,
                    const char **hname, char *hvalue, size_t cap, bool *stale)
{
    bool proxy = resp->status_code == 407;
    const struct sip_cred *cred = NULL;
    osip_www_authenticate_t *w = pick_challenge(creds, resp, proxy, &cred);
    if (!w)
        return -ENOENT;
    char realm[256], nonce[512], opaque[512], alg[32], qops[128], stale_v[16];
    unquote(w->realm, realm, sizeof realm);
    unquote(w->nonce, nonce, sizeof nonce);
    unquote(w->opaque, opaque, sizeof opaque);
    unquote(w->algorithm ? w->algorithm : "MD5", alg, sizeof alg);
    unquote(w->qop_options, qops, sizeof qops);
    unquote(w->stale, stale_v, sizeof stale_v);
    *stale = !strcasecmp(stale_v, "true");
    bool qop_auth = false;
    for (char *save = NULL, *t = strtok_r(qops, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
        qop_auth |= !strcasecmp(t, "auth");
    if (w->qop_options && !qop_auth)
        return -ENOTSUP; /* auth-int only: not offered by us */
    char cnonce[33], response[2 * EVP_MAX_MD_SIZE + 1];
    sc_random_hex(cnonce, 32);
    int rc = sip_digest_response(alg, cred->user, realm, cred->password, method, uri, nonce, qop_auth ? "auth" : NULL,
                                 "00000001", cnonce, response, sizeof response);
    if (rc)
        return rc;
    int n = snprintf(hvalue, cap,
                     "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
                     "algorithm=%s",
                     cred->user, realm, nonce, uri, response, alg);
    if (qop_auth && n > 0 && (size_t)n < cap)
        n += snprintf(hvalue + n, cap - (size_t)n, ", qop=auth, nc=00000001, cnonce=\"%s\"", cnonce);
    if (opaque[0] && n > 0 && (size_t)n < cap)
        n += snprintf(hvalue + n, cap - (size_t)n, ", opaque=\"%s\"", opaque);
    if (n < 0 || (size_t)n >= cap)
        return -ENOSPC;
    *hname = proxy ? "Proxy-Authorization" : "Authorization";
    return 0;
}
