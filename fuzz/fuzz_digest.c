/* fuzz_digest: digest authentication headers (RFC 3261 22, RFC 7616, RFC 8760) from both sides.
 * Each input line is one header value. As a server, the lines are the Authorization headers of
 * a REGISTER and the Proxy-Authorization headers of an INVITE, judged by sc_sip_auth_check; as
 * a client, they are the WWW-Authenticate headers of a 401 and the Proxy-Authenticate headers of
 * a 407, answered by sip_auth_answer, and every answer is then judged by the verifier.
 * Two placeholders let the fuzzer past the checks it cannot forge: NONCE becomes a fresh nonce
 * of the verifier, and a response="RESPONSE" is replaced by the right one for the header's own
 * fields and the password of the user alice. A client answer to our realm and nonce must then
 * verify (abort otherwise). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "session_core/sip.h"
#include "sip/sip_int.h"

#define REALM "example.com"
#define RURI "sip:example.com"
#define MAX_LINES 8
#define LINE_MAX_LEN 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lookup(void *ud, const char *user, const char *alg, char *secret, size_t cap, bool *is_ha1)
{
    (void)ud;
    if (!strcmp(user, "alice")) {
        snprintf(secret, cap, "secret");
        *is_ha1 = false;
        return 0;
    }
    if (!strcmp(user, "carol")) { /* an HA1 for MD5 only */
        if (strcmp(alg, "MD5"))
            return -ENOTSUP;
        *is_ha1 = true;
        return sip_digest_hex("MD5", "carol:" REALM ":pa55", secret, cap);
    }
    return -ENOENT;
}

/* A fresh nonce of a (the first challenge's). */
static void fresh_nonce(sc_sip_auth *a, char *out, size_t cap)
{
    char hdrs[1024];
    out[0] = '\0';
    if (sc_sip_auth_challenge(a, false, false, hdrs, sizeof hdrs) < 0)
        return;
    const char *n = strstr(hdrs, "nonce=\"");
    const char *e = n ? strchr(n + 7, '"') : NULL;
    if (e)
        snprintf(out, cap, "%.*s", (int)(e - n - 7), n + 7);
}

/* line with every NONCE replaced by nonce, into out. */
static void substitute(const char *line, const char *nonce, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *p = line; *p && used + 1 < cap;) {
        if (!strncmp(p, "NONCE", 5)) {
            int n = snprintf(out + used, cap - used, "%s", nonce);
            if (n < 0 || (size_t)n >= cap - used)
                break;
            used += (size_t)n;
            p += 5;
        } else {
            out[used++] = *p++;
            out[used] = '\0';
        }
    }
}

static void unq(const char *v, char *out, size_t cap)
{
    size_t n = v ? strlen(v) : 0;
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v++;
        n -= 2;
    }
    snprintf(out, cap, "%.*s", (int)n, v ? v : "");
}

/* response="RESPONSE" in h becomes the response alice would send for h's own fields. */
static void fill_response(osip_authorization_t *h, const char *method)
{
    char resp[64], user[256], realm[256], nonce[512], uri[512], alg[32], qop[32], nc[32], cnonce[256], out[160];
    unq(h->response, resp, sizeof resp);
    if (strcmp(resp, "RESPONSE") != 0)
        return;
    unq(h->username, user, sizeof user);
    unq(h->realm, realm, sizeof realm);
    unq(h->nonce, nonce, sizeof nonce);
    unq(h->uri, uri, sizeof uri);
    unq(h->algorithm ? h->algorithm : "MD5", alg, sizeof alg);
    unq(h->message_qop, qop, sizeof qop);
    unq(h->nonce_count, nc, sizeof nc);
    unq(h->cnonce, cnonce, sizeof cnonce);
    char hex[2 * 64 + 1];
    if (sip_digest_response(alg, user, realm, "secret", method, uri, nonce, qop[0] ? qop : NULL, nc, cnonce, hex,
                            sizeof hex) != 0)
        return;
    snprintf(out, sizeof out, "\"%s\"", hex);
    osip_free(h->response);
    h->response = osip_strdup(out);
}

