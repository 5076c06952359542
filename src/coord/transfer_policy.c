/* transfer_policy: who may make us place a call with a REFER (the transferee's side). A REFER
 * starts a call only when its sender is trusted (its transport source is in a --trust network,
 * or the dialog's INVITE passed digest authentication: registrar.c) and its target is allowed (a --refer-allow
 * glob on "[user@]host:port", or a B2BUA route's target). Refusals are counted in
 * sessioncore_refer_refused_total{reason} and logged, at most a few lines a second. */
#include "coord/transfer.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

#define GLOB_MAX 256        /* longest --refer-allow pattern */
#define LOG_PER_SECOND 5    /* refusal lines logged a second; the rest are counted */
#define LOG_TARGET_MAX 96   /* characters of a target shown in a refusal line */
#define TARGET_KEY_MAX 1100 /* user (up to ~500) + host + port */

/* ---- Targets ---------------------------------------------------------------------------------- */

/* The port of a URI as the SIP layer reads it, strictly: NULL or "" is 5060; -1 if unusable. */
static long uri_port(const char *p)
{
    if (!p || !*p)
        return 5060;
    long v = 0;
    for (const char *q = p; *q; q++) {
        if (*q < '0' || *q > '9' || q - p >= 5)
            return -1;
        v = v * 10 + (*q - '0');
    }
    return v >= 1 && v <= 65535 ? v : -1;
}

/* A DNS host name (letters, digits, '-', '.'), lower-cased into out. */
static bool host_name(const char *h, char *out, size_t cap)
{
    size_t n = strlen(h);
    if (!n || n >= cap || strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.") != n)
        return false;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)tolower((unsigned char)h[i]);
    return true;
}

int sc_coord__refer_target_key(const char *uri, char *out, size_t cap)
{
    osip_uri_t *u = NULL;
    if (!uri || !out || strlen(uri) > 500 || osip_uri_init(&u) != 0)
        return -EINVAL;
    int rc = -EINVAL;
    if (osip_uri_parse(u, uri) == 0 && u->scheme && !strcasecmp(u->scheme, "sip") && u->host) {
        char host[64], text[INET6_ADDRSTRLEN];
        unsigned char bin[16];
        snprintf(host, sizeof host, "%s", u->host);
        size_t n = strlen(host);
        if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
            host[n - 1] = '\0';
            memmove(host, host + 1, n - 1);
        }
        long port = uri_port(u->port);
        bool v4 = inet_pton(AF_INET, host, bin) == 1;
        bool v6 = !v4 && inet_pton(AF_INET6, host, bin) == 1;
        bool name = !v4 && !v6 && host_name(host, text, sizeof text); /* located by RFC 3263 */
        if (port > 0 && (name || ((v4 || v6) && inet_ntop(v4 ? AF_INET : AF_INET6, bin, text, sizeof text)))) {
            const char *user = u->username && *u->username ? u->username : NULL;
            int w = snprintf(out, cap, "%s%s%s%s%s:%ld", user ? user : "", user ? "@" : "", v6 ? "[" : "", text,
                             v6 ? "]" : "", port);
            rc = w < 0 ? -EINVAL : (size_t)w >= cap ? -ENOSPC : w;
        }
    }
    osip_uri_free(u);
    return rc;
}

/* ---- The policy --------------------------------------------------------------------------------- */

void sc_coord__refer_policy_free(sc_coord_refer_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nallow; i++)
        free(p->allow[i]);
    for (size_t i = 0; i < p->nroutes; i++)
        free(p->route_key[i]);
    memset(p, 0, sizeof *p);
}

int sc_coord__refer_policy_init(sc_coord_refer_policy *p, const sc_coord_config *cfg, char *err, size_t errsz)
{
    memset(p, 0, sizeof *p);
    p->disabled = cfg->refuse_refer;
    if (cfg->ntrust > SC_COORD_MAX_TRUST || cfg->nrefer_allow > SC_COORD_MAX_REFER_ALLOW ||
        cfg->nroutes > SC_COORD_MAX_ROUTES) {
        snprintf(err, errsz, "too many trust, refer_allow or route entries");
        return -EINVAL;
    }
    for (size_t i = 0; i < cfg->ntrust; i++) {
        if (sc_coord__net_parse(cfg->trust[i], &p->trust[p->ntrust]) != 0) {
            snprintf(err, errsz, "trust: '%.64s' is not ADDR or ADDR/LEN (IPv4 or IPv6, no host bits past LEN)",
                     cfg->trust[i] ? cfg->trust[i] : "");
            return -EINVAL;
        }
        p->ntrust++;
    }
    for (size_t i = 0; i < cfg->nrefer_allow; i++) {
        const char *g = cfg->refer_allow[i];
        if (!g || !*g || strlen(g) >= GLOB_MAX || strpbrk(g, " \t\r\n<>")) {
            snprintf(err, errsz, "refer_allow: '%.64s' is not a glob on [user@]host:port", g ? g : "");
            return -EINVAL;
        }
        if (!(p->allow[p->nallow] = strdup(g)))
            return -ENOMEM;
        p->nallow++;
    }
    for (size_t i = 0; i < cfg->nroutes; i++) {
        char key[TARGET_KEY_MAX];
        if (sc_coord__refer_target_key(cfg->route_target[i], key, sizeof key) < 0)
            continue; /* a route target without an IP literal host can be reached by nobody */
        if (!(p->route_key[p->nroutes] = strdup(key)))
            return -ENOMEM;
        p->nroutes++;
    }
    return 0;
}

