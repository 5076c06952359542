/* config_media: the setters of sessiond's media and B2BUA options and the config file's
 * structured forms of them (a map of music-on-hold classes, a list of routes). */
#include "config_media.h"
#include "config_srtp.h"
#include "config_bool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errsz, const char *msg, const char *v)
{
    snprintf(err, errsz, msg, v);
    return -1;
}

int sd_set_media_address(sd_config *c, const char *v, char *err, size_t errsz)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, v, buf) != 1 && inet_pton(AF_INET6, v, buf) != 1)
        return fail(err, errsz, "--media-address: expected an IPv4 or IPv6 address, got '%s'", v);
    char *d = strdup(v);
    if (!d)
        return fail(err, errsz, "--media-address: %s", "out of memory");
    free(c->media_address);
    c->media_address = d;
    return 0;
}

int sd_set_rtp_timeout(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    if (sd_config_parse_u64(v, 3600000, &n))
        return sd_config_bad(err, errsz, "rtp-timeout-ms", "0..3600000 (0 = off)", v);
    c->rtp_timeout_ms = (uint32_t)n;
    return 0;
}

int sd_set_rtp_park(sd_config *c, const char *v, char *err, size_t errsz)
{
    uint64_t n;
    if (sd_config_parse_u64(v, 65536, &n))
        return sd_config_bad(err, errsz, "rtp-park", "0..65536 (0 = off)", v);
    c->rtp_park = (uint32_t)n;
    return 0;
}

int sd_set_media(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (strcmp(v, "on") && strcmp(v, "off"))
        return fail(err, errsz, "--media: expected on or off, got '%s'", v);
    c->media_off = !strcmp(v, "off");
    return 0;
}

int sd_set_rtp_latch(sd_config *c, const char *v, char *err, size_t errsz)
{
    return sd_config_bool("rtp-latch", v, &c->rtp_latch, err, errsz); /* config_bool.c */
}

static int put_moh(sd_config *c, const char *name, size_t nlen, const char *file, char *err, size_t errsz)
{
    if (nlen == 0 || nlen > 31 || !*file)
        return fail(err, errsz, "--moh-class: expected NAME=FILE (name 1..31 characters), got '%s'", name);
    size_t i;
    for (i = 0; i < c->nmoh; i++)
        if (strlen(c->moh_name[i]) == nlen && !strncmp(c->moh_name[i], name, nlen))
            break;
    if (i == SD_MAX_MOH)
        return fail(err, errsz, "--moh-class: at most 16 classes (at '%s')", name);
    char *n = strndup(name, nlen), *f = strdup(file);
    if (!n || !f) {
        free(n);
        free(f);
        return fail(err, errsz, "--moh-class: %s", "out of memory");
    }
    if (i == c->nmoh)
        c->nmoh++;
    else {
        free(c->moh_name[i]);
        free(c->moh_path[i]);
    }
    c->moh_name[i] = n;
    c->moh_path[i] = f;
    return 0;
}

int sd_set_moh(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!*v)
        return fail(err, errsz, "--moh: expected a file name%s", "");
    return put_moh(c, "default", 7, v, err, errsz);
}

int sd_set_moh_class(sd_config *c, const char *v, char *err, size_t errsz)
{
    const char *eq = strchr(v, '=');
    if (!eq)
        return fail(err, errsz, "--moh-class: expected NAME=FILE, got '%s'", v);
    return put_moh(c, v, (size_t)(eq - v), eq + 1, err, errsz);
}

/* Who may use a route: "trusted" (the default: --trust sources and authenticated callers) or
 * "any"; NULL is the default. 1 for any, 0 for trusted, -1 for anything else. */
static int route_from(const char *from)
{
    return !from || !strcmp(from, "trusted") ? 0 : !strcmp(from, "any") ? 1 : -1;
}

/* A route: match (mlen bytes) -> target (tlen bytes), through proxy (NULL: the default), for
 * callers from (route_from). */
