/* config_trunks: reads the `trunks:` list of the config file into sd_config (each entry's
 * keys checked, the password read from password_file, errors as path:line:col) and gives it to
 * the coordinator's config. Passwords never appear in an error message or a log line. */
#include "config_trunks.h"
#include "config_bool.h"
#include "config_srtp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SD_MAX_TRUNKS SC_COORD_MAX_TRUNKS

static int node_error(char *err, size_t errsz, const char *path, const yaml_node_t *n, const char *msg)
{
    snprintf(err, errsz, "%s:%lu:%lu: %s", path, n ? (unsigned long)n->start_mark.line + 1 : 1UL,
             n ? (unsigned long)n->start_mark.column + 1 : 1UL, msg);
    return -1;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void trunk_clear(sd_trunk *t)
{
    free(t->name);
    free(t->uri);
    free(t->proxy);
    free(t->username);
    if (t->password)
        memset(t->password, 0, strlen(t->password));
    free(t->password);
    memset(t, 0, sizeof *t);
}

/* The first line of file (no newline) as the password; a message on failure. */
static int read_password(const char *file, char **out, bool *shared, const char **why)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        *why = strerror(errno);
        return -1;
    }
    struct stat st;
    *shared = fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO));
    char line[1024];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        *why = "the file is empty";
        return -1;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    *out = strdup(line);
    memset(line, 0, sizeof line);
    if (!*out) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

static int uint_value(const char *v, unsigned long max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long n = v && *v && *v != '-' ? strtoul(v, &end, 10) : 0;
    if (!v || !*v || *v == '-' || *end || errno || n > max)
        return -1;
    *out = (unsigned)n;
    return 0;
}

static bool sip_uri(const char *v) { return v && !strncmp(v, "sip:", 4) && v[4] && !strpbrk(v, " \t<>\""); }

static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= 63 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* One key of a trunk entry. */
static int trunk_key(sd_trunk *t, const char *k, const yaml_node_t *vn, const char *path, char *err, size_t errsz)
{
    const char *v = scalar(vn);
    char msg[320];
    if (!v)
        return node_error(err, errsz, path, vn, "trunks: expected a single value");
    char **slot = !strcmp(k, "name")       ? &t->name
                  : !strcmp(k, "uri")      ? &t->uri
                  : !strcmp(k, "proxy")    ? &t->proxy
                  : !strcmp(k, "username") ? &t->username
                                           : NULL;
    if (slot) {
        if (!strcmp(k, "name") && !name_ok(v))
            return node_error(err, errsz, path, vn, "trunks: name: expected 1..63 of [A-Za-z0-9_.-]");
        if ((!strcmp(k, "uri") || !strcmp(k, "proxy")) && !sip_uri(v)) {
            snprintf(msg, sizeof msg, "trunks: %s: expected a sip: URI, got '%s'", k, v);
            return node_error(err, errsz, path, vn, msg);
        }
        if (!strcmp(k, "username") && (!*v || strpbrk(v, "@:;<> \t")))
            return node_error(err, errsz, path, vn, "trunks: username: expected a user name (no @ : ; < > spaces)");
        return sd_config_set_str(slot, v) ? node_error(err, errsz, path, vn, "out of memory") : 0;
    }
    if (!strcmp(k, "password")) {
        t->password_inline = true;
        return sd_config_set_str(&t->password, v) ? node_error(err, errsz, path, vn, "out of memory") : 0;
    }
    if (!strcmp(k, "password_file")) {
        const char *why = NULL;
        bool shared = false;
        char *pw = NULL;
        if (read_password(v, &pw, &shared, &why)) {
            snprintf(msg, sizeof msg, "trunks: password_file: cannot read '%s': %s", v, why);
            return node_error(err, errsz, path, vn, msg);
        }
        if (shared)
            fprintf(stderr, "sessiond: warning: %s is readable by others: chmod 600 it\n", v);
        free(t->password);
        t->password = pw;
        t->password_inline = false;
        return 0;
    }
    if (!strcmp(k, "register")) { /* yes|no, true/false with a warning (config_bool.c) */
        char berr[160];
        if (sd_config_bool("trunks: register", v, &t->do_register, berr, sizeof berr))
            return node_error(err, errsz, path, vn, "trunks: register: expected yes or no");
        return 0;
    }
    if (!strcmp(k, "srtp")) { /* the SRTP policy of calls through it (config_srtp.c) */
        if (sd_route_srtp_parse(v, &t->srtp))
            return node_error(err, errsz, path, vn, "trunks: srtp: expected off, optional or mandatory");
        return 0;
    }
    unsigned *num = !strcmp(k, "expires")        ? &t->expires_s
                    : !strcmp(k, "retry_min_ms") ? &t->retry_min_ms
                    : !strcmp(k, "retry_max_ms") ? &t->retry_max_ms
                                                 : NULL;
    if (num) {
        unsigned long max = num == &t->expires_s ? 86400ul : 86400000ul;
        if (uint_value(v, max, num) || (num == &t->expires_s && *num < 1) || (num != &t->expires_s && *num < 100)) {
            snprintf(msg, sizeof msg, "trunks: %s: expected %s, got '%s'", k,
                     num == &t->expires_s ? "1..86400 seconds" : "100..86400000 ms", v);
            return node_error(err, errsz, path, vn, msg);
        }
        return 0;
    }
    snprintf(msg, sizeof msg,
             "trunks: unknown key '%s' (name, uri, proxy, username, password_file, password, register, expires, "
             "retry_min_ms, retry_max_ms, srtp)",
             k);
    return node_error(err, errsz, path, vn, msg);
}

