/* credentials: reads the --credentials file, a YAML list of {realm, user, password} (realm
 * optional: any realm), and hands each entry to the coordinator. Passwords stay out of logs
 * and error messages. */
#include "credentials.h"
#include "secret_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

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
        return sd_secret_node_error(err, errsz, path, root, "expected a list of {realm, user, password}");
    for (yaml_node_item_t *it = root->data.sequence.items.start; it < root->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(doc, *it);
        if (!e || e->type != YAML_MAPPING_NODE)
            return sd_secret_node_error(err, errsz, path, e, "expected {realm, user, password}");
        const char *user = get(doc, e, "user"), *password = get(doc, e, "password");
        if (!user || !*user || !password)
            return sd_secret_node_error(err, errsz, path, e, "an entry needs user and password");
        if (add(ud, get(doc, e, "realm"), user, password) != 0)
            return sd_secret_node_error(err, errsz, path, e, "cannot keep these credentials");
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

struct creds_read {
    sd_credentials_add_fn add;
    void *ud;
};

static int read_doc(void *ud, yaml_document_t *doc, const char *path, char *err, size_t errsz)
{
    struct creds_read *c = ud;
    return load_entries(c->add, c->ud, doc, path, err, errsz);
}

int sd_credentials_read(const char *path, sd_credentials_add_fn add, void *ud, const sc_logger *logger, char *err,
                        size_t errsz)
{
    struct creds_read c = {add, ud};
    return sd_secret_file_load("--credentials", path, logger, read_doc, &c, err, errsz);
}