sc_coord_trust sc_coord__peer_trust(const sc_coord_refer_policy *p, const sc_coord_peer *peer)
{
    if (!p || !peer)
        return SC_COORD_TRUST_NONE;
    for (size_t i = 0; peer->src && i < p->ntrust; i++)
        if (sc_coord__net_contains(&p->trust[i], peer->src))
            return SC_COORD_TRUST_NETWORK;
    return peer->authenticated ? SC_COORD_TRUST_AUTHENTICATED : SC_COORD_TRUST_NONE;
}

bool sc_coord__refer_target_allowed(const sc_coord_refer_policy *p, const char *target)
{
    char key[TARGET_KEY_MAX];
    if (!p || !target || sc_coord__refer_target_key(target, key, sizeof key) < 0)
        return false;
    for (size_t i = 0; i < p->nallow; i++)
        if (fnmatch(p->allow[i], key, 0) == 0)
            return true;
    for (size_t i = 0; i < p->nroutes; i++)
        if (!strcmp(p->route_key[i], key))
            return true;
    return false;
}

sc_coord_refer_verdict sc_coord__refer_judge(const sc_coord_refer_policy *p, const sc_coord_peer *peer,
                                             const char *target)
{
    if (!p || p->disabled)
        return SC_COORD_REFER_DISABLED;
    if (sc_coord__peer_trust(p, peer) == SC_COORD_TRUST_NONE)
        return SC_COORD_REFER_UNTRUSTED;
    if (!sc_coord__refer_target_allowed(p, target))
        return SC_COORD_REFER_TARGET;
    return SC_COORD_REFER_OK;
}

const char *sc_coord__refer_verdict_name(sc_coord_refer_verdict v)
{
    switch (v) {
    case SC_COORD_REFER_OK: return "ok";
    case SC_COORD_REFER_DISABLED: return "disabled";
    case SC_COORD_REFER_UNTRUSTED: return "untrusted";
    case SC_COORD_REFER_TARGET: return "target";
    default: return "unknown";
    }
}

/* ---- A REFER arrives ------------------------------------------------------------------------------ */

static void addr_text(const struct sockaddr_storage *a, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (!a) {
        snprintf(out, cap, "unknown source");
    } else if (a->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)a;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(out, cap, "%s:%u", host, ntohs(in->sin_port));
    } else if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)a;
        inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof host);
        snprintf(out, cap, "[%s]:%u", host, ntohs(in->sin6_port));
    } else {
        snprintf(out, cap, "unknown source");
    }
}

/* A peer-chosen string for a log line: printable ASCII only, cut at LOG_TARGET_MAX. */
static void printable(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; s && *s && n + 4 < cap && n < LOG_TARGET_MAX; s++)
        out[n++] = *s >= 0x20 && *s < 0x7f ? *s : '?';
    if (s && *s && n + 4 <= cap) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

/* One line a refusal, LOG_PER_SECOND a second at most; the next line says how many were left out. */
static void log_refusal(sc_coord *c, sc_coord_xfer_state *xs, const char *id, const struct sockaddr_storage *src,
                        sc_coord_refer_verdict v, const char *target)
{
    uint64_t now = sc_clock_mono_us(c->clock);
    if (now - xs->log_window_us >= 1000000u) {
        xs->log_window_us = now;
        xs->log_lines = 0;
    }
    if (xs->log_lines >= LOG_PER_SECOND) {
        xs->log_suppressed++;
        return;
    }
    xs->log_lines++;
    char from[INET6_ADDRSTRLEN + 16], to[LOG_TARGET_MAX + 8], more[64] = "";
    addr_text(src, from, sizeof from);
    printable(target, to, sizeof to);
    if (xs->log_suppressed)
        snprintf(more, sizeof more, " (%llu more refusals not logged)", (unsigned long long)xs->log_suppressed);
    xs->log_suppressed = 0;
    sc_log(c->logger, SC_LOG_WARN, "transfer", "session %s: REFER from %s refused (%s): target %s%s", id, from,
           sc_coord__refer_verdict_name(v), target ? to : "(unusable Refer-To)", more);
}

sc_coord_refer_verdict sc_coord__refer_check(sc_coord *c, const char *id, sc_sip_stx *stx, const char *target)
{
    sc_coord_xfer_state *xs = sc_coord__feat(c, SC_FEAT_TRANSFER);
    if (!xs)
        return SC_COORD_REFER_DISABLED;
    struct sockaddr_storage src;
    bool known = stx && sc_sip_stx_source(stx, &src) == 0;
    sc_session *s = id ? sc_store_get(c->store, id) : NULL;
    sc_coord_leg *leg = s ? sc_coord__leg(s) : NULL;
    sc_coord_peer peer = {.src = known ? &src : NULL, .authenticated = leg && leg->auth_user};
    sc_coord_refer_verdict v = sc_coord__refer_judge(&xs->policy, &peer, target);
    if (v == SC_COORD_REFER_OK)
        return v;
    if (xs->refused[v])
        sc_obs_counter_inc(xs->refused[v]);
    log_refusal(c, xs, id, known ? &src : NULL, v, target);
    return v;
}
