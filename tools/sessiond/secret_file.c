/* secret_file: loading the YAML files that hold secrets (see secret_file.h). */
#include "secret_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int sd_secret_node_error(char *err, size_t errsz, const char *path, const yaml_node_t *n, const char *msg)
{
    snprintf(err, errsz, "%s:%lu:%lu: %s", path, n ? (unsigned long)n->start_mark.line + 1 : 1UL,
             n ? (unsigned long)n->start_mark.column + 1 : 1UL, msg);
    return -1;
}

int sd_secret_file_load(const char *flag, const char *path, const sc_logger *logger, sd_secret_doc_fn read, void *ud,
                        char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "%s: cannot open '%s': %s", flag, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        sc_log(logger, SC_LOG_WARN, "sessiond", "%s %s is readable by others: chmod 600 it", flag, path);
    yaml_parser_t p;
    yaml_document_t doc;
    int rc = -1;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    if (!yaml_parser_load(&p, &doc)) {
        snprintf(err, errsz, "%s:%lu:%lu: %s", path, (unsigned long)p.problem_mark.line + 1,
                 (unsigned long)p.problem_mark.column + 1, p.problem ? p.problem : "YAML error");
    } else {
        rc = read(ud, &doc, path, err, errsz);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&p);
    fclose(f);
    return rc;
}
