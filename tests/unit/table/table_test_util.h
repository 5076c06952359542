/* table_test_util: small helpers shared by the table module's unit tests. */
#ifndef TABLE_TEST_UTIL_H
#define TABLE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_core/table.h"

#define DEFAULT_TABLE SC_SOURCE_DIR "/tables/default.yaml"
#define DATA_DIR SC_SOURCE_DIR "/tests/data/tables"

/* Loads a YAML string; returns the load result, *out set on success. */
static inline int load_str(const sc_vocab *v, const char *yaml, sc_table **out, sc_diags *d)
{
    return sc_table_load_buffer(out, "test.yaml", yaml, strlen(yaml), v, d);
}

/* True when some diagnostic's message contains needle. */
static inline bool diags_have(const sc_diags *d, const char *needle)
{
    for (size_t i = 0; i < sc_diags_count(d); i++)
        if (strstr(sc_diags_get(d, i)->message, needle))
            return true;
    return false;
}

static inline void dump_diags(const sc_diags *d)
{
    char buf[512];
    for (size_t i = 0; i < sc_diags_count(d); i++) {
        sc_diag_format(sc_diags_get(d, i), buf, sizeof(buf));
        fprintf(stderr, "  %s\n", buf);
    }
}

static inline int ev(const sc_table *t, const char *name)
{
    return sc_vocab_lookup(sc_table_vocab(t), SC_VOCAB_EVENT, name);
}

static inline int st(const sc_table *t, const char *name) { return sc_table_state_id(t, name); }

#endif