static int trunk_entry(sd_config *c, yaml_document_t *doc, yaml_node_t *e, const char *path, char *err, size_t errsz)
{
    if (e->type != YAML_MAPPING_NODE)
        return node_error(err, errsz, path, e, "trunks: each entry is a map (name, uri, username...)");
    if (c->ntrunks == SD_MAX_TRUNKS)
        return node_error(err, errsz, path, e, "trunks: at most 64 trunks");
    sd_trunk t = {.do_register = false};
    for (yaml_node_pair_t *p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(doc, p->key);
        const char *k = scalar(kn);
        if (!k) {
            trunk_clear(&t);
            return node_error(err, errsz, path, kn, "trunks: expected a key name");
        }
        if (trunk_key(&t, k, yaml_document_get_node(doc, p->value), path, err, errsz)) {
            trunk_clear(&t);
            return -1;
        }
    }
    const char *missing = !t.name ? "name" : !t.uri ? "uri" : !t.username ? "username" : NULL;
    char msg[160];
    if (missing)
        snprintf(msg, sizeof msg, "trunks: this entry needs %s", missing);
    for (size_t i = 0; !missing && i < c->ntrunks; i++)
        if (!strcmp(c->trunks[i].name, t.name)) {
            snprintf(msg, sizeof msg, "trunks: '%s' is defined twice", t.name);
            missing = t.name;
        }
    if (!missing && t.retry_max_ms && t.retry_min_ms > t.retry_max_ms) {
        snprintf(msg, sizeof msg, "trunks: %s: retry_min_ms is above retry_max_ms", t.name);
        missing = t.name;
    }
    if (missing) {
        trunk_clear(&t);
        return node_error(err, errsz, path, e, msg);
    }
    if (!c->trunks && !(c->trunks = calloc(SD_MAX_TRUNKS, sizeof *c->trunks))) {
        trunk_clear(&t);
        return node_error(err, errsz, path, e, "out of memory");
    }
    c->trunks[c->ntrunks++] = t;
    return 0;
}

int sd_config_trunks_node(sd_config *c, const char *key, yaml_document_t *doc, yaml_node_t *v, const char *path,
                          char *err, size_t errsz)
{
    if (strcmp(key, "trunks") != 0)
        return 1;
    if (v->type != YAML_SEQUENCE_NODE)
        return node_error(err, errsz, path, v, "trunks: expected a list of trunks");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
        if (trunk_entry(c, doc, yaml_document_get_node(doc, *it), path, err, errsz))
            return -1;
    return 0;
}

int sd_config_trunks_check(const sd_config *c, char *err, size_t errsz)
{
    for (size_t i = 0; i < c->nroutes; i++) {
        const char *tg = c->route_target[i];
        if (strncmp(tg, "trunk:", 6) != 0)
            continue;
        bool found = false;
        for (size_t j = 0; j < c->ntrunks && !found; j++)
            found = !strcmp(c->trunks[j].name, tg + 6);
        if (!found) {
            snprintf(err, errsz, "--route %s=%s: no trunk named '%s' in the config file's trunks:", c->route_match[i],
                     tg, tg + 6);
            return -1;
        }
    }
    return 0;
}

void sd_config_trunks_apply(const sd_config *c, sc_coord_config *cc, sc_coord_trunk_config *out,
                            const sc_logger *logger)
{
    for (size_t i = 0; i < c->ntrunks; i++) {
        const sd_trunk *t = &c->trunks[i];
        out[i] = (sc_coord_trunk_config){.name = t->name,
                                         .uri = t->uri,
                                         .proxy = t->proxy,
                                         .username = t->username,
                                         .password = t->password,
                                         .do_register = t->do_register,
                                         .expires_s = t->expires_s,
                                         .retry_min_ms = t->retry_min_ms,
                                         .retry_max_ms = t->retry_max_ms,
                                         .srtp = t->srtp};
        if (t->password_inline)
            sc_log(logger, SC_LOG_WARN, "sessiond",
                   "trunk %s: its password is written in the config file: use password_file (mode 600)", t->name);
    }
    cc->trunks = c->ntrunks ? out : NULL;
    cc->ntrunks = c->ntrunks;
}

void sd_config_trunks_free(sd_config *c)
{
    for (size_t i = 0; i < c->ntrunks; i++)
        trunk_clear(&c->trunks[i]);
    free(c->trunks);
    c->trunks = NULL;
    c->ntrunks = 0;
}
