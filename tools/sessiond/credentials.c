/* credentials: reads the --credentials file, a YAML list of {realm, user, password} (realm
 * optional: any realm), and hands each entry to the coordinator. Passwords stay out of logs
 * and error messages. */
#include "credentials.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

static int node_error(char *err, size_t errsz, const char *path, const yaml_node_t *n, const char *msg)
{
    snprintf(err, errsz, "%s:%lu:%lu: %s", path, n ? (unsigned long)n->start_mark.line + 1 : 1UL,
             n ? (unsigned long)n->start_mark.column + 1 : 1UL, msg);
    return -1;
}

/* The scalar under key in mapping m, or NULL. */
static const char *get(yaml_document_t *doc, yaml_node_t *m, const char *key)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
        if (k && v && k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE &&
            !strcmp((const char *)k->data.scalar.value, key))
            return (const char *)v->data.scalar.value;
    }
    return NULL;
}

static int load_entries(sd_credentials_add_fn add, void *ud, yaml_document_t *doc, const char *path, char *err,
                        size_t errsz)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root || root->type != YAML_SEQUENCE_NODE)
        return node_error(err, errsz, path, root, "expected a list of {realm, user, password}");
    for (yaml_node_item_t *it = root->data.sequence.items.start; it < root->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(doc, *it);
        if (!e || e->type != YAML_MAPPING_NODE)
            return node_error(err, errsz, path, e, "expected {realm, user, password}");
        const char *user = get(doc, e, "user"), *password = get(doc, e, "password");
        if (!user || !*user || !password)
            return node_error(err, errsz, path, e, "an entry needs user and password");
        if (add(ud, get(doc, e, "realm"), user, password) != 0)
            return node_error(err, errsz, path, e, "cannot keep these credentials");
    }
    return 0;
}

static int coord_add(void *ud, const char *realm, const char *user, const char *password)
{
    return sc_coord_add_credentials(ud, realm, user, password);
}

int sd_credentials_load(sc_coord *coord, const char *path, const sc_logger *logger, char *err, size_t errsz)
{
    return sd_credentials_read(path, coord_add, coord, logger, err, errsz);
}

int sd_credentials_read(const char *path, sd_credentials_add_fn add, void *ud, const sc_logger *logger, char *err,
                        size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "--credentials: cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        sc_log(logger, SC_LOG_WARN, "sessiond", "--credentials %s is readable by others: chmod 600 it", path);
    yaml_parser_t p;
    yaml_document_t doc;
    int rc = -1;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    if (!yaml_parser_load(&p, &doc)) {
        snprintf(err, errsz, "%s:%lu:%lu: %s", path, (unsigned long)p.problem_mark.line + 1,
                 (unsigned long)p.problem_mark.column + 1, p.problem ? p.problem : "YAML error");
    } else {
        rc = load_entries(add, ud, &doc, path, err, errsz);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&p);
    fclose(f);
    return rc;
}
