/* SIP over TLS (RFC 3261 26, RFC 5630) with OpenSSL on the TCP connections of transport.c:
 * each TLS connection's SSL object talks through two memory BIOs, so the handshake and the
 * records are driven by the loop's reads and writes (nothing blocks, no thread). Here: the
 * agent's SSL_CTX (certificate, key, CA set), the per-connection SSL state, the peer checks
 * (chain, then the host name or IP of the URI), and the failure counts. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_int.h"
#include "sip/tls.h"

#define TLS_RBUF 16384 /* ciphertext read from the socket at once */
#define TLS_NAMES 64   /* host names remembered for addresses (SNI and verification) */

struct sip_tls_ctx {
    SSL_CTX *ctx;
    bool has_cert; /* a certificate and key were loaded: we can serve */
    struct {
        struct sockaddr_storage addr;
        char name[256];
    } names[TLS_NAMES];
    size_t next_name;
};

struct sip_tls {
    SSL *ssl;
    BIO *rbio, *wbio; /* network side: ciphertext in, ciphertext out (owned by ssl) */
    bool server, done, seen_first;
    char name[256];       /* outgoing: the host name checked ("" : the peer's IP) */
    unsigned char hdr[5]; /* the record header being read (hdr_have bytes of it) */
    size_t hdr_have;
    size_t rec_left; /* bytes of the current record's body still to come */
    char rbuf[TLS_RBUF];
};

/* sc_sip_tls_failure's names as metric labels, in its order. */
static const char *const failure_names[] = {"handshake", "certificate", "plaintext",
                                            "truncated", "timeout",     "protocol"};
_Static_assert(sizeof failure_names / sizeof failure_names[0] == SC_SIP_TLS_FAIL__COUNT, "a name for each failure");

const char *sc_sip_tls_failure_name(sc_sip_tls_failure f)
{
    return (unsigned)f < SC_SIP_TLS_FAIL__COUNT ? failure_names[f] : "?";
}

/* ---- the context ----------------------------------------------------------------------- */

static bool is_pem(const char *v) { return strncmp(v, "-----BEGIN", 10) == 0; }

/* The last OpenSSL error as text (and the queue emptied). */
static const char *ossl_why(char *buf, size_t cap)
{
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, buf, cap);
    else
        snprintf(buf, cap, "unknown error");
    ERR_clear_error();
    return buf;
}

static int load_cert(SSL_CTX *ctx, const char *v)
{
    if (!is_pem(v))
        return SSL_CTX_use_certificate_chain_file(ctx, v) == 1 ? 0 : -1;
    BIO *b = BIO_new_mem_buf(v, -1);
    X509 *x = b ? PEM_read_bio_X509_AUX(b, NULL, NULL, NULL) : NULL;
    int rc = x && SSL_CTX_use_certificate(ctx, x) == 1 ? 0 : -1;
    X509_free(x);
    while (rc == 0) { /* the rest of the chain */
        X509 *ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
        if (!ca)
            break;
        if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
            X509_free(ca);
            rc = -1;
        }
    }
    ERR_clear_error(); /* the end of the chain reads as an error */
    BIO_free(b);
    return rc;
}

static int load_key(SSL_CTX *ctx, const char *v)
{
    if (!is_pem(v))
        return SSL_CTX_use_PrivateKey_file(ctx, v, SSL_FILETYPE_PEM) == 1 ? 0 : -1;
    BIO *b = BIO_new_mem_buf(v, -1);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    int rc = k && SSL_CTX_use_PrivateKey(ctx, k) == 1 ? 0 : -1;
    EVP_PKEY_free(k);
    BIO_free(b);
    return rc;
}