static int put_route(sd_config *c, const char *match, size_t mlen, const char *target, size_t tlen, const char *proxy,
                     const char *from, char *err, size_t errsz)
{
    int open = route_from(from);
    if (open < 0)
        return fail(err, errsz, "--route: from= is 'trusted' (the default) or 'any', got '%s'", from);
    if (mlen == 0 || (strncmp(target, "sip:", 4) != 0 && strncmp(target, "sips:", 5) != 0 &&
                      (strncmp(target, "trunk:", 6) != 0 || tlen < 7)))
        return fail(err, errsz,
                    "--route: expected PATTERN=sip:TARGET[,proxy=sip:PROXY] or PATTERN=trunk:NAME, got '%s'", match);
    if (proxy && ((strncmp(proxy, "sip:", 4) != 0 && strncmp(proxy, "sips:", 5) != 0) || !proxy[4]))
        return fail(err, errsz, "--route: the proxy must be a sip: URI, got '%s'", proxy);
    if (c->nroutes == SD_MAX_ROUTES)
        return fail(err, errsz, "--route: at most 64 routes (at '%s')", match);
    char *m = strndup(match, mlen), *t = strndup(target, tlen), *p = proxy ? strdup(proxy) : NULL;
    if (!m || !t || (proxy && !p)) {
        free(m);
        free(t);
        free(p);
        return fail(err, errsz, "--route: %s", "out of memory");
    }
    c->route_match[c->nroutes] = m;
    c->route_proxy[c->nroutes] = p;
    c->route_open[c->nroutes] = open == 1;
    c->route_target[c->nroutes++] = t;
    return 0;
}

/* The last occurrence of key (",proxy=") in s, or NULL: a target's user part may hold commas. */
static const char *last_of(const char *s, const char *key)
{
    const char *last = NULL;
    for (const char *p = strstr(s, key); p; p = strstr(p + 1, key))
        last = p;
    return last;
}

/* PATTERN=sip:TARGET[,proxy=sip:PROXY][,from=trusted|any] */
int sd_set_route(sd_config *c, const char *v, char *err, size_t errsz)
{
    char head[2048];
    int srtp = 0;
    if (sd_route_srtp_split(v, head, sizeof head, &srtp, err, errsz) < 0) /* a last ",srtp=" (config_srtp.c) */
        return -1;
    v = head;
    const char *eq = strchr(v, '=');
    if (!eq)
        return fail(err, errsz, "--route: expected PATTERN=sip:TARGET[,proxy=sip:PROXY][,from=any], got '%s'", v);
    const char *target = eq + 1, *px = last_of(target, ",proxy="), *fr = last_of(target, ",from=");
    char from[16] = "", proxy[512] = "";
    if (fr && (px ? fr > px : true)) { /* ",from=" comes last */
        snprintf(from, sizeof from, "%s", fr + 6);
    } else {
        fr = NULL;
    }
    size_t plen = px ? (fr ? (size_t)(fr - px - 7) : strlen(px + 7)) : 0;
    if (plen >= sizeof proxy)
        return fail(err, errsz, "--route: the proxy URI is too long (at '%.64s')", v);
    if (px)
        snprintf(proxy, sizeof proxy, "%.*s", (int)plen, px + 7);
    const char *end = px ? px : fr ? fr : target + strlen(target);
    int rc = put_route(c, v, (size_t)(eq - v), target, (size_t)(end - target), px ? proxy : NULL, fr ? from : NULL, err,
                       errsz);
    if (rc == 0)
        c->route_srtp[c->nroutes - 1] = srtp;
    return rc;
}

static int node_error(char *err, size_t errsz, const char *path, const yaml_node_t *n, const char *msg)
{
    snprintf(err, errsz, "%s:%lu:%lu: %s", path, (unsigned long)n->start_mark.line + 1,
             (unsigned long)n->start_mark.column + 1, msg);
    return -1;
}

static const char *scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int apply_sub(sd_config *c, int rc, const char *path, yaml_node_t *n, char *sub, char *err, size_t errsz)
{
    return rc ? node_error(err, errsz, path, n, sub[0] == '-' && sub[1] == '-' ? sub + 2 : sub) : 0;
}

static int moh_map(sd_config *c, yaml_document_t *doc, yaml_node_t *v, const char *path, char *err, size_t errsz)
{
    char sub[256];
    if (v->type != YAML_MAPPING_NODE)
        return node_error(err, errsz, path, v, "moh_classes: expected a map of name: file");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key), *f = yaml_document_get_node(doc, p->value);
        const char *name = scalar(k), *file = scalar(f);
        if (!name || !file)
            return node_error(err, errsz, path, k, "moh_classes: expected name: file");
        if (apply_sub(c, put_moh(c, name, strlen(name), file, sub, sizeof sub), path, k, sub, err, errsz))
            return -1;
    }
    return 0;
}