static osip_message_t *base_message(const char *first_line, const char *method)
{
    char text[512];
    snprintf(
        text, sizeof text,
        "%s\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKfz\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
        "To: <sip:alice@example.com>\r\nCall-ID: fz1\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        first_line, method);
    osip_message_t *m = NULL;
    if (osip_message_init(&m) != 0)
        return NULL;
    if (osip_message_parse(m, text, strlen(text)) != 0) {
        osip_message_free(m);
        return NULL;
    }
    return m;
}

static void server_check(sc_sip_auth *a, const struct sockaddr_storage *src, const char *method, bool proxy,
                         char lines[][LINE_MAX_LEN], size_t n)
{
    char first[64];
    snprintf(first, sizeof first, "%s " RURI " SIP/2.0", method);
    osip_message_t *req = base_message(first, method);
    if (!req)
        return;
    for (size_t i = 0; i < n; i++)
        (proxy ? osip_message_set_proxy_authorization : osip_message_set_authorization)(req, lines[i]);
    const osip_list_t *l = proxy ? &req->proxy_authorizations : &req->authorizations;
    for (int i = 0; i < osip_list_size(l); i++)
        fill_response(osip_list_get(l, i), method);
    sc_sip_auth_verdict v;
    if (sc_sip_auth_check(a, req, src, proxy, &v) != 0)
        abort();
    if (v.result == SC_SIP_AUTH_OK && strcmp(v.user, "alice") != 0 && strcmp(v.user, "carol") != 0)
        abort(); /* only users the lookup knows can pass */
    osip_message_free(req);
}

/* Answers a 401/407 carrying lines as its challenges; an answer to our realm and nonce must verify. */
static void client_answer(sc_sip_auth *a, const struct sip_cred *creds, const char *nonce, bool proxy,
                          char lines[][LINE_MAX_LEN], size_t n)
{
    osip_message_t *resp = base_message(
        proxy ? "SIP/2.0 407 Proxy Authentication Required" : "SIP/2.0 401 Unauthorized", "REGISTER");
    if (!resp)
        return;
    for (size_t i = 0; i < n; i++)
        (proxy ? osip_message_set_proxy_authenticate : osip_message_set_www_authenticate)(resp, lines[i]);
    const char *hname = NULL;
    char hvalue[4096];
    bool stale = false;
    int rc = sip_auth_answer(creds, resp, "REGISTER", RURI, &hname, hvalue, sizeof hvalue, &stale);
    osip_message_free(resp);
    if (rc != 0)
        return;
    osip_message_t *req = base_message("REGISTER " RURI " SIP/2.0", "REGISTER");
    if (!req)
        return;
    if ((proxy ? osip_message_set_proxy_authorization : osip_message_set_authorization)(req, hvalue) != 0) {
        osip_message_free(req);
        return;
    }
    const osip_list_t *l = proxy ? &req->proxy_authorizations : &req->authorizations;
    osip_authorization_t *h = osip_list_get(l, 0);
    char realm[256], got_nonce[512], user[64];
    unq(h ? h->realm : NULL, realm, sizeof realm);
    unq(h ? h->nonce : NULL, got_nonce, sizeof got_nonce);
    unq(h ? h->username : NULL, user, sizeof user);
    struct sockaddr_storage src = {0};
    struct sockaddr_in *in = (struct sockaddr_in *)&src;
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(0x7f000002);
    sc_sip_auth_verdict v;
    if (sc_sip_auth_check(a, req, &src, proxy, &v) != 0)
        abort();
    if (osip_list_size(l) == 1 && !strcmp(realm, REALM) && !strcmp(got_nonce, nonce) && !strcmp(user, "alice") &&
        v.result != SC_SIP_AUTH_OK)
        abort(); /* our own client's answer to our own challenge */
    osip_message_free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        parser_init();
        init = true;
    }
    sc_manual_clock *clk = NULL;
    sc_sip_auth *a = NULL;
    struct sip_cred *creds = NULL;
    if (sc_manual_clock_new(&clk, 1000000, 1700000000000000LL) != 0)
        return 0;
    sc_sip_auth_config cfg = {.realm = REALM, .clock = sc_manual_clock_get(clk), .lookup = lookup};
    if (sc_sip_auth_new(&a, &cfg) != 0 || sip_cred_add(&creds, NULL, "anyone", "pw") != 0 ||
        sip_cred_add(&creds, REALM, "alice", "secret") != 0)
        goto out;
    char nonce[128];
    fresh_nonce(a, nonce, sizeof nonce);

    /* the input's lines (CR, LF and NUL end one), NONCE substituted */
    static char lines[MAX_LINES][LINE_MAX_LEN];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < MAX_LINES; i++) {
        if (i < size && data[i] != '\n' && data[i] != '\r' && data[i] != '\0')
            continue;
        size_t len = i - start;
        if (len > 0) {
            char raw[LINE_MAX_LEN];
            snprintf(raw, sizeof raw, "%.*s", (int)(len < sizeof raw ? len : sizeof raw - 1),
                     (const char *)data + start);
            substitute(raw, nonce, lines[n++], LINE_MAX_LEN);
        }
        start = i + 1;
    }
    struct sockaddr_storage src = {0};
    struct sockaddr_in *in = (struct sockaddr_in *)&src;
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(0x7f000001);
    server_check(a, &src, "REGISTER", false, lines, n);
    server_check(a, &src, "INVITE", true, lines, n);
    client_answer(a, creds, nonce, false, lines, n);
    client_answer(a, creds, nonce, true, lines, n);
    sc_sip_auth_stats st;
    sc_sip_auth_get_stats(a, &st);
out:
    sip_cred_free(creds);
    sc_sip_auth_free(a);
    sc_manual_clock_free(clk);
    return 0;
}