static int load_ca(SSL_CTX *ctx, const char *v)
{
    if (!is_pem(v))
        return SSL_CTX_load_verify_locations(ctx, v, NULL) == 1 ? 0 : -1;
    BIO *b = BIO_new_mem_buf(v, -1);
    X509_STORE *st = SSL_CTX_get_cert_store(ctx);
    int n = 0;
    X509 *x;
    while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(st, x) == 1)
            n++;
        X509_free(x);
    }
    ERR_clear_error();
    BIO_free(b);
    return n > 0 ? 0 : -1;
}

/* A context from cfg's TLS settings; err says what failed. */
static SSL_CTX *ctx_build(const sc_sip_config *cfg, bool *has_cert, char *err, size_t cap)
{
    char why[256];
    *has_cert = false;
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (!ctx) {
        snprintf(err, cap, "TLS: cannot create a context: %s", ossl_why(why, sizeof why));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if ((cfg->tls_cert && *cfg->tls_cert) != (cfg->tls_key && *cfg->tls_key)) {
        snprintf(err, cap, "TLS: %s given without %s", cfg->tls_cert && *cfg->tls_cert ? "a certificate" : "a key",
                 cfg->tls_cert && *cfg->tls_cert ? "its key" : "a certificate");
        goto fail;
    }
    if (cfg->tls_cert && *cfg->tls_cert) {
        const char *c = is_pem(cfg->tls_cert) ? "(PEM text)" : cfg->tls_cert;
        const char *k = is_pem(cfg->tls_key) ? "(PEM text)" : cfg->tls_key;
        if (load_cert(ctx, cfg->tls_cert) != 0) {
            snprintf(err, cap, "TLS: cannot load the certificate %s: %s", c, ossl_why(why, sizeof why));
            goto fail;
        }
        if (load_key(ctx, cfg->tls_key) != 0) {
            int r = ERR_GET_REASON(ERR_peek_last_error());
            if (r == X509_R_KEY_VALUES_MISMATCH || r == X509_R_KEY_TYPE_MISMATCH) {
                snprintf(err, cap, "TLS: the key %s does not match the certificate %s", k, c);
                ERR_clear_error();
            } else {
                snprintf(err, cap, "TLS: cannot load the key %s: %s", k, ossl_why(why, sizeof why));
            }
            goto fail;
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            snprintf(err, cap, "TLS: the key %s does not match the certificate %s", k, c);
            ERR_clear_error();
            goto fail;
        }
        *has_cert = true;
    }
    if (cfg->tls_ca && *cfg->tls_ca) {
        if (load_ca(ctx, cfg->tls_ca) != 0) {
            snprintf(err, cap, "TLS: cannot load the CA set %s: %s", is_pem(cfg->tls_ca) ? "(PEM text)" : cfg->tls_ca,
                     ossl_why(why, sizeof why));
            goto fail;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        ERR_clear_error(); /* no system CA set: every verification fails, said at the time */
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

int sc_sip_tls_check(const sc_sip_config *cfg, char *err, size_t cap)
{
    char dummy[8];
    if (!err || !cap) {
        err = dummy;
        cap = sizeof dummy;
    }
    err[0] = '\0';
    if (!cfg)
        return -EINVAL;
    if (!cfg->tls_cert && !cfg->tls_key && !cfg->tls_ca)
        return 0;
    bool has;
    SSL_CTX *ctx = ctx_build(cfg, &has, err, cap);
    if (!ctx)
        return -EINVAL;
    SSL_CTX_free(ctx);
    return 0;
}

static int ctx_get(sc_sip *sip, sip_tls_ctx **out)
{
    if (!sip->tls) {
        sip_tls_ctx *t = calloc(1, sizeof *t);
        char err[512];
        if (!t)
            return -ENOMEM;
        if (!(t->ctx = ctx_build(&sip->cfg, &t->has_cert, err, sizeof err))) {
            sc_log(sip->cfg.logger, SC_LOG_ERROR, SIP_MODULE, "%s", err);
            free(t);
            return -EINVAL;
        }
        sip->tls = t;
    }
    *out = sip->tls;
    return 0;
}

int sip_tls_init(sc_sip *sip)
{
    const sc_sip_config *c = &sip->cfg;
    if (!c->tls_cert && !c->tls_key && !c->tls_ca)
        return 0; /* made at the first TLS connection, with the system's CA set */
    sip_tls_ctx *t;
    int rc = ctx_get(sip, &t);
    sip->cfg.tls_cert = sip->cfg.tls_key = sip->cfg.tls_ca = NULL; /* loaded; not kept */
    return rc;
}

bool sip_tls_can_serve(sc_sip *sip) { return sip->tls && sip->tls->has_cert; }

void sip_tls_free(sc_sip *sip)
{
    if (!sip->tls)
        return;
    SSL_CTX_free(sip->tls->ctx);
    free(sip->tls);
    sip->tls = NULL;
}

void sip_tls_note_name(sc_sip *sip, const struct sockaddr_storage *addr, const char *name)
{
    sip_tls_ctx *t;
    if (!name || !*name || strlen(name) >= sizeof t->names[0].name || ctx_get(sip, &t) != 0)
        return;
    for (size_t i = 0; i < TLS_NAMES; i++)
        if (t->names[i].addr.ss_family && sip_addr_equal(&t->names[i].addr, addr)) {
            snprintf(t->names[i].name, sizeof t->names[i].name, "%s", name);
            return;
        }
    t->names[t->next_name].addr = *addr;
    snprintf(t->names[t->next_name].name, sizeof t->names[0].name, "%s", name);
    t->next_name = (t->next_name + 1) % TLS_NAMES;
}

static const char *name_for(const sip_tls_ctx *t, const struct sockaddr_storage *addr)
{
    for (size_t i = 0; i < TLS_NAMES; i++)
        if (t->names[i].addr.ss_family && sip_addr_equal(&t->names[i].addr, addr))
            return t->names[i].name;
    return NULL;
}

/* ---- one connection -------------------------------------------------------------------- */

static void peer_text(const sip_conn *c, char *buf, size_t cap)
{
    char host[64];
    uint16_t port = 0;
    if (sip_addr_str(&c->peer, host, sizeof host, &port) != 0)
        snprintf(host, sizeof host, "?");
    snprintf(buf, cap, "%s%s%s:%u", c->peer.ss_family == AF_INET6 ? "[" : "", host,
             c->peer.ss_family == AF_INET6 ? "]" : "", port);
}

int sip_tls_fail(sip_conn *c, sc_sip_tls_failure why, const char *detail)
{
    char peer[80];
    peer_text(c, peer, sizeof peer);
    c->sip->stats.tls_failures[why]++;
    c->tls_failed = true;
    sc_log(c->sip->cfg.logger, SC_LOG_WARN, SIP_MODULE, "TLS connection %s %s closed: %s%s%s",
           c->outbound ? "to" : "from", peer, sc_sip_tls_failure_name(why), detail && *detail ? ": " : "",
           detail ? detail : "");
    return -EPROTO;
}

/* Sends what the SSL object wrote to its network BIO. */
static int flush(sip_conn *c)
{
    char buf[16384];
    int n;
    while ((n = BIO_read(c->tls->wbio, buf, sizeof buf)) > 0) {
        int rc = sip_conn_write_raw(c, buf, (size_t)n);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Peer verification for an outgoing connection: the chain, and the name (SNI) or IP. */
static int set_peer_checks(sc_sip *sip, SSL *ssl, sip_conn *c)
{
    const char *name = name_for(sip->tls, &c->peer);
    snprintf(c->tls->name, sizeof c->tls->name, "%s", name ? name : "");
    if (name && SSL_set_tlsext_host_name(ssl, name) != 1)
        return -ENOMEM;
    if (sip->cfg.tls_insecure_no_verify) {
        SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
        return 0;
    }
    SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
    if (name) {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        return SSL_set1_host(ssl, name) == 1 ? 0 : -ENOMEM;
    }
    char host[64];
    uint16_t port;
    if (sip_addr_str(&c->peer, host, sizeof host, &port) != 0)
        return -EINVAL;
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 ? 0 : -EINVAL;
}

int sip_tls_conn_start(sip_conn *c, bool server)
{
    sc_sip *sip = c->sip;
    sip_tls_ctx *t;
    int rc = ctx_get(sip, &t);
    if (rc != 0)
        return rc;
    sip_tls *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->server = server;
    s->ssl = SSL_new(t->ctx);
    s->rbio = BIO_new(BIO_s_mem());
    s->wbio = BIO_new(BIO_s_mem());
    if (!s->ssl || !s->rbio || !s->wbio) {
        SSL_free(s->ssl);
        BIO_free(s->rbio);
        BIO_free(s->wbio);
        free(s);
        return -ENOMEM;
    }
    BIO_set_mem_eof_return(s->rbio, -1); /* empty: "retry", not end of file */
    SSL_set_bio(s->ssl, s->rbio, s->wbio);
    c->tls = s;
    if (server) {
        SSL_set_accept_state(s->ssl);
        return 0;
    }
    SSL_set_connect_state(s->ssl);
    if ((rc = set_peer_checks(sip, s->ssl, c)) != 0)
        return rc;
    return 0;
}

void sip_tls_conn_free(sip_conn *c)
{
    if (!c->tls)
        return;
    SSL_free(c->tls->ssl); /* frees the BIOs */
    free(c->tls);
    c->tls = NULL;
}

/* Follows the record boundaries of the bytes received (RFC 8446 5.1: a 5-byte header with the
 * body's length), so an end of stream inside a record can be told from one between records. */
static void track_records(sip_tls *s, const unsigned char *p, size_t n)
{
    while (n > 0) {
        if (s->rec_left > 0) {
            size_t k = n < s->rec_left ? n : s->rec_left;
            s->rec_left -= k;
            p += k;
            n -= k;
            continue;
        }
        s->hdr[s->hdr_have++] = *p++;
        n--;
        if (s->hdr_have == sizeof s->hdr) {
            s->rec_left = ((size_t)s->hdr[3] << 8) | s->hdr[4];
            s->hdr_have = 0;
        }
    }
}

void sip_tls_rbuf(sip_conn *c, char **base, size_t *len)
{
    *base = c->tls->rbuf;
    *len = sizeof c->tls->rbuf;
}

bool sip_tls_may_reuse(const sip_conn *c)
{
    const sip_tls *s = c->tls;
    if (!s || !c->outbound || c->sip->cfg.tls_insecure_no_verify)
        return true;
    const char *name = name_for(c->sip->tls, &c->peer);
    if (!s->done) /* not verified yet: only for the name it will be verified against */
        return strcmp(name ? name : "", s->name) == 0;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    X509 *cert = SSL_get1_peer_certificate(s->ssl);
#else
    X509 *cert = SSL_get_peer_certificate(s->ssl);
#endif
    bool ok = false;
    char host[64];
    uint16_t port;
    if (cert && name)
        ok = X509_check_host(cert, name, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
    else if (cert && sip_addr_str(&c->peer, host, sizeof host, &port) == 0)
        ok = X509_check_ip_asc(cert, host, 0) == 1;
    X509_free(cert);
    return ok;
}

/* Why the handshake failed, for the log and the count. */
static sc_sip_tls_failure classify(sip_tls *s, bool verifying, char *detail, size_t cap)
{
    long v = SSL_get_verify_result(s->ssl);
    unsigned long e = ERR_peek_last_error();
    if (!s->server && verifying && v != X509_V_OK) {
        snprintf(detail, cap, "certificate: %s", X509_verify_cert_error_string(v));
        ERR_clear_error();
        return SC_SIP_TLS_FAIL_CERTIFICATE;
    }
    if (e)
        ERR_error_string_n(e, detail, cap);
    else
        snprintf(detail, cap, "handshake failed");
    ERR_clear_error();
    int reason = ERR_GET_REASON(e);
    if (reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA || reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE ||
        reason == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN || reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
        return SC_SIP_TLS_FAIL_CERTIFICATE;
    return SC_SIP_TLS_FAIL_HANDSHAKE;
}

int sip_tls_handshake(sip_conn *c)
{
    sip_tls *s = c->tls;
    if (s->done)
        return 1;
    ERR_clear_error();
    int r = SSL_do_handshake(s->ssl);
    int frc = flush(c); /* alerts too */
    if (r == 1) {
        s->done = true;
        c->sip->stats.tls_handshakes++;
        return frc < 0 ? frc : 1;
    }
    int e = SSL_get_error(s->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return frc < 0 ? frc : 0;
    char detail[256];
    sc_sip_tls_failure why = classify(s, !c->sip->cfg.tls_insecure_no_verify, detail, sizeof detail);
    return sip_tls_fail(c, why, detail);
}

int sip_tls_input(sip_conn *c, const char *data, size_t n)
{
    sip_tls *s = c->tls;
    if (!s->seen_first && n > 0) {
        s->seen_first = true;
        /* a TLS record starts with its content type (20..24); SIP starts with a letter */
        if (s->server && ((data[0] >= 'A' && data[0] <= 'Z') || (data[0] >= 'a' && data[0] <= 'z')))
            return sip_tls_fail(c, SC_SIP_TLS_FAIL_PLAINTEXT, "a TLS client hello was expected");
    }
    track_records(s, (const unsigned char *)data, n);
    if (BIO_write(s->rbio, data, (int)n) != (int)n)
        return -ENOMEM;
    return s->done ? 1 : sip_tls_handshake(c);
}

long sip_tls_read_plain(sip_conn *c, char *out, size_t cap)
{
    sip_tls *s = c->tls;
    if (!s->done || cap == 0)
        return 0;
    ERR_clear_error();
    int r = SSL_read(s->ssl, out, cap > INT32_MAX ? INT32_MAX : (int)cap);
    if (r > 0)
        return r;
    int e = SSL_get_error(s->ssl, r);
    (void)flush(c); /* a post-handshake message (TLS 1.3 tickets, key update) may want an answer */
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 0;
    if (e == SSL_ERROR_ZERO_RETURN)
        return -ECONNRESET; /* close_notify: an orderly end */
    char detail[256];
    unsigned long x = ERR_peek_last_error();
    if (x)
        ERR_error_string_n(x, detail, sizeof detail);
    else
        snprintf(detail, sizeof detail, "bad record");
    ERR_clear_error();
    return sip_tls_fail(c, SC_SIP_TLS_FAIL_PROTOCOL, detail);
}

void sip_tls_eof(sip_conn *c)
{
    sip_tls *s = c->tls;
    if (c->tls_failed)
        return;
    if (s->hdr_have > 0 || s->rec_left > 0)
        sip_tls_fail(c, SC_SIP_TLS_FAIL_TRUNCATED, "connection closed with a partial TLS record");
    else if (!s->done && s->seen_first)
        sip_tls_fail(c, SC_SIP_TLS_FAIL_HANDSHAKE, "connection closed during the handshake");
}

int sip_tls_write(sip_conn *c, const char *data, size_t len)
{
    sip_tls *s = c->tls;
    size_t off = 0;
    ERR_clear_error();
    while (off < len) {
        int r = SSL_write(s->ssl, data + off, (int)(len - off > 16384 ? 16384 : len - off));
        if (r <= 0) {
            char detail[256];
            const char *why = ERR_reason_error_string(ERR_peek_last_error());
            snprintf(detail, sizeof detail, "write: %s", why ? why : "error");
            ERR_clear_error();
            return sip_tls_fail(c, SC_SIP_TLS_FAIL_PROTOCOL, detail);
        }
        off += (size_t)r;
    }
    return flush(c);
}