static int route_list(sd_config *c, yaml_document_t *doc, yaml_node_t *v, const char *path, char *err, size_t errsz)
{
    char sub[256];
    if (v->type != YAML_SEQUENCE_NODE)
        return node_error(err, errsz, path, v, "routes: expected a list of {match, target}");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(doc, *it);
        const char *match = NULL, *target = NULL, *proxy = NULL, *from = NULL, *srtp = NULL;
        if (e->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
                const char *k = scalar(yaml_document_get_node(doc, p->key));
                const char *val = scalar(yaml_document_get_node(doc, p->value));
                if (k && !strcmp(k, "match"))
                    match = val;
                else if (k && !strcmp(k, "target"))
                    target = val;
                else if (k && !strcmp(k, "proxy"))
                    proxy = val;
                else if (k && !strcmp(k, "from"))
                    from = val;
                else if (k && !strcmp(k, "srtp"))
                    srtp = val;
                else
                    return node_error(err, errsz, path, e,
                                      "routes: each entry has only match, target, proxy, from and srtp");
            }
        }
        if (!match || !target)
            return node_error(err, errsz, path, e, "routes: each entry needs match and target strings");
        int policy = 0;
        if (srtp && sd_route_srtp_parse(srtp, &policy) < 0)
            return node_error(err, errsz, path, e, "routes: srtp is off, optional or mandatory");
        if (apply_sub(c, put_route(c, match, strlen(match), target, strlen(target), proxy, from, sub, sizeof sub), path,
                      e, sub, err, errsz))
            return -1;
        c->route_srtp[c->nroutes - 1] = policy;
    }
    return 0;
}

static int scalar_list(sd_config *c, int (*set)(sd_config *, const char *, char *, size_t), yaml_document_t *doc,
                       yaml_node_t *v, const char *path, char *err, size_t errsz)
{
    char sub[256];
    if (v->type == YAML_SCALAR_NODE)
        return apply_sub(c, set(c, scalar(v), sub, sizeof sub), path, v, sub, err, errsz);
    if (v->type != YAML_SEQUENCE_NODE)
        return node_error(err, errsz, path, v, "expected a string or a list of strings");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(doc, *it);
        if (!scalar(e))
            return node_error(err, errsz, path, e, "expected a string");
        if (apply_sub(c, set(c, scalar(e), sub, sizeof sub), path, e, sub, err, errsz))
            return -1;
    }
    return 0;
}

int sd_config_media_node(sd_config *c, const char *key, yaml_document_t *doc, yaml_node_t *v, const char *path,
                         char *err, size_t errsz)
{
    if (!strcmp(key, "moh_classes") || !strcmp(key, "moh-classes"))
        return moh_map(c, doc, v, path, err, errsz);
    if (!strcmp(key, "routes"))
        return route_list(c, doc, v, path, err, errsz);
    if (v->type == YAML_SEQUENCE_NODE && !strcmp(key, "route"))
        return scalar_list(c, sd_set_route, doc, v, path, err, errsz);
    if (v->type == YAML_SEQUENCE_NODE && (!strcmp(key, "moh_class") || !strcmp(key, "moh-class")))
        return scalar_list(c, sd_set_moh_class, doc, v, path, err, errsz);
    return 1;
}

int sd_set_sounds_dir(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!*v || strlen(v) > 3000)
        return fail(err, errsz, "--sounds-dir: expected a directory, got '%s'", v);
    if (sd_config_set_str(&c->sounds_dir, v) != 0)
        return fail(err, errsz, "--sounds-dir: %s", "out of memory");
    return 0;
}

void sd_config_media_free(sd_config *c)
{
    free(c->media_address);
    c->media_address = NULL;
    free(c->sounds_dir);
    c->sounds_dir = NULL;
    for (size_t i = 0; i < c->nmoh; i++) {
        free(c->moh_name[i]);
        free(c->moh_path[i]);
    }
    for (size_t i = 0; i < c->nroutes; i++) {
        free(c->route_match[i]);
        free(c->route_target[i]);
        free(c->route_proxy[i]);
        c->route_proxy[i] = NULL;
    }
    c->nmoh = c->nroutes = 0;
}
