/* embedded_table: tables/default.yaml compiled into sessiond (generated at build time). */
#ifndef SESSIOND_EMBEDDED_TABLE_H
#define SESSIOND_EMBEDDED_TABLE_H

#include <stddef.h>

extern const char sd_default_table[];     /* the YAML text, NUL-terminated */
extern const size_t sd_default_table_len; /* without the NUL */

#endif
