/* users: reads the registrar's users file (--users), a YAML list of {user, password} or
 * {user, ha1} (and/or ha1_sha256), checked entry by entry with file:line:column errors.
 * Secrets stay out of logs and error messages and are wiped when freed. */
#include "users.h"
#include "secret_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

static bool is_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

static void wipe(const char *s)
{
    if (!s)
        return;
    volatile char *p = (volatile char *)s;
    while (*p)
        *p++ = 0;
    free((char *)s);
}

/* One {user, password | ha1 | ha1_sha256} mapping into out (copies); 0 or -1 with err. */
static int entry(yaml_document_t *doc, yaml_node_t *e, const char *path, sc_coord_user *out, char *err, size_t errsz)
{
    const char *user = NULL, *password = NULL, *ha1 = NULL, *ha1s = NULL;
    for (yaml_node_pair_t *p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE)
            return sd_secret_node_error(err, errsz, path, k ? k : e, "expected scalar keys and values");
        const char *key = (const char *)k->data.scalar.value, *val = (const char *)v->data.scalar.value;
        const char **slot = !strcmp(key, "user")         ? &user
                            : !strcmp(key, "password")   ? &password
                            : !strcmp(key, "ha1")        ? &ha1
                            : !strcmp(key, "ha1_sha256") ? &ha1s
                                                         : NULL;
        if (!slot)
            return sd_secret_node_error(err, errsz, path, k, "unknown key (user, password, ha1, ha1_sha256)");
        if (*slot)
            return sd_secret_node_error(err, errsz, path, k, "duplicate key");
        *slot = val;
    }
    if (!user || !*user || strlen(user) > 127 || strpbrk(user, "\" \t\r\n:@<>;"))
        return sd_secret_node_error(err, errsz, path, e, "an entry needs a user (no spaces, quotes, ':', '@', ';')");
    if (!password && !ha1 && !ha1s)
        return sd_secret_node_error(err, errsz, path, e, "an entry needs password or ha1");
    if (password && (ha1 || ha1s))
        return sd_secret_node_error(err, errsz, path, e, "give password or ha1, not both");
    if (password && (!*password || strlen(password) > 200))
        return sd_secret_node_error(err, errsz, path, e, "password must be 1..200 characters");
    if (ha1 && !is_hex(ha1, 32))
        return sd_secret_node_error(err, errsz, path, e, "ha1 must be 32 hex digits (MD5 of user:realm:password)");
    if (ha1s && !is_hex(ha1s, 64))
        return sd_secret_node_error(err, errsz, path, e, "ha1_sha256 must be 64 hex digits");
    out->user = strdup(user);
    out->password = password ? strdup(password) : NULL;
    out->ha1 = ha1 ? strdup(ha1) : NULL;
    out->ha1_sha256 = ha1s ? strdup(ha1s) : NULL;
    if (!out->user || (password && !out->password) || (ha1 && !out->ha1) || (ha1s && !out->ha1_sha256))
        return sd_secret_node_error(err, errsz, path, e, "out of memory");
    return 0;
}

static int load_entries(sd_users *u, yaml_document_t *doc, const char *path, char *err, size_t errsz)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root || root->type != YAML_SEQUENCE_NODE)
        return sd_secret_node_error(err, errsz, path, root, "expected a list of {user, password} or {user, ha1}");
    size_t n = (size_t)(root->data.sequence.items.top - root->data.sequence.items.start);
    u->list = calloc(n ? n : 1, sizeof *u->list);
    if (!u->list)
        return sd_secret_node_error(err, errsz, path, root, "out of memory");
    for (yaml_node_item_t *it = root->data.sequence.items.start; it < root->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(doc, *it);
        if (!e || e->type != YAML_MAPPING_NODE)
            return sd_secret_node_error(err, errsz, path, e, "expected {user, password} or {user, ha1}");
        if (entry(doc, e, path, &u->list[u->n], err, errsz) != 0) {
            sc_coord_user *x = &u->list[u->n];
            free((char *)x->user);
            wipe(x->password);
            wipe(x->ha1);
            wipe(x->ha1_sha256);
            memset(x, 0, sizeof *x);
            return -1;
        }
        u->n++;
        for (size_t i = 0; i + 1 < u->n; i++)
            if (!strcmp(u->list[i].user, u->list[u->n - 1].user))
                return sd_secret_node_error(err, errsz, path, e, "this user is listed twice");
    }
    if (!u->n)
        return sd_secret_node_error(err, errsz, path, root, "no users");
    return 0;
}

static int read_doc(void *ud, yaml_document_t *doc, const char *path, char *err, size_t errsz)
{
    return load_entries(ud, doc, path, err, errsz);
}

int sd_users_load(sd_users *u, const char *path, const sc_logger *logger, char *err, size_t errsz)
{
    memset(u, 0, sizeof *u);
    int rc = sd_secret_file_load("--users", path, logger, read_doc, u, err, errsz);
    if (rc)
        sd_users_free(u);
    return rc;
}

void sd_users_free(sd_users *u)
{
    for (size_t i = 0; u->list && i < u->n; i++) {
        free((char *)u->list[i].user);
        wipe(u->list[i].password);
        wipe(u->list[i].ha1);
        wipe(u->list[i].ha1_sha256);
    }
    free(u->list);
    memset(u, 0, sizeof *u);
}
