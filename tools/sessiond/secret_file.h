/* secret_file: reading a YAML file that holds secrets (--users, --credentials): a file others
 * may read is warned about, a YAML error names path:line:column, and the document goes to the
 * caller's entry reader. */
#ifndef SD_SECRET_FILE_H
#define SD_SECRET_FILE_H

#include <stddef.h>
#include <yaml.h>

#include "session_core/base.h"

/* Reads the document's entries: 0, or -1 with a one-line message in err. */
typedef int (*sd_secret_doc_fn)(void *ud, yaml_document_t *doc, const char *path, char *err, size_t errsz);

/* Loads path (flag names it in messages: "--users") and hands its document to read(ud, ...).
 * 0, or -1 with a one-line message in err. */
int sd_secret_file_load(const char *flag, const char *path, const sc_logger *logger, sd_secret_doc_fn read, void *ud,
                        char *err, size_t errsz);

/* The "path:line:col: msg" error of node n (NULL: 1:1); -1. */
int sd_secret_node_error(char *err, size_t errsz, const char *path, const yaml_node_t *n, const char *msg);

#endif
